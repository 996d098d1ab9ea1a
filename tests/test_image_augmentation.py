"""Image augmentation layers (RandomFlip, RandomContrast, RandomBrightness, RandomRotation,
RandomTranslation, RandomZoom) and `ops.image.affine_transform`, against Keras 3.

Keras draws its random parameters with JAX's generator, which minikeras does not copy: the
fixtures (tests/fixtures/generate_image_augmentation.py) hold each transform given fixed
parameters and calls whose factor range has one value; the draws themselves are checked
statistically here.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from tests.gradcheck import check_gradients, float64
from tests.layer_test_helper import run_layer_test

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "image_augmentation.json").read_text()
)
IMAGES = np.array(FIXTURE["images"], dtype="float32")  # (2, 5, 6, 3) in [0, 255]
FIRST = np.transpose(IMAGES, (0, 3, 1, 2))


def _equal(actual, expected):
    """The same values (the fixture holds float32 values in their shortest digits)."""
    actual = actual.numpy() if hasattr(actual, "numpy") else np.asarray(actual)
    np.testing.assert_array_equal(actual, np.array(expected, dtype=actual.dtype))


def _close(actual, expected, atol=2e-3):
    actual = actual.numpy() if hasattr(actual, "numpy") else np.asarray(actual)
    np.testing.assert_allclose(actual, np.array(expected, dtype=actual.dtype), rtol=1e-5, atol=atol)


# -- ops.image.affine_transform ---------------------------------------------------------------
AFFINE_IMAGES = {
    "batch": IMAGES,
    "batch_channels_first": FIRST,
    "batch_int32": IMAGES.astype("int32"),
}


@pytest.mark.parametrize("case", FIXTURE["affine_transform"], ids=lambda c: c["name"])
def test_affine_transform_matches_keras_for_each_interpolation_and_fill_mode(case):
    images = AFFINE_IMAGES[case["images"]]
    kwargs = {k: case[k] for k in ("interpolation", "fill_mode", "fill_value", "data_format")}
    out = ops.image.affine_transform(images, np.array(case["transform"]), **kwargs)
    assert out.dtype == images.dtype.name
    if "dtype" in case:  # integer images: rounded after interpolation, as Keras
        assert out.dtype == case["dtype"]
    if "dtype" in case or case["interpolation"] == "nearest":
        _equal(out, case["output"])  # the same pixels
    else:
        _close(out, case["output"])  # float32 sums in another order
    if "output_single" in case:
        single = ops.image.affine_transform(images[0], np.array(case["transform"][0]), **kwargs)
        _close(single, case["output_single"])


def test_affine_transform_rejects_bad_arguments_naming_them():
    transform = np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32")
    with pytest.raises(ValueError, match=r"interpolation.*'nearest', 'bilinear'"):
        ops.image.affine_transform(IMAGES, transform, interpolation="bicubic")
    with pytest.raises(ValueError, match=r"fill_mode.*'reflect'"):
        ops.image.affine_transform(IMAGES, transform, fill_mode="edge")
    with pytest.raises(ValueError, match=r"images.shape=\(5, 6\)"):
        ops.image.affine_transform(IMAGES[0, :, :, 0], transform)
    with pytest.raises(ValueError, match=r"transform.shape=\(2, 6\)"):
        ops.image.affine_transform(IMAGES, np.ones((2, 6)))
    with pytest.raises(ValueError, match="3 transforms for a batch of 2"):
        ops.image.affine_transform(IMAGES, np.ones((3, 8)) * [1, 0, 0, 0, 1, 0, 0, 0])
    with pytest.raises(ValueError, match="projective"):
        ops.image.affine_transform(IMAGES, [1, 0, 0, 0, 1, 0, 0.01, 0])
    with pytest.raises(ValueError, match="data_format"):
        ops.image.affine_transform(IMAGES, transform, data_format="channels_middle")


def test_affine_transform_of_the_identity_gives_the_images_back():
    out = ops.image.affine_transform(IMAGES, [1, 0, 0, 0, 1, 0, 0, 0], fill_mode="wrap")
    np.testing.assert_array_equal(out.numpy(), IMAGES)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_affine_transform_gradient_matches_finite_differences(interpolation, fill_mode):
    images = np.random.default_rng(0).standard_normal((2, 4, 5, 2))
    transform = np.array(
        [[0.9, -0.45, 1.3, 0.35, 1.1, -0.7, 0, 0], [1.2, 0.1, -0.8, 0, 0.8, 1.4, 0, 0]]
    )

    def fn(x):
        return ops.image.affine_transform(
            x, transform, interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5
        )

    check_gradients(fn, images)


def test_affine_transform_on_a_symbolic_input_keeps_the_shape():
    inputs = keras.Input((5, 6, 3))
    outputs = ops.image.affine_transform(inputs, np.array([1, 0, 1, 0, 1, 0, 0, 0.0]))
    assert outputs.shape == (None, 5, 6, 3)


# -- transforms given the drawn parameters -------------------------------------------------
TRANSFORMS = FIXTURE["transform_images"]
FLIPS = np.array([True, False]).reshape(2, 1, 1, 1)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_flip_transform_matches_keras_given_the_flips(mode, data_format):
    images = IMAGES if data_format == "channels_last" else FIRST
    layer = layers.RandomFlip(mode, data_format=data_format)
    out = layer.transform_images(images, {"flips": FLIPS, "input_shape": images.shape})
    _equal(out, TRANSFORMS[f"flip-{mode}-{data_format}"])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_contrast_transform_matches_keras_given_the_factors(data_format):
    images = IMAGES if data_format == "channels_last" else FIRST
    factors = np.array([0.6, 1.3], "float32").reshape(2, 1, 1, 1)
    layer = layers.RandomContrast(0.5, data_format=data_format)
    _close(
        layer.transform_images(images, {"contrast_factor": factors}),
        TRANSFORMS[f"contrast-{data_format}"],
    )
    clipped = layers.RandomContrast(0.5, value_range=(0, 100))
    out = clipped.transform_images(IMAGES, {"contrast_factor": factors})
    _close(out, TRANSFORMS["contrast-clipped"])


def test_random_brightness_transform_matches_keras_given_the_offsets():
    delta = np.array([-40.0, 90.0], "float32").reshape(2, 1, 1, 1)
    out = layers.RandomBrightness(0.5).transform_images(IMAGES, {"rgb_delta": delta})
    _close(out, TRANSFORMS["brightness"])


# -- calls whose draw cannot matter ----------------------------------------------------------
def _made(name, kwargs):
    kwargs = dict(kwargs)
    return {
        "rotation": lambda: layers.RandomRotation((0.1, 0.1), **kwargs),
        "rotation_negative": lambda: layers.RandomRotation((-0.3, -0.3), **kwargs),
        "translation": lambda: layers.RandomTranslation((0.2, 0.2), (-0.35, -0.35), **kwargs),
        "zoom": lambda: layers.RandomZoom((0.3, 0.3), **kwargs),
        "zoom_both": lambda: layers.RandomZoom((-0.4, -0.4), (0.25, 0.25), **kwargs),
        "brightness": lambda: layers.RandomBrightness(**kwargs),
        "contrast": lambda: layers.RandomContrast(**kwargs),
    }[name]()


@pytest.mark.parametrize(
    "case",
    FIXTURE["calls"],
    ids=lambda c: c["layer"] + "-" + "-".join(str(v) for v in c["kwargs"].values()),
)
def test_augmentation_with_a_one_value_factor_range_matches_keras(case):
    layer = _made(case["layer"], case["kwargs"])
    first = case["kwargs"].get("data_format") == "channels_first"
    images = FIRST if first else IMAGES
    out = layer(images)
    assert out.dtype == "float32"
    if case["kwargs"].get("interpolation") == "nearest":  # the same pixels
        _equal(out, case["output"])
        _equal(layer(images[0]), case["single"])
    else:
        _close(out, case["output"])
        _close(layer(images[0]), case["single"])


# -- configs and errors ----------------------------------------------------------------------
MADE_FOR_CONFIG = {
    "RandomFlip": lambda: layers.RandomFlip("horizontal", seed=3),
    "RandomContrast": lambda: layers.RandomContrast(0.2, value_range=(0, 1), seed=3),
    "RandomBrightness": lambda: layers.RandomBrightness((0.3, -0.1), value_range=(1, 0), seed=3),
    "RandomRotation": lambda: layers.RandomRotation(0.2, fill_mode="constant", seed=3),
    "RandomTranslation": lambda: layers.RandomTranslation(0.1, (-0.2, 0.3), seed=3),
    "RandomZoom": lambda: layers.RandomZoom((-0.2, 0.3), seed=3),
}


@pytest.mark.parametrize("name", sorted(MADE_FOR_CONFIG))
def test_augmentation_config_is_keras_config_and_round_trips(name):
    layer = MADE_FOR_CONFIG[name]()
    config = layer.get_config()
    expected = FIXTURE["configs"][name]
    assert json.loads(json.dumps({k: config[k] for k in expected})) == expected
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    out = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(out) is type(layer)
    # What Keras writes (its dtype policy and name included) loads as the same layer.
    from_keras = keras.layers.deserialize(FIXTURE["serialized"][name])
    assert type(from_keras) is type(layer)
    assert json.loads(json.dumps({k: from_keras.get_config()[k] for k in expected})) == expected


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.RandomFlip("diagonal"), "mode.*'horizontal', 'vertical'"),
        (lambda: layers.RandomContrast(1.5), "The `factor` argument should be a number"),
        (lambda: layers.RandomContrast(-0.5), r"range \[0, 1\]"),
        (lambda: layers.RandomContrast((-0.5, 0.5)), "factor"),
        (lambda: layers.RandomContrast((0.1, 0.2, 0.3)), "factor"),
        (lambda: layers.RandomContrast("a"), "factor"),
        (lambda: layers.RandomContrast(0.2, value_range=(255, 0)), "value_range"),
        (lambda: layers.RandomBrightness(1.1), r"range \[-1, 1\]"),
        (lambda: layers.RandomBrightness((-2, 0.5)), "factor"),
        (lambda: layers.RandomBrightness(0.1, value_range="bad"), "value_range.*two numbers"),
        (lambda: layers.RandomBrightness(0.1, value_range=[10]), "value_range"),
        (lambda: layers.RandomRotation(2), "factor"),
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "fill_mode.*'constant'"),
        (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), "interpolation"),
        (lambda: layers.RandomRotation(0.1, fill_value="x"), "fill_value"),
        (lambda: layers.RandomTranslation(1.5, 0.1), "height_factor"),
        (lambda: layers.RandomTranslation(0.1, (0.1,)), "width_factor"),
        (lambda: layers.RandomZoom(-1.0), r"height_factor.*\(-1.0, 1.0\]"),
        (lambda: layers.RandomZoom(0.2, (0.1, 1.2)), "width_factor"),
        (lambda: layers.RandomFlip(data_format="channels_middle"), "data_format"),
    ],
)
def test_augmentation_rejects_bad_arguments_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("name", sorted(MADE_FOR_CONFIG))
def test_augmentation_rejects_an_input_that_is_not_one_image_or_a_batch(name):
    layer = MADE_FOR_CONFIG[name]()
    with pytest.raises(ValueError, match=r"rank 3 or 4.*\(10, 10\)"):
        layer(np.ones((10, 10), "float32"))
    with pytest.raises(ValueError, match="dict inputs"):
        layer({"images": IMAGES, "bounding_boxes": {}})


# -- training behaviour, dtypes, shapes --------------------------------------------------------
def _augmenting():
    """Layers that change every image of IMAGES when they augment."""
    return [
        layers.RandomFlip("horizontal", seed=1),
        layers.RandomContrast((0.5, 0.5), seed=1),
        layers.RandomBrightness((0.1, 0.2), seed=1),
        layers.RandomRotation((0.1, 0.2), seed=1),
        layers.RandomTranslation((0.2, 0.3), 0.0, seed=1),
        layers.RandomZoom((0.2, 0.3), seed=1),
    ]


@pytest.mark.parametrize("layer", _augmenting(), ids=lambda layer: type(layer).__name__)
def test_augmentation_runs_in_training_only_as_keras(layer):
    images = IMAGES.astype("int32")
    out = layer(images, training=False)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), images)
    # An explicit training=None outside any training call: unchanged, as in Keras.
    np.testing.assert_array_equal(layer(images, training=None).numpy(), images)
    model = keras.Sequential([keras.Input(IMAGES.shape[1:]), layer])
    np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES)
    model.compile(loss="mse")
    assert model.evaluate(IMAGES, IMAGES, verbose=0) == 0.0
    # Called directly (layer or model), the call's default training=True augments (a
    # flip happens with probability 0.5: a few calls).
    for call, images in ((layer, IMAGES), (model, IMAGES), (layer, IMAGES[0])):
        outputs = [call(images) for _ in range(6)]
        assert all(out.dtype == "float32" and out.shape == images.shape for out in outputs)
        assert any(not np.allclose(out.numpy(), images) for out in outputs)


def test_augmentation_in_a_subclassed_model_follows_the_training_argument():
    class Augmented(keras.Model):
        def __init__(self):
            super().__init__()
            self.flip = layers.RandomBrightness((0.2, 0.2))

        def call(self, inputs, training=None):
            return self.flip(inputs, training=training)

    model = Augmented()
    np.testing.assert_array_equal(model(IMAGES).numpy(), IMAGES)  # training=None: as Keras
    np.testing.assert_array_equal(model(IMAGES, training=False).numpy(), IMAGES)
    _close(model(IMAGES, training=True), np.clip(IMAGES + 51, 0, 255))


@pytest.mark.parametrize("name", sorted(MADE_FOR_CONFIG))
def test_augmentation_output_shape_is_the_input_shape_eagerly_and_symbolically(name):
    layer = MADE_FOR_CONFIG[name]()
    assert layer.compute_output_shape((None, 5, 6, 3)) == (None, 5, 6, 3)
    assert layer.compute_output_shape((5, 6, 3)) == (5, 6, 3)
    symbolic = layer(keras.Input((5, 6, 3), dtype="int32"))
    assert symbolic.shape == (None, 5, 6, 3) and symbolic.dtype == "float32"
    assert layer.weights == []


def test_augmentation_with_the_same_seed_repeats_and_each_call_draws_anew():
    for make in (
        lambda: layers.RandomRotation(0.3, seed=4),
        lambda: layers.RandomZoom(0.3, 0.2, seed=4),
        lambda: layers.RandomTranslation(0.3, 0.2, seed=4),
        lambda: layers.RandomContrast(0.5, seed=4),
        lambda: layers.RandomBrightness(0.5, seed=4),
    ):
        first, second = make(), make()
        a, b = first(IMAGES).numpy(), second(IMAGES).numpy()
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(first(IMAGES).numpy(), a)


# -- the distributions of the draws ------------------------------------------------------------
BATCH = np.zeros((4000, 2, 2, 1), "float32")


def test_random_flip_flips_each_image_with_probability_one_half():
    layer = layers.RandomFlip("horizontal", seed=0)
    images = np.tile(np.array([[0.0, 1.0]], "float32").reshape(1, 1, 2, 1), (4000, 2, 1, 1))
    flipped = layer(images).numpy()[:, 0, 0, 0] == 1
    assert abs(flipped.mean() - 0.5) < 0.03
    both = layers.RandomFlip(seed=0).get_random_transformation(BATCH)["flips"]
    assert both.shape == (4000, 1, 1, 1) and abs(both.mean() - 0.5) < 0.03


def test_random_contrast_draws_factors_uniformly_in_keras_range():
    factors = layers.RandomContrast(0.4, seed=0).get_random_transformation(BATCH)
    factors = factors["contrast_factor"].ravel()
    # Keras 3.15: one number f gives [1, 1 + f].
    assert factors.min() >= 1.0 and factors.max() <= 1.4
    assert abs(factors.mean() - 1.2) < 0.01 and abs(factors.std() - 0.4 / 12**0.5) < 0.01
    # A pair is sorted into (lower, upper): [1 - 0.1, 1 + 0.3].
    pair = layers.RandomContrast((0.3, 0.1), seed=0).get_random_transformation(BATCH)
    assert pair["contrast_factor"].min() >= 0.9 and pair["contrast_factor"].max() <= 1.3


def test_random_brightness_draws_offsets_uniformly_times_the_value_range():
    layer = layers.RandomBrightness((-0.2, 0.4), value_range=(0, 2), seed=0)
    delta = layer.get_random_transformation(BATCH)["rgb_delta"].ravel()
    assert delta.min() >= -0.4 and delta.max() <= 0.8 and abs(delta.mean() - 0.2) < 0.01


def test_random_rotation_zoom_translation_draw_in_their_ranges():
    angles = layers.RandomRotation((-0.1, 0.25), seed=0).get_random_transformation(BATCH)
    angles = angles["angle"]
    assert angles.min() >= -36 and angles.max() <= 90 and abs(angles.mean() - 27) < 1.5
    zoom = layers.RandomZoom((-0.2, 0.4), seed=0).get_random_transformation(BATCH)
    assert zoom["height_zoom"].min() >= 0.8 and zoom["height_zoom"].max() <= 1.4
    np.testing.assert_array_equal(zoom["height_zoom"], zoom["width_zoom"])
    shifts = layers.RandomTranslation(0.5, (0.0, 0.25), seed=0).get_random_transformation(BATCH)
    dx, dy = shifts["translations"].T  # pixels of a 2 x 2 image
    assert dy.min() >= -1 and dy.max() <= 1 and dx.min() >= 0 and dx.max() <= 0.5


# -- gradients and compiled steps ----------------------------------------------------------------
GRADIENT_CASES = {
    "RandomFlip": (
        lambda: layers.RandomFlip(),
        {"flips": np.array([True, False]).reshape(2, 1, 1, 1)},
    ),
    "RandomContrast": (
        lambda: layers.RandomContrast(0.5, value_range=(-1.5, 1.5)),
        {"contrast_factor": np.array([0.7, 1.4]).reshape(2, 1, 1, 1)},
    ),
    "RandomBrightness": (
        lambda: layers.RandomBrightness(0.5, value_range=(-1.5, 1.5)),
        {"rgb_delta": np.array([-0.3, 0.6]).reshape(2, 1, 1, 1)},
    ),
    "RandomRotation": (
        lambda: layers.RandomRotation(0.1, fill_mode="constant"),
        {"rotation_matrix": np.array([[0.9, -0.4, 1.1, 0.4, 0.9, -0.6, 0, 0]] * 2)},
    ),
    "RandomTranslation": (
        lambda: layers.RandomTranslation(0.1, 0.1),
        {"translations": np.array([[0.4, -1.3], [1.7, 0.2]])},
    ),
    "RandomZoom": (
        lambda: layers.RandomZoom(0.1),
        {"height_zoom": np.array([[0.7], [1.3]]), "width_zoom": np.array([[1.2], [0.9]])},
    ),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_augmentation_passes_gradients_to_its_input_for_a_fixed_draw(name):
    make, transformation = GRADIENT_CASES[name]
    # Values away from the clipping bounds and the flat parts, so differences are smooth.
    images = np.random.default_rng(1).uniform(-1, 1, (2, 4, 5, 3))
    with float64():
        layer = make()

    def fn(x):
        return layer.transform_images(x, transformation)

    check_gradients(fn, images)


def test_a_model_with_augmentation_trains_eagerly_with_a_new_draw_each_step():
    inputs = keras.Input((5, 6, 3))
    x = layers.RandomRotation(0.2, seed=1)(inputs)
    x = layers.RandomFlip(seed=1)(x)
    outputs = layers.Dense(2)(layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((2, 2), "float32")
    model.fit(IMAGES / 255, y, epochs=3, batch_size=2, verbose=0)
    assert model._compiled_steps is None or model._compiled_steps.replayed["train"] == 0
    for layer in model.layers[1:3]:
        assert not layer._is_replayable()


@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape"),
    [
        (layers.RandomFlip, {"seed": 1}, (2, 5, 6, 3)),
        (layers.RandomFlip, {"mode": "vertical", "data_format": "channels_first"}, (2, 3, 5, 6)),
        (layers.RandomContrast, {"factor": 0.3, "value_range": (-5, 5), "seed": 2}, (2, 5, 6, 3)),
        (layers.RandomBrightness, {"factor": 0.2, "value_range": (-5, 5)}, (2, 5, 6, 3)),
        (layers.RandomRotation, {"factor": 0.2, "seed": 3}, (2, 5, 6, 3)),
        (layers.RandomTranslation, {"height_factor": 0.2, "width_factor": 0.1}, (2, 5, 6, 3)),
        (layers.RandomZoom, {"height_factor": 0.2, "data_format": "channels_first"}, (2, 3, 5, 6)),
    ],
)
def test_augmentation_layers_pass_layer_checks(cls, kwargs, input_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=input_shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )
