"""The saving contract with Keras 3: a failed load changes nothing, registered functions and
classes are written as Keras writes them, the Layer hooks (`save_own_variables`,
`load_own_variables`, `save_assets`, `load_assets`) are the ones the saver calls, and the
serialization helpers exist under Keras's names."""

import gzip
import os
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")


def fixture_file(tmp_path, filename):
    """Decompresses a fixture into `tmp_path` and returns its path."""
    with gzip.open(os.path.join(FIXTURES, f"{filename}.gz"), "rb") as handle:
        data = handle.read()
    path = tmp_path / filename
    path.write_bytes(data)
    return str(path)


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
