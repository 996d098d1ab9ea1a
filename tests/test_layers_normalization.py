"""BatchNormalization and LayerNormalization: shared layer checks, values and moving
statistics against real Keras (tests/fixtures/layers.json) and by hand, training/inference
and frozen behaviour, and float64 finite-difference gradient checks of the fused primitive
and of the layers.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from minikeras.layers.normalization.fused import Normalize
from tests.gradcheck import check_gradients
from tests.layer_test_helper import check_layer_gradients, keras_case, run_layer_test

RNG = np.random.default_rng(11)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# -- shared checks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "input_shape", "trainable"),
    [
        ({}, (8, 3), 2),
        ({"axis": 1}, (4, 3, 2, 2), 2),
        ({"momentum": 0.5, "center": False}, (5, 2, 4), 1),
        ({"scale": False, "center": False}, (6, 3), 0),
    ],
)
def test_batch_normalization_passes_layer_checks(kwargs, input_shape, trainable):
    run_layer_test(
        layers.BatchNormalization,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=input_shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=2,
        updated_in_training=("moving_mean", "moving_variance"),
    )


@pytest.mark.parametrize(
    ("kwargs", "input_shape", "trainable"),
    [
        ({}, (3, 5), 2),
        ({"axis": [1, 2], "epsilon": 0.01}, (2, 3, 4), 2),
        ({"axis": 1, "center": False}, (2, 3, 4), 1),
    ],
)
def test_layer_normalization_passes_layer_checks(kwargs, input_shape, trainable):
    run_layer_test(
        layers.LayerNormalization,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=input_shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )


def test_batch_normalization_weights_in_keras_order():
    layer = layers.BatchNormalization()
    layer(np.ones((2, 3), dtype=np.float32))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]


# -- values against Keras -------------------------------------------------------------------
def _set_weights(layer, data):
    layer.build(data["inputs"].shape)
    layer.set_weights(data["weights"])


@pytest.mark.parametrize("case", ["batch_norm", "batch_norm_axis1", "batch_norm_no_scale"])
def test_batch_normalization_matches_keras(case):
    data = keras_case(case)
    layer = layers.BatchNormalization(**data["kwargs"])
    _set_weights(layer, data)
    for call_kwargs, expected in zip(data["calls"], data["outputs"], strict=True):
        out = layer(data["inputs"], **call_kwargs)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)
    for weight, expected in zip(layer.get_weights(), data["weights_after"], strict=True):
        np.testing.assert_allclose(weight, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", ["layer_norm", "layer_norm_axes"])
def test_layer_normalization_matches_keras(case):
    data = keras_case(case)
    layer = layers.LayerNormalization(**data["kwargs"])
    _set_weights(layer, data)
    out = layer(data["inputs"])
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("batch_norm_step", lambda: layers.BatchNormalization(momentum=0.9)),
        ("layer_norm_step", layers.LayerNormalization),
    ],
)
def test_training_step_gradients_match_keras(case, make):
    """Loss, gradients of every weight, and moving statistics after one training step of
    Dense -> normalization -> Dense, against `jax.grad` through the Keras model."""
    data = keras_case(case)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), make(), layers.Dense(1)])
    model.set_weights(data["weights"])
    with keras.GradientTape() as tape:
        outputs = model(data["inputs"], training=True)
        loss = ops.mean(ops.square(outputs - data["targets"]))
    gradients = tape.gradient(loss, model.trainable_weights)
    np.testing.assert_allclose(float(loss), data["loss"], rtol=1e-6)
    for gradient, expected in zip(gradients, data["gradients"], strict=True):
        np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-5, atol=1e-6)
    for weight, expected in zip(
        model.non_trainable_weights, data["non_trainable_after"], strict=True
    ):
        np.testing.assert_allclose(weight.numpy(), expected, rtol=1e-6, atol=1e-7)


# -- training and inference behaviour -------------------------------------------------------
def test_batch_norm_moving_stats_update_only_in_training_with_momentum_099():
    layer = layers.BatchNormalization()
    x = rand(16, 3) * 3.0 + 2.0
    layer(x, training=False)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(3))
    layer(x)  # training=None: inference
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))

    mean, variance = x.mean(axis=0), x.var(axis=0)  # biased variance, as Keras
    out = layer(x, training=True).numpy()
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3), rtol=1e-5, atol=1e-5)
    expected_mean = 0.99 * 0.0 + 0.01 * mean
    expected_variance = 0.99 * 1.0 + 0.01 * variance
    np.testing.assert_allclose(layer.moving_mean.numpy(), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), expected_variance, rtol=1e-5)

    layer(x, training=True)
    expected_mean = 0.99 * expected_mean + 0.01 * mean
    expected_variance = 0.99 * expected_variance + 0.01 * variance
    np.testing.assert_allclose(layer.moving_mean.numpy(), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), expected_variance, rtol=1e-5)

    # Inference uses the moving statistics.
    out = layer(x, training=False).numpy()
    expected = (x - expected_mean) / np.sqrt(expected_variance + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert layer.moving_mean.dtype == "float32" and out.dtype == np.float32


def test_frozen_batch_norm_runs_in_inference_mode_even_when_training():
    layer = layers.BatchNormalization(momentum=0.5)
    x = rand(8, 2) + 5.0
    layer(x, training=True)
    stats = [layer.moving_mean.numpy(), layer.moving_variance.numpy()]
    layer.trainable = False
    out = layer(x, training=True).numpy()
    np.testing.assert_array_equal(layer.moving_mean.numpy(), stats[0])
    np.testing.assert_array_equal(layer.moving_variance.numpy(), stats[1])
    np.testing.assert_allclose(out, layer(x, training=False).numpy())
    np.testing.assert_allclose(out, (x - stats[0]) / np.sqrt(stats[1] + 1e-3), rtol=1e-5)


def test_batch_norm_inside_fit_style_step_and_symbolic_call_do_not_touch_stats():
    layer = layers.BatchNormalization()
    inputs = keras.Input((4,))
    outputs = layer(inputs)
    model = keras.Model(inputs, outputs)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(4))
    x = rand(6, 4) + 1.0
    model(x, training=False)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(4))
    model(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.01 * x.mean(0), rtol=1e-5)


def test_layer_normalization_normalises_each_sample_by_hand():
    x = rand(3, 6) * 4.0 + 1.0
    out = layers.LayerNormalization(epsilon=1e-5)(x).numpy()
    expected = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    # Same numbers in training and inference.
    layer = layers.LayerNormalization()
    np.testing.assert_array_equal(layer(x, training=True).numpy(), layer(x).numpy())


# -- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "axes", "param_shape"),
    [
        ((5, 3), (0,), (1, 3)),  # batch normalisation of features
        ((3, 2, 2, 2), (0, 2, 3), (1, 2, 1, 1)),  # batch normalisation, channels first
        ((3, 4), (1,), (1, 4)),  # layer normalisation
        ((2, 3, 2), (1, 2), (1, 3, 2)),  # layer normalisation over two axes
    ],
)
def test_fused_normalize_gradient_check(shape, axes, param_shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape) * 2.0 + 0.5
    size = [s for s in param_shape if s != 1]
    gamma, beta = rng.standard_normal(size) + 1.0, rng.standard_normal(size)

    def normalize(x, gamma, beta):
        return Normalize(axes, 1e-3, param_shape, has_gamma=True, has_beta=True)(x, gamma, beta)

    check_gradients(normalize, x, gamma, beta)
    check_gradients(
        lambda x: Normalize(axes, 1e-3, param_shape, has_gamma=False, has_beta=False)(x), x
    )
    check_gradients(
        lambda x, b: Normalize(axes, 1e-3, param_shape, has_gamma=False, has_beta=True)(x, b),
        x,
        beta,
    )


def test_batch_normalization_training_gradient_check():
    layer = layers.BatchNormalization(
        gamma_initializer="random_normal", beta_initializer="random_normal", dtype="float64"
    )
    x = np.random.default_rng(2).standard_normal((5, 3)) * 2.0 + 1.0
    check_layer_gradients(layer, x, training=True)
    channels_first = layers.BatchNormalization(axis=1, dtype="float64")
    check_layer_gradients(
        channels_first, np.random.default_rng(3).standard_normal((3, 2, 2, 2)), training=True
    )


def test_batch_normalization_inference_gradient_check():
    layer = layers.BatchNormalization(
        gamma_initializer="random_normal",
        moving_mean_initializer="random_normal",
        dtype="float64",
    )
    check_layer_gradients(layer, np.random.default_rng(4).standard_normal((4, 3)), training=False)


def test_layer_normalization_gradient_check():
    layer = layers.LayerNormalization(
        gamma_initializer="random_normal", beta_initializer="random_normal", dtype="float64"
    )
    check_layer_gradients(layer, np.random.default_rng(6).standard_normal((3, 4)) * 3.0)
    two_axes = layers.LayerNormalization(
        axis=[1, 2], gamma_initializer="random_normal", dtype="float64"
    )
    check_layer_gradients(two_axes, np.random.default_rng(7).standard_normal((2, 2, 3)))


def test_fused_normalize_is_one_graph_node():
    x = keras.Variable(rand(4, 3))
    layer = layers.BatchNormalization()
    out = layer(x, training=True)
    assert isinstance(out.creator, Normalize)
    assert out.creator.inputs[0] is x
    out = layers.LayerNormalization()(x)
    assert isinstance(out.creator, Normalize)


# -- errors ---------------------------------------------------------------------------------
def test_normalization_errors_name_layer_and_shapes():
    layer = layers.BatchNormalization(name="bn")
    layer(rand(4, 3))
    with pytest.raises(ValueError, match=r'"bn".*axis -1.*3.*\(4, 5\)'):
        layer(rand(4, 5))
    with pytest.raises(ValueError, match=r"axis 2 is out of range.*\(None, 3\)"):
        layers.BatchNormalization(axis=2)(keras.Input((3,)))
    with pytest.raises(ValueError, match="must be known"):
        layers.BatchNormalization()(keras.Input((None,)))
    with pytest.raises(ValueError, match="synchronized"):
        layers.BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="momentum"):
        layers.BatchNormalization(momentum=1.5)
    ln = layers.LayerNormalization(name="ln")
    ln(rand(2, 4))
    with pytest.raises(ValueError, match=r'"ln".*\(4,\).*\(2, 5\)'):
        ln(rand(2, 5))
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"axis 3 is out of range"):
        layers.LayerNormalization(axis=3)(keras.Input((3,)))
    assert ops.convert_to_tensor(ln(rand(2, 4))).dtype == "float32"


@pytest.mark.parametrize("has_gamma, has_beta", [(True, True), (False, True), (True, False)])
def test_normalize_and_track_gradient_check_and_moving_averages(has_gamma, has_beta):
    from minikeras.layers.normalization.fused import NormalizeAndTrack

    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3)) * 2.0 + 0.5
    params = [rng.standard_normal(3) + 1.0 for flag in (has_gamma, has_beta) if flag]
    moving_mean, moving_variance = np.zeros(3), np.ones(3)

    def normalize(x, *params):
        node = NormalizeAndTrack((0,), 1e-3, (1, 3), has_gamma, has_beta, momentum=0.9)
        return node(x, *params, keras.Variable(moving_mean), keras.Variable(moving_variance))

    check_gradients(normalize, x, *params)
    mean, variance = keras.Variable(np.zeros(3)), keras.Variable(np.ones(3))
    node = NormalizeAndTrack((0,), 1e-3, (1, 3), has_gamma, has_beta, momentum=0.9)
    tensors = [keras.ops.convert_to_tensor(a) for a in (x, *params)]
    node(*tensors, mean, variance)
    np.testing.assert_allclose(mean.numpy(), 0.1 * x.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(variance.numpy(), 0.9 + 0.1 * x.var(axis=0), rtol=1e-6)
