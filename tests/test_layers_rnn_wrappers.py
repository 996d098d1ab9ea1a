"""Bidirectional, TimeDistributed, StackedRNNCells and `RNN([cell, cell])`: values, gradients,
configs and saved files against real Keras (tests/fixtures/rnn_wrappers.json and
rnn_wrappers_model.weights.h5.gz, written by tests/fixtures/generate_rnn_wrappers.py),
finite-difference checks, the shared layer checks, and argument errors.
"""

import gzip
import json
import os
import shutil

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from minikeras.layers.rnn import fused
from minikeras.saving import deserialize_keras_object, serialize_keras_object
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "rnn_wrappers.json")) as _handle:
    DATA = json.load(_handle)
CASES = {case["name"]: case for case in DATA["cases"]}
RNG = np.random.default_rng(23)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def arrays(values):
    return [np.asarray(v, dtype=np.float32) for v in values]


def flat(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flat(item)]
    return [structure]


def pack(shapes, leaves):
    """Nests `leaves` as the state shapes are nested (a list of ints is a shape)."""
    iterator = iter(leaves)

    def build(node):
        if all(isinstance(d, int) for d in node):
            return next(iterator)
        return [build(item) for item in node]

    return [build(node) for node in shapes]


def normalized(config):
    """A serialized config with each dtype as its name (Keras writes a DTypePolicy dict,
    minikeras the name) and without the two keys Keras 3.15's Dense config differs in."""
    if isinstance(config, dict):
        result = {}
        for key, value in config.items():
            if key == "dtype" and isinstance(value, dict):
                value = value["config"]["name"]
            if key in ("quantization_config", "activity_regularizer") and value is None:
                continue
            result[key] = normalized(value)
        return result
    if isinstance(config, list):
        return [normalized(item) for item in config]
    return config


# -- values, gradients and configs recorded from Keras ----------------------------------------
def _without_build_configs(config):
    if isinstance(config, dict):
        return {k: _without_build_configs(v) for k, v in config.items() if k != "build_config"}
    if isinstance(config, list):
        return [_without_build_configs(item) for item in config]
    return config


def _keras_layer(case):
    # Made unbuilt and then built, as Keras's layer was when it recorded the weight paths
    # (a config with build configs builds a wrapped layer before its wrapper, and Keras
    # then leaves its paths unnested: see the test of `loaded_weight_paths` below).
    layer = deserialize_keras_object(_without_build_configs(case["layer"]))
    x = np.asarray(case["input"], dtype=np.float32)
    layer.build(x.shape)
    layer.set_weights(arrays(case["weights"]))
    return layer, x


@pytest.mark.parametrize("name", list(CASES))
def test_wrapper_outputs_and_gradients_match_keras(name):
    case = CASES[name]
    layer, x = _keras_layer(case)
    assert [w.path for w in layer.weights] == case["weight_paths"]
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    x = keras.Variable(x)
    states = [keras.Variable(s) for s in arrays(case["states"])]
    kwargs = {}
    if case["state_shapes"] is not None:
        kwargs["initial_state"] = pack(case["state_shapes"], states)
    with keras.GradientTape() as tape:
        outputs = flat(layer(x, **kwargs))
        loss = 0.0
        for output, projection in zip(outputs, arrays(case["projections"]), strict=True):
            loss = loss + ops.sum(output * projection)
    for output, expected in zip(outputs, arrays(case["outputs"]), strict=True):
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), expected, rtol=1e-5, atol=1e-6)
    gradients = tape.gradient(loss, [*layer.trainable_weights, x, *states])
    expected = [
        *arrays(case["grad_weights"]),
        np.asarray(case["grad_input"], np.float32),
        *arrays(case["grad_states"]),
    ]
    for gradient, reference in zip(gradients, expected, strict=True):
        assert gradient.dtype == "float32"
        np.testing.assert_allclose(gradient.numpy(), reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("time_distributed")])
def test_time_distributed_from_a_keras_config_keeps_the_built_layer_paths_as_keras(name):
    # Deserializing builds the wrapped layer from its build config before the wrapper
    # builds: Keras then does not nest its weight paths under the wrapper's name.
    case = CASES[name]
    layer = deserialize_keras_object(case["layer"])
    layer.build(tuple(np.shape(case["input"])))
    assert [w.path for w in layer.weights] == case["loaded_weight_paths"]


