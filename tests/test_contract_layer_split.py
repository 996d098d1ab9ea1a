"""`layers/layer.py` is a file a student reads in order.

It stays at most 500 lines; the rest of a layer lives in the modules beside it (the
classes `Layer` inherits and the helpers its call uses). The split changes nothing a user
or the rest of the package sees: the same methods on `Layer`, the same names importable
from `layers/layer.py`, the same overriding rules.
"""

import pathlib

import numpy as np

import minikeras
from minikeras import ops
from minikeras.layers.layer import Layer

LAYERS = pathlib.Path(minikeras.__file__).parent / "layers"

# The modules the base class is split into, layer.py first (the README's reading order
# lists layer.py; the others are read from it).
LAYER_MODULES = (
    "layer.py",
    "operation.py",
    "mask_propagation.py",
    "weight_io.py",
    "metric_tracking.py",
    "replay.py",
    "call_arguments.py",
    "auto_config.py",
    "tracking.py",
    "build_config.py",
)


def _line_count(name):
    return len((LAYERS / name).read_text().splitlines())


def test_layer_py_is_at_most_500_lines():
    assert _line_count("layer.py") <= 500


def test_each_module_of_the_layer_base_class_is_at_most_500_lines():
    counts = {name: _line_count(name) for name in LAYER_MODULES}
    assert all(count <= 500 for count in counts.values()), counts


def test_layer_keeps_every_method_and_setting_it_had_before_the_split():
    public = [
        "get_weights",
        "set_weights",
        "save_own_variables",
        "load_own_variables",
        "count_params",
        "compute_mask",
        "compute_output_spec",
        "compute_output_shape",
        "input",
        "output",
        "input_shape",
        "output_shape",
        "add_loss",
        "losses",
        "add_metric",
        "metrics",
        "metrics_variables",
        "get_config",
        "from_config",
    ]
    # Private ones that models, saving and compiled steps call or subclasses override.
    private = [
        "_saved_variables",
        "_writes_undone",
        "_maybe_build",
        "_makes_masks",
        "_warns_of_dropped_masks",
        "_replayable",
        "_is_replayable",
        "_runs_call_of",
        "_allow_non_tensor_positional_args",
        "_flatten_layers",
        "_tracked",
        "_cached",
    ]
    missing = [name for name in public + private if not hasattr(Layer, name)]
    assert not missing


def test_names_other_modules_import_from_layer_py_still_import():
    from minikeras.layers.layer import _LAYER_KWARGS, _call_signature_flags, shapes_of

    class TakesBoth(Layer):
        def call(self, inputs, training=None, mask=None):
            return inputs

    assert _call_signature_flags(TakesBoth) == (True, True)
    assert shapes_of({"a": np.zeros((2, 3)), "b": [np.zeros(4)]}) == {"a": (2, 3), "b": [(4,)]}
    assert "input_shape" in _LAYER_KWARGS


def test_overriding_compute_mask_and_compute_output_shape_still_counts():
    class FirstFeatureMask(Layer):
        def call(self, inputs):
            return inputs * 2.0

        def compute_mask(self, inputs, previous_mask):
            return ops.not_equal(inputs[:, 0], 0.0)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 7)  # not the real shape: proves it is the one used

    class Plain(Layer):
        def call(self, inputs):
            return inputs

    layer = FirstFeatureMask()
    assert layer.supports_masking and layer._makes_masks()
    assert not Plain().supports_masking and not Plain()._makes_masks()
    outputs = layer(np.array([[0.0, 1.0], [2.0, 3.0]], dtype="float32"))
    assert np.asarray(outputs._keras_mask).tolist() == [False, True]
    assert layer(minikeras.Input((2,))).shape == (None, 7)


def test_runs_call_of_still_tells_which_layers_keep_layer_call():
    class Plain(Layer):
        def call(self, inputs):
            return inputs

    class OwnCall(Plain):
        def __call__(self, *args, **kwargs):
            return super().__call__(*args, **kwargs)

    assert Plain()._runs_call_of(Plain)
    assert not OwnCall()._runs_call_of(Plain)
    assert not Plain(activity_regularizer="l2")._runs_call_of(Plain)
