"""The saving contract with Keras 3: a failed load changes nothing, registered functions and
classes are written as Keras writes them, the Layer hooks (`save_own_variables`,
`load_own_variables`, `save_assets`, `load_assets`) are the ones the saver calls, and the
serialization helpers exist under Keras's names."""

import gzip
import inspect
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import saving_custom_objects as custom

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")


def fixture_file(tmp_path, filename):
    """Decompresses a fixture into `tmp_path` and returns its path."""
    with gzip.open(os.path.join(FIXTURES, f"{filename}.gz"), "rb") as handle:
        data = handle.read()
    path = tmp_path / filename
    path.write_bytes(data)
    return str(path)


OBJECTS = custom.define(keras)  # registers the "my_package>..." objects
with open(os.path.join(os.path.dirname(FIXTURES), "saving_contract.json")) as _handle:
    EXPECTED = json.load(_handle)


# -- a failed load changes nothing -------------------------------------------------------------
def _trained_mlp(seed):
    """A compiled three-layer MLP trained for one step, so it has optimizer state."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, name="first"),
            keras.layers.BatchNormalization(name="norm"),
            keras.layers.Dense(2, name="last"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    rng = np.random.default_rng(seed)
    model.train_on_batch(rng.normal(size=(8, 4)).astype("float32"), np.ones((8, 2), "float32"))
    return model


def _state(model):
    return [v.numpy().copy() for v in model.weights] + [
        np.array(v.numpy(), copy=True) for v in model.optimizer.variables
    ]


def _assert_unchanged(model, before):
    after = _state(model)
    assert len(after) == len(before)
    for got, want in zip(after, before):
        np.testing.assert_array_equal(got, want)


def _replace(h5_file, name, data):
    del h5_file[name]
    h5_file.create_dataset(name, data=data)


def _retype(h5_file, name, make):
    """Replaces a dataset by one of the same shape made by `make(shape)`."""
    _replace(h5_file, name, make(h5_file[name].shape))


def _strings(shape):
    return np.full(shape, b"x", dtype="S1")


def _compound(shape):
    return np.zeros(shape, dtype=[("a", "f4"), ("b", "f4")])


# Each edit breaks the file in one way; the last layer ("layers/dense_1") is always among the
# broken paths, so a loader that assigns as it goes has changed the earlier layers by then.
MISMATCHES = {
    "shape": lambda f: _replace(f, "layers/dense_1/vars/0", np.zeros((5, 3), "float32")),
    "count": lambda f: f["layers/dense_1/vars"].create_dataset("2", data=np.zeros(2, "f4")),
    "missing_group": lambda f: f.__delitem__("layers/dense_1"),
    "extra_group": lambda f: f.create_dataset("layers/dense_9/vars/0", data=np.zeros(2, "f4")),
    "string_dtype": lambda f: _retype(f, "layers/dense_1/vars/1", _strings),
    "compound_dtype": lambda f: _retype(f, "layers/dense_1/vars/0", _compound),
    "complex_dtype": lambda f: _retype(f, "layers/dense_1/vars/1", lambda s: np.zeros(s, "c8")),
    "string_optimizer_state": lambda f: _retype(f, "optimizer/vars/3", _strings),
}


@pytest.mark.parametrize("kind", sorted(MISMATCHES))
def test_failed_load_weights_changes_no_weight_and_no_optimizer_state(tmp_path, kind):
    path = str(tmp_path / "model.weights.h5")
    _trained_mlp(seed=1).save_weights(path)
    with h5py.File(path, "a") as f:
        MISMATCHES[kind](f)
    model = _trained_mlp(seed=2)
    before = _state(model)
    with pytest.raises(ValueError, match="Nothing was loaded"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def _move(h5_file, source, target):
    h5_file.move(source, target)


# Files whose layout is broken rather than mismatched: reported before anything is assigned.
BROKEN_LAYOUTS = {
    "group_instead_of_dataset": lambda f: (
        f.__delitem__("layers/dense_1/vars/1"),
        f["layers/dense_1/vars"].create_group("1"),
    ),
    "dataset_not_numbered": lambda f: _move(f, "layers/dense_1/vars/1", "layers/dense_1/vars/b"),
    "soft_link": lambda f: (
        f.__delitem__("layers/dense_1/vars/1"),
        f["layers/dense_1/vars"].__setitem__("1", h5py.SoftLink("/layers/dense/vars/1")),
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_LAYOUTS))
def test_broken_weights_file_layout_changes_nothing(tmp_path, kind):
    path = str(tmp_path / "model.weights.h5")
    _trained_mlp(seed=1).save_weights(path)
    with h5py.File(path, "a") as f:
        BROKEN_LAYOUTS[kind](f)
    model = _trained_mlp(seed=2)
    before = _state(model)
    with pytest.raises(ValueError, match="layers/dense_1/vars"):
        model.load_weights(path)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("kind", ["string_dtype", "compound_dtype", "string_optimizer_state"])
def test_failed_load_weights_from_keras_file_changes_nothing(tmp_path, kind):
    path = str(tmp_path / "model.keras")
    _trained_mlp(seed=1).save(path)
    weights_path = str(tmp_path / "inner.h5")
    with zipfile.ZipFile(path) as archive:
        with open(weights_path, "wb") as handle:
            handle.write(archive.read("model.weights.h5"))
        members = {name: archive.read(name) for name in archive.namelist()}
    with h5py.File(weights_path, "a") as f:
        MISMATCHES[kind](f)
    with open(weights_path, "rb") as handle:
        members["model.weights.h5"] = handle.read()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    model = _trained_mlp(seed=2)
    before = _state(model)
    with pytest.raises(ValueError, match="Nothing was loaded"):
        model.load_weights(path)
    _assert_unchanged(model, before)
    with pytest.raises(ValueError, match="not numbers"):
        keras.saving.load_model(path)


def test_non_numeric_data_is_named_with_its_path_and_dtype(tmp_path):
    path = str(tmp_path / "model.weights.h5")
    _trained_mlp(seed=1).save_weights(path)
    with h5py.File(path, "a") as f:
        MISMATCHES["string_dtype"](f)
    with pytest.raises(ValueError) as info:
        _trained_mlp(seed=2).load_weights(path)
    message = str(info.value)
    assert "layers/dense_1 (Dense 'last')" in message
    assert "variable 1" in message and "|S1" in message and "not numbers" in message


def test_skip_mismatch_skips_a_layer_with_non_numeric_data_and_loads_the_rest(tmp_path):
    path = str(tmp_path / "model.weights.h5")
    source = _trained_mlp(seed=1)
    source.save_weights(path)
    with h5py.File(path, "a") as f:
        MISMATCHES["string_dtype"](f)
    model = _trained_mlp(seed=2)
    last_before = [w.copy() for w in model.get_layer("last").get_weights()]
    with pytest.warns(UserWarning, match="not numbers"):
        model.load_weights(path, skip_mismatch=True)
    for got, want in zip(
        model.get_layer("first").get_weights(), source.get_layer("first").get_weights()
    ):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.get_layer("last").get_weights(), last_before):
        np.testing.assert_array_equal(got, want)


def _legacy_file(path, model, broken_last=None):
    """`model`'s weights in the Keras 2 `.h5` layout; `broken_last` replaces the last array."""
    layers = [layer for layer in model.layers if layer.weights]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in layers]
        for layer in layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0" for w in layer.weights]
            group.attrs["weight_names"] = [n.encode() for n in names]
            for name, weight in zip(names, layer.weights):
                group.create_dataset(name, data=weight.numpy())
        if broken_last is not None:
            last = layers[-1]
            name = f"{last.name}/{last.weights[-1].name}:0"
            _replace(f[last.name], name, broken_last(tuple(last.weights[-1].shape)))


