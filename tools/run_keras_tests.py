"""Run Keras 3's own unit tests against minikeras and report pass/fail per test.

A development tool for finding where minikeras still differs from Keras; it is not part of
CI and pytest does not collect it (`testpaths = ["tests"]`). It needs no Keras, JAX, absl or
TensorFlow: it maps `keras` and `keras.src.<sub>` onto minikeras's modules, provides small
stand-ins for `keras.src.testing` and `absl.testing.parameterized`, copies the chosen Keras
test files into a temporary directory and runs pytest on them in this process.

Usage (from the repository root, with the Keras source checked out somewhere):

    .venv/bin/python tools/run_keras_tests.py /path/to/keras/keras/src/trainers/trainer_test.py
    .venv/bin/python tools/run_keras_tests.py --json out.json -k fit FILE [FILE ...]

Arguments after the files that start with `-` go to pytest as they are (`-k`, `-x`, ...).
Each test ends as passed, failed, error or skipped; a test file that cannot be imported at
all (it needs a module minikeras does not have) shows as one error naming the module.
`keras.src.backend.backend()` answers "jax", because the reference numbers are Keras on JAX;
tests marked `multi_device` and tests that import jax, tensorflow or torch are skipped.
"""

import argparse
import collections
import contextlib
import functools
import importlib
import importlib.util
import inspect
import itertools
import json
import logging
import os
import pkgutil
import re
import shutil
import sys
import tempfile
import types
import unittest

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

import minikeras  # noqa: E402

# keras.src paths whose minikeras module lives somewhere else.
_MODULE_ALIASES = {
    "keras.src.layers.core.input_layer": "minikeras.layers.input_layer",
    "keras.src.trainers.data_adapters.py_dataset_adapter": "minikeras.utils.py_dataset",
    "keras.src.utils.numerical_utils": "minikeras.utils",
    "keras.src.backend.common.keras_tensor": "minikeras.ops.symbolic",
    "keras.src.saving.serialization_lib": "minikeras.saving.serialization",
    "keras.src.models.cloning": "minikeras.saving.cloning",
    "keras.src.backend.common.masking": "minikeras.autodiff.masks",
    "keras.src.utils.summary_utils": "minikeras.models.summary",
    "keras.src.utils.rng_utils": "minikeras.utils",
    "keras.src.utils.text_dataset_utils": "minikeras.utils.text_dataset",
    "keras.src.utils.timeseries_dataset_utils": "minikeras.utils.timeseries_dataset",
    "keras.src.utils.image_dataset_utils": "minikeras.utils.image_dataset",
    "keras.src.utils.audio_dataset_utils": "minikeras.utils.audio_dataset",
}
# Backends and libraries minikeras never stands in for: a test file importing them is skipped.
_FOREIGN_LIBRARIES = ("jax", "tensorflow", "torch", "orbax", "openvino", "grain", "scipy", "pandas")


# --- absl.testing.parameterized -------------------------------------------------------------


def _case_name(value):
    return getattr(value, "__name__", None) or str(value)


def _as_cases(cases, named):
    """Turns the arguments of a parameterized decorator into (suffix, args, kwargs) triples."""
    if len(cases) == 1 and isinstance(cases[0], list | tuple) and not named:
        first = cases[0]
        # As in absl, one list argument is the list of cases, even of bare values (`["a", "b"]`).
        if isinstance(first, list) or all(isinstance(case, dict | tuple | list) for case in first):
            cases = first
    elif len(cases) == 1 and isinstance(cases[0], list) and named:
        cases = cases[0]
    triples = []
    for index, case in enumerate(cases):
        if isinstance(case, dict):
            kwargs = dict(case)
            suffix = kwargs.pop("testcase_name", None) if named else None
            triples.append((suffix if suffix is not None else str(index), (), kwargs))
        elif named:
            triples.append((str(case[0]), tuple(case[1:]), {}))
        elif isinstance(case, tuple | list):
            triples.append((str(index), tuple(case), {}))
        else:
            triples.append((str(index), (case,), {}))
    return triples


def _parameterize(triples):
    def decorator(function):
        if isinstance(function, type):  # a whole class: every test method gets the cases
            for name, method in list(vars(function).items()):
                if name.startswith("test") and callable(method):
                    delattr(function, name)
                    for suffix, args, kwargs in triples:
                        test = _expanded(method, suffix, args, kwargs)
                        setattr(function, test.__name__, test)
            return function
        function._shim_cases = triples
        return function

    return decorator


def _named_parameters(*cases):
    return _parameterize(_as_cases(cases, named=True))


def _parameters(*cases):
    return _parameterize(_as_cases(cases, named=False))


def _product(*dict_lists, **kwargs):
    return _parameterize(_as_cases((named_product(*dict_lists, **kwargs),), named=True))


def named_product(*dict_lists, **kwargs):
    """The cartesian product of keyword cases, each named by its values joined with `_`."""
    axes = [list(cases) for cases in dict_lists]
    for key, values in kwargs.items():
        axes.append([{"testcase_name": _case_name(value), key: value} for value in values])
    combined = []
    for combination in itertools.product(*axes):
        case, names = {}, []
        for part in combination:
            part = dict(part)
            name = part.pop("testcase_name", None)
            if name is None:
                name = "_".join(_case_name(value) for value in part.values())
            names.append(name)
            case.update(part)
        case["testcase_name"] = "_".join(names)
        combined.append(case)
    return combined


def _expanded(function, suffix, args, kwargs):
    @functools.wraps(function)
    def test(self):
        return function(self, *args, **kwargs)

    test.__dict__.pop("_shim_cases", None)
    test.__name__ = f"{function.__name__}_{suffix}"
    return test


class ParameterizedTestCase(unittest.TestCase):
    """unittest.TestCase that expands `@parameters`-marked methods into one test per case."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, function in list(vars(cls).items()):
            triples = getattr(function, "_shim_cases", None)
            if triples is None:
                continue
            delattr(cls, name)
            for suffix, args, case_kwargs in triples:
                test = _expanded(function, suffix, args, case_kwargs)
                setattr(cls, test.__name__, test)


# --- keras.src.testing ------------------------------------------------------------------------


class TestCase(ParameterizedTestCase):
    """The assertions Keras's own tests call, over numpy."""

    maxDiff = None

    def setUp(self):
        minikeras.utils.clear_session()
        # A test that failed inside a name scope it opened by hand leaves it open.
        minikeras.autodiff.name_scope._scopes.stack.clear()

    def get_temp_dir(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
        return directory

    def convert_to_numpy(self, x):
        return np.asarray(x)

    def assertAllClose(self, x1, x2, atol=1e-6, rtol=1e-6, msg=None, tpu_atol=None, tpu_rtol=None):
        if not isinstance(x1, list | tuple | dict) and not isinstance(x2, dict):
            # One array (tensor) against an array-like: a list of numbers is one array here.
            np.testing.assert_allclose(
                np.asarray(x1), np.asarray(x2), atol=atol, rtol=rtol, err_msg=msg or ""
            )
            return
        if not isinstance(x1, np.ndarray | float | int) or not isinstance(
            x2, np.ndarray | float | int
        ):
            x1 = minikeras.tree.map_structure(np.asarray, x1)
            x2 = minikeras.tree.map_structure(np.asarray, x2)
            # Keras compares a list of numbers as one array (`np.array(x)`), not item by item.
            if isinstance(x1, list | tuple) and not isinstance(x2, list | tuple):
                x1 = np.array(x1)
            if isinstance(x2, list | tuple) and not isinstance(x1, list | tuple):
                x2 = np.array(x2)
            for a, b in zip(minikeras.tree.flatten(x1), minikeras.tree.flatten(x2), strict=True):
                np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=msg or "")
            return
        np.testing.assert_allclose(x1, x2, atol=atol, rtol=rtol, err_msg=msg or "")

    def assertNotAllClose(self, x1, x2, atol=1e-6, rtol=1e-6, msg=None):
        try:
            self.assertAllClose(x1, x2, atol=atol, rtol=rtol)
        except AssertionError:
            return
        self.fail(msg or f"Arrays are close: {x1} and {x2}")

    def assertAlmostEqual(self, x1, x2, decimal=3, tpu_decimal=None, msg=None):
        np.testing.assert_array_almost_equal(
            np.asarray(x1), np.asarray(x2), decimal=decimal, err_msg=msg or ""
        )

    def assertAllEqual(self, x1, x2, msg=None):
        if np.ndim(x1) == 0:  # two numbers
            np.testing.assert_array_equal(np.asarray(x1), np.asarray(x2), err_msg=msg or "")
            return
        self.assertEqual(len(x1), len(x2), msg=msg)
        for a, b in zip(x1, x2):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=msg or "")

    def assertSparse(self, x, sparse=True):
        # minikeras has no sparse tensors: every output is dense.
        self.assertFalse(sparse, msg="minikeras has no sparse tensors")
        self.assertFalse(getattr(x, "sparse", False))

    def assertLen(self, iterable, expected_len, msg=None):
        self.assertEqual(len(iterable), expected_len, msg=msg)

    def assertDType(self, x, dtype, msg=None):
        # KerasTensors have a dtype but no values; None stands for floatx, as in Keras.
        found = x.dtype if isinstance(x, minikeras.KerasTensor) else np.asarray(x).dtype
        expected = minikeras.config.floatx() if dtype is None else str(np.dtype(dtype))
        self.assertEqual(str(np.dtype(found)), expected, msg=msg)

    def assertEmpty(self, container, msg=None):
        self.assertEqual(len(container), 0, msg=msg)

    def assertContainsExactSubsequence(self, text, part, msg=None):
        self.assertIn(part, text, msg=msg)

    def assertStartsWith(self, text, prefix, msg=None):
        self.assertTrue(str(text).startswith(prefix), msg=msg or f"{text!r} starts otherwise")

    def assertFileExists(self, path):
        self.assertTrue(os.path.exists(path), msg=f"{path} does not exist")

    def run_class_serialization_test(self, instance, custom_objects=None):
        """Checks get_config/from_config and serialize/deserialize give back the same config."""
        from minikeras import saving

        config = json.dumps(instance.get_config(), sort_keys=True, default=str)
        # Keras imports a test file's own class by its module name; minikeras never imports
        # modules named in a config, so the class is handed over as a custom object.
        custom_objects = {type(instance).__name__: type(instance), **(custom_objects or {})}
        with saving.custom_object_scope(custom_objects):
            revived = type(instance).from_config(instance.get_config())
            self.assertEqual(config, json.dumps(revived.get_config(), sort_keys=True, default=str))
            serialized = json.loads(json.dumps(saving.serialize_keras_object(instance)))
            revived = saving.deserialize_keras_object(serialized)
        self.assertEqual(config, json.dumps(revived.get_config(), sort_keys=True, default=str))
        return revived

    def run_layer_test(
        self,
        layer_cls,
        init_kwargs,
        input_shape=None,
        input_dtype=None,
        input_data=None,
        call_kwargs=None,
        expected_output_shape=None,
        expected_output_dtype=None,
        expected_output=None,
        expected_num_trainable_weights=None,
        expected_num_non_trainable_weights=None,
        expected_num_non_trainable_variables=None,
        expected_num_losses=None,
        expected_num_seed_generators=None,
        supports_masking=None,
        custom_objects=None,
        assert_built_after_instantiation=False,
        **unchecked,
    ):
        """A subset of Keras's checks: config round trip, symbolic and eager calls (output
        shape, dtype, values), weight/variable/loss/seed generator counts and
        `supports_masking`.

        Not checked here: training, mixed precision, sparse/ragged, masks.
        """
        del unchecked
        call_kwargs = call_kwargs or {}
        self.run_class_serialization_test(layer_cls(**init_kwargs), custom_objects)
        if assert_built_after_instantiation:
            self.assertTrue(layer_cls(**init_kwargs).built)
        one_input = input_shape is None or (
            not isinstance(input_shape, dict)
            and all(d is None or isinstance(d, int) for d in input_shape)
        )

        def check_shapes(output):
            if expected_output_shape is None:
                return
            if isinstance(output, list | tuple):
                self.assertEqual(
                    [tuple(s) for s in expected_output_shape], [o.shape for o in output]
                )
            else:
                self.assertEqual(tuple(expected_output_shape), tuple(output.shape))

        if isinstance(input_shape, dict):
            # As Keras: `{"query_shape": ..., "value_shape": ...}` calls `layer(query=, value=)`.
            rng = np.random.default_rng(1337)
            shapes = {key.removesuffix("_shape"): tuple(s) for key, s in input_shape.items()}
            symbolic = {k: minikeras.KerasTensor(s, dtype=input_dtype) for k, s in shapes.items()}
            check_shapes(layer_cls(**init_kwargs)(**symbolic, **call_kwargs))
            arrays = {
                k: rng.normal(size=s).astype(input_dtype or "float32") for k, s in shapes.items()
            }
            layer = layer_cls(**init_kwargs)
            output = layer(**arrays, **call_kwargs)
        else:
            if input_shape is not None:
                shapes = [input_shape] if one_input else input_shape
                symbolic = [minikeras.KerasTensor(tuple(s), dtype=input_dtype) for s in shapes]
                check_shapes(layer_cls(**init_kwargs)(symbolic[0] if one_input else symbolic))
            if input_data is None:
                rng = np.random.default_rng(1337)
                shapes = [input_shape] if one_input else input_shape
                # Integers as Keras's `create_eager_tensors` makes them: in [0, 3), so they
                # are valid indices (an Embedding refuses negative ones).
                draw = rng.uniform if np.dtype(input_dtype or "float32").kind in "iu" else None
                arrays = [
                    (draw(0, 3, size=s) if draw else rng.normal(size=s)).astype(
                        input_dtype or "float32"
                    )
                    for s in shapes
                ]
                input_data = arrays[0] if one_input else arrays
            layer = layer_cls(**init_kwargs)
            output = layer(input_data, **call_kwargs)
        check_shapes(output)
        if expected_output_dtype is not None:
            for tensor in minikeras.tree.flatten(output):
                self.assertEqual(expected_output_dtype, str(np.asarray(tensor).dtype))
        if expected_output is not None:
            self.assertAllClose(expected_output, output)
        counts = (
            (expected_num_trainable_weights, layer.trainable_weights),
            (expected_num_non_trainable_weights, layer.non_trainable_weights),
            (expected_num_non_trainable_variables, layer.non_trainable_variables),
            (expected_num_losses, layer.losses),
        )
        for expected, found in counts:
            if expected is not None:
                self.assertLen(found, expected)
        if expected_num_seed_generators is not None:
            generators = [
                generator
                for sublayer in layer._flatten_layers()
                for generator in sublayer._tracked(minikeras.random.SeedGenerator)
            ]
            self.assertLen(generators, expected_num_seed_generators)
        if supports_masking is not None:
            self.assertEqual(supports_masking, layer.supports_masking)


