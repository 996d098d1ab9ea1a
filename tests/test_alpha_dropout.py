"""AlphaDropout: Keras's formula with the SELU constants, statistics, config, gradients."""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, layers
from tests.layer_test_helper import run_layer_test

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "alpha_dropout.json").read_text()
)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: f"rate={c['rate']}")
def test_alpha_dropout_gives_keras_kept_and_dropped_values(case):
    x = np.array(case["x"], dtype="float32")
    kept, (dropped,) = np.array(case["kept"]), case["dropped"]
    layer = layers.AlphaDropout(case["rate"], seed=7)
    seen_kept = seen_dropped = False
    for _ in range(5):
        y = layer(x, training=True).numpy()
        assert y.dtype == np.float32
        is_dropped = y == np.float32(dropped)
        np.testing.assert_allclose(y[~is_dropped], kept[~is_dropped], rtol=1e-6, atol=1e-7)
        seen_kept |= (~is_dropped).any()
        seen_dropped |= is_dropped.any()
    assert seen_kept and seen_dropped
    np.testing.assert_array_equal(layer(x, training=False).numpy(), case["inference"])


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs():
    x = np.random.default_rng(0).standard_normal(400_000).astype("float32")
    for rate in (0.1, 0.3, 0.6):
        y = layers.AlphaDropout(rate, seed=1)(x, training=True).numpy()
        assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01, rate


def test_alpha_dropout_drops_a_fraction_rate_of_entries():
    layer = layers.AlphaDropout(0.25, seed=3)
    y = layer(np.ones(100_000, "float32"), training=True).numpy()
    assert abs((y != y.max()).mean() - 0.25) < 0.01


def test_alpha_dropout_is_the_identity_unless_training():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    layer = layers.AlphaDropout(0.5, seed=1)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert layer.compute_output_shape((None, 3)) == (None, 3)
    model = keras.Sequential([keras.Input((3,)), layer])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_alpha_dropout_noise_shape_shares_the_mask_along_its_one_axes():
    layer = layers.AlphaDropout(0.5, noise_shape=(None, 1, 4), seed=2)
    y = layer(np.ones((8, 5, 4), "float32"), training=True).numpy()
    assert (y == y[:, :1, :]).all()
    assert len(np.unique(y)) == 2
    with pytest.raises(ValueError, match="noise_shape"):
        layer(np.ones((8, 4), "float32"), training=True)


@pytest.mark.parametrize("rate", [-0.1, 1.5, 1, "0.5"])
def test_alpha_dropout_rejects_a_rate_outside_zero_to_below_one(rate):
    with pytest.raises(ValueError, match="rate"):
        layers.AlphaDropout(rate)


def test_alpha_dropout_config_is_keras_config_and_round_trips():
    layer = layers.AlphaDropout(0.2, noise_shape=(None, 1), seed=3)
    config = layer.get_config()
    expected = FIXTURE["config"]
    assert {k: config[k] for k in expected} == {**expected, "noise_shape": (None, 1)}
    clone = layers.AlphaDropout.from_config(config)
    assert clone.get_config() == config


def test_alpha_dropout_gradient_is_the_scale_on_kept_entries():
    x = keras.Variable(np.random.default_rng(1).standard_normal((4, 6)).astype("float32"))
    layer = layers.AlphaDropout(0.4, seed=5)
    with GradientTape() as tape:
        y = layer(x, training=True)
    grad = tape.gradient(keras.ops.sum(y), x).numpy()
    y = y.numpy()
    kept = y != y.min()
    rate, saturation = 0.4, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * saturation**2)) ** -0.5
    np.testing.assert_allclose(grad, np.where(kept, a, 0.0), rtol=1e-6)
    np.testing.assert_allclose(y[kept], a * x.numpy()[kept] - a * saturation * rate, rtol=1e-5)


def test_alpha_dropout_passes_layer_checks():
    run_layer_test(
        layers.AlphaDropout,
        {"rate": 0.3, "noise_shape": (None, 1, 3), "seed": 1},
        input_shape=(2, 4, 3),
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )
