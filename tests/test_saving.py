"""Saving and loading: Keras 3 file formats both ways, configs, strict loads, atomic writes.

Fixtures (tests/fixtures/saving/, written by real Keras 3 with
tests/fixtures/generate_saving.py, gzip-compressed) are decompressed into each test's
temporary directory.
"""

import gzip
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras.models import functional_config
from minikeras.saving import legacy_h5, saving_api, saving_lib, serialization
from tests.fixtures import saving_architectures as arch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "saving")
with np.load(os.path.join(FIXTURES, "saving.npz")) as _data:
    EXPECTED = dict(_data)
NAMES = list(arch.BUILDERS)
COMPILED = ("seq_mlp", "two_io", "batchnorm")
arch.two_tower_class(keras)  # registers "fixtures>TwoTower"


def fixture_file(tmp_path, filename):
    """Decompresses a fixture into `tmp_path` and returns its path."""
    with gzip.open(os.path.join(FIXTURES, f"{filename}.gz"), "rb") as handle:
        data = handle.read()
    path = tmp_path / filename
    path.write_bytes(data)
    return str(path)


def expected_arrays(prefix):
    values, i = [], 0
    while f"{prefix}{i}" in EXPECTED:
        values.append(EXPECTED[f"{prefix}{i}"])
        i += 1
    return values


def model_inputs(name, kind="x"):
    values = expected_arrays(f"{name}/{kind}")
    return values if len(values) > 1 else values[0]


def predictions(model, x):
    outputs = model.predict(x, verbose=0)
    return outputs if isinstance(outputs, list) else [outputs]


def assert_predicts(model, name, prefix=None):
    for got, want in zip(
        predictions(model, model_inputs(name)), expected_arrays(prefix or f"{name}/y")
    ):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def layout(source):
    """`{vars group path: (name attribute, [(shape, dtype kind), ...])}` of a weights file."""
    result = {}
    with h5py.File(source, "r") as f:

        def visit(name, item):
            if isinstance(item, h5py.Group) and name.split("/")[-1] == "vars":
                datasets = [item[str(i)] for i in range(len(item))]
                result[name] = (
                    item.attrs.get("name"),
                    [(d.shape, d.dtype.kind) for d in datasets],
                )

        f.visititems(visit)
    return result


def keras_config(tmp_path, name):
    with zipfile.ZipFile(fixture_file(tmp_path, f"{name}.keras")) as archive:
        return json.loads(archive.read("config.json"))


def train_batches(name, count, seed=0):
    rng = np.random.default_rng(seed)
    return [(arch.inputs_for(name, rng), arch.targets_for(name, rng)) for _ in range(count)]


def weights_of(model):
    return [w.numpy() for w in model.weights]


# -- files written by Keras 3 load in minikeras ------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_keras_weights_file_gives_keras_predictions(tmp_path, name):
    model = arch.BUILDERS[name](keras)
    saving_api.load_weights(model, fixture_file(tmp_path, f"{name}.weights.h5"))
    assert_predicts(model, name)


@pytest.mark.parametrize("name", NAMES)
def test_keras_model_file_gives_keras_predictions_and_compile_state(tmp_path, name):
    model = keras.saving.load_model(fixture_file(tmp_path, f"{name}.keras"))
    assert_predicts(model, name)
    assert model.name == keras_config(tmp_path, name)["config"]["name"]
    assert model.compiled == (name in COMPILED)
    if name in COMPILED:
        assert int(model.optimizer.iterations.numpy()) == 2
        keras_optimizer = keras_config(tmp_path, name)["compile_config"]["optimizer"]
        assert type(model.optimizer).__name__ == keras_optimizer["class_name"]
        assert model.optimizer.get_config()["learning_rate"] == pytest.approx(
            keras_optimizer["config"]["learning_rate"]
        )


@pytest.mark.parametrize("name", COMPILED)
def test_training_resumes_from_keras_optimizer_state(tmp_path, name):
    """One more step from a Keras-saved state reaches the weights Keras reached."""
    model = keras.saving.load_model(fixture_file(tmp_path, f"{name}.keras"))
    model.train_on_batch(model_inputs(name, "train_x"), model_inputs(name, "train_y"))
    for got, want in zip(weights_of(model), expected_arrays(f"{name}/after_step")):
        # atol: a bias feeding BatchNormalization gets gradients of pure rounding noise.
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_layer_groups_have_keras_layout(tmp_path, name):
    """Same group paths, `name` attributes, dataset shapes and dtypes as Keras's file."""
    model = arch.BUILDERS[name](keras)
    path = str(tmp_path / "mk.weights.h5")
    saving_api.save_weights(model, path)
    keras_layout = layout(fixture_file(tmp_path, f"{name}.weights.h5"))
    keras_layout = {k: v for k, v in keras_layout.items() if not k.startswith("optimizer/")}
    assert layout(path) == keras_layout


