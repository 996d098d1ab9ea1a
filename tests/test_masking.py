"""Keras 3 masking: masks made by Embedding(mask_zero=True) and Masking, carried on tensors
(eagerly and in Functional graphs), honoured by RNNs, pooling, softmax, losses and metrics.
Reference numbers come from real Keras (tests/fixtures/generate_masking.py)."""

import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from tests.fixtures import masking_scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "masking.json")) as f:
    CASES = json.load(f)


def _f32(value):
    return np.asarray(value, dtype="float32")


# -- making masks -----------------------------------------------------------------------------
def test_embedding_mask_zero_masks_the_padding_as_in_the_guide():
    case = CASES["guide"]
    embedded = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(
        np.asarray(case["padded"])
    )
    assert embedded._keras_mask.tolist() == case["embedding_mask"]
    layer = layers.Embedding(10, 4, mask_zero=True)
    assert layer.supports_masking and layer.get_config()["mask_zero"] is True
    assert layers.Embedding(10, 4)(np.array([[0, 1]]))._keras_mask is None


def test_masking_layer_masks_all_equal_timesteps_as_keras():
    case = CASES["guide"]
    padded = np.asarray(case["padded"])
    unmasked = np.tile(padded[..., None], (1, 1, 10)).astype("float32")
    assert layers.Masking()(unmasked)._keras_mask.tolist() == case["masking_mask"]
    case = CASES["masking"]
    out = layers.Masking()(_f32(case["inputs"]))
    np.testing.assert_array_equal(out.numpy(), _f32(case["outputs"]))
    assert out._keras_mask.tolist() == case["mask"]
    assert layers.deserialize(layers.serialize(layers.Masking(2.5))).mask_value == 2.5


def test_mask_propagates_through_pass_through_layers_eagerly_and_symbolically():
    x = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    expected = (x != 0).tolist()
    inputs = keras.Input((4,), dtype="int32")
    h = layers.Embedding(10, 3, mask_zero=True)(inputs)
    h = layers.Dense(5, activation="relu")(h)
    h = layers.Dropout(0.1)(h)
    outputs = layers.LayerNormalization()(h)
    assert outputs._keras_mask.shape == (None, 4) and outputs._keras_mask.dtype == "bool"
    model = keras.Model(inputs, outputs)
    assert model(x)._keras_mask.tolist() == expected
    eager = layers.Activation("tanh")(layers.Embedding(10, 3, mask_zero=True)(x))
    assert eager._keras_mask.tolist() == expected


def test_layer_without_masking_support_warns_and_drops_the_mask_as_keras():
    embedded = layers.Embedding(10, 3, mask_zero=True)(np.array([[1, 0]]))
    with pytest.warns(UserWarning, match=r"'conv1d_masked'.*does not support masking"):
        out = layers.Conv1D(2, 1, name="conv1d_masked")(embedded)
    assert out._keras_mask is None
    inputs = keras.Input((2,), dtype="int32")
    h = layers.Embedding(10, 3, mask_zero=True)(inputs)
    with pytest.warns(UserWarning, match="does not support masking"):
        assert layers.Flatten()(h)._keras_mask is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mask, no warning
        layers.Conv1D(2, 1)(layers.Embedding(10, 3)(np.array([[1, 0]])))


def test_lambda_with_mask_function_sets_its_mask():
    layer = layers.Lambda(lambda t: t * 2, mask=lambda inputs, mask: ops.greater(inputs, 0))
    out = layer(np.array([[1.0, -1.0]], dtype="float32"))
    assert layer.supports_masking and out._keras_mask.tolist() == [[True, False]]
    assert not layers.Lambda(lambda t: t).supports_masking


# -- consuming masks --------------------------------------------------------------------------
def test_global_average_pooling1d_leaves_masked_steps_out_as_keras():
    case = CASES["gap1d"]
    out = layers.GlobalAveragePooling1D()(_f32(case["inputs"]), mask=np.asarray(case["mask"]))
    np.testing.assert_allclose(out.numpy(), _f32(case["outputs"]), rtol=1e-6, atol=1e-7)
    masked = layers.Masking()(_f32(case["inputs"]))
    pooled = layers.GlobalAveragePooling1D()(masked)  # the mask comes with the tensor
    kept = np.asarray(CASES["masking"]["mask"])[..., None]
    expected = (_f32(case["inputs"]) * kept).sum(1) / kept.sum(1)
    np.testing.assert_allclose(pooled.numpy(), expected, rtol=1e-6)
    assert pooled._keras_mask is None