@pytest.mark.parametrize("broken", [_strings, _compound], ids=["string", "compound"])
def test_failed_legacy_h5_load_changes_nothing(tmp_path, broken):
    path = str(tmp_path / "legacy.h5")
    _legacy_file(path, _trained_mlp(seed=1), broken_last=broken)
    model = _trained_mlp(seed=2)
    before = _state(model)
    with pytest.raises(ValueError, match="not numbers"):
        model.load_weights(path)
    _assert_unchanged(model, before)
    with pytest.raises(ValueError, match="not numbers"):
        model.load_weights(path, by_name=True)
    _assert_unchanged(model, before)


def test_a_failing_load_own_variables_hook_puts_every_weight_back(tmp_path):
    class Refusing(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(1,), initializer="ones", name="scale")

        def call(self, x):
            return x * self.scale

        def load_own_variables(self, store):
            self.scale.assign(store["0"])
            raise ValueError("the stored scale is refused")

    def make(seed):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((3,))
        outputs = Refusing(name="refusing")(keras.layers.Dense(3, name="dense")(inputs))
        model = keras.Model(inputs, outputs)
        model.get_layer("refusing").scale.assign(np.array([float(seed)], "float32"))
        return model

    path = str(tmp_path / "model.weights.h5")
    make(1).save_weights(path)
    model = make(2)
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(ValueError, match="refused"):
        model.load_weights(path)
    for got, want in zip(model.weights, before):
        np.testing.assert_array_equal(got.numpy(), want)