@pytest.mark.parametrize("name", list(CASES))
def test_wrapper_config_written_by_keras_round_trips(name):
    case = CASES[name]
    layer = deserialize_keras_object(case["layer"])
    ours = json.loads(json.dumps(serialize_keras_object(layer)))
    assert normalized(ours) == normalized(case["layer"])
    restored = type(layer).from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()


def _model():
    return keras.Sequential(
        [
            keras.Input((5, 3)),
            layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
            layers.TimeDistributed(layers.Dense(4)),
            layers.RNN([layers.GRUCell(3), layers.LSTMCell(2)]),
            layers.Dense(2),
        ]
    )


def _keras_weights_file(tmp_path):
    path = tmp_path / "keras_wrappers.weights.h5"
    with gzip.open(os.path.join(FIXTURES, "rnn_wrappers_model.weights.h5.gz"), "rb") as source:
        with open(path, "wb") as target:
            shutil.copyfileobj(source, target)
    return str(path)


def _h5_listing(path):
    names = []
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, item: names.append((name, getattr(item, "shape", None))))
    return sorted(names)


def test_weights_file_written_by_keras_loads_and_predicts_the_same(tmp_path):
    model = _model()
    model.load_weights(_keras_weights_file(tmp_path))
    x = np.asarray(DATA["model"]["input"], np.float32)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), DATA["model"]["predictions"], rtol=1e-5, atol=1e-6
    )


def test_weights_file_layout_equals_keras_layout(tmp_path):
    keras_file = _keras_weights_file(tmp_path)
    model = _model()
    model.load_weights(keras_file)
    ours = str(tmp_path / "ours.weights.h5")
    model.save_weights(ours)
    listing = _h5_listing(ours)
    assert ("layers/bidirectional/backward_layer/cell/vars/1", (3, 12)) in listing
    assert ("layers/rnn/cell/cells/lstm_cell/vars/0", (3, 8)) in listing
    assert ("layers/time_distributed/layer/vars/0", (6, 4)) in listing
    assert listing == _h5_listing(keras_file)


def test_fit_of_a_model_with_wrappers_matches_keras():
    case = DATA["fit"]
    model = _model()
    model.set_weights(arrays(case["weights"]))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    x, y = np.asarray(case["x"], np.float32), np.asarray(case["y"], np.float32)
    history = model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-4)
    for weight, expected in zip(model.weights, arrays(case["weights_after"]), strict=True):
        np.testing.assert_allclose(weight.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_model_config_written_by_keras_rebuilds_the_same_model(tmp_path):
    model = deserialize_keras_object(DATA["model"]["config"])
    model.load_weights(_keras_weights_file(tmp_path))
    x = np.asarray(DATA["model"]["input"], np.float32)
    # Keras recorded the paths of a model that built its layers itself (a config without
    # build configs does that too): the model's name comes first ("sequential/...").
    built_by_the_model = deserialize_keras_object(_without_build_configs(DATA["model"]["config"]))
    assert [w.path for w in built_by_the_model.weights] == DATA["model"]["weight_paths"]
    np.testing.assert_allclose(
        model.predict(x, verbose=0), DATA["model"]["predictions"], rtol=1e-5, atol=1e-6
    )


# -- gradients by finite differences (float64) -------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Bidirectional(
            layers.LSTM(2, return_sequences=True, dtype="float64"), dtype="float64"
        ),
        lambda: layers.Bidirectional(
            layers.GRU(2, dtype="float64"), merge_mode="mul", dtype="float64"
        ),
        lambda: layers.Bidirectional(
            layers.SimpleRNN(2, return_sequences=True, dtype="float64"),
            merge_mode="ave",
            dtype="float64",
        ),
        lambda: layers.TimeDistributed(layers.Dense(2, dtype="float64"), dtype="float64"),
        lambda: layers.RNN(
            [layers.LSTMCell(2, dtype="float64"), layers.GRUCell(2, dtype="float64")],
            return_sequences=True,
            go_backwards=True,
            dtype="float64",
        ),
    ],
    ids=["bidirectional_lstm", "bidirectional_gru_mul", "bidirectional_ave", "time", "stacked"],
)
def test_wrapper_gradients_match_finite_differences(make):
    check_layer_gradients(make(), RNG.standard_normal((2, 3, 2)))


# -- shared layer checks -----------------------------------------------------------------------
# Constructor arguments are made inside the test, so that collecting this module creates no
# layer (auto-names such as "lstm" depend on how many were made before).
@pytest.mark.parametrize(
    ("cls", "make_kwargs", "output_shape", "trainable"),
    [
        (layers.Bidirectional, lambda: {"layer": layers.LSTM(3)}, (2, 6), 6),
        (
            layers.Bidirectional,
            lambda: {"layer": layers.GRU(3, return_sequences=True), "merge_mode": "sum"},
            (2, 4, 3),
            6,
        ),
        (
            layers.Bidirectional,
            lambda: {
                "layer": layers.LSTM(2, return_sequences=True),
                "backward_layer": layers.SimpleRNN(2, return_sequences=True, go_backwards=True),
            },
            (2, 4, 4),
            6,
        ),
        (layers.TimeDistributed, lambda: {"layer": layers.Dense(3)}, (2, 4, 3), 2),
        (layers.RNN, lambda: {"cell": [layers.LSTMCell(3), layers.GRUCell(2)]}, (2, 2), 6),
        (
            layers.RNN,
            lambda: {
                "cell": layers.StackedRNNCells([layers.SimpleRNNCell(2), layers.SimpleRNNCell(3)]),
                "return_sequences": True,
            },
            (2, 4, 3),
            6,
        ),
    ],
    ids=[
        "bidirectional",
        "bidirectional_sum",
        "bidirectional_backward_layer",
        "time",
        "rnn_list",
        "stacked",
    ],
)
def test_wrappers_pass_layer_checks(cls, make_kwargs, output_shape, trainable):
    run_layer_test(
        cls,
        make_kwargs(),
        input_shape=(2, 4, 5),
        expected_output_shape=output_shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )


# -- Bidirectional -----------------------------------------------------------------------------
def test_bidirectional_makes_fresh_forward_and_backward_layers_named_as_keras():
    lstm = layers.LSTM(3, name="encoder")
    wrapper = layers.Bidirectional(lstm)
    assert wrapper.forward_layer is not lstm
    assert wrapper.forward_layer.name == "forward_encoder"
    assert wrapper.backward_layer.name == "backward_encoder"
    assert wrapper.backward_layer.go_backwards and not wrapper.forward_layer.go_backwards
    wrapper.build((None, 4, 2))
    assert not lstm.built  # the wrapped instance's own weights are never used


def test_bidirectional_sequence_output_is_forward_and_flipped_backward():
    x = rand(2, 5, 3)
    wrapper = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=None)
    forward, backward = wrapper(x)
    np.testing.assert_array_equal(forward.numpy(), wrapper.forward_layer(x).numpy())
    np.testing.assert_array_equal(backward.numpy(), wrapper.backward_layer(x).numpy()[:, ::-1])
    concat = layers.Bidirectional(layers.GRU(2, return_sequences=True))
    concat.build(x.shape)
    concat.set_weights(wrapper.get_weights())
    np.testing.assert_array_equal(
        concat(x).numpy(), np.concatenate([forward.numpy(), backward.numpy()], axis=-1)
    )


def test_bidirectional_splits_initial_states_between_directions():
    x = rand(2, 4, 3)
    states = [rand(2, 2) for _ in range(4)]
    wrapper = layers.Bidirectional(layers.LSTM(2, return_state=True), merge_mode="sum")
    output, h_f, c_f, h_b, c_b = wrapper(x, initial_state=states)
    _, h, c = wrapper.forward_layer(x, initial_state=states[:2])
    np.testing.assert_array_equal(h_f.numpy(), h.numpy())
    np.testing.assert_array_equal(c_f.numpy(), c.numpy())
    _, h, c = wrapper.backward_layer(x, initial_state=states[2:])
    np.testing.assert_array_equal(c_b.numpy(), c.numpy())
    np.testing.assert_allclose(output.numpy(), h_f.numpy() + h_b.numpy(), rtol=1e-6)


