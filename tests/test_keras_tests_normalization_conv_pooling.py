"""Behaviours found by running Keras's own normalization, convolutional and pooling tests.

Each test is named after the behaviour; expected values come from the Keras test's own
literals (keras/src/layers/normalization/*_test.py) or are checked against the defining
formula.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import ops


def test_layer_normalization_accepts_input_of_another_rank_with_same_axis_sizes():
    # Keras's test_correctness: built for rank 3, called on rank 4; the last axis matches.
    layer = keras.layers.LayerNormalization(
        beta_initializer="ones", gamma_initializer=keras.initializers.Constant(2.0)
    )
    layer.build(input_shape=(2, 2, 2))
    inputs = np.random.default_rng(0).normal(5.0, 10.0, size=(1000, 2, 2, 2)).astype("float32")
    out = layer(inputs)
    assert out.dtype == "float32"
    normalized = ops.divide(ops.subtract(out, layer.beta), layer.gamma).numpy()
    np.testing.assert_allclose(normalized.mean(), 0.0, atol=1e-1)
    np.testing.assert_allclose(normalized.std(), 1.0, atol=1e-1)
    mean = inputs.mean(axis=-1, keepdims=True)
    variance = inputs.var(axis=-1, keepdims=True)
    expected = (inputs - mean) / np.sqrt(variance + 1e-3) * 2.0 + 1.0
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_layer_normalization_rejects_input_whose_axis_sizes_differ_from_build():
    layer = keras.layers.LayerNormalization()
    layer.build(input_shape=(2, 3))
    with pytest.raises(ValueError, match=r"\(3,\).*\(4, 2, 5\)"):
        layer(np.zeros((4, 2, 5), "float32"))


def test_rms_normalization_called_on_another_rank_normalises_the_last_axis():
    # Keras's test_correctness: built for rank 3 with axis=-1, called on rank 4; Keras
    # resolves -1 at call time, so the mean square is over the input's own last axis.
    layer = keras.layers.RMSNormalization()
    layer.build(input_shape=(2, 2, 2))
    layer.scale.assign(np.array([0.5, 2.0], "float32"))
    inputs = np.random.default_rng(0).normal(5.0, 10.0, size=(1000, 2, 2, 2)).astype("float32")
    out = layer(inputs)
    assert out.dtype == "float32"
    mean_square = np.mean(np.square(inputs), axis=-1, keepdims=True)
    expected = inputs / np.sqrt(mean_square + 1e-6) * np.array([0.5, 2.0], "float32")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_rms_normalization_rejects_input_whose_axis_sizes_differ_from_build():
    layer = keras.layers.RMSNormalization()
    layer.build(input_shape=(2, 3))
    with pytest.raises(ValueError, match=r"\(3,\).*\(4, 2, 5\)"):
        layer(np.zeros((4, 2, 5), "float32"))


def test_layer_normalization_reports_axis_as_a_list_once_built():
    # Keras 3.15.1 (the reference): axis=-1 reads [-1] after build, in the config too; the
    # 3.16-dev test's [1] (made positive) is not what 3.15.1 does.
    layer = keras.layers.LayerNormalization(axis=-1)
    assert layer.get_config()["axis"] == -1
    layer.build((2, 4))
    assert layer.axis == [-1]
    assert layer.get_config()["axis"] == [-1]
    revived = keras.layers.LayerNormalization.from_config(layer.get_config())
    np.testing.assert_allclose(
        revived(np.array([[0.0, 10.0]], "float32")).numpy(), [[-1.0, 1.0]], atol=1e-4
    )


def test_layer_normalization_rms_scaling_matches_keras_output():
    # Keras's test_output_with_rms_scaling literal; deprecated in Keras but still accepted.
    with pytest.warns(UserWarning, match="rms_scaling"):
        layer = keras.layers.LayerNormalization(rms_scaling=True, gamma_initializer="ones")
    out = layer(np.arange(5).astype("float32")[None, :])
    assert out.dtype == "float32"
    np.testing.assert_allclose(
        out.numpy(), [[0.0, 0.70693, 1.41386, 2.12079, 2.82772]], rtol=1e-5, atol=1e-5
    )
    # As in Keras 3.15.1: gamma only (no beta even with center=True), flag in the config.
    assert [w.name for w in layer.weights] == ["gamma"]
    assert layer.get_config()["rms_scaling"] is True
    assert keras.layers.LayerNormalization().get_config()["rms_scaling"] is False


def test_layer_normalization_of_an_empty_batch_gives_an_empty_output():
    # Keras's test_ln_basics case with input_shape=(1, 0, 10): an empty output, no error.
    layer = keras.layers.LayerNormalization()
    x = keras.Variable(np.zeros((1, 0, 10), "float32"))
    with keras.GradientTape() as tape:
        out = layer(x)
        loss = ops.sum(out)
    assert out.shape == (1, 0, 10) and out.dtype == "float32"
    grads = tape.gradient(loss, [x, *layer.trainable_weights])
    assert [tuple(g.shape) for g in grads] == [(1, 0, 10), (10,), (10,)]
