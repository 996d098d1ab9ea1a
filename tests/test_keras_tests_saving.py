"""Saving behaviours that running Keras's own saving tests against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/saving/{saving_lib,saving_api,
serialization_lib,object_registration}_test.py (see tools/keras_tests_status.md, section
"Saving"). Expected values are the Keras tests' own literals or were checked with Keras 3.15.1.
"""

import contextlib
import json
import os
import signal
import sys
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
sys.path.insert(0, FIXTURES)
import saving_scenarios  # noqa: E402

with open(os.path.join(FIXTURES, "keras_tests_saving.json")) as _handle:
    KERAS = json.load(_handle)


@contextlib.contextmanager
def _fails_after(seconds):
    """Raises TimeoutError in the block after `seconds` (a hang becomes a failure)."""

    def stop(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CyclicContainerModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        self.blocks.append(self.blocks)
        self.out = keras.layers.Dense(2)

    def call(self, x):
        return self.out(x)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_a_list_attribute_holding_itself_does_not_hang_calls_or_saving(tmp_path):
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    with _fails_after(20):
        model = _CyclicContainerModel()
        expected = np.asarray(model(x))
        path = tmp_path / "cyclic_container.keras"
        model.save(path)
        restored = keras.saving.load_model(
            path, custom_objects={"_CyclicContainerModel": _CyclicContainerModel}
        )
        np.testing.assert_allclose(np.asarray(restored(x)), expected)
    # Keras 3.15.1 writes this model's weights under layers/dense, as minikeras does.

    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as h5_file:
        assert "layers/dense/vars/0" in h5_file and "layers/dense/vars/1" in h5_file


@keras.saving.register_keras_serializable(package="my_custom_package")
class _SubclassFunctional(keras.Model):
    """A Model subclass that builds its graph in __init__ (Keras's SubclassFunctional)."""

    def __init__(self, **kwargs):
        inputs = keras.Input(shape=(4,), batch_size=2)
        dense = keras.layers.Dense(1, name="first_dense")
        outputs = keras.layers.Dense(1, name="second_dense")(dense(inputs))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.layer_attr = dense

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def test_a_registered_model_subclass_with_inputs_and_outputs_is_saved_under_its_registered_name(
    tmp_path,
):
    model = _SubclassFunctional()
    registered = "my_custom_package>_SubclassFunctional"
    assert keras.saving.get_registered_name(type(model)) == registered
    config = keras.saving.serialize_keras_object(model)
    assert config["class_name"] == "_SubclassFunctional"
    assert config["registered_name"] == registered
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    path = tmp_path / "subclass_functional.keras"
    model.save(path)
    # Found through the registration alone, as Keras finds it.
    restored = keras.saving.load_model(path)
    assert isinstance(restored, _SubclassFunctional)
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(model(x)))