@pytest.mark.parametrize("name", COMPILED)
def test_optimizer_group_has_keras_layout(tmp_path, name):
    model = arch.BUILDERS[name](keras)
    arch.compile_fixture(keras, model, name)
    for x, y in train_batches(name, 1):
        model.train_on_batch(x, y)
    path = str(tmp_path / "mk.weights.h5")
    saving_api.save_weights(model, path)
    ours = layout(path)["optimizer/vars"]
    theirs = layout(fixture_file(tmp_path, f"{name}.weights.h5"))["optimizer/vars"]
    assert ours[0] == theirs[0]
    # Keras on JAX counts iterations in int32, minikeras in int64 (as Keras on TensorFlow).
    assert [shape for shape, _ in ours[1]] == [shape for shape, _ in theirs[1]]
    assert [kind for _, kind in ours[1]] == [kind for _, kind in theirs[1]]


def _histories(value):
    """Every `keras_history` inside a node's arguments, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"]]
        return [h for item in value.values() for h in _histories(item)]
    if isinstance(value, list):
        return [h for item in value for h in _histories(item)]
    return []


def _graph_summary(config):
    return {
        "layers": [
            (layer["class_name"], layer["name"], [_histories(n) for n in layer["inbound_nodes"]])
            for layer in config["layers"]
        ],
        "input_layers": config["input_layers"],
        "output_layers": config["output_layers"],
    }


@pytest.mark.parametrize("name", ["two_io", "nested"])
def test_functional_config_has_keras_graph_format(tmp_path, name):
    """Layer order, inbound nodes and input/output references as Keras writes them."""
    ours = keras.saving.serialize_keras_object(arch.BUILDERS[name](keras))
    theirs = keras_config(tmp_path, name)
    assert (ours["module"], ours["class_name"], ours["registered_name"]) == (
        theirs["module"],
        theirs["class_name"],
        theirs["registered_name"],
    )
    assert _graph_summary(json.loads(json.dumps(ours["config"]))) == _graph_summary(
        theirs["config"]
    )


def test_graphs_with_ops_save_weights_and_configs(tmp_path):
    inputs = keras.Input((3,), name="x")
    hidden = keras.layers.Dense(4, name="d")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(keras.ops.tanh(hidden) * 2.0))
    path = str(tmp_path / "ops.weights.h5")
    saving_api.save_weights(model, path)
    assert sorted(layout(path)) == [
        "layers/dense/vars",
        "layers/dense_1/vars",
        "layers/input_layer/vars",
        "vars",
    ]
    saved = model.get_weights()
    model.set_weights([w + 1.0 for w in saved])
    saving_api.load_weights(model, path)
    for got, want in zip(model.get_weights(), saved):
        np.testing.assert_array_equal(got, want)
    # The ops are written as Keras writes them (tests/test_functional_ops_config.py).
    saving_api.save_model(model, str(tmp_path / "ops.keras"))
    loaded = saving_api.load_model(str(tmp_path / "ops.keras"))
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_layer_order_sorts_by_depth_then_first_visit():
    model = arch.two_io(keras)
    names = [layer.name for layer in functional_config.keras_layer_order(model)]
    # By hand, as Keras's map_graph orders them: depth (calls to the outputs) 4: a, b;
    # 3: dense_a, dense_b; 2: merge; 1: trunk; 0: class_out, value_out. Ties follow a
    # depth-first walk from the outputs: class_out, trunk, merge, dense_a, a, dense_b, b, ...
    assert names == ["a", "b", "dense_a", "dense_b", "merge", "trunk", "class_out", "value_out"]


# -- minikeras round trips -----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_model_file_round_trip(tmp_path, name):
    model = arch.BUILDERS[name](keras)
    if name in COMPILED:
        arch.compile_fixture(keras, model, name)
        for x, y in train_batches(name, 2):
            model.train_on_batch(x, y)
    path = str(tmp_path / "model.keras")
    saving_api.save_model(model, path)
    restored = keras.saving.load_model(path)
    x = model_inputs(name)
    for got, want in zip(predictions(restored, x), predictions(model, x)):
        np.testing.assert_array_equal(got, want)
    assert type(restored).__name__ == type(model).__name__
    assert restored.compiled == (name in COMPILED)
    if name in COMPILED:
        assert restored.optimizer.get_config() == model.optimizer.get_config()
        for got, want in zip(restored.optimizer.variables, model.optimizer.variables):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        assert json.loads(archive.read("metadata.json"))["keras_version"].startswith("3.")


def test_load_model_without_compile(tmp_path):
    model = arch.seq_mlp(keras)
    arch.compile_fixture(keras, model, "seq_mlp")
    path = str(tmp_path / "model.keras")
    saving_api.save_model(model, path)
    restored = keras.saving.load_model(path, compile=False)
    assert not restored.compiled
    assert restored.optimizer is None


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    model = arch.BUILDERS[name](keras)
    config = keras.saving.serialize_keras_object(model)
    rebuilt = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert type(rebuilt).__name__ == type(model).__name__
    assert json.dumps(keras.saving.serialize_keras_object(rebuilt)) == json.dumps(config)
    rebuilt.set_weights(model.get_weights())
    x = model_inputs(name)
    for got, want in zip(predictions(rebuilt, x), predictions(model, x)):
        np.testing.assert_array_equal(got, want)


def test_to_json_and_model_from_json():
    model = arch.nested(keras)
    text = saving_api.model_to_json(model, indent=1)
    assert json.loads(text)["class_name"] == "Functional"
    rebuilt = saving_api.model_from_json(text)
    assert saving_api.model_to_json(rebuilt, indent=1) == text
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]


@pytest.mark.parametrize("name", ["seq_mlp", "two_io", "nested", "subclassed"])
def test_clone_model_same_architecture_new_weights(name):
    model = arch.BUILDERS[name](keras)
    clone = saving_api.clone_model(model)
    assert json.dumps(keras.saving.serialize_keras_object(clone)) == json.dumps(
        keras.saving.serialize_keras_object(model)
    )
    originals = {id(w) for w in model.weights}
    assert not any(id(w) in originals for w in clone.weights)
    kernels = [(w, c) for w, c in zip(model.weights, clone.weights) if w.numpy().ndim == 2]
    assert any(not np.array_equal(w.numpy(), c.numpy()) for w, c in kernels)
    clone.set_weights(model.get_weights())
    x = model_inputs(name)
    for got, want in zip(predictions(clone, x), predictions(model, x)):
        np.testing.assert_array_equal(got, want)


def test_clone_model_keeps_shared_layers_shared_and_can_reuse_layers():
    model = arch.nested(keras)
    clone = saving_api.clone_model(model)
    sub = [layer for layer in clone.layers if layer.name == "sub"]
    assert len(sub) == 1 and len(sub[0]._inbound_nodes) == 2
    same = saving_api.clone_model(model, clone_function=lambda layer: layer)
    assert {id(w) for w in same.weights} == {id(w) for w in model.weights}


@pytest.mark.parametrize("fmt", ["weights", "keras"])
def test_optimizer_state_round_trip_continues_training_exactly(tmp_path, fmt):
    """Stop, save, load into a fresh model, continue: the same weights as never stopping."""
    batches = train_batches("two_io", 5, seed=3)
    model = arch.two_io(keras)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=["categorical_crossentropy", "mse"])
    for x, y in batches[:3]:
        model.train_on_batch(x, y)
    path = str(tmp_path / ("state.weights.h5" if fmt == "weights" else "state.keras"))
    if fmt == "weights":
        saving_api.save_weights(model, path)
        resumed = arch.two_io(keras)
        resumed.compile(
            optimizer=keras.optimizers.Adam(0.01), loss=["categorical_crossentropy", "mse"]
        )
        saving_api.load_weights(resumed, path)
    else:
        saving_api.save_model(model, path)
        resumed = keras.saving.load_model(path)
    for x, y in batches[3:]:
        model.train_on_batch(x, y)
        resumed.train_on_batch(x, y)
    for got, want in zip(weights_of(resumed), weights_of(model)):
        np.testing.assert_array_equal(got, want)
    assert int(resumed.optimizer.iterations.numpy()) == 5


def test_directory_format_round_trip(tmp_path):
    model = arch.batchnorm(keras)
    target = str(tmp_path / "saved_model")
    saving_api.save_model(model, target, zipped=False)
    assert sorted(os.listdir(target)) == ["config.json", "metadata.json", "model.weights.h5"]
    restored = keras.saving.load_model(target)
    x = model_inputs("batchnorm")
    np.testing.assert_array_equal(predictions(restored, x)[0], predictions(model, x)[0])


def test_layer_shared_by_two_nested_models_is_saved_once_and_stays_shared(tmp_path):
    shared = keras.layers.Dense(3, name="shared")
    first = keras.Sequential([keras.Input((3,)), shared], name="first")
    second = keras.Sequential([keras.Input((3,)), shared, keras.layers.Dense(3)], name="second")
    inputs = keras.Input((3,), name="x")
    model = keras.Model(inputs, keras.layers.Add()([first(inputs), second(inputs)]))
    path = str(tmp_path / "shared.keras")
    saving_api.save_model(model, path)
    restored = keras.saving.load_model(path)
    assert restored.get_layer("first").layers[0] is restored.get_layer("second").layers[0]
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    weights_path = str(tmp_path / "shared.weights.h5")
    saving_api.save_weights(model, weights_path)
    paths = layout(weights_path)
    # Saved once, where the walk first meets it; in the second model it still takes the
    # name "dense", so the next Dense is "dense_1".
    assert [p for p, (name, _) in paths.items() if name == "shared"] == [
        "layers/sequential/layers/dense/vars"
    ]
    assert "layers/sequential_1/layers/dense/vars" not in paths
    assert paths["layers/sequential_1/layers/dense_1/vars"][1] == [((3, 3), "f"), ((3,), "f")]


def test_layers_with_their_own_save_and_load_hooks(tmp_path):
    class Scaled(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

        def save_own_variables(self, store):
            store["0"] = self.w.numpy() * 10.0

        def load_own_variables(self, store):
            self.w.assign(store["0"] / 10.0)

    def make():
        inputs = keras.Input((2,))
        return keras.Model(inputs, Scaled(name="scaled")(inputs))

    model = make()
    model.set_weights([np.array([0.5, 2.0], "float32")])
    path = str(tmp_path / "hooks.weights.h5")
    saving_api.save_weights(model, path)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["layers/scaled/vars/0"][()], [5.0, 20.0])
    restored = make()
    saving_api.load_weights(restored, path)
    np.testing.assert_array_equal(restored.get_weights()[0], [0.5, 2.0])


def test_objects_to_skip(tmp_path):
    model = arch.seq_mlp(keras)
    hidden = model.get_layer("hidden")
    path = str(tmp_path / "m.weights.h5")
    saving_api.save_weights(model, path, objects_to_skip=[hidden])
    assert "layers/dense/vars" not in layout(path)
    other = arch.seq_mlp(keras)
    before = other.get_layer("hidden").get_weights()
    saving_api.load_weights(other, path, objects_to_skip=[other.get_layer("hidden")])
    for got, want in zip(other.get_layer("hidden").get_weights(), before):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        other.get_layer("logits").get_weights()[0], model.get_layer("logits").get_weights()[0]
    )


def _tiny_model(layer, shape, dtype="float32"):
    inputs = keras.Input(shape, dtype=dtype, name="x")
    return keras.Model(inputs, layer(inputs), name="tiny")


LAYER_CASES = [
    ("Dense", lambda L: L.Dense(3, activation="relu", kernel_regularizer="l2"), (4,)),
    ("Conv1D", lambda L: L.Conv1D(2, 3, padding="same"), (6, 2)),
    ("Conv2D", lambda L: L.Conv2D(2, 3, strides=2), (6, 6, 2)),
    ("Conv2DTranspose", lambda L: L.Conv2DTranspose(2, 2), (3, 3, 2)),
    ("DepthwiseConv2D", lambda L: L.DepthwiseConv2D(2), (4, 4, 2)),
    ("SeparableConv2D", lambda L: L.SeparableConv2D(3, 2), (4, 4, 2)),
    ("MaxPooling2D", lambda L: L.MaxPooling2D(2), (4, 4, 2)),
    ("AveragePooling1D", lambda L: L.AveragePooling1D(2), (4, 2)),
    ("GlobalAveragePooling2D", lambda L: L.GlobalAveragePooling2D(), (4, 4, 2)),
    ("BatchNormalization", lambda L: L.BatchNormalization(momentum=0.8), (4,)),
    ("LayerNormalization", lambda L: L.LayerNormalization(), (4,)),
    ("Embedding", lambda L: L.Embedding(10, 3), (5,)),
    ("Dropout", lambda L: L.Dropout(0.5), (4,)),
    ("Flatten", lambda L: L.Flatten(), (2, 3)),
    ("Reshape", lambda L: L.Reshape((3, 2)), (6,)),
    ("Permute", lambda L: L.Permute((2, 1)), (2, 3)),
    ("RepeatVector", lambda L: L.RepeatVector(2), (3,)),
    ("ZeroPadding2D", lambda L: L.ZeroPadding2D(1), (2, 2, 1)),
    ("Cropping1D", lambda L: L.Cropping1D(1), (4, 2)),
    ("UpSampling2D", lambda L: L.UpSampling2D(2), (2, 2, 1)),
    ("Activation", lambda L: L.Activation("tanh"), (4,)),
    ("ReLU", lambda L: L.ReLU(max_value=2.0), (4,)),
    ("LeakyReLU", lambda L: L.LeakyReLU(negative_slope=0.2), (4,)),
    ("PReLU", lambda L: L.PReLU(), (4,)),
    ("ELU", lambda L: L.ELU(), (4,)),
    ("Softmax", lambda L: L.Softmax(), (4,)),
    ("GaussianNoise", lambda L: L.GaussianNoise(0.1), (4,)),
    ("Rescaling", lambda L: L.Rescaling(0.5, offset=1.0), (4,)),
    ("Identity", lambda L: L.Identity(), (4,)),
]


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_round_trips_through_keras_file(tmp_path, case):
    _, make, shape = case
    dtype = "int32" if case[0] == "Embedding" else "float32"
    model = _tiny_model(make(keras.layers), shape, dtype)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, (2, *shape)) if dtype == "int32" else rng.standard_normal((2, *shape))
    x = x.astype(dtype)
    # Make every weight non-default, so a weight that does not load shows up.
    model.set_weights([w + 0.25 for w in model.get_weights()])
    path = str(tmp_path / "layer.keras")
    saving_api.save_model(model, path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.layers[-1].get_config() == model.layers[-1].get_config()


def test_merge_layers_round_trip(tmp_path):
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    merged = [
        keras.layers.Add()([a, b]),
        keras.layers.Subtract()([a, b]),
        keras.layers.Multiply()([a, b]),
        keras.layers.Average()([a, b]),
        keras.layers.Maximum()([a, b]),
        keras.layers.Minimum()([a, b]),
        keras.layers.Dot(axes=1)([a, b]),
    ]
    model = keras.Model({"a": a, "b": b}, keras.layers.Concatenate()(merged), name="merges")
    path = str(tmp_path / "merges.keras")
    saving_api.save_model(model, path)
    restored = keras.saving.load_model(path)
    rng = np.random.default_rng(1)
    x = {
        "a": rng.standard_normal((2, 3)).astype("float32"),
        "b": rng.standard_normal((2, 3)).astype("float32"),
    }
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


# -- strict loading -------------------------------------------------------------------------------
def _wider_mlp(hidden=9, logits=3):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(hidden, name="hidden"),
            keras.layers.Dense(logits, name="logits"),
        ]
    )


def test_mismatch_lists_every_path_with_counts_and_shapes_and_loads_nothing(tmp_path):
    model = _wider_mlp()
    before = weights_of(model)
    with pytest.raises(ValueError) as info:
        saving_api.load_weights(model, fixture_file(tmp_path, "seq_mlp.weights.h5"))
    message = str(info.value)
    assert "2 path(s) do not match" in message
    assert "layers/dense (Dense 'hidden'): the model expects 2 variable(s) with shapes " in message
    assert "[(4, 9), (9,)]" in message and "[(4, 8), (8,)]" in message
    assert "layers/dense_1 (Dense 'logits')" in message
    assert "[(9, 3), (3,)]" in message and "[(8, 3), (3,)]" in message
    for got, want in zip(weights_of(model), before):
        np.testing.assert_array_equal(got, want)


def test_missing_group_and_unused_group_are_reported(tmp_path):
    path = fixture_file(tmp_path, "seq_mlp.weights.h5")
    with h5py.File(path, "a") as f:
        del f["layers/dense_1"]
    with pytest.raises(ValueError, match=r"layers/dense_1 \(Dense 'logits'\): missing from"):
        saving_api.load_weights(arch.seq_mlp(keras), path)
    bigger = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(3), keras.layers.Dense(2)]
    )
    with pytest.raises(ValueError) as info:
        saving_api.load_weights(bigger, fixture_file(tmp_path, "two_io.weights.h5"))
    message = str(info.value)
    assert "layers/dense_2" in message
    assert "layers/input_layer_1" not in message  # empty groups are not weights
    assert "layers/dense_4: " in message and "but the model has no layer at this path" in message


def test_skip_mismatch_loads_the_rest_and_warns_per_layer(tmp_path):
    model = _wider_mlp(hidden=8, logits=5)
    logits_before = model.layers[1].get_weights()
    with pytest.warns(UserWarning) as record:
        saving_api.load_weights(
            model, fixture_file(tmp_path, "seq_mlp.weights.h5"), skip_mismatch=True
        )
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and "layers/dense_1 (Dense 'logits')" in messages[0]
    with h5py.File(fixture_file(tmp_path, "seq_mlp.weights.h5"), "r") as f:
        np.testing.assert_array_equal(
            model.layers[0].get_weights()[0], f["layers/dense/vars/0"][()]
        )
    for got, want in zip(model.layers[1].get_weights(), logits_before):
        np.testing.assert_array_equal(got, want)


def test_unbuilt_model_cannot_save_or_load(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not been built"):
        saving_api.save_weights(model, str(tmp_path / "m.weights.h5"))
    with pytest.raises(ValueError, match="not been built"):
        saving_api.load_weights(model, fixture_file(tmp_path, "seq_mlp.weights.h5"))


def test_unbuilt_sublayer_is_reported_not_silently_skipped(tmp_path):
    """Keras loads nothing into sublayers its build() did not create; minikeras says so."""
    model = arch.two_tower_class(keras)(units=4, name="two_tower")
    model.built = True  # claims to be built, but no sublayer has weights
    with pytest.raises(ValueError, match="The layer is not built"):
        saving_api.load_weights(model, fixture_file(tmp_path, "subclassed.weights.h5"))


# -- bad files ----------------------------------------------------------------------------------
def test_truncated_weights_file(tmp_path):
    path = fixture_file(tmp_path, "seq_mlp.weights.h5")
    data = Path(path).read_bytes()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) // 2])
    with pytest.raises(OSError, match="not a valid HDF5 file"):
        saving_api.load_weights(arch.seq_mlp(keras), path)


def test_not_an_hdf5_file(tmp_path):
    path = tmp_path / "notes.weights.h5"
    path.write_text("these are not weights")
    with pytest.raises(OSError, match="not a valid HDF5 file"):
        saving_api.load_weights(arch.seq_mlp(keras), str(path))


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        saving_api.load_weights(arch.seq_mlp(keras), str(tmp_path / "absent.weights.h5"))
    with pytest.raises(FileNotFoundError):
        keras.saving.load_model(str(tmp_path / "absent.keras"))


def test_truncated_and_incomplete_keras_archives(tmp_path):
    path = fixture_file(tmp_path, "seq_mlp.keras")
    data = Path(path).read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match=r"not a valid \.keras file"):
        keras.saving.load_model(str(truncated))
    incomplete = tmp_path / "incomplete.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(incomplete, "w") as target:
        target.writestr("config.json", source.read("config.json"))
    with pytest.raises(ValueError, match=r"has no 'model\.weights\.h5'"):
        keras.saving.load_model(str(incomplete))
    with zipfile.ZipFile(tmp_path / "no_config.keras", "w") as target:
        target.writestr("metadata.json", "{}")
    with pytest.raises(ValueError, match=r"has no 'config\.json'"):
        keras.saving.load_model(str(tmp_path / "no_config.keras"))


def test_dataset_names_and_link_checks(tmp_path):
    path = fixture_file(tmp_path, "seq_mlp.weights.h5")
    with h5py.File(path, "a") as f:
        f["layers/dense/vars"].move("1", "bias")
    with pytest.raises(ValueError, match=r"should hold datasets named 0\.\.1"):
        saving_api.load_weights(arch.seq_mlp(keras), path)
    path = fixture_file(tmp_path, "seq_mlp.weights.h5")
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars"]
        f["layers/dense/vars"] = h5py.SoftLink("/layers/dense_1/vars")
    with pytest.raises(ValueError, match="Not allowed"):
        saving_api.load_weights(arch.seq_mlp(keras), path)


def test_file_name_suffixes(tmp_path):
    model = arch.seq_mlp(keras)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        saving_api.save_weights(model, str(tmp_path / "m.h5"))
    with pytest.raises(ValueError, match=r"\.keras"):
        saving_api.save_model(model, str(tmp_path / "m.txt"))
    with pytest.raises(ValueError, match="not supported"):
        saving_api.load_weights(model, str(tmp_path / "m.txt"))
    keras2 = fixture_file(tmp_path, "legacy_keras2_seq_mlp.h5")
    renamed = str(tmp_path / "legacy.weights.h5")
    os.replace(keras2, renamed)
    with pytest.raises(ValueError, match="legacy Keras 2 weights file"):
        saving_api.load_weights(model, renamed)


def test_overwrite_false(tmp_path):
    model = arch.seq_mlp(keras)
    path = str(tmp_path / "m.weights.h5")
    saving_api.save_weights(model, path)
    with pytest.raises(FileExistsError):
        saving_api.save_weights(model, path, overwrite=False)


# -- atomic writes ----------------------------------------------------------------------------
def _fail_on_second_object(monkeypatch):
    original = saving_lib._write_object
    calls = []

    def failing(group, values):
        calls.append(group.name)
        if len(calls) == 2:
            raise RuntimeError("disk failure in the middle of the write")
        original(group, values)

    monkeypatch.setattr(saving_lib, "_write_object", failing)
    return calls


@pytest.mark.parametrize("filename", ["m.weights.h5", "m.keras"])
def test_failed_write_leaves_previous_file_intact(tmp_path, monkeypatch, filename):
    model = arch.batchnorm(keras)
    path = str(tmp_path / filename)
    if filename.endswith(".weights.h5"):
        saving_api.save_weights(model, path)
    else:
        saving_api.save_model(model, path)
    before = Path(path).read_bytes()
    model.set_weights([w + 1.0 for w in model.get_weights()])
    calls = _fail_on_second_object(monkeypatch)
    with pytest.raises(RuntimeError, match="disk failure"):
        if filename.endswith(".weights.h5"):
            saving_api.save_weights(model, path)
        else:
            saving_api.save_model(model, path)
    assert len(calls) == 2
    assert Path(path).read_bytes() == before
    assert os.listdir(tmp_path) == [filename]  # no temporary file left behind


def test_failure_while_zipping_leaves_previous_file_intact(tmp_path, monkeypatch):
    model = arch.seq_mlp(keras)
    path = str(tmp_path / "m.keras")
    saving_api.save_model(model, path)
    before = Path(path).read_bytes()

    def failing(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", failing)
    with pytest.raises(OSError, match="no space left"):
        saving_api.save_model(model, path)
    assert Path(path).read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


def test_written_file_has_ordinary_permissions(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    saving_api.save_weights(arch.seq_mlp(keras), path)
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


# -- safe loading ---------------------------------------------------------------------------------
def test_keras_lambda_is_refused_in_safe_mode_without_touching_its_code(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("bytecode from the file was loaded")

    monkeypatch.setattr(serialization, "function_load", never)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(fixture_file(tmp_path, "lambda_model.keras"))


def test_lambda_is_restored_only_with_safe_mode_false(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Lambda(lambda x: x * 3.0 + 1.0, name="affine")]
    )
    path = str(tmp_path / "lambda.keras")
    saving_api.save_model(model, path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(path)
    restored = keras.saving.load_model(path, safe_mode=False)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), x * 3.0 + 1.0)


def test_configs_never_import_modules_or_reach_non_keras_objects():
    for config in (
        {"module": "os", "class_name": "system", "config": {}, "registered_name": None},
        {"module": "subprocess", "class_name": "Popen", "config": {}},
        {"module": "keras.layers", "class_name": "__class__", "config": {}},
    ):
        with pytest.raises(TypeError, match="Could not locate class"):
            keras.saving.deserialize_keras_object(config)
    with pytest.raises(TypeError, match="Could not locate function"):
        keras.saving.deserialize_keras_object(
            {"module": "os", "class_name": "function", "config": "system", "registered_name": None}
        )
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.deserialize_keras_object(
            {"class_name": "__lambda__", "config": {"value": ["", None, None]}}
        )


# -- custom objects -------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="tests")
class ScaleLayer(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class UnregisteredScale(ScaleLayer):
    pass


def cube(x):
    return x * x * x


def test_register_keras_serializable_names():
    assert keras.saving.get_registered_name(ScaleLayer) == "tests>ScaleLayer"
    assert keras.saving.get_registered_object("tests>ScaleLayer") is ScaleLayer
    assert keras.saving.get_registered_name(UnregisteredScale) == "UnregisteredScale"
    assert keras.saving.get_registered_object("UnregisteredScale") is None
    config = keras.saving.serialize_keras_object(ScaleLayer(3.0, name="s"))
    assert config["registered_name"] == "tests>ScaleLayer"
    assert config["module"] == __name__
    with pytest.raises(ValueError, match="get_config"):
        keras.saving.register_keras_serializable()(type("NoConfig", (), {}))


def test_registered_layer_loads_without_custom_objects(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, ScaleLayer(1.5, name="scale")(inputs))
    model.set_weights([np.array([1.0, 2.0, 3.0], "float32")])
    path = str(tmp_path / "m.keras")
    saving_api.save_model(model, path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored.layers[-1], ScaleLayer)
    x = np.ones((1, 3), "float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), [[1.5, 3.0, 4.5]])


def test_unregistered_objects_need_custom_objects_or_a_scope(tmp_path):
    inputs = keras.Input((3,))
    hidden = UnregisteredScale(2.0, name="scale")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, activation=cube, name="d")(hidden))
    path = str(tmp_path / "m.keras")
    saving_api.save_model(model, path)
    with pytest.raises(TypeError, match="custom_objects"):
        keras.saving.load_model(path)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
    objects = {"UnregisteredScale": UnregisteredScale, "cube": cube}
    restored = keras.saving.load_model(path, custom_objects=objects)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    with keras.saving.custom_object_scope(objects):
        scoped = keras.saving.load_model(path)
    assert scoped.layers[-1].activation is cube
    with pytest.raises(TypeError):
        keras.saving.load_model(path)  # the scope has ended


# -- configs of other objects ----------------------------------------------------------------
def test_special_values_round_trip():
    values = {
        "array": np.arange(6, dtype="float32").reshape(2, 3),
        "tuple": (1, 2),
        "bytes": b"abc",
        "slice": slice(1, None, 2),
        "ellipsis": Ellipsis,
        "scalar": np.float32(0.5),
    }
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(values)))
    assert config["array"]["class_name"] == "__numpy__"
    restored = keras.saving.deserialize_keras_object(config)
    np.testing.assert_array_equal(restored["array"], values["array"])
    assert restored["array"].dtype == np.float32
    assert restored["tuple"] == [1, 2]
    assert restored["bytes"] == b"abc"
    assert restored["slice"] == slice(1, None, 2)
    assert restored["ellipsis"] is Ellipsis
    assert restored["scalar"] == 0.5


def test_builtin_function_config_is_keras_form():
    # The dict Keras 3 writes for keras.activations.relu (serialize_keras_object).
    assert keras.saving.serialize_keras_object(keras.activations.relu) == {
        "module": "builtins",
        "class_name": "function",
        "config": "relu",
        "registered_name": "function",
    }
    config = keras.saving.serialize_keras_object(keras.losses.mean_squared_error)
    assert keras.saving.deserialize_keras_object(config) is keras.losses.mean_squared_error


@pytest.mark.parametrize(
    "make, module",
    [
        (lambda: keras.optimizers.Adam(0.02, beta_1=0.8), "keras.optimizers"),
        (
            lambda: keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
            "keras.optimizers",
        ),
        (lambda: keras.optimizers.schedules.CosineDecay(0.1, 100), "keras.optimizers.schedules"),
        (lambda: keras.losses.CategoricalCrossentropy(from_logits=True), "keras.losses"),
        (lambda: keras.metrics.Mean(name="m"), "keras.metrics"),
        (lambda: keras.metrics.AUC(num_thresholds=50), "keras.metrics"),
        (lambda: keras.initializers.GlorotUniform(seed=1), "keras.initializers"),
        (lambda: keras.regularizers.L2(0.1), "keras.regularizers"),
        (lambda: keras.constraints.MaxNorm(2.0), "keras.constraints"),
    ],
)
def test_builtin_objects_round_trip(make, module):
    obj = make()
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))
    assert config["module"] == module
    assert config["class_name"] == type(obj).__name__
    assert config["registered_name"] is None
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(obj)
    assert json.dumps(keras.saving.serialize_keras_object(restored)) == json.dumps(config)


def test_keras_dtype_policy_and_keras_only_arguments_are_understood():
    config = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "name": "d",
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "float32"},
            },
            "units": 2,
            "quantization_config": None,
        },
        "registered_name": None,
    }
    layer = keras.saving.deserialize_keras_object(config)
    assert (layer.units, layer.dtype) == (2, "float32")
    config["config"]["quantization_config"] = {"mode": "int8"}
    with pytest.raises(NotImplementedError, match="quantization_config"):  # no quantization
        keras.saving.deserialize_keras_object(config)
    config["config"]["quantization_config"] = None
    config["config"]["dtype"]["config"]["name"] = "mixed_float16"
    with pytest.raises(ValueError, match="mixed_float16"):
        keras.saving.deserialize_keras_object(config)


# -- legacy .h5 -------------------------------------------------------------------------------
def test_legacy_model_file_loads_with_optimizer_state(tmp_path):
    model = keras.saving.load_model(fixture_file(tmp_path, "legacy_batchnorm.h5"))
    assert_predicts(model, "batchnorm", "legacy_batchnorm/y")
    assert model.compiled
    assert type(model.optimizer).__name__ == "RMSprop"
    assert int(model.optimizer.iterations.numpy()) == 3


def test_legacy_functional_model_file_loads(tmp_path):
    model = keras.saving.load_model(fixture_file(tmp_path, "legacy_two_io.h5"), compile=False)
    assert_predicts(model, "two_io", "legacy_two_io/y")


def test_legacy_weights_by_order_and_by_name(tmp_path):
    path = fixture_file(tmp_path, "legacy_two_io.h5")
    model = arch.two_io(keras)
    saving_api.load_weights(model, path)
    assert_predicts(model, "two_io", "legacy_two_io/y")
    renamed = arch.two_io(keras)
    trunk = renamed.get_layer("trunk")
    trunk.name = "other_trunk"
    before = trunk.get_weights()
    saving_api.load_weights(renamed, path, by_name=True)
    for got, want in zip(trunk.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    for layer_name in ("dense_a", "class_out"):
        for got, want in zip(
            renamed.get_layer(layer_name).get_weights(), model.get_layer(layer_name).get_weights()
        ):
            np.testing.assert_array_equal(got, want)


def test_keras2_weights_file_with_scoped_names(tmp_path):
    model = arch.seq_mlp(keras)
    saving_api.load_weights(model, fixture_file(tmp_path, "legacy_keras2_seq_mlp.h5"))
    for got, want in zip(weights_of(model), expected_arrays("legacy_keras2_seq_mlp/w")):
        np.testing.assert_array_equal(got, want)


def test_legacy_mismatches_are_listed(tmp_path):
    path = fixture_file(tmp_path, "legacy_keras2_seq_mlp.h5")
    with pytest.raises(ValueError, match="Layer count mismatch"):
        saving_api.load_weights(arch.batchnorm(keras), path)
    model = _wider_mlp(hidden=9, logits=4)
    with pytest.raises(ValueError) as info:
        saving_api.load_weights(model, path)
    assert "2 layer(s) do not match" in str(info.value)
    with pytest.warns(UserWarning, match="Skipping weights"):
        saving_api.load_weights(_wider_mlp(hidden=8, logits=4), path, skip_mismatch=True)
    with pytest.raises(ValueError, match="only applies to legacy"):
        saving_api.load_weights(model, fixture_file(tmp_path, "seq_mlp.weights.h5"), by_name=True)
    assert legacy_h5.read_attribute_list(h5py.File(path, "r"), "layer_names") == [
        "hidden",
        "logits",
    ]


# -- imports ----------------------------------------------------------------------------------
def test_importing_saving_does_not_import_h5py():
    code = "import sys, minikeras, minikeras.saving; print('h5py' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
