"""SimpleRNN, LSTM and GRU: values, gradients, training and saved files against real Keras
(tests/fixtures/rnn.npz and rnn_model.weights.h5.gz, written by
tests/fixtures/generate_rnn.py), finite-difference checks of the recurrence primitives, the
shared layer checks, dropout, stateful mode and argument errors.
"""

import gzip
import json
import os
import shutil

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, layers, ops
from minikeras.layers.rnn import fused
from tests.gradcheck import check_gradients
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
DATA = np.load(os.path.join(FIXTURES, "rnn.npz"))
CASES = json.loads(str(DATA["cases"]))
RNG = np.random.default_rng(17)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


# -- values and gradients recorded from Keras -------------------------------------------------
def _case_id(index):
    case = CASES[index]
    return f"{index}-{case['class_name']}-" + "-".join(
        f"{k}={v}" for k, v in case["config"].items() if k != "units"
    )


@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_rnn_outputs_and_gradients_match_keras(index):
    case = CASES[index]
    prefix = f"{index}/"
    layer = getattr(layers, case["class_name"])(**case["config"])
    x = keras.Variable(DATA[prefix + "input"])
    layer.build(tuple(x.shape))
    # The paths below the layer's own name (its auto-name depends on what ran before).
    expected_paths = [path.split("/", 1)[1] for path in case["weight_paths"]]
    assert [w.path.split("/", 1)[1] for w in layer.weights] == expected_paths
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    layer.set_weights([DATA[prefix + f"w{k}"] for k in range(case["n_weights"])])
    states = [keras.Variable(DATA[prefix + f"state{k}"]) for k in range(case["initial_states"])]
    kwargs = {"initial_state": states} if states else {}
    with keras.GradientTape() as tape:
        outputs = as_list(layer(x, **kwargs))
        loss = 0.0
        for k, output in enumerate(outputs):
            loss = loss + ops.sum(output * DATA[prefix + f"proj{k}"])
    assert len(outputs) == case["n_outputs"]
    for k, output in enumerate(outputs):
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), DATA[prefix + f"out{k}"], rtol=1e-5, atol=1e-6)
    gradients = tape.gradient(loss, [*layer.trainable_weights, x, *states])
    expected = [DATA[prefix + f"grad_w{k}"] for k in range(case["n_weights"])]
    expected.append(DATA[prefix + "grad_input"])
    expected += [DATA[prefix + f"grad_state{k}"] for k in range(case["initial_states"])]
    for gradient, reference in zip(gradients, expected, strict=True):
        assert gradient.dtype == "float32"
        np.testing.assert_allclose(gradient.numpy(), reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_rnn_config_matches_keras(index):
    case = CASES[index]
    layer = getattr(layers, case["class_name"])(**case["config"])
    config = layer.get_config()
    keras_config = dict(case["keras_config"])
    # minikeras writes the dtype as a name, Keras as a DTypePolicy dict.
    assert keras_config.pop("dtype")["config"]["name"] == config.pop("dtype")
    keras_config.pop("name"), config.pop("name")
    assert config == keras_config
    restored = type(layer).from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()


def test_stateful_lstm_carries_states_between_calls_and_resets_like_keras():
    layer = layers.LSTM(3, stateful=True)
    layer.build((2, 4, 3))
    layer.set_weights([DATA[f"stateful/w{k}"] for k in range(3)])
    assert len(layer.weights) == 3  # the states are not weights, as in Keras
    np.testing.assert_allclose(
        layer(DATA["stateful/x1"]).numpy(), DATA["stateful/out1"], 1e-5, 1e-6
    )
    np.testing.assert_allclose(
        layer(DATA["stateful/x2"]).numpy(), DATA["stateful/out2"], 1e-5, 1e-6
    )
    np.testing.assert_allclose(layer.states[0].numpy(), DATA["stateful/h_after2"], 1e-5, 1e-6)
    np.testing.assert_allclose(layer.states[1].numpy(), DATA["stateful/c_after2"], 1e-5, 1e-6)
    layer.reset_states()
    np.testing.assert_array_equal(layer.states[0].numpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_allclose(
        layer(DATA["stateful/x2"]).numpy(), DATA["stateful/out3"], 1e-5, 1e-6
    )


def test_stateful_layer_rejects_another_batch_size_and_unknown_batch():
    layer = layers.GRU(2, stateful=True)
    layer(rand(3, 4, 2))
    with pytest.raises(ValueError, match="Expected batch size: 3"):
        layer(rand(2, 4, 2))
    with pytest.raises(ValueError, match="batch size must be static"):
        keras.Sequential([keras.Input((4, 2)), layers.GRU(2, stateful=True)])


def _fit_model():
    return keras.Sequential(
        [
            keras.Input((6, 3)),
            layers.SimpleRNN(4, return_sequences=True),
            layers.LSTM(5, return_sequences=True, go_backwards=True),
            layers.GRU(3),
            layers.Dense(2),
        ]
    )


def test_fit_of_recurrent_stack_matches_keras():
    model = _fit_model()
    count = len(model.weights)
    model.set_weights([DATA[f"fit/w{k}"] for k in range(count)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(
        DATA["fit/x"], DATA["fit/y"], batch_size=4, epochs=2, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], DATA["fit/loss"], rtol=1e-4)
    for k, weight in enumerate(model.weights):
        np.testing.assert_allclose(
            weight.numpy(), DATA[f"fit/after{k}"], rtol=1e-4, atol=1e-5, err_msg=weight.path
        )


def _keras_weights_file(tmp_path):
    path = tmp_path / "keras_rnn.weights.h5"
    with gzip.open(os.path.join(FIXTURES, "rnn_model.weights.h5.gz"), "rb") as source:
        with open(path, "wb") as target:
            shutil.copyfileobj(source, target)
    return str(path)


def _h5_listing(path):
    names = []
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, item: names.append((name, getattr(item, "shape", None))))
    return sorted(names)


def test_weights_file_written_by_keras_loads_and_predicts_the_same(tmp_path):
    model = _fit_model()
    model.load_weights(_keras_weights_file(tmp_path))
    np.testing.assert_allclose(
        model.predict(DATA["fit/x"], verbose=0), DATA["fit/predictions"], rtol=1e-5, atol=1e-6
    )


def test_weights_file_layout_equals_keras_layout(tmp_path):
    keras_file = _keras_weights_file(tmp_path)
    model = _fit_model()
    model.load_weights(keras_file)
    ours = str(tmp_path / "ours.weights.h5")
    model.save_weights(ours)
    listing = _h5_listing(ours)
    assert ("layers/lstm/cell/vars/1", (5, 20)) in listing
    assert ("layers/gru/cell/vars/2", (2, 9)) in listing
    # Keras saved a compiled model: its file also holds the optimizer's variables.
    keras_listing = [item for item in _h5_listing(keras_file) if not item[0].startswith("optim")]
    assert listing == keras_listing


# -- the recurrence primitives: finite differences (float64) ----------------------------------
B, T, D, U = 2, 3, 3, 2
PRIMITIVES = {
    "simple_rnn": (fused.SimpleRNNRecurrence, 1, {}),
    "lstm": (fused.LSTMRecurrence, 4, {}),
    "gru": (fused.GRURecurrence, 3, {}),
    "gru_reset_before": (fused.GRURecurrence, 3, {"reset_after": False}),
}


def _masks(rng, count, shape):
    return [(rng.random(shape) > 0.3) / 0.7 for _ in range(count)]


def _primitive_case(name, use_bias, mask_kind, seed):
    cls, gates, extra = PRIMITIVES[name]
    rng = np.random.default_rng(seed)
    input_masks = recurrent_masks = None
    if mask_kind == "shared":  # implementation 2: one input mask for every gate
        input_masks = _masks(rng, 1, (B, D))
        recurrent_masks = _masks(rng, 1, (B, U))
    elif mask_kind == "per_gate":  # implementation 1
        input_masks = _masks(rng, gates, (B, D))
        recurrent_masks = _masks(rng, gates, (B, U))
    reset_after = extra.get("reset_after", True)
    bias_shape = (2, 3 * U) if name == "gru" and reset_after else (gates * U,)
    arrays = [rng.standard_normal((B, T, D)), rng.standard_normal((D, gates * U))]
    arrays.append(rng.standard_normal((U, gates * U)))
    if use_bias:
        arrays.append(rng.standard_normal(bias_shape))
    arrays += [rng.standard_normal((B, U)) for _ in range(cls.n_states)]
    arguments = dict(
        use_bias=use_bias, input_masks=input_masks, recurrent_masks=recurrent_masks, **extra
    )
    return cls, arguments, arrays


@pytest.mark.parametrize("name", list(PRIMITIVES))
@pytest.mark.parametrize(
    ("return_sequences", "go_backwards", "use_bias", "masks"),
    [
        (False, False, True, None),
        (True, False, True, None),
        (True, True, False, None),
        (False, True, True, "shared"),
        (True, False, True, "per_gate"),
    ],
)
def test_recurrence_primitive_gradients_match_finite_differences(
    name, return_sequences, go_backwards, use_bias, masks
):
    cls, arguments, arrays = _primitive_case(name, use_bias, masks, seed=3)

    def run(*tensors):
        recurrence = cls(
            activations.tanh,
            activations.sigmoid,
            return_sequences=return_sequences,
            go_backwards=go_backwards,
            **arguments,
        )
        return list(recurrence(*tensors))

    check_gradients(run, *arrays)


@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_recurrence_primitive_gradients_with_other_activations(name):
    # softsign and hard_sigmoid have no closed form in the primitive: autodiff supplies it.
    cls, arguments, arrays = _primitive_case(name, True, None, seed=4)

    def run(*tensors):
        recurrence = cls(
            activations.softsign, activations.hard_sigmoid, return_sequences=True, **arguments
        )
        return list(recurrence(*tensors))

    check_gradients(run, *arrays)


def test_each_layer_call_is_one_graph_node():
    x = keras.Variable(rand(2, 7, 3))
    for layer, kind in (
        (layers.SimpleRNN(3), fused.SimpleRNNRecurrence),
        (layers.LSTM(3, return_sequences=True), fused.LSTMRecurrence),
        (layers.GRU(3, go_backwards=True), fused.GRURecurrence),
    ):
        with keras.GradientTape():
            output = layer(x)
        assert type(output.creator) is kind
        assert output.creator.inputs[0] is x
        assert all(any(t is w for w in layer.weights) for t in output.creator.inputs[1:-2])


# -- layers in float64: input and weight gradients ---------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (layers.SimpleRNN, {"return_sequences": True}),
        (layers.LSTM, {"go_backwards": True}),
        (layers.GRU, {"return_sequences": True}),
        (layers.GRU, {"reset_after": False}),
    ],
)
def test_recurrent_layer_gradients_match_finite_differences(cls, kwargs):
    layer = cls(2, dtype="float64", **kwargs)
    check_layer_gradients(layer, RNG.standard_normal((2, 3, 2)))


# -- shared layer checks -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs", "output_shape"),
    [
        (layers.SimpleRNN, {"units": 3}, (2, 3)),
        (layers.SimpleRNN, {"units": 3, "return_sequences": True, "use_bias": False}, (2, 4, 3)),
        (layers.LSTM, {"units": 3}, (2, 3)),
        (layers.LSTM, {"units": 3, "return_sequences": True, "go_backwards": True}, (2, 4, 3)),
        (layers.GRU, {"units": 3}, (2, 3)),
        (layers.GRU, {"units": 3, "reset_after": False, "return_sequences": True}, (2, 4, 3)),
        (layers.LSTM, {"units": 2, "dropout": 0.3, "recurrent_dropout": 0.3, "seed": 1}, (2, 2)),
    ],
)
def test_recurrent_layers_pass_layer_checks(cls, kwargs, output_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=(2, 4, 5),
        expected_output_shape=output_shape,
        expected_num_trainable_weights=3 if kwargs.get("use_bias", True) else 2,
        expected_num_non_trainable_weights=0,
    )


# -- states, shapes and the Functional API ------------------------------------------------------
def test_return_state_gives_output_and_final_states():
    x = rand(2, 5, 3)
    output, h, c = layers.LSTM(4, return_state=True)(x)
    np.testing.assert_array_equal(output.numpy(), h.numpy())
    assert c.shape == (2, 4)
    sequence, h = layers.GRU(4, return_sequences=True, return_state=True)(x)
    np.testing.assert_array_equal(sequence.numpy()[:, -1], h.numpy())


