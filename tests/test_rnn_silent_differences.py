"""Recurrent layers and wrappers where minikeras used to differ from Keras 3 without a word:
`unroll=True` with a mask; TimeDistributed around a layer built before it was wrapped; the
build config of a layer built by calling `build`. Reference numbers from real Keras
(tests/fixtures/rnn_silent.json, rnn_silent_time_distributed.weights.h5.gz and
rnn_silent_built_by_hand.keras.gz, written by tests/fixtures/generate_rnn_silent.py).
"""

import gzip
import json
import os
import shutil
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.layer_test_helper import check_layer_gradients

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "rnn_silent.json")) as handle:
    KERAS = json.load(handle)


def _f32(values):
    return np.asarray(values, dtype=np.float32)


def _make(class_name, config, dtype=None):
    if class_name == "stacked":
        cells = [layers.SimpleRNNCell(3, dtype=dtype), layers.GRUCell(2, dtype=dtype)]
        return layers.RNN(layers.StackedRNNCells(cells, dtype=dtype), dtype=dtype, **config)
    return getattr(layers, class_name)(dtype=dtype, **config)


def _nested_states(case, states):
    return [[states[0]], [states[1]]] if case["class_name"] == "stacked" else states


def _flat(outputs):
    flat = []
    for output in outputs:
        flat.extend(output if isinstance(output, (list, tuple)) else [output])
    return flat


# -- 1. unroll=True with a mask ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(KERAS["unroll"]))
def test_unrolled_masked_recurrent_layer_matches_keras(name):
    case = KERAS["unroll"][name]
    x = _f32(case["input"])
    layer = _make(case["class_name"], case["config"])
    layer.build(x.shape)
    layer.set_weights([_f32(w) for w in case["weights"]])
    states = _nested_states(case, [_f32(s) for s in case["states"]])
    outputs = _flat(layer(x, initial_state=states, mask=np.asarray(case["mask"])))
    assert len(outputs) == len(case["outputs"])
    for output, expected in zip(outputs, case["outputs"], strict=True):
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), _f32(expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(n for n in KERAS["unroll"] if n.endswith("zero1")))
def test_unrolled_zero_output_for_mask_gives_zeros_as_the_scanned_loop(name):
    # Keras on JAX ignores `zero_output_for_mask` when unrolled; its docs, its TensorFlow
    # backend and the ConvLSTM layers here give zeros (README, "Deliberate differences").
    case = KERAS["unroll"][name]
    x = _f32(case["input"])
    layer = _make(case["class_name"], {**case["config"], "unroll": True})
    layer.build(x.shape)
    layer.set_weights([_f32(w) for w in case["weights"]])
    states = _nested_states(case, [_f32(s) for s in case["states"]])
    outputs = _flat(layer(x, initial_state=states, mask=np.asarray(case["mask"])))
    for output, expected in zip(outputs, case["outputs"], strict=True):
        np.testing.assert_allclose(output.numpy(), _f32(expected), rtol=1e-5, atol=1e-6)


def test_unrolled_and_scanned_loops_differ_only_before_the_first_unmasked_timestep():
    x, h = np.ones((2, 4, 2), np.float32), np.full((2, 3), 0.5, np.float32)
    mask = np.array([[False, True, False, True], [True, True, True, True]])
    outputs = {}
    for unroll in (False, True):
        layer = layers.GRU(3, return_sequences=True, unroll=unroll)
        layer.build(x.shape)
        layer.set_weights([np.full(w.shape, 0.1, np.float32) for w in layer.weights])
        outputs[unroll] = layer(x, initial_state=[h], mask=mask).numpy()
    np.testing.assert_array_equal(outputs[False][0, 0], h[0])
    np.testing.assert_array_equal(outputs[True][0, 0], np.zeros(3, np.float32))
    np.testing.assert_array_equal(outputs[False][:, 1:], outputs[True][:, 1:])
    np.testing.assert_array_equal(outputs[False][1], outputs[True][1])


class _WithStates(layers.Layer):
    """Calls `rnn` with a fixed mask and initial states held as weights (so the finite
    difference check perturbs the input, the states and the recurrent layer's weights)."""

    def __init__(self, rnn, sizes, mask, **kwargs):
        super().__init__(**kwargs)
        self.rnn, self.sizes, self.mask = rnn, sizes, mask

    def build(self, input_shape):
        batch = input_shape[0]
        self.initial = [
            self.add_weight(shape=(batch, size), initializer="random_normal", name=f"state{k}")
            for k, size in enumerate(self.sizes)
        ]

    def call(self, x):
        states = list(self.initial)
        if isinstance(self.rnn.cell, layers.StackedRNNCells):
            states = [[state] for state in states]
        return self.rnn(x, initial_state=states, mask=self.mask)


@pytest.mark.parametrize(
    ("class_name", "config", "sizes"),
    [
        ("SimpleRNN", {"units": 2, "return_sequences": True}, [2]),
        ("LSTM", {"units": 2, "go_backwards": True}, [2, 2]),
        ("GRU", {"units": 2, "return_sequences": True, "go_backwards": True}, [2]),
        ("GRU", {"units": 2, "reset_after": False}, [2]),
        ("stacked", {"return_sequences": True}, [3, 2]),
    ],
)
def test_unrolled_masked_recurrent_layer_gradients_match_finite_differences(
    class_name, config, sizes
):
    mask = np.array([[False, True, False, True], [False, False, False, False]])
    rnn = _make(class_name, {**config, "unroll": True}, dtype="float64")
    layer = _WithStates(rnn, sizes, mask, dtype="float64")
    data = np.random.default_rng(5).standard_normal((2, 4, 3))
    check_layer_gradients(layer, data)