def get_test_data(train_samples, test_samples, input_shape, num_classes, random_seed=None):
    """Classes drawn around random templates, split per class into train and test arrays."""
    rng = np.random.default_rng(random_seed)
    total = train_samples + test_samples
    labels = np.arange(total) % num_classes
    templates = 2 * num_classes * rng.random((num_classes, *input_shape))
    x = (templates[labels] + rng.normal(size=(total, *input_shape))).astype("float32")
    order = rng.permutation(total)
    x, labels = x[order], labels[order]
    per_class = train_samples // num_classes
    train = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(num_classes)])
    test = np.setdiff1d(np.arange(total), train)
    return (x[train], labels[train]), (x[test], labels[test])


class _EncodedWav(bytes):
    def numpy(self):
        return bytes(self)


def _encode_wav(audio, sample_rate):
    """Stand-in for `tf.audio.encode_wav`: float samples (clipped to [-1, 1]) as 16-bit PCM."""
    import io
    import wave

    audio = np.asarray(audio, dtype="float32")
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as file:
        file.setnchannels(audio.shape[1])
        file.setsampwidth(2)
        file.setframerate(int(sample_rate))
        file.writeframes(pcm.tobytes())
    return _EncodedWav(buffer.getvalue())


def _set_dtype_policy(policy):
    if policy != "float32":
        raise NotImplementedError(f"dtype policy {policy!r}: minikeras computes in float32 only")


def skip_if_backend(given_backend, reason):
    import pytest

    return pytest.mark.skipif(given_backend == "jax", reason=reason)


class _Absent:
    """Stands for a Keras name minikeras does not have; using it raises, importing it does not."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Absent(f"{self._name}.{attribute}")

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(f"{self._name} has no minikeras equivalent")


class _AbsentModule(types.ModuleType):
    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _Absent(f"{self.__name__}.{attribute}")


class _AbsentFinder:
    """Imports any other `keras.src.*` module as a module of placeholders."""

    # Where the copied test files are: a test file may import helpers from another one.
    test_directory = None

    def find_spec(self, name, path=None, target=None):
        if not name.startswith("keras.src."):
            return None
        if name.endswith("_test") and self.test_directory:
            copy = os.path.join(self.test_directory, name.rpartition(".")[2] + ".py")
            if os.path.exists(copy):
                return importlib.util.spec_from_file_location(name, copy)
        return importlib.util.spec_from_loader(name, self, is_package=True)

    def create_module(self, spec):
        module = _AbsentModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


# --- the module map ---------------------------------------------------------------------------


def _package(name, **attributes):
    module = types.ModuleType(name)
    module.__path__ = []
    module.__dict__.update(attributes)
    sys.modules[name] = module
    return module


def _module(name, base=None, **attributes):
    """A new module holding `base`'s public names plus `attributes` (`base` stays untouched)."""
    module = types.ModuleType(name)
    if base is not None:
        module.__dict__.update(
            {key: value for key, value in vars(base).items() if not key.startswith("__")}
        )
    module.__dict__.update(attributes)
    return module


def _alias(keras_name, module):
    sys.modules[keras_name] = module
    parent, _, child = keras_name.rpartition(".")
    parent_module = sys.modules.get(parent)
    if parent_module is None:
        return
    # The shim's own modules take every mapping; minikeras's modules are never changed.
    if not parent_module.__name__.startswith("minikeras"):
        setattr(parent_module, child, module)