def test_initial_state_from_a_symbolic_input_in_a_functional_model():
    inputs = keras.Input((5, 3))
    h0, c0 = keras.Input((4,)), keras.Input((4,))
    lstm = layers.LSTM(4, return_state=True)
    output, _, c = lstm(inputs, initial_state=[h0, c0])
    assert tuple(output.shape) == (None, 4) and tuple(c.shape) == (None, 4)
    model = keras.Model([inputs, h0, c0], [output, c])
    x, h_init, c_init = rand(2, 5, 3), rand(2, 4), rand(2, 4)
    got = model([x, h_init, c_init])
    direct = lstm(x, initial_state=[h_init, c_init])
    np.testing.assert_allclose(got[0].numpy(), direct[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[1].numpy(), direct[2].numpy(), rtol=1e-6)


def test_initial_state_changes_the_output():
    layer = layers.SimpleRNN(3)
    x = rand(2, 4, 2)
    zeros = layer(x).numpy()
    np.testing.assert_allclose(layer(x, initial_state=np.zeros((2, 3), np.float32)).numpy(), zeros)
    assert not np.allclose(layer(x, initial_state=rand(2, 3)).numpy(), zeros)


def test_bad_initial_state_is_rejected_naming_both_shapes():
    layer = layers.LSTM(4)
    x = rand(2, 5, 3)
    with pytest.raises(ValueError, match=r"initial_state.*\(2, 4\).*\(2, 3\)"):
        layer(x, initial_state=[rand(2, 3), rand(2, 3)])
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[rand(2, 4)])