@pytest.mark.parametrize("index", range(12))
def test_recurrent_layers_skip_masked_timesteps_as_keras(index):
    case = CASES["rnn"]
    spec = case["layers"][index]
    layer = getattr(layers, spec["kind"])(
        3, return_sequences=spec["return_sequences"], go_backwards=spec["go_backwards"]
    )
    layer.build((None, 5, 4))
    layer.set_weights([_f32(w) for w in spec["weights"]])
    mask = np.asarray(case["mask"])
    out = layer(_f32(case["inputs"]), mask=mask)
    np.testing.assert_allclose(out.numpy(), _f32(spec["outputs"]), rtol=1e-5, atol=1e-6)
    assert (out._keras_mask is not None) == spec["return_sequences"]


class _PlainCell(layers.Layer):
    """`h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)` written with ops: a
    cell without a fused recurrence, so RNN runs it one timestep at a time."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs, states):
        h = ops.tanh(
            ops.matmul(inputs, self.kernel)
            + ops.matmul(states[0], self.recurrent_kernel)
            + self.bias
        )
        return h, [h]


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_rnn_of_a_plain_cell_masks_like_the_fused_recurrence(
    return_sequences, zero_output_for_mask
):
    case = CASES["rnn"]
    x, mask = _f32(case["inputs"]), np.asarray(case["mask"])
    options = {"return_sequences": return_sequences, "zero_output_for_mask": zero_output_for_mask}
    fused = layers.SimpleRNN(3, **options)
    plain = layers.RNN(_PlainCell(3), **options)
    fused.build((None, 5, 4))
    plain.build((None, 5, 4))
    plain.set_weights(fused.get_weights())
    expected = fused(x, mask=mask).numpy()
    np.testing.assert_allclose(plain(x, mask=mask).numpy(), expected, rtol=1e-5, atol=1e-6)
    if zero_output_for_mask and return_sequences:
        np.testing.assert_array_equal(expected[~mask], 0.0)


def test_recurrent_layer_with_all_true_mask_matches_no_mask():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    layer = layers.GRU(2, return_sequences=True)
    np.testing.assert_array_equal(layer(x, mask=np.ones((2, 4), bool)).numpy(), layer(x).numpy())
    with pytest.raises(ValueError, match=r"mask must have shape.*\(2, 4\).*\(2, 3\)"):
        layer(x, mask=np.ones((2, 3), bool))


@pytest.mark.parametrize(
    "kind, options",
    [
        ("SimpleRNN", {"return_sequences": True}),
        ("LSTM", {"return_sequences": True}),
        ("GRU", {"return_sequences": True}),
        ("LSTM", {"go_backwards": True}),
        ("GRU", {"return_sequences": True, "zero_output_for_mask": True}),
        ("SimpleRNN", {"zero_output_for_mask": True}),
        ("GRU", {"reset_after": False, "return_sequences": True}),
    ],
)
def test_masked_recurrence_gradient_matches_finite_differences(kind, options):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[True, False, True, False], [False, True, True, True]])
    layer = getattr(layers, kind)(2, dtype="float64", **options)
    output_shape = (2, 4, 2) if options.get("return_sequences") else (2, 2)
    layer.build((None, 4, 3))
    weights = [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    probe = rng.normal(size=output_shape)

    def loss_of(values):
        layer.set_weights(values)
        return float(np.sum(layer(x, mask=mask).numpy() * probe))

    layer.set_weights(weights)
    with keras.GradientTape() as tape:
        tape.watch(layer.trainable_weights)
        total = ops.sum(layer(x, mask=mask) * probe)
    grads = tape.gradient(total, layer.trainable_weights)
    for w_index, grad in enumerate(grads):
        numeric = np.zeros_like(weights[w_index])
        for position in np.ndindex(*weights[w_index].shape):
            shifted = [w.copy() for w in weights]
            shifted[w_index][position] += 1e-6
            up = loss_of(shifted)
            shifted[w_index][position] -= 2e-6
            numeric[position] = (up - loss_of(shifted)) / 2e-6
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-5, atol=1e-7)


# -- losses and metrics -----------------------------------------------------------------------
def test_loss_and_accuracy_leave_masked_timesteps_out_as_keras():
    case = CASES["loss"]
    y_true = np.asarray(case["y_true"])
    y_pred = keras.ops.convert_to_tensor(_f32(case["probs"]))
    y_pred._keras_mask = np.asarray(case["mask"])
    loss = keras.losses.SparseCategoricalCrossentropy()
    np.testing.assert_allclose(float(loss(y_true, y_pred)), case["plain"], rtol=1e-5)
    weights = _f32(case["sample_weight"])
    np.testing.assert_allclose(
        float(loss(y_true, y_pred, sample_weight=weights)), case["weighted"], rtol=1e-5
    )
    summed = keras.losses.SparseCategoricalCrossentropy(reduction="sum")(y_true, y_pred)
    np.testing.assert_allclose(float(summed), case["sum"], rtol=1e-5)
    metric = keras.metrics.SparseCategoricalAccuracy()
    metric.update_state(y_true, y_pred)
    np.testing.assert_allclose(float(metric.result()), case["accuracy"], rtol=1e-6)


def _padded_model(case):
    inputs = keras.Input((6,), dtype="int32")
    h = layers.Embedding(12, 5, mask_zero=True)(inputs)
    h = layers.LSTM(4, return_sequences=True)(h)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(h))
    model.set_weights([_f32(w) for w in case["weights"]])
    return model


def _compiled(model, optimizer):
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_on_padded_sequences_matches_keras_loss_history_and_evaluate():
    case = CASES["fit"]
    x, y = np.asarray(case["x"], dtype="int32"), np.asarray(case["y"], dtype="int32")
    model = _compiled(_padded_model(case), keras.optimizers.Adam(0.05))
    initial = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    for key, value in case["initial_evaluate"].items():
        np.testing.assert_allclose(initial[key], value, rtol=1e-5, err_msg=key)
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], case["history"]["loss"], rtol=1e-4)
    evaluated = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    for key, value in case["evaluate"].items():
        np.testing.assert_allclose(evaluated[key], value, rtol=1e-4, err_msg=key)


def test_training_metrics_leave_masked_timesteps_out_like_evaluate():
    # Keras on JAX drops the predictions' mask before a training step's metric updates
    # (its training accuracy then counts the padding); minikeras counts the same timesteps
    # in training as in evaluate, as Keras's masking guide describes.
    case = CASES["fit"]
    x = np.asarray(case["x"], dtype="int32")
    y = np.asarray(case["padding_as_predicted_y"], dtype="int32")
    model = _compiled(_padded_model(case), keras.optimizers.SGD(0.0))
    history = model.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(
        history.history["accuracy"][0], case["frozen_evaluate_accuracy"], rtol=1e-6
    )
    assert abs(history.history["accuracy"][0] - case["jax_frozen_fit_accuracy"]) > 0.1


def test_model_carrying_masks_is_not_replayed():
    case = CASES["fit"]
    model = _padded_model(case)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert not model._is_replayable()
    # A replay computes no masks: the layers that make them are never replayed.
    assert not layers.Masking()._is_replayable()
    assert not layers.Embedding(4, 2, mask_zero=True)._is_replayable()


# -- merging layers ---------------------------------------------------------------------------
def test_merging_layers_or_the_masks_as_keras():
    case = CASES["masking"]
    seq = _f32(case["inputs"])
    first, second = layers.Masking()(seq), layers.Masking(mask_value=1.0)(seq)
    assert layers.Add()([first, seq])._keras_mask is None  # one input without a mask
    assert layers.Concatenate()([first, seq])._keras_mask.tolist() == CASES["merge"]["Concatenate"]
    assert layers.Add()([first, second])._keras_mask.tolist() == CASES["merge"]["AddBoth"]
    assert layers.Dot(axes=2)([first, second])._keras_mask is None


@pytest.mark.parametrize(
    "name", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]
)
def test_merging_layers_on_masked_inputs_match_keras(name):
    case = CASES["merge_both"]
    first = layers.Masking()(_f32(case["first"]))
    second = layers.Masking(mask_value=1.0)(_f32(case["second"]))
    merged = getattr(layers, name)()([first, second])
    expected = case["layers"][name]
    np.testing.assert_allclose(merged.numpy(), _f32(expected["outputs"]), rtol=1e-6, atol=1e-7)
    assert merged._keras_mask.tolist() == expected["mask"]


def test_multiply_counts_masked_entries_as_one_as_keras():
    case = CASES["merge_both"]
    merged = layers.Multiply()([layers.Masking()(_f32(case["first"])), _f32(case["second"])])
    expected = case["multiply_one_masked"]
    np.testing.assert_allclose(merged.numpy(), _f32(expected["outputs"]), rtol=1e-6)
    assert merged._keras_mask is None and expected["mask"] is None


def test_merging_layers_pass_masks_on_in_a_graph():
    steps = keras.Input((5, 4))
    masked = layers.Masking()(steps)
    assert layers.Maximum()([masked, masked])._keras_mask.shape == (None, 5)
    assert layers.Concatenate()([masked, steps])._keras_mask.shape == (None, 5)


# -- the keras.io masking guide ---------------------------------------------------------------
def _guide_padded():
    raw = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded = keras.utils.pad_sequences(raw, padding="post")
    assert padded.tolist() == CASES["guide"]["padded"]
    return padded


def test_guide_models_with_masked_lstm_run_sequential_functional_and_subclassed():
    padded = _guide_padded()
    sequential = keras.Sequential(
        [layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True), layers.LSTM(32)]
    )
    assert sequential(padded).shape == (3, 32)
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    functional = keras.Model(inputs, layers.LSTM(32)(h))
    assert functional(padded).shape == (3, 32)

    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(32)

        def call(self, inputs):
            x = self.embedding(inputs)
            return self.lstm(x, mask=self.embedding.compute_mask(inputs))

    layer = MyLayer()
    out = layer(padded)
    # The explicit mask gives what the mask carried by the embeddings gives.
    np.testing.assert_array_equal(out.numpy(), layer.lstm(layer.embedding(padded)).numpy())


def test_guide_custom_layers_make_pass_on_and_use_masks():
    class TemporalSplit(layers.Layer):
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else ops.split(mask, 2, axis=1)

    x = np.array([[1, 2, 3, 4, 5, 6, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8, 0, 0]])
    first, second = TemporalSplit()(layers.Embedding(10, 32, mask_zero=True)(x))
    assert first._keras_mask.tolist() == [[True] * 5, [True] * 5]
    assert second._keras_mask.tolist() == [
        [True, False, False, False, False],
        [True] * 3 + [False] * 2,
    ]

    class MyActivation(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    class TemporalSoftmax(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            weight = ops.expand_dims(ops.cast(mask, "float32"), -1)
            exp = ops.exp(inputs) * weight
            return exp / ops.sum(exp * weight, axis=1, keepdims=True)

    inputs = keras.Input(shape=(None,), dtype="int32")
    h = MyActivation()(layers.Embedding(10, 8, mask_zero=True)(inputs))
    assert h._keras_mask is not None
    model = keras.Model(inputs, TemporalSoftmax()(layers.Dense(1)(h)))
    tokens = np.array([[3, 4, 0, 0], [5, 6, 7, 0]])
    out = model(tokens).numpy()[..., 0]
    np.testing.assert_array_equal(out[tokens == 0], 0.0)  # masked steps get no weight
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)


# -- attention layers -------------------------------------------------------------------------
def test_attention_uses_the_masks_its_inputs_carry_as_keras():
    case = CASES["attention"]
    query, value = layers.Masking()(_f32(case["query"])), layers.Masking()(_f32(case["value"]))
    out = layers.Attention()([query, value])
    np.testing.assert_allclose(out.numpy(), _f32(case["outputs"]), rtol=1e-5, atol=1e-6)
    assert out._keras_mask.tolist() == case["mask"]


def test_multi_head_attention_uses_and_consumes_the_masks_as_keras():
    case = CASES["attention"]
    embedding = layers.Embedding(8, 4, mask_zero=True)
    embedding.build((None, 5))
    embedding.set_weights([_f32(case["embeddings"])])
    x = embedding(np.asarray(case["tokens"]))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    mha.build((None, 5, 4), (None, 5, 4))
    mha.set_weights([_f32(w) for w in case["mha_weights"]])
    out = mha(x, x)
    np.testing.assert_allclose(out.numpy(), _f32(case["mha_outputs"]), rtol=1e-5, atol=1e-6)
    assert out._keras_mask.tolist() == case["mha_mask"]
    assert x._keras_mask is None and case["input_mask_after_mha"] is None


# -- which layers support masking ---------------------------------------------------------------
def test_supports_masking_is_set_on_the_layers_keras_marks():
    expected = CASES["supports_masking"]
    assert list(expected) == masking_scenarios.NAMES
    found = {
        name: masking_scenarios.supporting_layer(keras, name).supports_masking for name in expected
    }
    assert found == expected


@pytest.mark.parametrize("index", range(4))
def test_zero_output_for_mask_outputs_zeros_at_masked_steps_as_keras(index):
    spec = CASES["rnn_zero_output"][index]
    layer = getattr(layers, spec["kind"])(
        3, return_sequences=spec["return_sequences"], zero_output_for_mask=True
    )
    layer.build((None, 5, 4))
    layer.set_weights([_f32(w) for w in spec["weights"]])
    out = layer(_f32(CASES["rnn"]["inputs"]), mask=np.asarray(CASES["rnn"]["mask"]))
    np.testing.assert_allclose(out.numpy(), _f32(spec["outputs"]), rtol=1e-5, atol=1e-6)


def test_sequential_with_masks_trains_like_the_functional_model():
    case = CASES["fit"]
    x, y = np.asarray(case["x"], dtype="int32"), np.asarray(case["y"], dtype="int32")
    sequential = keras.Sequential(
        [
            keras.Input((6,), dtype="int32"),
            layers.Embedding(12, 5, mask_zero=True),
            layers.LSTM(4, return_sequences=True),
            layers.Dense(3, activation="softmax"),
        ]
    )
    sequential.set_weights([_f32(w) for w in case["weights"]])
    _compiled(sequential, keras.optimizers.Adam(0.05))
    history = sequential.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], case["history"]["loss"], rtol=1e-4)


def test_masking_model_saves_and_loads_with_its_masks(tmp_path):
    inputs = keras.Input((4, 3))
    h = layers.Masking(mask_value=-1.0)(inputs)
    model = keras.Model(inputs, layers.LSTM(2, return_sequences=True)(h))
    path = str(tmp_path / "masked.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    x[0, 2:] = -1.0
    out = loaded(x)
    np.testing.assert_array_equal(out.numpy(), model(x).numpy())
    assert out._keras_mask.tolist() == [[True, True, False, False], [True] * 4]
    embedding = keras.saving.load_model(_saved_embedding(tmp_path)).layers[1]
    assert embedding.mask_zero and embedding.supports_masking


def _saved_embedding(tmp_path):
    inputs = keras.Input((3,), dtype="int32")
    model = keras.Model(inputs, layers.Embedding(5, 2, mask_zero=True)(inputs))
    path = str(tmp_path / "embedding.keras")
    model.save(path)
    return path


def test_sample_weight_that_does_not_fit_the_mask_raises_before_training():
    # Keras fails with a broadcasting error; minikeras names the arrays, before any update.
    case = CASES["fit"]
    x, y = np.asarray(case["x"], dtype="int32"), np.asarray(case["y"], dtype="int32")
    model = _compiled(_padded_model(case), keras.optimizers.Adam(0.05))
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"sample_weight of shape \(16,\).*mask.*\(16, 6\)"):
        model.fit(x, y, sample_weight=np.ones(40, "float32"), batch_size=16, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    per_step = model.fit(
        x, y, sample_weight=np.ones((40, 6), "float32"), batch_size=16, epochs=1, verbose=0
    )
    assert np.isfinite(per_step.history["loss"][0])


def test_stacked_cells_with_a_mask_match_stacked_layers():
    # A masked step keeps every cell's states, so a stack of cells gives what a stack of
    # layers gives when the mask reaches each of them.
    case = CASES["rnn"]
    x, mask = _f32(case["inputs"]), np.asarray(case["mask"])
    stacked = layers.RNN([layers.GRUCell(3), layers.LSTMCell(2)], return_sequences=True)
    first = layers.GRU(3, return_sequences=True)
    second = layers.LSTM(2, return_sequences=True)
    stacked.build((None, 5, 4))
    first.build((None, 5, 4))
    second.build((None, 5, 3))
    first.set_weights(stacked.get_weights()[:3])
    second.set_weights(stacked.get_weights()[3:])
    expected = second(first(x, mask=mask)).numpy()
    np.testing.assert_allclose(stacked(x, mask=mask).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("index", range(3))
def test_bidirectional_skips_masked_timesteps_in_both_directions_as_keras(index):
    spec = CASES["bidirectional"][index]
    layer = layers.Bidirectional(
        getattr(layers, spec["kind"])(2, return_sequences=spec["return_sequences"]),
        merge_mode=spec["merge_mode"],
    )
    layer.build((None, 5, 4))
    layer.set_weights([_f32(w) for w in spec["weights"]])
    out = layer(_f32(CASES["rnn"]["inputs"]), mask=np.asarray(CASES["rnn"]["mask"]))
    outs = out if isinstance(out, (list, tuple)) else [out]
    for got, expected, mask in zip(outs, spec["outputs"], spec["masks"]):
        np.testing.assert_allclose(got.numpy(), _f32(expected), rtol=1e-5, atol=1e-6)
        assert (None if got._keras_mask is None else got._keras_mask.tolist()) == mask
