"""Masked BatchNormalization in training is one primitive (layers/normalization/masked.py)
that gives the numbers of the same computation written with ops."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, ops
from minikeras.layers.normalization.masked import MaskedNormalizeAndTrack
from tests.gradcheck import check_gradients


def composed_masked_batch_norm(layer, inputs, mask):
    """The masked training forward pass written with ops (the autodiff core differentiates
    it), moving averages included: Keras's `_moments` with a mask, then normalisation."""
    mask = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), -1), inputs.shape)
    axes = layer._reduction_axes
    count = ops.sum(ops.cast(mask, inputs.dtype), axis=axes, keepdims=True) + config.epsilon()
    mean = ops.sum(ops.where(mask, inputs, 0.0), axis=axes, keepdims=True) / count
    centered = ops.where(mask, inputs - mean, 0.0)
    variance = ops.sum(ops.square(centered), axis=axes, keepdims=True) / count
    momentum = layer.momentum
    for moving, batch in ((layer.moving_mean, mean), (layer.moving_variance, variance)):
        moving.assign(moving.numpy() * momentum + batch.numpy().reshape(-1) * (1 - momentum))
    inv = ops.rsqrt(variance + layer.epsilon)
    if layer.gamma is not None:
        inv = inv * ops.reshape(layer.gamma, layer._param_shape)
    outputs = (inputs - mean) * inv
    if layer.beta is not None:
        outputs = outputs + ops.reshape(layer.beta, layer._param_shape)
    return outputs


def _layer(x, axis, center, scale, seed):
    layer = layers.BatchNormalization(axis=axis, momentum=0.7, center=center, scale=scale)
    layer.build(x.shape)
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.uniform(0.5, 2.0, weight.shape).astype(np.float32))
    return layer


def _step(layer, x, mask, gy, forward):
    tx = keras.Variable(x)
    with keras.GradientTape() as tape:
        y = forward(layer, tx, mask)
    sources = [tx, *layer.trainable_weights]
    gradients = tape.gradient(y, sources, output_gradients=ops.convert_to_tensor(gy))
    moving = [layer.moving_mean.numpy(), layer.moving_variance.numpy()]
    return [y.numpy(), *moving, *[g.numpy() for g in gradients]]


def _fused(layer, inputs, mask):
    return layer(inputs, training=True, mask=mask)


@pytest.mark.parametrize(
    ("shape", "axis"), [((4, 6, 3), -1), ((3, 5, 4, 2), -1), ((4, 3, 5), 1), ((7, 2), -1)]
)
@pytest.mark.parametrize(("center", "scale"), [(True, True), (False, True), (True, False)])
def test_masked_batch_norm_primitive_matches_the_composed_ops(shape, axis, center, scale):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    mask = rng.uniform(size=shape[:-1]) < 0.6
    mask.reshape(-1)[:2] = (False, True)  # some masked entries, some not
    results = []
    for forward in (_fused, composed_masked_batch_norm):
        layer = _layer(x, axis, center, scale, seed=1)
        # Two steps: the second starts from moved moving averages.
        _step(layer, x, mask, gy, forward)
        results.append(_step(layer, x + 1, mask, gy, forward))
    for fused, composed in zip(*results):
        assert fused.dtype == np.float32 and fused.shape == composed.shape
        np.testing.assert_allclose(fused, composed, rtol=2e-5, atol=2e-5)


def test_masked_batch_norm_in_training_is_one_graph_node():
    x = keras.Variable(np.random.default_rng(2).standard_normal((3, 4, 2)).astype(np.float32))
    mask = np.array([[True, False, True, True], [False] * 4, [True] * 4])
    out = layers.BatchNormalization()(x, training=True, mask=mask)
    assert isinstance(out.creator, MaskedNormalizeAndTrack)
    assert out.creator.inputs[0] is x


def test_masked_batch_norm_all_masked_channel_gradients_are_finite():
    # Every entry masked: zero statistics (count is epsilon), and the gradient reaches x
    # through the normalisation only.
    x = np.random.default_rng(4).standard_normal((2, 3, 2)).astype(np.float32)
    mask = np.zeros((2, 3), bool)
    gy = np.random.default_rng(5).standard_normal(x.shape).astype(np.float32)
    fused = _step(_layer(x, -1, True, True, 3), x, mask, gy, _fused)
    composed = _step(_layer(x, -1, True, True, 3), x, mask, gy, composed_masked_batch_norm)
    for a, b in zip(fused, composed):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("has_gamma,has_beta", [(True, True), (False, True), (True, False)])
def test_masked_batch_norm_primitive_gradients_by_finite_differences(has_gamma, has_beta):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4, 2)) * 2 + 0.5
    mask = keras.ops.convert_to_tensor(rng.uniform(size=(3, 4)) < 0.7)
    params = [rng.uniform(0.5, 2, 2) for flag in (has_gamma, has_beta) if flag]

    def normalize(x, *params):
        node = MaskedNormalizeAndTrack((0, 1), 1e-3, (1, 1, 2), has_gamma, has_beta, 0.9)
        moving = keras.Variable(np.zeros(2)), keras.Variable(np.ones(2))
        return node(x, mask, *params, *moving)

    check_gradients(normalize, x, *params)


def test_masked_batch_norm_rejects_a_mask_of_another_shape_before_moving_statistics():
    layer = layers.BatchNormalization(name="bn")
    x = np.ones((2, 3, 4), np.float32)
    layer(x)
    with pytest.raises(ValueError, match=r'"bn".*mask.shape=\(2, 5\).*inputs.shape=\(2, 3, 4\)'):
        layer(x, training=True, mask=np.ones((2, 5), bool))
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(4))