def test_bidirectional_in_a_functional_model_with_state_inputs():
    inputs = keras.Input((4, 3))
    states = [keras.Input((2,)) for _ in range(2)]
    wrapper = layers.Bidirectional(layers.GRU(2, return_state=True))
    output, forward_h, backward_h = wrapper(inputs, initial_state=states)
    assert tuple(output.shape) == (None, 4) and tuple(backward_h.shape) == (None, 2)
    assert tuple(forward_h.shape) == (None, 2)
    model = keras.Model([inputs, *states], [output, backward_h])
    x, h1, h2 = rand(2, 4, 3), rand(2, 2), rand(2, 2)
    got = model([x, h1, h2])
    direct = wrapper(x, initial_state=[h1, h2])
    np.testing.assert_allclose(got[0].numpy(), direct[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[1].numpy(), direct[2].numpy(), rtol=1e-6)


def test_bidirectional_weights_argument_sets_forward_then_backward_weights():
    # Keras 3 accepts `weights` and ignores it; minikeras applies it (as Keras 2 did).
    reference = layers.Bidirectional(layers.SimpleRNN(2))
    reference.build((None, 3, 4))
    values = [rand(*w.shape) for w in reference.weights]
    wrapper = layers.Bidirectional(layers.SimpleRNN(2), weights=values)
    wrapper.build((None, 3, 4))
    for weight, value in zip(wrapper.weights, values, strict=True):
        np.testing.assert_array_equal(weight.numpy(), value)


def test_bidirectional_stateful_layers_keep_and_reset_both_states():
    wrapper = layers.Bidirectional(layers.LSTM(2, stateful=True))
    x = rand(3, 4, 2)
    first = wrapper(x).numpy()
    assert len(wrapper.states) == 4
    assert not np.array_equal(wrapper(x).numpy(), first)
    wrapper.reset_states()
    np.testing.assert_allclose(wrapper(x).numpy(), first, rtol=1e-6)
    with pytest.raises(AttributeError, match="stateful"):
        layers.Bidirectional(layers.LSTM(2)).reset_states()


def test_bidirectional_rejects_bad_arguments_naming_them():
    with pytest.raises(ValueError, match=r"merge mode.*'max'.*concat"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match=r"keras\.layers\.Layer"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="go_backwards"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        layers.Bidirectional(
            layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True)
        )


# -- TimeDistributed ---------------------------------------------------------------------------
def test_time_distributed_applies_one_layer_to_every_timestep():
    dense = layers.Dense(3)
    wrapper = layers.TimeDistributed(dense)
    x = rand(2, 4, 5)
    output = wrapper(x).numpy()
    assert len(wrapper.weights) == 2 and wrapper.weights[0] is dense.kernel
    for t in range(4):
        np.testing.assert_allclose(output[:, t], dense(x[:, t]).numpy(), rtol=1e-6, atol=1e-6)


def test_time_distributed_batch_normalization_updates_per_timestep_as_keras():
    # Keras calls the layer once per timestep: in training each timestep is normalized with
    # its own statistics and moves the averages once.
    norm = layers.BatchNormalization(momentum=0.5)
    wrapper = layers.TimeDistributed(norm)
    x = rand(8, 3, 2) + np.arange(3, dtype=np.float32)[None, :, None]
    output = wrapper(x, training=True).numpy()
    moving_mean = np.zeros(2, np.float32)
    for t in range(3):
        step = x[:, t]
        np.testing.assert_allclose(
            output[:, t], (step - step.mean(0)) / np.sqrt(step.var(0) + 1e-3), atol=1e-4
        )
        moving_mean = 0.5 * moving_mean + 0.5 * step.mean(0)
    np.testing.assert_allclose(norm.moving_mean.numpy(), moving_mean, rtol=1e-5)


def test_time_distributed_ignores_the_inner_activity_regularizer_as_keras():
    wrapper = layers.TimeDistributed(layers.Dense(2, activity_regularizer="l2"))
    wrapper(rand(2, 3, 4))
    assert wrapper.losses == []
    # Weight regularizers still count (they come from the weights, not the call).
    wrapper = layers.TimeDistributed(layers.Dense(2, kernel_regularizer="l2"))
    wrapper(rand(2, 3, 4))
    assert len(wrapper.losses) == 1


def test_time_distributed_rejects_inputs_below_three_dimensions():
    with pytest.raises(ValueError, match=r"at least 3 dimensions.*\(2, 5\)"):
        layers.TimeDistributed(layers.Dense(2))(rand(2, 5))
    with pytest.raises(ValueError, match=r"keras\.layers\.Layer"):
        layers.TimeDistributed(lambda x: x)


# -- StackedRNNCells and RNN([cell, cell]) ----------------------------------------------------
def test_rnn_of_a_cell_list_wraps_them_in_stacked_rnn_cells():
    layer = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    assert isinstance(layer.cell, layers.StackedRNNCells)
    assert layer.state_size == [[3, 3], 2]
    output, lstm_states, gru_states = layer(rand(2, 4, 5))
    assert tuple(output.shape) == (2, 2)
    assert [tuple(s.shape) for s in lstm_states] == [(2, 3), (2, 3)]
    assert [tuple(s.shape) for s in gru_states] == [(2, 2)]
    assert layer.compute_output_shape((2, 4, 5)) == ((2, 2), [(2, 3), (2, 3)], (2, 2))


def test_stacked_cells_run_as_the_equivalent_stack_of_layers():
    x = rand(2, 5, 3)
    stacked = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], go_backwards=True)
    first = layers.LSTM(3, return_sequences=True, go_backwards=True)
    second = layers.GRU(2)
    stacked(x), second(first(x))
    weights = stacked.get_weights()
    first.set_weights(weights[:3]), second.set_weights(weights[3:])
    np.testing.assert_allclose(stacked(x).numpy(), second(first(x)).numpy(), rtol=1e-6)
    with keras.GradientTape():
        output = stacked(keras.Variable(x))
    assert type(output.creator) is fused.GRURecurrence  # one fused primitive per cell