def test_input_with_another_feature_size_is_rejected_naming_the_shapes():
    layer = layers.LSTM(2)
    layer(rand(1, 3, 2))
    with pytest.raises(ValueError, match=r"axis -1.*2.*\(1, 3, 5\)"):
        layer(rand(1, 3, 5))


def test_regularizers_and_constraints_reach_the_cell_weights():
    layer = layers.GRU(2, kernel_regularizer="l2", recurrent_constraint="non_neg")
    x = rand(4, 3, 2)
    layer(x)
    assert len(layer.losses) == 1
    model = keras.Sequential([keras.Input((3, 2)), layer])
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    model.fit(x, rand(4, 2), epochs=2, verbose=0)
    assert (layer.cell.recurrent_kernel.numpy() >= 0).all()


def test_empty_sequence_is_rejected():
    with pytest.raises(ValueError, match="at least one timestep"):
        layers.SimpleRNN(2)(np.zeros((2, 0, 3), np.float32))


def test_masked_trailing_timesteps_leave_the_last_output_unchanged():
    # Masking is honoured (Keras numbers: tests/test_masking.py): padding at the end of a
    # sequence does not change the final output.
    x, layer = rand(2, 3, 2), layers.GRU(2)
    out = layer(x, mask=np.array([[True, True, False], [True, True, False]]))
    np.testing.assert_allclose(out.numpy(), layer(x[:, :2]).numpy(), rtol=1e-6)


def test_invalid_units_and_rates_are_rejected():
    with pytest.raises(ValueError, match="units"):
        layers.LSTM(0)
    with pytest.raises(TypeError, match="dropout"):
        layers.GRU(2, dropout="high")
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(2, use_cudnn="yes")


def test_unroll_changes_nothing():
    x = rand(2, 4, 3)
    rolled = layers.GRU(3, name="rolled")
    unrolled = layers.GRU(3, unroll=True, name="unrolled")
    rolled(x), unrolled(x)
    unrolled.set_weights(rolled.get_weights())
    np.testing.assert_array_equal(rolled(x).numpy(), unrolled(x).numpy())


def test_unroll_needs_a_known_number_of_timesteps_as_in_keras():
    with pytest.raises(ValueError, match="time dimension is undefined"):
        layers.LSTM(2, unroll=True)(keras.Input((None, 3)))
    assert tuple(layers.LSTM(2)(keras.Input((None, 3))).shape) == (None, 2)


def test_lstm_forget_gate_bias_starts_at_one():
    layer = layers.LSTM(3)
    layer.build((None, 4, 2))
    bias = layer.cell.bias.numpy()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])
    layer = layers.LSTM(3, unit_forget_bias=False)
    layer.build((None, 4, 2))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), np.zeros(12))