def _backend_module():
    """`keras.src.backend`: minikeras.backend, but naming the reference backend (JAX)."""
    backend = _AbsentModule("keras.src.backend")
    backend.__path__ = []
    sys.modules["keras.src.backend"] = backend
    for name in dir(minikeras.backend):
        if not name.startswith("__"):
            setattr(backend, name, getattr(minikeras.backend, name))
    backend.backend = lambda: "jax"
    # minikeras has no flash attention; the switch only records what a test asked for.
    flash = {"enabled": None}
    config = _module(
        "keras.src.backend.config",
        minikeras.config,
        enable_flash_attention=lambda: flash.update(enabled=True),
        disable_flash_attention=lambda: flash.update(enabled=False),
        is_flash_attention_enabled=lambda: flash["enabled"],
    )
    backend.config = config
    backend.SUPPORTS_SPARSE_TENSORS = False
    backend.device = lambda name: contextlib.nullcontext()  # one CPU device
    backend.SUPPORTS_RAGGED_TENSORS = False
    backend.KerasTensor = minikeras.KerasTensor
    backend.Variable = minikeras.Variable
    backend.convert_to_numpy = np.asarray
    backend.convert_to_tensor = minikeras.ops.convert_to_tensor
    backend.standardize_dtype = lambda dtype: str(np.dtype(dtype))
    backend.is_tensor = lambda x: isinstance(x, minikeras.Tensor | np.ndarray)
    backend.shape = lambda x: tuple(np.shape(x))
    backend.set_keras_mask = minikeras.autodiff.masks.set_keras_mask
    backend.get_keras_mask = minikeras.autodiff.masks.get_keras_mask
    backend.name_scope = minikeras.name_scope
    backend.standardize_shape = lambda shape: tuple(None if d is None else int(d) for d in shape)
    backend.numpy = minikeras.ops  # the backend's op module: minikeras's ops are numpy's
    backend.random = minikeras.random
    backend.image = minikeras.ops.image  # the backend's image ops are minikeras's
    backend.is_int_dtype = lambda dtype: np.dtype(dtype).kind in "iu"
    sys.modules["keras.src.backend.config"] = config
    _package(
        "keras.src.backend.common",
        standardize_dtype=backend.standardize_dtype,
        is_int_dtype=lambda dtype: str(np.dtype(dtype)).startswith(("int", "uint")),
    )
    # The dtype names Keras's op tests iterate over, less bfloat16 (numpy and minikeras have
    # none); numpy's promotion stands in for Keras's lattice (they differ for 64-bit and half
    # types, which minikeras computes differently: README "Deliberate differences").
    integers = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
    floats = ("float16", "float32", "float64")
    float8 = ("float8_e4m3fn", "float8_e5m2")
    dtypes = _module(
        "keras.src.backend.common.dtypes",
        BOOL_TYPES=("bool",),
        INT_TYPES=integers,
        FLOAT_TYPES=floats,
        FLOAT8_TYPES=float8,
        COMPLEX_TYPES=("complex64", "complex128"),
        ALLOWED_DTYPES=(*floats, *integers, "bool", "string", *float8, "complex64", "complex128"),
        result_type=lambda *types: str(np.result_type(*types)),
    )
    _alias("keras.src.backend.common.dtypes", dtypes)
    backend.result_type = dtypes.result_type
    _alias(
        "keras.src.backend.common.backend_utils",
        _module(
            "keras.src.backend.common.backend_utils",
            compute_conv_transpose_output_shape=compute_conv_transpose_output_shape,
            compute_conv_transpose_padding_args_for_jax=compute_conv_transpose_padding_args_for_jax,
        ),
    )

    _alias(
        "keras.src.backend.common.name_scope",
        importlib.import_module("minikeras.autodiff.name_scope"),
    )
    # backend/common/variables_test.py: the Variable helpers it imports.
    _alias(
        "keras.src.backend.common.variables",
        _module(
            "keras.src.backend.common.variables",
            AutocastScope=_Absent("keras.src.backend.common.variables.AutocastScope"),
            standardize_dtype=backend.standardize_dtype,
            standardize_shape=backend.standardize_shape,
            shape_equal=lambda a, b: tuple(a) == tuple(b),
        ),
    )

    # Keras's tests mix the backend's Trainer into a layer to make a model.
    class MixinTrainer(minikeras.trainers.trainer.Trainer):
        def __init__(self):
            self._init_trainer()

    jax_trainer = _module("keras.src.backend.jax.trainer", JAXTrainer=MixinTrainer)
    _alias("keras.src.backend.jax", _package("keras.src.backend.jax", trainer=jax_trainer))
    _alias("keras.src.backend.jax.trainer", jax_trainer)
    # minikeras traces no symbolic graph for train steps: code always runs on real batches.
    _alias(
        "keras.src.backend.common.symbolic_scope",
        _module("keras.src.backend.common.symbolic_scope", in_symbolic_scope=lambda: False),
    )
    return backend


def _transposed_axis(size, kernel, stride, dilation, padding, output_padding):
    """Keras's transposed-convolution rule on one axis: (output size, (left, right) JAX pads).

    JAX pads the stride-dilated input by `left`/`right`; Keras's `padding` fixes the base
    output size and `output_padding` (default chosen by `padding`) is added on the right.
    """
    span = (kernel - 1) * dilation + 1
    if padding.lower() == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (size - 1) * stride + span + extra, (span - 1, span - 1 + extra)
    if output_padding is None:
        size_out, total = size * stride, stride + span - 2
    else:
        size_out = (size - 1) * stride + span % 2 + output_padding
        total = span + span % 2 - 2 + output_padding
    left = min((total + 1) // 2, span - 1)
    return size_out, (left, total - left)


def _per_axis(value, rank):
    return (value,) * rank if value is None or isinstance(value, int) else tuple(value)


def compute_conv_transpose_output_shape(
    input_shape,
    kernel_size,
    filters,
    strides,
    padding,
    output_padding=None,
    data_format="channels_last",
    dilation_rate=1,
):
    """Stand-in for Keras's helper of the same name (a reference, independent of minikeras)."""
    rank = len(input_shape) - 2
    spatial = input_shape[1:-1] if data_format == "channels_last" else input_shape[2:]
    args = zip(
        spatial,
        kernel_size,
        _per_axis(strides, rank),
        _per_axis(dilation_rate, rank),
        _per_axis(output_padding, rank),
    )
    sizes = [_transposed_axis(n, k, s, d, padding, p)[0] for n, k, s, d, p in args]
    if data_format == "channels_last":
        return [input_shape[0], *sizes, filters]
    return [input_shape[0], filters, *sizes]


def compute_conv_transpose_padding_args_for_jax(
    input_shape, kernel_shape, strides, padding, output_padding, dilation_rate
):
    """Stand-in for Keras's helper: the (left, right) JAX padding of each spatial axis."""
    rank = len(input_shape) - 2
    args = zip(
        kernel_shape[:-2],
        _per_axis(strides, rank),
        _per_axis(dilation_rate, rank),
        _per_axis(output_padding, rank),
    )
    return [_transposed_axis(1, k, s, d, padding, p)[1] for k, s, d, p in args]


def _set_float32_policy(policy):
    if str(getattr(policy, "name", policy)) != "float32":
        raise NotImplementedError(f"dtype policy {policy!r} has no minikeras equivalent")


def _index_lookup(vocabulary_dtype="int64", **kwargs):
    """`keras.src.layers.IndexLookup`: StringLookup for strings, IntegerLookup otherwise."""
    if vocabulary_dtype == "string":
        return minikeras.layers.StringLookup(**kwargs)
    return minikeras.layers.IntegerLookup(vocabulary_dtype=vocabulary_dtype, **kwargs)


# --- keras.src.trainers.data_adapters and epoch_iterator ----------------------------------------


class _AdapterStandIn:
    """Keras's data adapter API (`get_numpy_iterator`, `num_batches`, ...) over the minikeras
    adapter `fit` would pick, so that Keras's adapter tests see minikeras's own batches.

    Each batch is packed as Keras packs it: `x`, `(x, y)` or `(x, y, sample_weight)`.
    """

    def __init__(self, adapter, num_samples=None):
        self._adapter = adapter
        self._num_samples = num_samples

    def get_numpy_iterator(self):
        from minikeras.utils.packing import pack_x_y_sample_weight

        for batch in self._adapter:
            yield pack_x_y_sample_weight(*batch)

    get_jax_iterator = get_numpy_iterator  # minikeras's batches are numpy arrays

    def get_tf_dataset(self):
        raise ModuleNotFoundError("No module named 'tensorflow'")

    def get_torch_dataloader(self):
        raise ModuleNotFoundError("No module named 'torch'")

    @property
    def num_batches(self):
        return self._adapter.num_batches

    @property
    def batch_size(self):
        return getattr(self._adapter, "batch_size", None)

    @property
    def has_partial_batch(self):
        return bool(self._num_samples % self.batch_size)

    @property
    def partial_batch_size(self):
        return (self._num_samples % self.batch_size) or None

    def on_epoch_begin(self):
        getattr(self._adapter, "on_epoch_begin", lambda: None)()

    def on_epoch_end(self):
        self._adapter.on_epoch_end()


def _array_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, **kwargs):
    from minikeras.trainers import data_adapters

    adapter = data_adapters.ArrayAdapter(x, y, sample_weight, batch_size, steps, **kwargs)
    return _AdapterStandIn(adapter, adapter.num_samples)