def test_stacked_cells_step_by_step_equal_the_fused_run():
    x = rand(2, 4, 3)
    cells = layers.StackedRNNCells([layers.SimpleRNNCell(3), layers.LSTMCell(2)])
    layer = layers.RNN(cells, return_sequences=True)
    fused_output = layer(x).numpy()
    states = cells.get_initial_state(batch_size=2)
    outputs = []
    for t in range(4):
        output, states = cells(x[:, t], states)
        outputs.append(output.numpy())
    np.testing.assert_allclose(np.stack(outputs, axis=1), fused_output, rtol=1e-6, atol=1e-6)


def test_stacked_cells_take_nested_initial_states_and_reject_wrong_shapes():
    layer = layers.RNN([layers.LSTMCell(2), layers.GRUCell(3)], return_state=True)
    x = rand(2, 4, 3)
    h1, c1, h2 = rand(2, 2), rand(2, 2), rand(2, 3)
    _, (h1_out, _), h2_out = layer(x, initial_state=[[h1, c1], h2])
    assert tuple(h2_out.shape) == (2, 3)
    _, (zero_h1, _), _ = layer(x)
    assert not np.allclose(h1_out.numpy(), zero_h1.numpy())
    with pytest.raises(ValueError, match=r"initial_state.*\(2, 3\).*\(2, 2\)"):
        layer(x, initial_state=[[h1, c1], h1])
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[h1, c1, h2])


def test_stacked_cells_with_a_custom_cell_step_through_time():
    class Minimal(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units, self.state_size = units, units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

        def call(self, inputs, states):
            h = ops.tanh(ops.matmul(inputs, self.kernel) + states[0])
            return h, [h]

    x = rand(2, 3, 4)
    layer = layers.RNN([Minimal(3), layers.GRUCell(2)], return_sequences=True)
    output = layer(x)
    assert layer.cell.run_sequence is None
    assert tuple(output.shape) == (2, 3, 2)


def test_stacked_cells_reject_objects_that_are_not_cells():
    with pytest.raises(ValueError, match="state_size"):
        layers.StackedRNNCells([layers.GRUCell(2), layers.Dense(2)])
    with pytest.raises(ValueError, match="non-empty list"):
        layers.StackedRNNCells([])


# -- masks -------------------------------------------------------------------------------------
def test_time_distributed_keeps_a_mask_rather_than_ignore_it():
    # Numbers with masks are checked against Keras in tests/test_time_distributed_masks.py.
    mask = np.array([[True, True, False], [True, False, False]])
    outputs = layers.TimeDistributed(layers.Dense(2))(rand(2, 3, 2), mask=mask)
    assert outputs._keras_mask.tolist() == mask.tolist()
