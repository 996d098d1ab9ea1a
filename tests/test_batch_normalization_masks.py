"""BatchNormalization trained with a mask: batch statistics over the unmasked entries only,
as Keras 3 computes them. Reference numbers come from real Keras
(tests/fixtures/generate_bn_masks.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.layer_test_helper import check_layer_gradients

with open(os.path.join(os.path.dirname(__file__), "fixtures", "bn_masks.json")) as f:
    CASES = json.load(f)


def _f32(value):
    return np.asarray(value, dtype="float32")


@pytest.mark.parametrize("case", CASES["layer"], ids=lambda c: f"axis{c['axis']}")
def test_masked_batch_statistics_outputs_and_moving_statistics_match_keras(case):
    x, mask = _f32(case["x"]), np.asarray(case["mask"])
    layer = layers.BatchNormalization(axis=case["axis"], momentum=0.8)
    layer.build(x.shape)
    layer.gamma.assign(_f32(case["gamma"]))
    layer.beta.assign(_f32(case["beta"]))
    for step, expected in enumerate(case["outputs"]):
        y = layer(x + step, training=True, mask=mask)
        assert y.dtype == "float32"
        np.testing.assert_allclose(y.numpy(), _f32(expected), rtol=1e-5, atol=1e-5)
    assert layer.moving_mean.numpy().dtype == np.float32
    np.testing.assert_allclose(layer.moving_mean.numpy(), case["moving_mean"], rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), case["moving_variance"], rtol=1e-5)


def test_masked_batch_statistics_leave_the_masked_entries_out():
    # The padded entries hold huge values: only the unmasked ones may move the statistics.
    x = np.array([[[1.0], [3.0], [1e6]], [[5.0], [-1e6], [7.0]]], dtype="float32")
    mask = np.array([[True, True, False], [True, False, True]])
    layer = layers.BatchNormalization(momentum=0.0, epsilon=1e-3)
    layer(x, training=True, mask=mask)
    np.testing.assert_allclose(layer.moving_mean.numpy(), [4.0], rtol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), [5.0], rtol=1e-6)


class _MaskedBatchNormalization(layers.Layer):
    """A float64 BatchNormalization called with a fixed mask, for the gradient check."""

    def __init__(self, mask):
        super().__init__(dtype="float64")
        self.mask = mask
        self.normalize = layers.BatchNormalization(
            gamma_initializer="random_normal", beta_initializer="random_normal", dtype="float64"
        )

    def call(self, inputs, training=None):
        return self.normalize(inputs, training=training, mask=self.mask)


@pytest.mark.parametrize("axis", [-1, 1])
def test_masked_batch_normalization_gradient_matches_finite_differences(axis):
    # Input, gamma and beta gradients, through the masked mean and variance.
    mask = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
    layer = _MaskedBatchNormalization(mask)
    layer.normalize.axis = axis
    x = np.random.default_rng(3).standard_normal((3, 4, 2)) * 2.0 + 0.5
    check_layer_gradients(layer, x, training=True)


def test_batch_normalization_rejects_a_mask_of_the_wrong_rank_as_keras():
    layer = layers.BatchNormalization()
    x = np.ones((2, 3, 4), dtype="float32")
    layer.build(x.shape)
    before = [w.numpy().copy() for w in layer.weights]
    with pytest.raises(ValueError, match=r"mask\.shape=\(2, 3, 4\).*inputs\.shape=\(2, 3, 4\)"):
        layer(x, training=True, mask=np.ones((2, 3, 4), dtype=bool))
    with pytest.raises(ValueError, match="one dimension less"):
        layer(x, training=True, mask=np.ones((2,), dtype=bool))
    for w, old in zip(layer.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), old)


@pytest.mark.parametrize("case", CASES["fit"]["cases"], ids=lambda c: c["head"])
def test_masked_batch_normalization_fit_history_matches_keras(case):
    x = np.asarray(CASES["fit"]["x"], dtype="int32")
    y = _f32(CASES["fit"]["y"])
    inputs = keras.Input((6,), dtype="int32")
    hidden = layers.Embedding(8, 4, mask_zero=True)(inputs)
    hidden = layers.BatchNormalization(momentum=0.7)(hidden)
    if case["head"] == "lstm":
        hidden = layers.LSTM(3)(hidden)
    else:
        hidden = layers.GlobalAveragePooling1D()(hidden)
    model = keras.Model(inputs, layers.Dense(1)(hidden))
    model.set_weights([_f32(w) for w in case["weights"]])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-4)
    bn = model.layers[2]
    np.testing.assert_allclose(bn.moving_mean.numpy(), case["moving_mean"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), case["moving_variance"], rtol=1e-4)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), case["predictions"], rtol=1e-4, atol=1e-5
    )


def test_masked_batch_normalization_inference_ignores_the_mask_as_keras():
    # Inference uses the moving statistics, so the mask changes nothing there.
    x = np.random.default_rng(4).standard_normal((2, 4, 3)).astype("float32")
    layer = layers.BatchNormalization(moving_mean_initializer="random_normal")
    mask = np.array([[True, True, False, False], [True, False, False, False]])
    np.testing.assert_array_equal(
        layer(x, training=False, mask=mask).numpy(), layer(x, training=False).numpy()
    )


def test_fully_masked_batch_gives_zero_statistics_not_nan_as_keras():
    # Keras adds 1e-7 to the count of unmasked entries, so an all-masked batch has mean and
    # variance 0: each entry x becomes x / sqrt(epsilon), and the averages decay towards 0.
    layer = layers.BatchNormalization(epsilon=1e-3)
    x = np.full((2, 3, 2), 2.0, dtype="float32")
    y = layer(x, training=True, mask=np.zeros((2, 3), dtype=bool))
    np.testing.assert_allclose(y.numpy(), x / np.sqrt(np.float32(1e-3)), rtol=1e-6)
    np.testing.assert_allclose(layer.moving_mean.numpy(), [0.0, 0.0])
    np.testing.assert_allclose(layer.moving_variance.numpy(), [0.99, 0.99], rtol=1e-6)
