"""Regularization and preprocessing layers (Dropout, SpatialDropout, GaussianNoise,
GaussianDropout, ActivityRegularization, Rescaling, RandomCrop), and how `training`
reaches layers nested in Sequential and Functional models.

Random layers are checked for what holds for every draw: identity at inference, the
dropout mask's values and rate, the noise statistics, seeds that repeat.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.layer_test_helper import keras_case, run_layer_test

RNG = np.random.default_rng(3)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# -- shared checks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape"),
    [
        (layers.Dropout, {"rate": 0.5, "seed": 1}, (4, 6)),
        (layers.Dropout, {"rate": 0.3, "noise_shape": (None, 1, 3)}, (2, 4, 3)),
        (layers.SpatialDropout1D, {"rate": 0.5, "seed": 2}, (2, 4, 3)),
        (layers.SpatialDropout2D, {"rate": 0.5, "seed": 3}, (2, 3, 3, 4)),
        (layers.SpatialDropout3D, {"rate": 0.5, "seed": 3}, (2, 3, 2, 3, 4)),
        (
            layers.SpatialDropout3D,
            {"rate": 0.5, "data_format": "channels_first"},
            (2, 4, 3, 2, 3),
        ),
        (layers.GaussianNoise, {"stddev": 0.2, "seed": 4}, (3, 5)),
        (layers.GaussianDropout, {"rate": 0.2, "seed": 5}, (3, 5)),
        (layers.ActivityRegularization, {"l1": 0.01, "l2": 0.1}, (3, 5)),
        (layers.Rescaling, {"scale": 1.0 / 255, "offset": -0.5}, (2, 4, 4, 3)),
        (layers.Rescaling, {"scale": [0.5, 1.0, 2.0]}, (2, 4, 4, 3)),
        (layers.RandomCrop, {"height": 3, "width": 2, "seed": 6}, (2, 5, 6, 3)),
        (layers.Resizing, {"height": 3, "width": 5}, (2, 4, 4, 2)),
        (layers.Resizing, {"height": 2, "width": 2, "interpolation": "nearest"}, (2, 4, 5, 1)),
        (layers.CenterCrop, {"height": 2, "width": 3}, (2, 4, 5, 1)),
        (
            layers.CenterCrop,
            {"height": 6, "width": 3, "data_format": "channels_first"},
            (2, 1, 4, 5),
        ),
        (
            layers.RandomCrop,
            {"height": 3, "width": 4, "data_format": "channels_first"},
            (2, 2, 5, 6),
        ),
    ],
)
def test_misc_layers_pass_layer_checks(cls, kwargs, input_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


def test_rescaling_of_integer_images_gives_float32():
    layer = run_layer_test(
        layers.Rescaling,
        {"scale": 1.0 / 255},
        input_shape=(2, 3, 3, 1),
        input_dtype="uint8",
        input_range=(0, 256),
        expected_output_shape=(2, 3, 3, 1),
    )
    pixels = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(layer(pixels).numpy(), [[0.0, 0.2, 1.0]], rtol=1e-6)


def test_rescaling_per_channel_matches_keras():
    data = keras_case("rescaling_channels")
    out = layers.Rescaling(**data["kwargs"])(data["inputs"])
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-6)


# -- Dropout and noise: identity at inference, active in training ---------------------------
NOISY = [
    (layers.Dropout, {"rate": 0.5}),
    (layers.SpatialDropout1D, {"rate": 0.5}),
    (layers.GaussianNoise, {"stddev": 0.5}),
    (layers.GaussianDropout, {"rate": 0.5}),
]


@pytest.mark.parametrize(("cls", "kwargs"), NOISY)
def test_noise_layers_are_identity_at_inference_and_active_in_training(cls, kwargs):
    layer = cls(seed=0, **kwargs)
    x = rand(8, 10, 6) + 3.0
    for out in (layer(x), layer(x, training=False)):
        np.testing.assert_array_equal(out.numpy(), x)
    trained = layer(x, training=True).numpy()
    assert trained.shape == x.shape and trained.dtype == np.float32
    assert not np.allclose(trained, x)
    # Each training call draws new noise.
    assert not np.array_equal(layer(x, training=True).numpy(), trained)


def test_dropout_mask_values_rate_and_seed():
    x = np.ones((200, 50), dtype=np.float32)
    out = layers.Dropout(0.3, seed=42)(x, training=True).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1.0 / 0.7, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.3) < 0.02  # 10 000 draws: the standard error is 0.005
    # The same seed repeats the same sequence of masks.
    a, b = layers.Dropout(0.3, seed=7), layers.Dropout(0.3, seed=7)
    for _ in range(2):
        np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    # The gradient flows only through the kept entries, scaled like them.
    variable = keras.Variable(x)
    with keras.GradientTape() as tape:
        dropped = layers.Dropout(0.5, seed=3)(variable, training=True)
        loss = keras.ops.sum(dropped)
    (gradient,) = tape.gradient(loss, [variable])
    np.testing.assert_array_equal(gradient.numpy(), dropped.numpy())


def test_dropout_noise_shape_and_spatial_dropout_drop_whole_features():
    x = np.ones((4, 6, 5), dtype=np.float32)
    out = layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=1)(x, training=True).numpy()
    assert np.all(out == out[:, :1, :])  # same mask at every step
    out = layers.SpatialDropout1D(0.5, seed=2)(x, training=True).numpy()
    assert np.all(out == out[:, :1, :]) and set(np.unique(out)) <= {0.0, 2.0}
    images = np.ones((3, 4, 4, 6), dtype=np.float32)
    out = layers.SpatialDropout2D(0.5, seed=3)(images, training=True).numpy()
    assert np.all(out == out[:, :1, :1, :]) and (out == 0).any()
    out = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=4)(
        images, training=True
    ).numpy()
    assert np.all(out == out[:, :, :1, :1])


def test_dropout_edge_rates():
    x = rand(3, 4)
    np.testing.assert_array_equal(layers.Dropout(0.0)(x, training=True).numpy(), x)
    np.testing.assert_array_equal(layers.Dropout(1.0)(x, training=True).numpy(), 0.0)
    np.testing.assert_array_equal(layers.GaussianNoise(0.0)(x, training=True).numpy(), x)


def test_gaussian_noise_and_dropout_statistics():
    x = np.full((400, 100), 2.0, dtype=np.float32)
    noise = layers.GaussianNoise(0.5, seed=0)(x, training=True).numpy() - x
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5) < 0.02
    factor = layers.GaussianDropout(0.2, seed=0)(x, training=True).numpy() / x
    assert abs(factor.mean() - 1.0) < 0.01 and abs(factor.std() - 0.5) < 0.01  # sqrt(.2/.8)


def test_activity_regularization_adds_the_penalty_per_sample():
    run_layer_test(
        layers.ActivityRegularization, {"l2": 0.5}, input_shape=(3, 4), expected_num_losses=1
    )
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    x = np.array([[1.0, -2.0], [3.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    (penalty,) = layer.losses
    expected = (0.1 * np.abs(x).sum() + 0.01 * np.square(x).sum()) / 2
    np.testing.assert_allclose(float(penalty), expected, rtol=1e-6)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.01 and "activity_regularizer" not in config


def test_regularization_constructor_errors():
    with pytest.raises(ValueError, match=r"rate.*between 0 and 1.*1.5"):
        layers.Dropout(1.5)
    with pytest.raises(ValueError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape="batch")
    with pytest.raises(ValueError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape=(None, 0))
    with pytest.raises(ValueError, match=r'"drop".*noise_shape \(None, 1\).*\(2, 3, 4\)'):
        layers.Dropout(0.5, noise_shape=(None, 1), name="drop")(rand(2, 3, 4), training=True)
    with pytest.raises(ValueError, match="stddev"):
        layers.GaussianNoise(-0.1)
    with pytest.raises(ValueError, match="below 1"):
        layers.GaussianDropout(1.0)
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.SpatialDropout2D(0.5)(rand(2, 3, 4))
    with pytest.raises(ValueError, match="scale"):
        layers.Rescaling("half")


# -- RandomCrop -----------------------------------------------------------------------------
def test_random_crop_training_cuts_a_window_of_the_input():
    x = np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 6, 8, 1)
    layer = layers.RandomCrop(4, 3, seed=0)
    seen = set()
    for _ in range(20):
        out = layer(x, training=True).numpy()
        assert out.shape == (2, 4, 3, 1)
        top, left = divmod(int(out[0, 0, 0, 0]), 8)
        assert 0 <= top <= 2 and 0 <= left <= 5
        np.testing.assert_array_equal(out, x[:, top : top + 4, left : left + 3])
        seen.add((top, left))
    assert len(seen) > 3
    # Without `training`, Keras crops randomly too (its call defaults to training=True).
    assert layer(x).shape == (2, 4, 3, 1)


@pytest.mark.parametrize("case", ["center_crop_resize", "center_crop_resize_up"])
def test_random_crop_inference_centre_crops_and_resizes_like_keras_resize(case):
    data = keras_case(case)
    height, width = data["size"]
    out = layers.RandomCrop(height, width)(data["inputs"], training=False)
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-5, atol=1e-6)


def test_random_crop_inference_of_a_larger_image_with_same_aspect_is_a_centre_crop():
    x = rand(2, 6, 6, 3)
    out = layers.RandomCrop(4, 4)(x, training=False).numpy()
    resized = layers.RandomCrop(6, 6)(x, training=False).numpy()
    np.testing.assert_array_equal(resized, x)  # the whole image, no resize
    x = rand(1, 8, 4, 2)
    np.testing.assert_array_equal(layers.RandomCrop(4, 4)(x, training=False).numpy(), x[:, 2:6])
    assert out.shape == (2, 4, 4, 3)


@pytest.mark.parametrize("case", ["random_crop_small", "random_crop_narrow"])
def test_random_crop_training_on_small_images_matches_keras(case):
    data = keras_case(case)
    out = layers.RandomCrop(**data["kwargs"])(data["inputs"], training=True)
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-5, atol=1e-6)


def test_random_crop_single_image_symbolic_and_errors():
    layer = layers.RandomCrop(2, 2, seed=1)
    assert layer(rand(5, 5, 3)).shape == (2, 2, 3)
    assert layer(keras.Input((5, 5, 3))).shape == (None, 2, 2, 3)
    with pytest.raises(ValueError, match=r'"cropper".*rank 4.*\(2, 5\)'):
        layers.RandomCrop(2, 2, name="cropper")(rand(2, 5))
    with pytest.raises(ValueError, match="height"):
        layers.RandomCrop(0, 2)
    config = layers.RandomCrop(3, 4).get_config()
    assert isinstance(config["seed"], int)  # a drawn seed is stored, as in Keras


# -- Resizing and CenterCrop ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "cls"),
    [
        ("resizing_bilinear_down", layers.Resizing),
        ("resizing_bilinear_up", layers.Resizing),
        ("resizing_nearest", layers.Resizing),
        ("resizing_crop_to_aspect", layers.Resizing),
        ("center_crop", layers.CenterCrop),
        ("center_crop_small", layers.CenterCrop),
    ],
)
def test_image_layers_match_keras(case, cls):
    data = keras_case(case)
    out = cls(**data["kwargs"])(data["inputs"])
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-5, atol=1e-6)


def test_center_crop_by_hand_and_resizing_errors():
    x = rand(2, 5, 7, 3)
    np.testing.assert_array_equal(layers.CenterCrop(3, 4)(x).numpy(), x[:, 1:4, 1:5])
    np.testing.assert_array_equal(layers.Resizing(5, 7)(x).numpy(), x)
    assert layers.Resizing(2, 3)(x[0]).shape == (2, 3, 3)
    with pytest.raises(ValueError, match="interpolation"):
        layers.Resizing(2, 2, interpolation="lanczos9")
    with pytest.raises(ValueError, match=r"crop_to_aspect_ratio.*pad_to_aspect_ratio"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match=r'"sizer".*rank 4.*\(2, 3\)'):
        layers.Resizing(2, 2, name="sizer")(rand(2, 3))


# -- training flag propagation --------------------------------------------------------------
class Recorder(keras.Layer):
    """Records the `training` value each call receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def test_training_reaches_layers_nested_in_sequential_and_functional_models():
    recorder = Recorder()
    dropout = layers.Dropout(0.5, seed=0)
    inner = keras.Sequential([keras.Input((6,)), recorder, dropout], name="inner")
    inputs = keras.Input((6,))
    outer = keras.Model(inputs, layers.Identity()(inner(inputs)))
    x = np.ones((4, 6), dtype=np.float32)

    np.testing.assert_array_equal(outer(x, training=False).numpy(), x)
    assert recorder.seen[-1] is False
    out = outer(x, training=True).numpy()
    assert recorder.seen[-1] is True
    assert (out == 0).any() and set(np.unique(out)) <= {0.0, 2.0}
    np.testing.assert_array_equal(outer(x).numpy(), x)  # no flag: inference
    assert recorder.seen[-1] is None


def test_training_reaches_batch_norm_inside_nested_models():
    bn = layers.BatchNormalization()
    block = keras.Sequential([layers.Dense(3, kernel_initializer="ones"), bn])
    model = keras.Sequential([keras.Input((2,)), block, layers.Dense(1)])
    x = rand(8, 2)
    model(x, training=False)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    model(x, training=True)
    expected = 0.01 * (x @ np.ones((2, 3))).mean(axis=0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_subclassed_model_passes_training_to_its_layers():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.recorder = Recorder()
            self.noise = layers.GaussianNoise(1.0, seed=0)

        def call(self, inputs, training=None):
            return self.noise(self.recorder(inputs))

    net = Net()
    x = np.zeros((2, 3), dtype=np.float32)
    assert np.any(net(x, training=True).numpy() != 0) and net.recorder.seen[-1] is True
    np.testing.assert_array_equal(net(x, training=False).numpy(), 0.0)
    assert net.recorder.seen[-1] is False


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout_3d_drops_whole_channels(data_format):
    x = np.ones((4, 3, 2, 3, 6) if data_format == "channels_last" else (4, 6, 3, 2, 3), "float32")
    y = np.asarray(layers.SpatialDropout3D(0.5, data_format, seed=1)(x, training=True))
    channels = 4 if data_format == "channels_last" else 1
    per_channel = np.moveaxis(y, channels, 1).reshape(4, 6, -1)
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).mean() < 1
    assert (per_channel == per_channel[..., :1]).all()  # one value per sample and channel
    assert (np.asarray(layers.SpatialDropout3D(0.5)(x)) == x).all()  # identity at inference
