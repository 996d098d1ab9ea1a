"""The fast paths of the LSTM, GRU and SimpleRNN recurrences (minikeras/layers/rnn/fused.py)
against their general paths: same inputs, same outputs and gradients (to float32 rounding),
with and without timestep masks, and the cases the fast path does not cover (dropout, other
activations, float64, the GRU's reset_after=False) taking the general path; then the reuse
of the fast paths' arrays from call to call.

The general path is the one the finite-difference checks of tests/test_layers_rnn.py verify
(in float64) and the Keras fixtures pin (in float32); here it is the reference.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, ops
from minikeras.layers import GRU, LSTM, SimpleRNN
from minikeras.layers.rnn import fused

BATCH, STEPS, FEATURES, UNITS = 5, 7, 4, 6
RECURRENCES = {
    "lstm": (fused.LSTMRecurrence, 4, {}),
    "gru": (fused.GRURecurrence, 3, {}),
    "simple_rnn": (fused.SimpleRNNRecurrence, 1, {}),
}


def _arrays(name, use_bias, seed, dtype=np.float32):
    cls, gates, _ = RECURRENCES[name]
    rng = np.random.default_rng(seed)
    arrays = [
        rng.standard_normal((BATCH, STEPS, FEATURES)),
        rng.standard_normal((FEATURES, gates * UNITS)) * 0.5,
        rng.standard_normal((UNITS, gates * UNITS)) * 0.5,
    ]
    if use_bias:
        shape = (2, 3 * UNITS) if name == "gru" else (gates * UNITS,)
        arrays.append(rng.standard_normal(shape) * 0.5)
    arrays += [rng.standard_normal((BATCH, UNITS)) for _ in range(cls.n_states)]
    return [a.astype(dtype) for a in arrays]


def _run(name, arrays, fast, activation=None, **arguments):
    """Outputs and the gradients of every input of one call of the recurrence, and whether
    it took the fast path; the loss weighs every output with fixed random numbers."""
    cls, _, extra = RECURRENCES[name]
    saved = cls.fast_path
    cls.fast_path = fast
    try:
        recurrence = cls(activation or activations.tanh, activations.sigmoid, **extra, **arguments)
        tensors = [keras.Variable(a, dtype=a.dtype.name) for a in arrays]
        rng = np.random.default_rng(99)
        with keras.GradientTape() as tape:
            outputs = recurrence(*tensors)
            loss = 0.0
            for output in outputs:
                weights = rng.standard_normal(output.shape).astype(output.dtype)
                loss = loss + ops.sum(output * weights)
        took_fast_path = recurrence.fast  # read before the backward pass frees the node
        gradients = tape.gradient(loss, tensors)
    finally:
        cls.fast_path = saved
    return (
        [o.numpy() for o in outputs],
        [None if g is None else g.numpy() for g in gradients],
        took_fast_path,
    )


def _assert_same(got, expected):
    outputs, gradients, _ = got
    expected_outputs, expected_gradients, _ = expected
    for a, b in zip(outputs, expected_outputs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    for a, b in zip(gradients, expected_gradients):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", list(RECURRENCES))
@pytest.mark.parametrize(
    ("return_sequences", "go_backwards", "use_bias"),
    [
        (False, False, True),
        (True, False, True),
        (False, True, True),
        (True, True, False),
        (False, False, False),
    ],
)
def test_fast_path_matches_general_path(name, return_sequences, go_backwards, use_bias):
    # Initial states are random (not zeros), so their gradients are checked too.
    arrays = _arrays(name, use_bias, seed=1)
    arguments = dict(
        return_sequences=return_sequences, go_backwards=go_backwards, use_bias=use_bias
    )
    fast = _run(name, arrays, True, **arguments)
    general = _run(name, arrays, False, **arguments)
    assert fast[2] and not general[2]
    _assert_same(fast, general)


@pytest.mark.parametrize("name", list(RECURRENCES))
def test_fast_path_matches_general_path_over_long_saturating_sequences(name):
    # Large weights drive the gates into saturation, where sigmoid and tanh meet their
    # float32 limits; 60 steps let rounding differences compound if they were to.
    arrays = _arrays(name, True, seed=2)
    arrays[0] = np.random.default_rng(3).standard_normal((3, 60, FEATURES)).astype(np.float32)
    arrays[0] *= 4
    arrays[-1] = arrays[-1][:3]
    if name == "lstm":
        arrays[-2] = arrays[-2][:3]
    arguments = dict(return_sequences=True)
    fast = _run(name, arrays, True, **arguments)
    general = _run(name, arrays, False, **arguments)
    assert fast[2] and not general[2]
    _assert_same(fast, general)


@pytest.mark.parametrize("name", list(RECURRENCES))
@pytest.mark.parametrize(
    ("return_sequences", "go_backwards", "zero_output_for_mask"),
    [(True, False, False), (True, True, True), (False, False, True), (False, True, False)],
)
def test_fast_path_with_a_timestep_mask_matches_general_path(
    name, return_sequences, go_backwards, zero_output_for_mask
):
    arrays = _arrays(name, True, seed=4)
    mask = np.random.default_rng(5).random((BATCH, STEPS)) > 0.4
    mask[0] = True  # one sample unmasked, one masked at its end, one at its start
    mask[1, -2:] = False
    mask[2, :2] = False
    arguments = dict(
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        mask=mask,
        zero_output_for_mask=zero_output_for_mask,
    )
    fast = _run(name, arrays, True, **arguments)
    general = _run(name, arrays, False, **arguments)
    assert fast[2] and not general[2]
    _assert_same(fast, general)


@pytest.mark.parametrize("layer_class", [LSTM, GRU, SimpleRNN])
def test_masked_trailing_steps_give_the_shorter_sequence_output_bit_for_bit(layer_class):
    # Both calls take the fast path, whose masked steps keep the states exactly.
    x = np.random.default_rng(9).standard_normal((3, 6, 4)).astype(np.float32)
    layer = layer_class(5)
    mask = np.ones((3, 6), dtype=bool)
    mask[:, 4:] = False
    np.testing.assert_array_equal(layer(x, mask=mask).numpy(), layer(x[:, :4]).numpy())


@pytest.mark.parametrize("name", list(RECURRENCES))
def test_cases_outside_the_fast_path_take_the_general_path(name):
    arrays = _arrays(name, True, seed=5)
    dropout = [np.full((BATCH, UNITS), 2.0, dtype=np.float32)]
    cases = [
        ({"recurrent_masks": dropout}, arrays),
        ({"input_masks": [np.full((BATCH, FEATURES), 2.0, dtype=np.float32)]}, arrays),
        ({"activation": activations.relu}, arrays),
        ({}, [a.astype(np.float64) for a in arrays]),
    ]
    for arguments, inputs in cases:
        assert not _run(name, inputs, True, **arguments)[2], arguments


@pytest.mark.parametrize("layer_class", [LSTM, GRU, SimpleRNN])
def test_default_float32_layer_takes_fast_path(layer_class):
    x = keras.Variable(np.random.default_rng(6).standard_normal((2, 5, 3)).astype(np.float32))
    with keras.GradientTape():
        output = layer_class(4, return_sequences=True)(x)
    assert output.creator.fast


def test_gru_with_reset_before_takes_general_path():
    arrays = _arrays("gru", False, seed=7)
    bias = np.random.default_rng(8).standard_normal(3 * UNITS).astype(np.float32)
    arrays.insert(3, bias)
    assert not _run("gru", arrays, True, reset_after=False)[2]


# -- the fast paths reuse their big arrays from call to call (fused._empty) -------------------
@pytest.mark.parametrize("layer_class", [LSTM, GRU, SimpleRNN])
def test_outputs_and_gradients_survive_later_calls(layer_class):
    # Batch 1 makes the transposed outputs contiguous views: they must still be copies.
    rng = np.random.default_rng(10)
    layer = layer_class(3, return_sequences=True, return_state=True)
    x = keras.Variable(rng.standard_normal((1, 4, 2)).astype(np.float32))
    with keras.GradientTape() as tape:
        outputs = layer(x)
        loss = ops.sum(outputs[0]) + ops.sum(outputs[1])
    gradients = tape.gradient(loss, [x, *layer.trainable_weights])
    kept = [o.numpy().copy() for o in outputs] + [g.numpy().copy() for g in gradients]
    for _ in range(3):  # same shapes: these calls reuse the first call's arrays
        other = keras.Variable(rng.standard_normal((1, 4, 2)).astype(np.float32))
        with keras.GradientTape() as tape:
            loss = ops.sum(layer(other)[0])
        tape.gradient(loss, [other, *layer.trainable_weights])
    for a, b in zip(kept, [o.numpy() for o in outputs] + [g.numpy() for g in gradients]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layer_class", [LSTM, GRU, SimpleRNN])
def test_persistent_tape_differentiates_twice_across_other_calls(layer_class):
    rng = np.random.default_rng(11)
    layer = layer_class(3)
    x = keras.Variable(rng.standard_normal((2, 5, 2)).astype(np.float32))
    with keras.GradientTape(persistent=True) as tape:
        loss = ops.sum(layer(x) * 2.0)
    first = tape.gradient(loss, [x, *layer.trainable_weights])
    for _ in range(2):  # calls of the same shapes in between, forward and backward
        other = keras.Variable(rng.standard_normal((2, 5, 2)).astype(np.float32))
        with keras.GradientTape() as other_tape:
            other_loss = ops.sum(layer(other))
        other_tape.gradient(other_loss, [other])
    second = tape.gradient(loss, [x, *layer.trainable_weights])
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_single_step_simple_rnn_takes_general_path():
    # One step (a cell's call) is slightly quicker on the general path for SimpleRNN.
    arrays = _arrays("simple_rnn", True, seed=12)
    arrays[0] = arrays[0][:, :1]
    assert not _run("simple_rnn", arrays, True)[2]
    arrays = _arrays("lstm", True, seed=12)
    arrays[0] = arrays[0][:, :1]
    assert _run("lstm", arrays, True)[2]