class _OwnCompileModel(keras.Model):
    """A model whose compile takes its own arguments (the GAN pattern of the Keras guides)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def compile(self, loss_fn):
        super().compile(optimizer="sgd", loss=loss_fn)


def test_a_model_with_its_own_compile_loads_uncompiled_with_keras_warning(tmp_path):
    model = _OwnCompileModel()
    model.compile("mse")
    x = np.ones((2, 3), "float32")
    expected = np.asarray(model(x))
    path = tmp_path / "own_compile.keras"
    model.save(path)
    with pytest.warns(UserWarning) as record:
        restored = keras.saving.load_model(
            path, custom_objects={"_OwnCompileModel": _OwnCompileModel}
        )
    messages = [str(warning.message) for warning in record]
    assert any(
        message.startswith(
            "`compile()` was not called as part of model loading because the model's "
            "`compile()` method is custom. "
        )
        for message in messages
    )
    assert not restored.compiled
    np.testing.assert_allclose(np.asarray(restored(x)), expected)


@pytest.mark.parametrize("name", sorted(saving_scenarios.SCENARIOS))
def test_weights_files_name_layers_reached_through_properties_as_keras_does(name, tmp_path):
    # Keras walks every attribute of `dir(model)`, properties too, in sorted order: a layer
    # kept as `self._encoder` and returned by a public property `encoder` is saved under
    # `encoder/`. The file minikeras writes has Keras's groups.
    groups = saving_scenarios.vars_groups(keras, name, tmp_path / f"{name}.weights.h5")
    assert groups == KERAS["vars_groups"][name]


def test_weights_saved_under_a_property_path_load_back(tmp_path):
    model = saving_scenarios.SCENARIOS["property_layer"](keras)
    x = np.ones((2, 3), "float32")
    expected = np.asarray(model(x))
    model.save_weights(tmp_path / "m.weights.h5")
    other = saving_scenarios.SCENARIOS["property_layer"](keras)
    other(x)
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(np.asarray(other(x)), expected)


def test_a_layer_used_as_activation_is_saved_and_loaded():
    # The Keras test's literals: Conv1D with a LeakyReLU(0.15, name="my_leaky") activation.
    layer = keras.layers.Conv1D(
        filters=2,
        kernel_size=3,
        activation=keras.layers.LeakyReLU(negative_slope=0.15, name="my_leaky"),
    )
    layer.build((None, 10, 4))
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    restored = keras.saving.deserialize_keras_object(config)
    assert isinstance(restored.activation, keras.layers.LeakyReLU)
    assert restored.activation.negative_slope == 0.15
    assert restored.activation.name == "my_leaky"


def test_a_keras_config_with_a_layer_as_activation_loads():
    dense = keras.saving.deserialize_keras_object(KERAS["dense_with_layer_activation"])
    assert isinstance(dense.activation, keras.layers.LeakyReLU)
    assert dense.activation.negative_slope == 0.15
    x = -np.ones((1, 3), "float32")
    dense.kernel.assign(np.ones((3, 2), "float32"))
    np.testing.assert_allclose(np.asarray(dense(x)), [[-0.45, -0.45]], rtol=1e-6)


@pytest.mark.parametrize(
    "registered_name", ["builtins.eval", "subprocess.Popen", "not.a.real.name", "my_pkg>MyDense"]
)
def test_a_builtin_class_config_with_another_registered_name_is_refused(registered_name):
    config = {
        "class_name": "Dense",
        "module": "keras.layers",
        "registered_name": registered_name,
        "config": {"units": 1},
    }
    with pytest.raises(ValueError, match="resolved to a Keras built-in"):
        keras.saving.deserialize_keras_object(config)


def test_a_builtin_function_config_with_another_registered_name_is_refused():
    config = {
        "class_name": "function",
        "module": "builtins",
        "registered_name": "some_other_name",
        "config": "relu",
    }
    with pytest.raises(ValueError, match="resolved to a Keras built-in"):
        keras.saving.deserialize_keras_object(config)


@pytest.mark.parametrize("registered_name", [None, "Dense"])
def test_a_builtin_class_config_without_another_registered_name_loads(registered_name):
    config = {
        "class_name": "Dense",
        "module": "keras.layers",
        "registered_name": registered_name,
        "config": {"units": 1},
    }
    assert isinstance(keras.saving.deserialize_keras_object(config), keras.layers.Dense)
    function = {"class_name": "function", "module": "builtins", "config": "kl_divergence"}
    for name in ("function", "kl_divergence"):
        loaded = keras.saving.deserialize_keras_object({**function, "registered_name": name})
        assert loaded is keras.metrics.kl_divergence


def test_a_lambda_in_safe_mode_is_refused_with_keras_words():
    layer = keras.layers.Lambda(lambda x: x + 1)
    config = keras.saving.serialize_keras_object(layer)
    with pytest.raises(ValueError, match="arbitrary code execution"):
        keras.saving.deserialize_keras_object(config)


def test_objects_to_skip_leave_their_groups_in_a_full_file_unread(tmp_path):
    # Keras's test_objects_to_skip: the file has every layer, the load skips the first one.
    def make():
        return keras.Sequential(
            [keras.layers.Input((3,)), keras.layers.Dense(5), keras.layers.Dense(5)]
        )

    model = make()
    path = tmp_path / "full.weights.h5"
    model.save_weights(path)
    new_model = make()
    kept = np.array(new_model.layers[0].kernel)
    new_model.load_weights(path, objects_to_skip=[new_model.layers[0]])
    np.testing.assert_array_equal(np.array(new_model.layers[0].kernel), kept)
    np.testing.assert_array_equal(
        np.array(new_model.layers[1].kernel), np.array(model.layers[1].kernel)
    )


def test_loading_a_missing_keras_file_raises_a_value_error_as_keras_does(tmp_path):
    missing = tmp_path / "not_a_zip.keras"
    with pytest.raises(ValueError, match="File not found"):
        keras.saving.load_model(missing)
    with pytest.raises(FileNotFoundError):
        keras.saving.load_model(missing)


class _FailingHooks(keras.layers.Layer):
    """Saves one asset file; its hooks raise while `fail` names them."""

    fail = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def save_own_variables(self, store):
        if _FailingHooks.fail == "variables":
            raise ValueError("save_own_variables failed")

    def save_assets(self, dir_path):
        if _FailingHooks.fail == "assets":
            raise ValueError("save_assets failed")
        with open(os.path.join(dir_path, "note.txt"), "w") as handle:
            handle.write(self.name)


def _directory_contents(directory):
    contents = {}
    for root, _, files in os.walk(directory):
        for name in files:
            full_path = os.path.join(root, name)
            with open(full_path, "rb") as handle:
                contents[os.path.relpath(full_path, directory)] = handle.read()
    return contents


@pytest.mark.parametrize("failing_hook", ["variables", "assets"])
def test_a_failed_directory_save_leaves_the_previous_save_intact(failing_hook, tmp_path):
    target = tmp_path / "model_dir"
    _FailingHooks.fail = None
    try:
        model = keras.Sequential([keras.Input((1,)), _FailingHooks(name="first")])
        model.save(target, zipped=False)
        before = _directory_contents(target)
        assert {"config.json", "metadata.json", "model.weights.h5"} < set(before)
        assert [name for name in before if name.endswith("note.txt")]
        other = keras.Sequential([keras.Input((1,)), _FailingHooks(name="second")])
        _FailingHooks.fail = failing_hook
        with pytest.raises(ValueError, match="failed"):
            other.save(target, zipped=False)
    finally:
        _FailingHooks.fail = None
    assert _directory_contents(target) == before


def test_save_format_only_warns_when_the_file_name_gives_the_format(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.warns(UserWarning, match="`save_format` argument is deprecated"):
        model.save(tmp_path / "model.keras", save_format="h5")
    assert isinstance(keras.saving.load_model(tmp_path / "model.keras"), keras.Sequential)
    with pytest.raises(ValueError, match="argument is deprecated"):
        model.save(tmp_path / "model", save_format="keras")
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        keras.saving.save_model(model, tmp_path / "model.notkeras")
    with pytest.raises(ValueError, match="are not supported"):
        model.save(tmp_path / "model.keras", invalid_arg="hello")
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.notkeras").exists()


class _NormalModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(x)


class _RenamedModel(keras.Model):
    """`dense` became `a_dense`, kept reachable as `dense` through a property."""

    def __init__(self):
        super().__init__()
        self.a_dense = keras.layers.Dense(3)

    @property
    def dense(self):
        return self.a_dense

    def call(self, x):
        return self.dense(x)


def test_weights_load_into_a_layer_renamed_behind_a_property(tmp_path):
    # Keras's test_redefinition_of_trackable: the file has `dense/`; the new model reaches
    # the same layer first as `a_dense`, then as `dense`, where the file has it.
    x = np.random.default_rng(0).random((2, 2)).astype("float32")
    model_a = _NormalModel()
    model_a(x)
    model_a.save_weights(tmp_path / "normal_model.weights.h5")
    model_b = _RenamedModel()
    model_b(x)
    model_b.load_weights(tmp_path / "normal_model.weights.h5")
    np.testing.assert_array_equal(np.array(model_b.dense.kernel), np.array(model_a.dense.kernel))
    # Its own file names the layer by its first path, as Keras does.
    model_b.save_weights(tmp_path / "renamed.weights.h5")
    with h5py.File(tmp_path / "renamed.weights.h5") as h5_file:
        assert "a_dense/vars/0" in h5_file and "dense" not in h5_file


class _NestedBlocks(keras.Model):
    """Layers inside tuples inside a list: older Keras releases saved them only under
    `layers/dense_N`, newer ones (3.15 and minikeras) under `blocks/container_N/dense`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [(keras.layers.Dense(4, use_bias=False),) for _ in range(3)]
        self.out = keras.layers.Dense(2)

    def call(self, x):
        for (block,) in self.blocks:
            x = block(x)
        return self.out(x)