def test_gru_bias_shape_depends_on_reset_after():
    after, before = layers.GRU(3), layers.GRU(3, reset_after=False)
    after.build((None, 4, 2)), before.build((None, 4, 2))
    assert tuple(after.cell.bias.shape) == (2, 9)
    assert tuple(before.cell.bias.shape) == (9,)


def test_recurrent_layers_in_float32_give_float32_gradients():
    x = rand(2, 4, 3)
    for layer in (layers.SimpleRNN(2), layers.LSTM(2), layers.GRU(2)):
        with keras.GradientTape() as tape:
            loss = ops.sum(layer(x))
        for gradient in tape.gradient(loss, layer.trainable_weights):
            assert gradient.dtype == "float32"


# -- dropout -----------------------------------------------------------------------------------
def _linear_simple_rnn(units, **kwargs):
    layer = layers.SimpleRNN(units, activation=None, return_sequences=True, **kwargs)
    layer.build((None, 5, units))
    return layer


def test_input_dropout_mask_is_shared_by_every_timestep_and_redrawn_per_call():
    layer = _linear_simple_rnn(6, dropout=0.5, seed=2)
    eye = np.eye(6, dtype=np.float32)
    layer.set_weights([eye, np.zeros((6, 6), np.float32), np.zeros(6, np.float32)])
    x = np.ones((3, 5, 6), np.float32)
    first = layer(x, training=True).numpy()
    # Each output is (x * mask) @ I: the same mask of 0 and 2 at every timestep.
    assert set(np.unique(first)) == {0.0, 2.0}
    np.testing.assert_array_equal(first, np.broadcast_to(first[:, :1], first.shape))
    second = layer(x, training=True).numpy()
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


def test_recurrent_dropout_mask_is_shared_by_every_timestep():
    layer = _linear_simple_rnn(6, recurrent_dropout=0.5, seed=3)
    eye = np.eye(6, dtype=np.float32)
    layer.set_weights([np.zeros((6, 6), np.float32), eye, np.zeros(6, np.float32)])
    out = layer(
        np.ones((3, 5, 6), np.float32), initial_state=np.ones((3, 6), np.float32), training=True
    ).numpy()
    # h_t = (h_{t-1} * mask) @ I, so h_t = mask ** t with one mask for the whole call.
    mask = out[:, 0]
    assert set(np.unique(mask)) == {0.0, 2.0}
    for t in range(5):
        np.testing.assert_allclose(out[:, t], mask ** (t + 1))


def test_recurrent_dropout_draws_one_mask_per_gate_as_keras():
    lstm = layers.LSTM(2, dropout=0.5, recurrent_dropout=0.5).cell
    inputs, recurrent = lstm.dropout_masks(3, 4, np.float32, training=True)
    assert len(inputs) == 4 and len(recurrent) == 4
    gru = layers.GRU(2, dropout=0.5).cell
    inputs, recurrent = gru.dropout_masks(3, 4, np.float32, training=True)
    assert len(inputs) == 1 and recurrent is None
    assert gru.dropout_masks(3, 4, np.float32, training=False) == (None, None)


def test_dropout_is_seeded():
    x = rand(2, 4, 3)
    a = layers.GRU(3, dropout=0.4, recurrent_dropout=0.4, seed=9, name="a")
    b = layers.GRU(3, dropout=0.4, recurrent_dropout=0.4, seed=9, name="b")
    a(x), b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())


# -- cells and the RNN wrapper ------------------------------------------------------------------
WRAPPERS = json.loads(str(DATA["wrappers"]))


@pytest.mark.parametrize("index", range(len(WRAPPERS)))
def test_rnn_wrapper_config_written_by_keras_rebuilds_and_matches_keras(index):
    from minikeras.saving import deserialize_keras_object

    layer = deserialize_keras_object(WRAPPERS[index])
    assert type(layer) is layers.RNN
    x = DATA["wrapper/input"]
    layer.build(x.shape)
    layer.set_weights([DATA[f"wrapper/{index}/w{k}"] for k in range(len(layer.weights))])
    np.testing.assert_allclose(
        layer(x).numpy(), DATA[f"wrapper/{index}/output"], rtol=1e-5, atol=1e-6
    )
    restored = layers.RNN.from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()