# -- 2. TimeDistributed around a layer built before it was wrapped ----------------------------
TIMED = KERAS["prebuilt_time_distributed"]


def _prebuilt_time_distributed_model():
    keras.utils.clear_session()
    dense = layers.Dense(3, name="dense")
    dense.build((None, 4))
    inputs = keras.Input((5, 4))
    return keras.Model(inputs, layers.TimeDistributed(dense, name="time_distributed")(inputs))


def _h5_listing(path):
    entries = []
    with h5py.File(path, "r") as handle:
        handle.visititems(
            lambda name, item: entries.append([name, list(getattr(item, "shape", []))])
        )
    return sorted(entries)


def test_time_distributed_leaves_the_paths_of_a_prebuilt_layer_unnested_as_keras():
    model = _prebuilt_time_distributed_model()
    assert [w.path for w in model.weights] == TIMED["paths"]
    model.set_weights([_f32(w) for w in TIMED["weights"]])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.train_on_batch(_f32(TIMED["x"]), _f32(TIMED["y"]))
    assert [v.path for v in model.optimizer.variables] == TIMED["optimizer_paths"]


def test_time_distributed_around_a_prebuilt_layer_loads_the_weights_keras_saved(tmp_path):
    keras_file = tmp_path / "keras.weights.h5"
    with gzip.open(os.path.join(FIXTURES, "rnn_silent_time_distributed.weights.h5.gz")) as source:
        with open(keras_file, "wb") as target:
            shutil.copyfileobj(source, target)
    model = _prebuilt_time_distributed_model()
    model.load_weights(keras_file)
    for weight, expected in zip(model.get_weights(), TIMED["weights"], strict=True):
        np.testing.assert_array_equal(weight, _f32(expected))
    np.testing.assert_allclose(
        model.predict(_f32(TIMED["x"]), verbose=0), _f32(TIMED["predictions"]), 1e-6, 1e-6
    )
    # And the file minikeras writes has Keras's layout (so Keras loads it).
    ours = tmp_path / "ours.weights.h5"
    model.save_weights(ours)
    assert _h5_listing(ours) == TIMED["h5_listing"]


# -- 3. build configs of layers built by calling `build` --------------------------------------
BY_HAND = KERAS["built_by_hand"]


def _built_by_hand_model():
    keras.utils.clear_session()
    lstm = layers.LSTM(2, return_sequences=True, name="lstm")
    lstm.build((None, 5, 3))
    dense = layers.Dense(3, name="dense")
    dense.build((None, 2))
    inputs = keras.Input((5, 3), name="sequence")
    return keras.Model(inputs, dense(lstm(inputs)), name="model"), lstm, dense


def test_build_called_by_hand_records_the_build_config_as_keras():
    assert layers.Dense(3).get_build_config() == BY_HAND["unbuilt_build_config"]
    _, lstm, dense = _built_by_hand_model()
    assert lstm.get_build_config() == BY_HAND["lstm_build_config"]
    assert lstm.cell.get_build_config() == BY_HAND["cell_build_config"]
    assert dense.get_build_config() == BY_HAND["dense_build_config"]
    assert dense.built and lstm.built


def test_model_of_layers_built_by_hand_saves_their_build_configs_and_reloads(tmp_path):
    model, _, _ = _built_by_hand_model()
    model.set_weights([_f32(w) for w in BY_HAND["weights"]])
    path = tmp_path / "model.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    written = {
        layer["config"]["name"]: layer.get("build_config") for layer in config["config"]["layers"]
    }
    assert written == BY_HAND["file_build_configs"]
    reloaded = keras.saving.load_model(path)
    for weight, expected in zip(reloaded.get_weights(), BY_HAND["weights"], strict=True):
        np.testing.assert_array_equal(weight, _f32(expected))
    x = _f32(BY_HAND["x"])
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), BY_HAND["predictions"], 1e-5, 1e-6)


def test_keras_file_of_layers_built_by_hand_loads(tmp_path):
    path = tmp_path / "keras.keras"
    with gzip.open(os.path.join(FIXTURES, "rnn_silent_built_by_hand.keras.gz")) as source:
        with open(path, "wb") as target:
            shutil.copyfileobj(source, target)
    model = keras.saving.load_model(path)
    for layer in model.layers[1:]:
        assert layer.get_build_config() == BY_HAND["file_build_configs"][layer.name]
    x = _f32(BY_HAND["x"])
    np.testing.assert_allclose(model.predict(x, verbose=0), BY_HAND["predictions"], 1e-5, 1e-6)


def test_a_layer_built_by_its_build_config_records_it_again():
    dense = layers.Dense(3)
    dense.build_from_config({"input_shape": [None, 4]})
    assert dense.built and [tuple(w.shape) for w in dense.weights] == [(4, 3), (3,)]
    assert dense.get_build_config() == {"input_shape": [None, 4]}