# -- registered and unregistered user objects are written as Keras writes them ------------------
def _function_config(name):
    return {
        "module": "builtins",
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def test_registered_function_activation_is_written_under_its_registered_name():
    layer = keras.layers.Dense(3, activation=OBJECTS["scaled_tanh"])
    config = keras.layers.serialize(layer)["config"]["activation"]
    assert config == _function_config("my_package>scaled_tanh")
    activation_layer = keras.layers.serialize(keras.layers.Activation(OBJECTS["scaled_tanh"]))
    assert activation_layer["config"]["activation"] == _function_config("my_package>scaled_tanh")


def test_unregistered_function_activation_is_written_under_its_name():
    layer = keras.layers.Dense(3, activation=OBJECTS["shifted_relu"])
    assert keras.layers.serialize(layer)["config"]["activation"] == _function_config("shifted_relu")


def test_registered_classes_and_functions_are_written_with_their_registered_names():
    initializer = keras.initializers.serialize(OBJECTS["HalfInitializer"]())
    assert initializer == {
        "module": "tests.fixtures.saving_custom_objects",
        "class_name": "HalfInitializer",
        "config": {},
        "registered_name": "my_package>HalfInitializer",
    }
    assert keras.losses.serialize(OBJECTS["doubled_mse"]) == _function_config(
        "my_package>doubled_mse"
    )


def test_registered_objects_are_found_by_the_get_functions_without_custom_objects():
    assert (
        keras.activations.get(_function_config("my_package>scaled_tanh")) is OBJECTS["scaled_tanh"]
    )
    assert keras.activations.get("my_package>scaled_tanh") is OBJECTS["scaled_tanh"]
    initializer = keras.initializers.get(keras.initializers.serialize(OBJECTS["HalfInitializer"]()))
    assert isinstance(initializer, OBJECTS["HalfInitializer"])
    assert keras.losses.get(_function_config("my_package>doubled_mse")) is OBJECTS["doubled_mse"]


def _config_json(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _custom_entries(config):
    """The parts of a model's config.json that name user objects, as JSON text (key order
    included): each layer's header and activation/initializer entries, and the loss."""
    entries = {}
    for layer in config["config"]["layers"]:
        name = layer["config"]["name"]
        header = {key: layer[key] for key in ("module", "class_name", "registered_name")}
        entries[f"{name}/header"] = json.dumps(header)
        for key in ("activation", "kernel_initializer"):
            if key in layer["config"]:
                entries[f"{name}/{key}"] = json.dumps(layer["config"][key])
    entries["loss"] = json.dumps(config["compile_config"]["loss"])
    return entries


def test_config_json_names_user_objects_exactly_as_keras_does(tmp_path):
    """Keras 3.15 wrote `custom_objects.keras` (tests/fixtures/generate_saving_contract.py).

    The other direction was checked by hand with that script's crosscheck: Keras loads the
    file minikeras writes for this model (with the same `custom_objects`) and predicts the
    same numbers, with the vocabulary restored from the assets.
    """
    keras_config = _config_json(fixture_file(tmp_path, "custom_objects.keras"))
    model = custom.build(keras, OBJECTS)
    path = str(tmp_path / "ours.keras")
    model.save(path)
    ours = _custom_entries(_config_json(path))
    assert ours == _custom_entries(keras_config)
    assert "my_package>scaled_tanh" in ours["registered_activation/activation"]


def test_keras_file_with_user_objects_and_assets_loads_with_keras_predictions(tmp_path):
    path = fixture_file(tmp_path, "custom_objects.keras")
    with pytest.raises(ValueError, match=r"'shifted_relu'.*custom_objects"):
        keras.saving.load_model(path)  # the unregistered function must be passed
    model = keras.saving.load_model(path, custom_objects={"shifted_relu": OBJECTS["shifted_relu"]})
    assert model.get_layer("registered_activation").activation is OBJECTS["scaled_tanh"]
    assert model.get_layer("vocabulary_scale").vocabulary == custom.VOCABULARY
    x = np.array(EXPECTED["x"], "float32")
    predictions = model.predict(x, verbose=0)
    np.testing.assert_allclose(predictions, EXPECTED["y"], rtol=1e-5, atol=1e-6)
    # Compiled with the registered loss: twice the mean squared error.
    targets = np.zeros_like(predictions)
    loss = model.evaluate(x, targets, verbose=0)
    np.testing.assert_allclose(loss, 2.0 * np.mean(np.square(predictions)), rtol=1e-5)


def test_model_with_registered_activation_round_trips_through_a_keras_file(tmp_path):
    model = custom.build(keras, OBJECTS)
    x = np.array(EXPECTED["x"], "float32")
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.saving.load_model(
        path, custom_objects={"shifted_relu": OBJECTS["shifted_relu"]}
    )
    assert restored.get_layer("registered_activation").activation is OBJECTS["scaled_tanh"]
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))


# -- Keras's names for the serialization helpers ---------------------------------------------
SERIALIZATION_HELPERS = (
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
)


@pytest.mark.parametrize("name", SERIALIZATION_HELPERS)
def test_utils_exports_the_serialization_helpers_of_saving(name):
    assert getattr(keras.utils, name) is getattr(keras.saving, name)
    assert name in keras.utils.__all__


def test_serialization_helpers_have_keras_signatures():
    def parameters(function):
        return list(inspect.signature(function).parameters)

    assert parameters(keras.utils.deserialize_keras_object) == [
        "config",
        "custom_objects",
        "safe_mode",
        "kwargs",
    ]
    assert parameters(keras.utils.register_keras_serializable) == ["package", "name"]
    assert parameters(keras.layers.serialize) == ["layer"]
    assert parameters(keras.layers.deserialize) == ["config", "custom_objects"]


def test_layers_serialize_and_deserialize():
    layer = keras.layers.Dense(3, activation=OBJECTS["scaled_tanh"], name="head")
    config = keras.layers.serialize(layer)
    assert config["module"] == "keras.layers" and config["class_name"] == "Dense"
    restored = keras.layers.deserialize(config)
    assert isinstance(restored, keras.layers.Dense)
    assert restored.name == "head" and restored.activation is OBJECTS["scaled_tanh"]
    custom_layer = keras.layers.deserialize(
        {"class_name": "MyScale", "config": {"name": "s"}},
        custom_objects={"MyScale": OBJECTS["VocabularyScale"]},
    )
    assert isinstance(custom_layer, OBJECTS["VocabularyScale"])
    with pytest.raises(ValueError, match=r"not describe a `keras\.layers\.Layer`"):
        keras.layers.deserialize(keras.saving.serialize_keras_object(keras.optimizers.SGD()))