@pytest.mark.parametrize(
    ("cell", "layer"),
    [
        (lambda: layers.SimpleRNNCell(3), lambda: layers.SimpleRNN(3, return_sequences=True)),
        (lambda: layers.LSTMCell(3), lambda: layers.LSTM(3, return_sequences=True)),
        (lambda: layers.GRUCell(3), lambda: layers.GRU(3, return_sequences=True)),
    ],
)
def test_cell_called_step_by_step_equals_its_layer(cell, layer):
    x = rand(2, 4, 5)
    cell, layer = cell(), layer()
    layer(x)
    cell.build((2, 5))
    cell.set_weights(layer.get_weights())
    states = cell.get_initial_state(batch_size=2)
    outputs = []
    for t in range(4):
        output, states = cell(x[:, t], states)
        outputs.append(output.numpy())
    np.testing.assert_allclose(np.stack(outputs, axis=1), layer(x).numpy(), rtol=1e-6, atol=1e-6)
    assert len(states) == len(layer.state_size)


def test_rnn_wrapper_passes_layer_checks():
    run_layer_test(
        layers.RNN,
        {"cell": layers.GRUCell(3), "return_sequences": True},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
    )
    run_layer_test(
        layers.RNN,
        {"cell": MinimalRNNCell(2), "go_backwards": True},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 2),
        expected_num_trainable_weights=2,
        custom_objects={"MinimalRNNCell": MinimalRNNCell},
    )


def test_rnn_wrapper_of_a_builtin_cell_is_its_layer():
    x = rand(2, 4, 3)
    wrapper = layers.RNN(layers.LSTMCell(3), return_state=True, go_backwards=True)
    layer = layers.LSTM(3, return_state=True, go_backwards=True)
    layer(x), wrapper(x)
    wrapper.set_weights(layer.get_weights())
    for got, expected in zip(wrapper(x), layer(x), strict=True):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


class MinimalRNNCell(layers.Layer):
    """The custom cell of the Keras RNN guide: `h = tanh(x @ kernel + h_prev @ recurrent)`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel"
        )

    def call(self, inputs, states):
        h = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        output = ops.tanh(h)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "go_backwards": True}])
def test_rnn_wrapper_steps_a_custom_cell_like_the_equivalent_layer(kwargs):
    x = rand(2, 4, 3)
    custom = layers.RNN(MinimalRNNCell(2), **kwargs)
    reference = layers.SimpleRNN(2, use_bias=False, **kwargs)
    custom(x), reference(x)
    custom.set_weights(reference.get_weights())
    np.testing.assert_allclose(custom(x).numpy(), reference(x).numpy(), rtol=1e-6, atol=1e-6)
    restored = layers.RNN.from_config(
        custom.get_config(), custom_objects={"MinimalRNNCell": MinimalRNNCell}
    )
    assert type(restored.cell) is MinimalRNNCell and restored.cell.units == 2


def test_rnn_wrapper_of_a_custom_cell_has_finite_difference_gradients():
    layer = layers.RNN(MinimalRNNCell(2, dtype="float64"), return_sequences=True, dtype="float64")
    check_layer_gradients(layer, RNG.standard_normal((2, 3, 2)))


def test_rnn_wrapper_rejects_a_cell_without_state_size():
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))


def test_cell_keeps_its_dropout_mask_across_steps_until_reset():
    cell = layers.SimpleRNNCell(4, dropout=0.5, seed=4)
    cell.build((3, 4))
    cell.set_weights([np.eye(4, dtype=np.float32), np.zeros((4, 4), np.float32), np.zeros(4)])
    x, h = np.ones((3, 4), np.float32), np.zeros((3, 4), np.float32)
    first, _ = cell(x, [h], training=True)
    again, _ = cell(x, [h], training=True)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    draws = set()
    for _ in range(4):
        cell.reset_dropout_mask()
        draws.add(cell(x, [h], training=True)[0].numpy().tobytes())
    assert len(draws) > 1
    np.testing.assert_allclose(cell(x, [h], training=False)[0].numpy(), np.tanh(x))