def _generator_data_adapter(generator):
    from minikeras.trainers import data_adapters

    return _AdapterStandIn(data_adapters.GeneratorAdapter(generator))


def _py_dataset_adapter(x, class_weight=None, shuffle=False):
    from minikeras.trainers import data_adapters

    return _AdapterStandIn(data_adapters.PyDatasetAdapter(x, shuffle, class_weight))


def _get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                      shuffle=False, class_weight=None):  # fmt: skip
    from minikeras.trainers import data_adapters

    adapter = data_adapters.get_adapter(
        x, y, sample_weight, batch_size, steps_per_epoch, shuffle, class_weight
    )
    return _AdapterStandIn(adapter, getattr(adapter, "num_samples", None))


class _EpochIteratorStandIn:
    """Keras's `EpochIterator` (`(first step, last step, [batches])` per group of
    `steps_per_execution` batches) over minikeras's, grouped as `fit` groups them."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, steps_per_execution=1):  # fmt: skip
        from minikeras.trainers import data_adapters

        self._iterator = data_adapters.EpochIterator(
            x, y, sample_weight, batch_size=batch_size, steps_per_epoch=steps_per_epoch,
            shuffle=shuffle, class_weight=class_weight, steps_per_execution=steps_per_execution,
        )  # fmt: skip
        self.data_adapter = self._iterator.adapter
        self.steps_per_execution = steps_per_execution

    def __iter__(self):
        from minikeras.trainers import loop_helpers

        for first, last, group in loop_helpers.groups(self._iterator, self.steps_per_execution):
            yield first, last, list(group)

    def enumerate_epoch(self):
        return iter(self)

    @property
    def num_batches(self):
        return self._iterator.num_batches


def _data_adapter_modules():
    """`keras.src.trainers.data_adapters` with its adapter modules, and `epoch_iterator`."""
    from minikeras.trainers import data_adapters
    from minikeras.utils import packing, py_dataset

    utils = _module(
        "keras.src.trainers.data_adapters.data_adapter_utils",
        packing,
        class_weight_to_sample_weights=data_adapters.class_weight_to_sample_weights,
        DistributedBatchSampler=_Absent("DistributedBatchSampler"),  # PyTorch's sharding
    )
    modules = {
        "array_data_adapter": _module(
            "keras.src.trainers.data_adapters.array_data_adapter",
            ArrayDataAdapter=_array_data_adapter,
        ),
        "generator_data_adapter": _module(
            "keras.src.trainers.data_adapters.generator_data_adapter",
            GeneratorDataAdapter=_generator_data_adapter,
        ),
        "py_dataset_adapter": _module(
            "keras.src.trainers.data_adapters.py_dataset_adapter",
            py_dataset,
            PyDatasetAdapter=_py_dataset_adapter,
        ),
        "data_adapter_utils": utils,
    }
    package = _module(
        "keras.src.trainers.data_adapters",
        data_adapters,
        get_data_adapter=_get_data_adapter,
        GeneratorDataAdapter=data_adapters.GeneratorAdapter,
        ArrayDataAdapter=data_adapters.ArrayAdapter,
        PyDatasetAdapter=data_adapters.PyDatasetAdapter,
        **modules,
    )
    package.__path__ = []
    _alias("keras.src.trainers.data_adapters", package)
    for name, module in modules.items():
        _alias(f"keras.src.trainers.data_adapters.{name}", module)
    iterator = _module("keras.src.trainers.epoch_iterator", EpochIterator=_EpochIteratorStandIn)
    trainers = _module(
        "keras.src.trainers", minikeras.trainers, data_adapters=package, epoch_iterator=iterator
    )
    trainers.__path__ = []
    _alias("keras.src.trainers", trainers)
    _alias("keras.src.trainers.epoch_iterator", iterator)
    _alias("keras.src.utils.rng_utils", _module("keras.src.utils.rng_utils", minikeras.utils))


class _OperationStandIn:
    """A Keras `Operation` class (`knp.Add()(x, y)`, `knp.Mean(axis=1).symbolic_call(x)`).

    minikeras has no operation objects: an instance keeps its constructor's arguments and
    hands them, by the names Keras's constructor gives them, to the minikeras op.
    """

    function = None
    parameters = ()

    def __init__(self, *args, name=None, **kwargs):
        self.name = name
        self.keywords = {**dict(zip(self.parameters, args)), **kwargs}

    def __call__(self, *args, **kwargs):
        function, keywords = type(self).function, dict(self.keywords)
        # Constructor arguments the op takes before its tensors (`einsum(subscripts, *x)`).
        leading = []
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind != parameter.POSITIONAL_OR_KEYWORD or parameter.name not in keywords:
                break
            leading.append(keywords.pop(parameter.name))
        return function(*leading, *args, **kwargs, **keywords)

    call = __call__

    def symbolic_call(self, *args, **kwargs):
        """Calls the op on KerasTensors standing for the given tensors (as Keras does)."""

        def symbolic(value):
            if isinstance(value, minikeras.Tensor | np.ndarray):
                return minikeras.KerasTensor(tuple(value.shape), dtype=str(value.dtype))
            return value

        args, kwargs = minikeras.tree.map_structure(symbolic, (args, kwargs))
        return self(*args, **kwargs)

    compute_output_spec = symbolic_call


def _operation_stand_ins(source_path, module):
    """The Operation classes of a Keras op module's source, each over the minikeras op.

    Reads (with `ast`) which function makes each class and its constructor's arguments.
    """
    import ast

    with open(source_path) as source:
        tree = ast.parse(source.read())
    parameters, bases = {}, {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases[node.name] = [base.id for base in node.bases if isinstance(base, ast.Name)]
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    parameters[node.name] = [arg.arg for arg in item.args.args[1:]]
            inherited = [parameters[base] for base in bases[node.name] if base in parameters]
            parameters.setdefault(node.name, inherited[0] if inherited else [])
    stand_ins = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not hasattr(module, node.name):
            continue
        for call in ast.walk(node):
            made = getattr(call, "func", None)
            class_name = getattr(made, "id", None)
            if isinstance(call, ast.Call) and class_name in parameters:
                stand_ins.setdefault(
                    class_name,
                    type(
                        class_name,
                        (_OperationStandIn,),
                        {
                            "function": staticmethod(getattr(module, node.name)),
                            "parameters": tuple(parameters[class_name]),
                        },
                    ),
                )
    # A class no function makes (`Abs(Absolute)`) is its base class under another name.
    for class_name, class_bases in bases.items():
        made = [stand_ins[base] for base in class_bases if base in stand_ins]
        if class_name not in stand_ins and made:
            stand_ins[class_name] = type(class_name, (made[0],), {})
    return stand_ins


def _install_operation_classes(test_paths):
    """Gives `keras.src.ops.<module>` Keras's Operation classes for the ops/ tests given."""
    for path in test_paths:
        directory, file_name = os.path.split(os.path.abspath(path))
        source_path = os.path.join(directory, file_name.removesuffix("_test.py") + ".py")
        if os.path.basename(directory) != "ops" or not os.path.exists(source_path):
            continue
        name = file_name.removesuffix("_test.py")
        module = getattr(minikeras.ops, name, None)
        if not isinstance(module, types.ModuleType):
            continue
        proxy = _module(
            f"keras.src.ops.{name}", module, **_operation_stand_ins(source_path, module)
        )
        sys.modules[proxy.__name__] = proxy
        setattr(sys.modules["keras.src.ops"], name, proxy)