def test_a_file_from_before_nested_containers_were_saved_loads_by_the_layers_paths(tmp_path):
    model = _NestedBlocks()
    model(np.ones((1, 3), "float32"))
    path = tmp_path / "old_layout.weights.h5"
    kernels = [np.full((3, 4), 0.1), np.full((4, 4), 0.2), np.full((4, 4), 0.3)]
    with h5py.File(path, "w") as h5_file:
        h5_file.create_group("vars")
        for index, kernel in enumerate(kernels):
            h5_file.create_dataset(
                f"layers/dense{'_' * bool(index)}{index or ''}/vars/0", data=kernel
            )
        h5_file.create_dataset("layers/dense_3/vars/0", data=np.full((4, 2), 0.4))
        h5_file.create_dataset("layers/dense_3/vars/1", data=np.full((2,), 0.5))
    model.load_weights(path)
    for (block,), kernel in zip(model.blocks, kernels):
        np.testing.assert_array_equal(np.array(block.kernel), kernel.astype("float32"))
    np.testing.assert_array_equal(np.array(model.out.bias), np.full((2,), 0.5, "float32"))


class _OtherDense(keras.layers.Dense):
    pass


def test_custom_objects_do_not_replace_a_builtin_that_a_keras_3_config_names():
    # Keras 3 writes `"registered_name": None` for its own classes and looks custom objects up
    # by the registered name: a custom "Dense" leaves such a config's Dense built-in. A config
    # without the field (Keras 2) is looked up by its class name.
    keras3 = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}
    custom = {"Dense": _OtherDense}
    loaded = keras.saving.deserialize_keras_object(
        {**keras3, "registered_name": None}, custom_objects=custom
    )
    assert type(loaded) is keras.layers.Dense
    assert type(keras.saving.deserialize_keras_object(keras3, custom_objects=custom)) is (
        _OtherDense
    )
    with keras.saving.custom_object_scope(custom):
        loaded = keras.saving.deserialize_keras_object({**keras3, "registered_name": None})
    assert type(loaded) is keras.layers.Dense


