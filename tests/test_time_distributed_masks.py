"""TimeDistributed with masks, as Keras 3: the mask reaches the wrapped layer one timestep at
a time (folded into the batch) and the output carries the input's mask. Reference numbers
come from real Keras (tests/fixtures/generate_time_distributed_masks.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops

with open(os.path.join(os.path.dirname(__file__), "fixtures", "time_distributed_masks.json")) as f:
    CASES = json.load(f)


def _f32(value):
    return np.asarray(value, dtype="float32")


def _set(layer, weights):
    layer.set_weights([_f32(w) for w in weights])


def test_time_distributed_passes_the_input_mask_to_its_output():
    case = CASES["dense"]
    x, mask = _f32(case["x"]), np.asarray(case["mask"])
    layer = layers.TimeDistributed(layers.Dense(2))
    layer.build(x.shape)
    _set(layer, case["weights"])
    y = layer(x, mask=mask)
    assert layer.supports_masking
    assert y.dtype == "float32"
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["y"], rtol=1e-5, atol=1e-6)
    assert y._keras_mask.tolist() == case["y_mask"]


def test_time_distributed_without_a_mask_gives_none_even_around_a_masking_layer():
    # As Keras: the wrapped layer's own compute_mask is not consulted.
    y = layers.TimeDistributed(layers.Masking())(np.zeros((2, 3, 4), "float32"))
    assert y._keras_mask is None


def test_time_distributed_gives_each_timestep_its_mask_slice():
    case = CASES["pooling"]
    x, mask = _f32(case["x"]), np.asarray(case["mask"])
    y = layers.TimeDistributed(layers.GlobalAveragePooling1D())(x, mask=mask)
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["y"], rtol=1e-5, atol=1e-6)
    assert y._keras_mask.tolist() == case["y_mask"]


def test_time_distributed_lstm_skips_each_sequences_masked_steps():
    case, x = CASES["lstm"], _f32(CASES["pooling"]["x"])
    layer = layers.TimeDistributed(layers.LSTM(3))
    layer.build(x.shape)
    _set(layer, case["weights"])
    y = layer(x, mask=np.asarray(CASES["pooling"]["mask"]))
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["y"], rtol=1e-5, atol=1e-6)
    assert y._keras_mask.tolist() == case["y_mask"]


def test_time_distributed_mask_reaches_a_per_timestep_layer():
    # A layer with non-trainable weights runs once per timestep; its mask is that step's.
    class Recorder(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, inputs, mask=None):
            seen.append(None if mask is None else np.asarray(mask).tolist())
            return inputs

    seen = []
    mask = np.array([[1, 1, 0], [1, 0, 0]], bool)
    layers.TimeDistributed(Recorder())(np.ones((2, 3, 4), "float32"), mask=mask)
    assert seen == [[True, True], [True, False], [False, False]]


def _masked_model(case):
    inputs = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 4, mask_zero=True)(inputs)
    dense = layers.TimeDistributed(layers.Dense(3, activation="tanh"))(embedded)
    state = layers.LSTM(4)(dense)
    model = keras.Model(inputs, layers.Dense(1)(state))
    for layer, weights in zip(model.layers[1:], case["weights"]):
        _set(layer, weights)
    return model, keras.Model(inputs, dense)


def test_embedding_time_distributed_lstm_model_matches_keras_predictions_and_masks():
    case = CASES["model"]
    tokens = np.asarray(case["tokens"], "int32")
    model, probe = _masked_model(case)
    assert probe(tokens[:4])._keras_mask.tolist() == case["dense_mask"]
    predictions = model.predict(tokens, verbose=0)
    np.testing.assert_allclose(predictions, case["predictions"], rtol=1e-5, atol=1e-6)


def test_embedding_time_distributed_lstm_fit_matches_keras_loss_history():
    case = CASES["model"]
    tokens = np.asarray(case["tokens"], "int32")
    model, _ = _masked_model(case)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(
        tokens, _f32(case["targets"]), batch_size=4, epochs=4, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-5)


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.ones((2,), bool), r"at least 2-D.*\(2,\)"),
        (np.ones((2, 4), bool), r"\(2, 4\).*\(2, 3, 4\).*\(2, 3\)"),
    ],
)
def test_time_distributed_rejects_a_mask_that_does_not_cover_batch_and_time(mask, message):
    layer = layers.TimeDistributed(layers.Dense(2))
    layer.build((2, 3, 4))
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=message):
        layer(np.ones((2, 3, 4), "float32"), mask=mask)
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_functional_time_distributed_lstm_reads_each_sentence_up_to_its_padding():
    # (batch, sentences, words): the LSTM sees one sentence per folded sample, with its mask.
    case = CASES["nested"]
    inputs = keras.Input((3, 4), dtype="int32")
    embedded = layers.Embedding(10, 2, mask_zero=True)(inputs)
    sentences = layers.TimeDistributed(layers.LSTM(3))(embedded)
    model = keras.Model(inputs, sentences)
    for layer, weights in zip(model.layers[1:], case["weights"]):
        _set(layer, weights)
    outputs = model(np.asarray(case["words"], "int32"))
    np.testing.assert_allclose(ops.convert_to_numpy(outputs), case["y"], rtol=1e-5, atol=1e-6)
    assert outputs._keras_mask.tolist() == case["y_mask"]
    predictions = model.predict(np.asarray(case["words"], "int32"), verbose=0)
    np.testing.assert_allclose(predictions, case["y"], rtol=1e-5, atol=1e-6)