def install():
    """Maps `keras`, `keras.src.*`, `absl.testing.parameterized` and `conftest` onto minikeras."""
    for name in minikeras._SUBPACKAGES:
        importlib.import_module(f"minikeras.{name}")
    keras = _package("keras")
    keras.__getattr__ = lambda name: getattr(minikeras, name)
    keras.src = _package("keras.src")
    keras.src.__getattr__ = lambda name: getattr(minikeras, name)  # `from keras.src import Input`
    for info in pkgutil.walk_packages(minikeras.__path__, "minikeras."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        keras_name = "keras.src." + info.name.removeprefix("minikeras.")
        if keras_name.startswith("keras.src.backend"):
            continue
        _alias(keras_name, module)
    # Keras's tests import the tree functions through `tree_api` and run them on both of
    # its implementations (dm-tree and optree); minikeras has one.
    # Its setUp registers Keras's tracked containers with dm-tree; minikeras's tree walks
    # its own tracked containers already, so that registration does nothing here.
    dmtree_impl = _module(
        "keras.src.tree.dmtree_impl", minikeras.tree, register_tree_node_class=lambda cls: cls
    )
    tree = _module(
        "keras.src.tree", minikeras.tree, dmtree_impl=dmtree_impl, optree_impl=minikeras.tree
    )
    tree.__path__ = []
    _alias("keras.src.tree", tree)
    _alias("keras.src.tree.tree_api", tree)
    # A copy, so that the Keras op modules in it can be given Operation classes; Keras's
    # tests also reach `keras.src.ops.random` (its backend's random module), and Keras's
    # (private) `math` and `core` modules hold ops that minikeras keeps in other files.
    ops_proxy = _module("keras.src.ops", minikeras.ops, random=minikeras.random)
    ops_proxy.__path__ = []
    _alias("keras.src.ops", ops_proxy)
    random = _module("keras.src.random", minikeras.random, random=minikeras.random)
    random.__path__ = []
    _alias("keras.src.random", random)
    _alias("keras.src.random.random", minikeras.random)
    _alias("keras.src.backend", _backend_module())
    for keras_name, minikeras_name in _MODULE_ALIASES.items():
        _alias(keras_name, importlib.import_module(minikeras_name))
    _alias(
        "keras.src.models.model",
        _module(
            "keras.src.models.model",
            minikeras.models.model,
            model_from_json=minikeras.saving.model_from_json,
        ),
    )
    # Keras's tests reach helpers minikeras keeps elsewhere through these packages.
    for package in ("utils", "trainers.data_adapters", "layers.core"):
        proxy = _module(f"keras.src.{package}", importlib.import_module(f"minikeras.{package}"))
        if package == "utils":  # its names that load on first use
            proxy.__dict__.update({n: getattr(minikeras.utils, n) for n in minikeras.utils.__all__})
        proxy.__path__ = []
        _alias(f"keras.src.{package}", proxy)
    # Keras's index_lookup_test builds the lookups' shared base class as `layers.IndexLookup`;
    # minikeras's base is abstract, so the string or integer lookup stands in for it.
    layers_proxy = _module("keras.src.layers", minikeras.layers, IndexLookup=_index_lookup)
    layers_proxy.__path__ = []
    _alias("keras.src.layers", layers_proxy)
    _alias(
        "keras.src.utils.file_utils",
        _module(
            "keras.src.utils.file_utils",
            minikeras.utils.file_utils,
            join=os.path.join,
            exists=os.path.exists,
            File=open,
            is_remote_path=lambda path: False,
        ),
    )
    for keras_name, minikeras_name in _MODULE_ALIASES.items():
        _alias(keras_name, importlib.import_module(minikeras_name))
    _data_adapter_modules()
    # Keras's saving tests set `_MEMORY_UPPER_BOUND` (when Keras buffers weights in memory)
    # in setUp; minikeras has no such switch, so the stand-in only holds the value.
    saving = _module("keras.src.saving", minikeras.saving)
    saving.__path__ = []
    _alias("keras.src.saving", saving)
    for child in ("saving_api", "serialization_lib"):
        _alias(f"keras.src.saving.{child}", sys.modules[f"keras.src.saving.{child}"])
    registration = minikeras.saving.object_registration
    _alias(
        "keras.src.saving.object_registration",
        _module(
            "keras.src.saving.object_registration",
            registration,
            GLOBAL_CUSTOM_OBJECTS=registration._GLOBAL_CUSTOM_OBJECTS,
            GLOBAL_CUSTOM_NAMES=registration._GLOBAL_CUSTOM_NAMES,
        ),
    )
    _alias(
        "keras.src.saving.saving_lib",
        _module(
            "keras.src.saving.saving_lib",
            minikeras.saving.saving_lib,
            _MEMORY_UPPER_BOUND=0.5,
            _CONFIG_FILENAME=minikeras.saving.saving_lib.CONFIG_FILENAME,
            _METADATA_FILENAME=minikeras.saving.saving_lib.METADATA_FILENAME,
        ),
    )
    for name in ("math", "core"):
        public = {key: getattr(minikeras.ops, key) for key in minikeras.ops.__all__}
        _alias(f"keras.src.ops.{name}", _module(f"keras.src.ops.{name}", ops_proxy, **public))
    sys.meta_path.append(_AbsentFinder())
    # Keras's audio tests write their WAV files with TensorFlow's encoder.
    tensorflow = types.SimpleNamespace(audio=types.SimpleNamespace(encode_wav=_encode_wav))
    _alias("keras.src.utils.module_utils", _module("module_utils", tensorflow=tensorflow))
    _alias(
        "keras.src.utils.io_utils",
        _module(
            "keras.src.utils.io_utils",
            disable_interactive_logging=lambda: None,
            enable_interactive_logging=lambda: None,
            set_logging_verbosity=lambda level: None,
        ),
    )
    # minikeras computes in float32 only: that is the one global dtype policy it can report.
    policy = _module(
        "keras.src.dtype_policies.dtype_policy",
        dtype_policy=lambda: "float32",
        set_dtype_policy=_set_float32_policy,
    )
    _alias("keras.src.dtype_policies", _package("keras.src.dtype_policies", dtype_policy=policy))
    _alias("keras.src.dtype_policies.dtype_policy", policy)
    no_device = lambda: False  # noqa: E731
    testing = _package(
        "keras.src.testing",
        TestCase=TestCase,
        uses_gpu=no_device,
        uses_tpu=no_device,
        jax_uses_gpu=no_device,
        jax_uses_tpu=no_device,
        tensorflow_uses_gpu=no_device,
        torch_uses_gpu=no_device,
    )
    _alias("keras.src.testing", testing)
    # minikeras has one dtype policy, float32: tests may save and restore it, not change it.
    policies = _AbsentModule("keras.src.dtype_policies")
    policies.__path__ = []
    _alias("keras.src.dtype_policies", policies)
    _alias(
        "keras.src.dtype_policies.dtype_policy",
        _module(
            "keras.src.dtype_policies.dtype_policy",
            dtype_policy=lambda: "float32",
            set_dtype_policy=_set_dtype_policy,
        ),
    )
    _alias(
        "keras.src.testing.test_utils",
        _module(
            "keras.src.testing.test_utils", get_test_data=get_test_data, named_product=named_product
        ),
    )
    _alias("keras.src.testing.test_case", _module("keras.src.testing.test_case", TestCase=TestCase))
    parameterized = types.ModuleType("absl.testing.parameterized")
    parameterized.TestCase = ParameterizedTestCase
    parameterized.named_parameters = _named_parameters
    parameterized.parameters = _parameters
    parameterized.product = _product
    _package("absl", logging=logging)
    _alias("absl.testing", _package("absl.testing"))
    _alias("absl.testing.parameterized", parameterized)
    conftest = types.ModuleType("conftest")
    conftest.skip_if_backend = skip_if_backend
    sys.modules["conftest"] = conftest


# --- pytest plugin ----------------------------------------------------------------------------


class _Report:
    """A pytest plugin that records one outcome per test and skips what minikeras cannot run."""

    def __init__(self):
        self.outcomes = collections.OrderedDict()
        self.messages = {}

    def pytest_configure(self, config):
        for marker in ("requires_trainable_backend", "multi_device", "skip_if_backend"):
            config.addinivalue_line("markers", f"{marker}: a Keras test marker")

    def pytest_collection_modifyitems(self, items):
        import pytest

        for item in items:
            if item.get_closest_marker("multi_device"):
                item.add_marker(pytest.mark.skip(reason="needs several devices"))

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            if report.nodeid in self.outcomes and self.outcomes[report.nodeid] != "passed":
                return
            outcome = report.outcome
            if report.when != "call" and report.outcome == "failed":
                outcome = "error"
            # A test that imports a backend library in its body compares with that library.
            if outcome == "failed" and _FOREIGN_MODULE_MISSING.search(report.longreprtext):
                outcome = "skipped"
            self.outcomes[report.nodeid] = outcome
            if report.outcome == "failed":
                self.messages[report.nodeid] = _last_line(report.longreprtext)

    def pytest_collectreport(self, report):
        if report.outcome == "failed":
            self.outcomes[report.nodeid] = "error"
            self.messages[report.nodeid] = _last_line(report.longreprtext)
        elif report.outcome == "skipped":
            self.outcomes[report.nodeid] = "skipped"


_FOREIGN_MODULE_MISSING = re.compile(
    r"^E\s+ModuleNotFoundError: No module named '(?:" + "|".join(_FOREIGN_LIBRARIES) + r")[.']",
    re.MULTILINE,
)


def _last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("E ")]
    return (lines[-1][2:].strip() if lines else text.strip().splitlines()[-1])[:300]