class _TwoOptimizerModel(keras.Model):
    """The GAN pattern: compile() keeps a second optimizer as an attribute."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def compile(self, d_optimizer=None, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer


def test_load_model_warns_about_state_its_config_cannot_rebuild(tmp_path):
    model = _TwoOptimizerModel()
    model.compile(d_optimizer=keras.optimizers.Adam(), optimizer="sgd", loss="mse")
    x = np.ones((2, 3), "float32")
    model.fit(x, np.ones((2, 1), "float32"), verbose=0)
    model.d_optimizer.build(model.trainable_weights)
    expected = np.asarray(model(x))
    path = tmp_path / "two_optimizers.keras"
    model.save(path)
    # Keras loads it (uncompiled, d_optimizer's state unread); minikeras says what it left.
    with pytest.warns(UserWarning) as record:
        restored = keras.saving.load_model(
            path, custom_objects={"_TwoOptimizerModel": _TwoOptimizerModel}
        )
    assert any(str(w.message).startswith("Not loaded: d_optimizer:") for w in record)
    np.testing.assert_allclose(np.asarray(restored(x)), expected)
    # load_weights into a model built by hand stays strict.
    other = _TwoOptimizerModel()
    other(x)
    with pytest.raises(ValueError, match="d_optimizer"):
        other.load_weights(path)


def test_a_weights_member_that_unpacks_far_beyond_its_size_is_refused(tmp_path, monkeypatch):
    from minikeras.saving import saving_lib

    model = keras.Sequential([keras.Input((200,)), keras.layers.Dense(200)])
    model.layers[0].kernel.assign(np.zeros((200, 200), "float32"))
    saved = tmp_path / "model.keras"
    model.save(saved)
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(bomb, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    # Keras's test shrinks the floor the same way (its files of real size are not bombs).
    monkeypatch.setattr(saving_lib, "_MAX_PACKED_MEMBER_BYTES", 64, raising=False)
    with pytest.raises(ValueError, match="decompression bomb"):
        keras.saving.load_model(bomb)
    with pytest.raises(ValueError, match="decompression bomb"):
        model.load_weights(bomb)
    assert isinstance(keras.saving.load_model(saved), keras.Sequential)  # stored, not packed


class _OtherAdam(keras.optimizers.Adam):
    pass


class _OtherMeanSquaredError(keras.losses.MeanSquaredError):
    pass


def test_custom_objects_do_not_replace_builtin_optimizers_losses_and_metrics_of_keras_3_configs():
    def keras3(module, class_name):
        return {"module": module, "class_name": class_name, "config": {}, "registered_name": None}

    adam = keras3("keras.optimizers", "Adam")
    mse = keras3("keras.losses", "MeanSquaredError")
    mse_metric = keras3("keras.metrics", "MeanSquaredError")
    optimizer = keras.optimizers.deserialize(adam, custom_objects={"Adam": _OtherAdam})
    assert type(optimizer) is keras.optimizers.Adam
    custom = {"MeanSquaredError": _OtherMeanSquaredError}
    assert type(keras.losses.deserialize(mse, custom_objects=custom)) is (
        keras.losses.MeanSquaredError
    )
    assert type(keras.metrics.deserialize(mse_metric, custom_objects=custom)) is (
        keras.metrics.MeanSquaredError
    )
    # Without the field (Keras 2 configs), the class name finds the custom object.
    del adam["registered_name"]
    assert type(keras.optimizers.deserialize(adam, custom_objects={"Adam": _OtherAdam})) is (
        _OtherAdam
    )