# -- Layer.save_own_variables / load_own_variables are the saver's hooks ------------------------
class CountingDense(keras.layers.Dense):
    """A Dense that also saves how many times it was called, through `super()`."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.calls = 0

    def call(self, x):
        self.calls += 1
        return super().call(x)

    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["calls"] = np.array(self.calls, "int64")

    def load_own_variables(self, store):
        self.calls = int(store["calls"])
        super().load_own_variables({key: store[key] for key in store.keys() if key != "calls"})


def _counting_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, CountingDense(2, name="counting")(inputs))


def test_overridden_save_own_variables_calling_super_changes_what_is_saved(tmp_path):
    model = _counting_model()
    x = np.ones((2, 3), "float32")
    model(x)
    model(x)
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        group = f["layers/counting_dense/vars"]
        assert sorted(group.keys()) == ["0", "1", "calls"]
        assert int(group["calls"][()]) == 2
        np.testing.assert_array_equal(group["0"][()], model.layers[1].kernel.numpy())
    restored = _counting_model()
    restored.load_weights(path)
    assert restored.layers[1].calls == 2
    for got, want in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_base_save_own_variables_writes_trainable_then_non_trainable_variables():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    store = {}
    layer.save_own_variables(store)
    assert list(store) == ["0", "1", "2", "3"]
    expected = [layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance]
    for key, variable in zip(store, expected):
        np.testing.assert_array_equal(store[key], variable.numpy())


@pytest.mark.parametrize(
    "store",
    [
        {"0": np.zeros((3, 2), "float32")},
        {"0": np.zeros((3, 2), "float32"), "1": np.zeros(3, "float32")},
        {"0": np.zeros((3, 2), "float32"), "1": np.full(2, b"x")},
        {"0": np.zeros((3, 2), "float32"), "1": np.zeros(2, [("a", "f4")])},
    ],
    ids=["count", "shape", "string", "compound"],
)
def test_base_load_own_variables_checks_every_value_before_assigning(store):
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=f"Layer '{layer.name}'"):
        layer.load_own_variables(store)
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_base_load_own_variables_loads_what_save_own_variables_wrote():
    source, target = keras.layers.Dense(2), keras.layers.Dense(2)
    source.build((None, 3))
    target.build((None, 3))
    store = {}
    source.save_own_variables(store)
    target.load_own_variables(store)
    for got, want in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(got, want)


# -- save_assets / load_assets ----------------------------------------------------------------
def _vocabulary_model(vocabulary):
    inputs = keras.Input((2,))
    layer = OBJECTS["VocabularyScale"](vocabulary=vocabulary, name="vocabulary_scale")
    return keras.Model(inputs, layer(inputs))


def test_keras_file_stores_assets_where_keras_does_and_loads_them_back(tmp_path):
    path = str(tmp_path / "model.keras")
    _vocabulary_model(["one", "two"]).save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == [
            "metadata.json",
            "config.json",
            "model.weights.h5",
            "assets/layers/vocabulary_scale/vocabulary.txt",
        ]
        assert archive.read("assets/layers/vocabulary_scale/vocabulary.txt") == b"one\ntwo"
    restored = keras.saving.load_model(path)
    assert restored.get_layer("vocabulary_scale").vocabulary == ["one", "two"]
    np.testing.assert_allclose(restored.predict(np.zeros((1, 2), "float32"), verbose=0), [[2, 2]])


def test_directory_format_stores_and_loads_assets(tmp_path):
    path = str(tmp_path / "model_dir")
    _vocabulary_model(["a", "b", "c"]).save(path, zipped=False)
    with open(os.path.join(path, "assets", "layers", "vocabulary_scale", "vocabulary.txt")) as f:
        assert f.read() == "a\nb\nc"
    restored = keras.saving.load_model(path)
    assert restored.get_layer("vocabulary_scale").vocabulary == ["a", "b", "c"]


def test_model_without_asset_hooks_writes_no_assets(tmp_path):
    path = str(tmp_path / "model.keras")
    inputs = keras.Input((2,))
    keras.Model(inputs, keras.layers.Dense(1)(inputs)).save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]


def test_asset_paths_outside_the_assets_folder_are_refused(tmp_path):
    path = str(tmp_path / "model.keras")
    _vocabulary_model(["a"]).save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("assets/../../escaped.txt", "x")
    with pytest.raises(ValueError, match=r"Not allowed.*escaped\.txt"):
        keras.saving.load_model(path)
    assert not os.path.exists(tmp_path / "escaped.txt")


def test_skip_mismatch_keeps_a_layer_whose_load_own_variables_raises_and_warns(tmp_path):
    class Picky(keras.layers.Dense):
        def load_own_variables(self, store):
            self.kernel.assign(np.zeros(self.kernel.shape, "float32"))
            raise ValueError("picky refuses the stored kernel")

    def make(seed):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((3,))
        hidden = keras.layers.Dense(3, name="plain")(inputs)
        return keras.Model(inputs, Picky(2, name="picky")(hidden))

    path = str(tmp_path / "model.weights.h5")
    source = make(1)
    source.save_weights(path)
    model = make(2)
    picky_before = model.get_layer("picky").get_weights()
    with pytest.warns(UserWarning, match=r"layers/picky \(Picky 'picky'\).*picky refuses"):
        model.load_weights(path, skip_mismatch=True)
    for got, want in zip(model.get_layer("picky").get_weights(), picky_before):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(
        model.get_layer("plain").get_weights(), source.get_layer("plain").get_weights()
    ):
        np.testing.assert_array_equal(got, want)


@keras.saving.register_keras_serializable(package="contract_tests")
class HalvingSGD(keras.optimizers.SGD):
    pass


@keras.saving.register_keras_serializable(package="contract_tests")
class ConstantSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, rate):
        self.rate = rate

    def __call__(self, step):
        return self.rate

    def get_config(self):
        return {"rate": self.rate}


@keras.saving.register_keras_serializable(package="contract_tests")
class TinyL1(keras.regularizers.Regularizer):
    def __call__(self, x):
        return keras.ops.sum(keras.ops.abs(x)) * 0.01

    def get_config(self):
        return {}


@keras.saving.register_keras_serializable(package="contract_tests")
class Clip(keras.constraints.Constraint):
    def __call__(self, w):
        return keras.ops.clip(w, -1.0, 1.0)

    def get_config(self):
        return {}


def test_registered_optimizer_and_schedule_are_written_and_found_by_registered_name():
    config = keras.optimizers.serialize(HalvingSGD(learning_rate=ConstantSchedule(0.5)))
    header = {key: config[key] for key in ("module", "class_name", "registered_name")}
    assert header == {
        "module": __name__,
        "class_name": "HalvingSGD",
        "registered_name": "contract_tests>HalvingSGD",
    }
    assert config["config"]["learning_rate"] == {
        "module": __name__,
        "class_name": "ConstantSchedule",
        "config": {"rate": 0.5},
        "registered_name": "contract_tests>ConstantSchedule",
    }
    restored = keras.optimizers.deserialize(config)
    assert isinstance(restored, HalvingSGD)


@pytest.mark.parametrize(
    "package, make",
    [(keras.regularizers, TinyL1), (keras.constraints, Clip)],
    ids=["regularizer", "constraint"],
)
def test_registered_regularizer_and_constraint_round_trip_without_custom_objects(package, make):
    config = package.serialize(make())
    assert config["registered_name"] == f"contract_tests>{make.__name__}"
    assert isinstance(package.get(config), make)


def test_asset_that_unpacks_to_far_more_than_it_stores_is_refused(tmp_path, monkeypatch):
    from minikeras.saving import saving_lib

    path = str(tmp_path / "model.keras")
    _vocabulary_model(["a"]).save(path)
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo("assets/zeros.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, b"\x00" * 200_000)
    monkeypatch.setattr(saving_lib, "_MAX_PACKED_ASSET_BYTES", 64)
    with pytest.raises(ValueError, match=r"Not allowed: the asset 'assets/zeros\.bin'"):
        keras.saving.load_model(path)


class NotesLayer(keras.layers.Dense):
    """As in Keras's own saving test: a text asset and a store entry that is not a weight."""

    def build(self, input_shape):
        super().build(input_shape)
        self.notes = "These are my assets"
        self.stored = np.arange(4, dtype="float32")

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "assets.txt"), "w", encoding="utf-8") as handle:
            handle.write(self.notes)

    def load_assets(self, dir_path):
        with open(os.path.join(dir_path, "assets.txt"), encoding="utf-8") as handle:
            self.notes = handle.read()

    def save_own_variables(self, store):
        store["variables"] = self.stored

    def load_own_variables(self, store):
        self.stored = np.array(store["variables"])


class NotesModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.custom_dense = NotesLayer(2)

    def call(self, x):
        return self.custom_dense(x)


def test_nested_layer_assets_and_custom_store_entries_round_trip(tmp_path):
    model = NotesModel()
    model(np.zeros((1, 3), "float32"))
    model.custom_dense.stored = np.full(4, 7.0, "float32")
    model.custom_dense.notes = "edited"
    path = str(tmp_path / "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "assets/custom_dense/assets.txt" in archive.namelist()
    custom_objects = {"NotesModel": NotesModel, "NotesLayer": NotesLayer}
    restored = keras.saving.load_model(path, custom_objects=custom_objects)
    assert restored.custom_dense.notes == "edited"
    np.testing.assert_array_equal(restored.custom_dense.stored, np.full(4, 7.0))


def test_custom_object_scope_from_utils_supplies_an_unregistered_activation(tmp_path):
    path = fixture_file(tmp_path, "custom_objects.keras")
    with keras.utils.custom_object_scope({"shifted_relu": OBJECTS["shifted_relu"]}):
        model = keras.saving.load_model(path)
    assert model.get_layer("plain_activation").activation is OBJECTS["shifted_relu"]