_FOREIGN_IMPORT = re.compile(
    r"^(?:import (?P<module>[\w.]+)(?: as (?P<alias>\w+))?"
    r"|from (?P<package>[\w.]+) import (?P<names>[\w, ]+))$",
    re.MULTILINE,
)


class _ForeignName(type):
    """A name from a backend library minikeras does not stand in for (`tf.SparseTensor`,
    `jax.numpy.array`): a class nothing is an instance of, so `isinstance` checks are False,
    whose use raises ModuleNotFoundError, so that a test needing the library is skipped."""

    def __getattr__(cls, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _ForeignName(f"{cls.__name__}.{attribute}", (cls,), {})

    def __call__(cls, *args, **kwargs):
        # The library is the first name of the oldest placeholder among the classes bases
        # (a test's own subclass of `torch.utils.data.Dataset` names torch too).
        root = [base for base in cls.__mro__ if isinstance(base, _ForeignName)][-1]
        raise ModuleNotFoundError(f"No module named '{root.__name__.split('.')[0]}'")


def _placeholder(match):
    module = match["module"] or match["package"]
    if module.split(".")[0] not in _FOREIGN_LIBRARIES:
        return match[0]
    # The test module finds `_ForeignName` through `sys.modules` (see `main`).
    make = '__import__("sys").modules["keras_tests_foreign"]._ForeignName'
    if match["module"]:
        alias = match["alias"] or module.split(".")[0]
        bound = module if match["alias"] else module.split(".")[0]
        return f'{alias} = {make}("{bound}", (), {{}})  # was: {match[0]}'
    # `from tensorflow import data as tf_data` binds the alias.
    names = [name.split(" as ")[-1].strip() for name in match["names"].split(",")]
    imported = [name.split(" as ")[0].strip() for name in match["names"].split(",")]
    if len(names) == 1 and imported[0] == "Dataset":
        # A test file may subclass a library's dataset class (`torch.utils.data.Dataset`).
        return f"class {names[0]}:  # was: {match[0]}\n    pass"
    lines = []
    for name in match["names"].split(","):
        original, _, alias = name.strip().partition(" as ")
        lines.append(f'{alias or original} = {make}("{module}.{original}", (), {{}})')
    return "; ".join(lines) + f"  # was: {match[0]}"


_SIBLING_TEST_IMPORT = re.compile(r"^from keras\.src\.((?:\w+\.)+)(\w+_test) import", re.MULTILINE)
# `from keras.src.saving import saving_lib_test`: the sibling imported as a module.
_SIBLING_TEST_MODULE = re.compile(r"^from keras\.src\.([\w.]+) import (\w+_test)$", re.MULTILINE)


def _keras_src_root(path):
    """The `keras/src` directory a Keras test file lives under."""
    directory = os.path.dirname(os.path.abspath(path))
    while os.path.basename(directory) != "src" and os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
    return directory


def _without_sparse_classes(text):
    """Drops the test classes Keras runs only with sparse tensors (minikeras has none).

    Their bodies build sparse tensors with a backend library as the class is defined, so
    skipping them by their marker comes too late.
    """
    import ast

    lines = text.splitlines(keepends=True)
    for node in reversed(ast.parse(text).body):
        decorators = getattr(node, "decorator_list", [])
        if isinstance(node, ast.ClassDef) and any(
            "SUPPORTS_SPARSE_TENSORS" in ast.unparse(decorator) for decorator in decorators
        ):
            first = min(decorator.lineno for decorator in decorators) - 1
            lines[first : node.end_lineno] = [f"# {node.name}: sparse tensors only, left out\n"]
    return "".join(lines)


def _copy_test(path, directory):
    """Copies one test file; its imports of sibling test files are copied along and rewired."""
    with open(path) as source:
        text = source.read()
    # Keras guards every use of a backend library by a backend check; the imports at the top
    # of the file become placeholders so the rest of the file still runs.
    text = _FOREIGN_IMPORT.sub(_placeholder, text)
    text = _without_sparse_classes(text)
    # Some test files borrow numpy reference helpers from another test file: that file is
    # copied next to it (pytest puts the directory on sys.path) and imported by its own name.
    siblings = set(_SIBLING_TEST_IMPORT.findall(text))  # (package with a final dot, name)
    siblings |= {(package + ".", name) for package, name in _SIBLING_TEST_MODULE.findall(text)}
    for package, sibling in siblings:
        # The helper may live in another package (ops/nn_test borrows layers' conv_test).
        sibling_path = os.path.join(
            _keras_src_root(path), *package.split(".")[:-1], sibling + ".py"
        )
        if os.path.exists(sibling_path) and not os.path.exists(
            os.path.join(directory, sibling + ".py")
        ):
            _copy_test(sibling_path, directory)
    text = _SIBLING_TEST_IMPORT.sub(r"from \2 import", text)
    # Fixture files the test reads beside itself (saving/test_data/...).
    data = os.path.join(os.path.dirname(path), "test_data")
    if os.path.isdir(data) and not os.path.exists(os.path.join(directory, "test_data")):
        shutil.copytree(data, os.path.join(directory, "test_data"))
    text = _SIBLING_TEST_MODULE.sub(r"import \2", text)
    target = os.path.join(directory, os.path.basename(path))
    with open(target, "w") as copy:
        copy.write(text)
    return target


def _copy_tests(paths, directory):
    """Copies the test files with placeholders for the imports of other backends."""
    return [_copy_test(path, directory) for path in paths]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="Keras *_test.py files")
    parser.add_argument("--json", help="also write {test id: outcome} to this file")
    arguments, pytest_arguments = parser.parse_known_args(argv)
    import pytest

    install()
    sys.modules["keras_tests_foreign"] = sys.modules[__name__]
    _install_operation_classes(arguments.files)
    report = _Report()
    with tempfile.TemporaryDirectory() as directory:
        copies = _copy_tests(arguments.files, directory)
        _AbsentFinder.test_directory = directory
        pytest.main(
            [
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                directory,
                "-c",
                os.devnull,
                "--tb=short",
                "-W",
                "ignore",
                "--continue-on-collection-errors",
                *pytest_arguments,
                *copies,
            ],
            plugins=[report],
        )
    counts = collections.Counter(report.outcomes.values())
    per_file = collections.defaultdict(collections.Counter)
    for test_id, outcome in report.outcomes.items():
        per_file[test_id.split("::")[0]][outcome] += 1
    print("\n=== outcome per test ===")
    for test_id, outcome in report.outcomes.items():
        message = report.messages.get(test_id, "")
        print(f"{outcome:8s} {test_id}" + (f"\n         {message}" if message else ""))
    print("\n=== counts per file ===")
    for file_name, file_counts in per_file.items():
        print(file_name, dict(file_counts))
    print("total", dict(counts))
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump({"outcomes": report.outcomes, "messages": report.messages}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
