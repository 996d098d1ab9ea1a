"""The colour and intensity image layers (AutoContrast, Equalization,
ContrastLimitedAdaptiveHistogramEqualization, Solarization,
RandomGrayscale, RandomInvert, RandomPosterization, RandomColorDegeneration,
RandomSaturation, RandomHue, RandomSharpness, RandomColorJitter), against Keras 3.15.1.

The fixtures (tests/fixtures/generate_image_color_layers.py) hold calls of the deterministic
layers and of random layers whose factor range has one value, each `transform_images` given
fixed random parameters (Keras draws them with JAX's generator, which minikeras does not
copy) and the configs; the draws themselves are checked statistically here.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.gradcheck import check_gradients, float64
from tests.layer_test_helper import run_layer_test

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "image_color_layers.json").read_text()
)
INPUTS = {name: np.array(value, "float32") for name, value in FIXTURE["inputs"].items()}
IMAGES = INPUTS["images"]  # (2, 5, 6, 3) in [0, 255]
# Keras's depthwise convolution sums in another order: RandomSharpness differs in the last bits.
SUMMING = {"RandomSharpness"}


def _input(case):
    images = INPUTS[case["input"]]
    if case["channels_first"]:
        images = np.moveaxis(images, -1, -3)
    return images[0] if case.get("unbatched") else images


def _compare(layer_name, actual, expected):
    actual = actual.numpy()
    expected = np.array(expected, "float32")
    assert actual.dtype == np.float32 and actual.shape == expected.shape
    if layer_name in SUMMING:
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-4)
    else:
        np.testing.assert_array_equal(actual, expected)


def _transformation(given):
    if isinstance(given, dict):
        return {key: np.array(value) for key, value in given.items()}
    return np.array(given)


# -- the numbers, against Keras -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FIXTURE["calls"]))
def test_color_layer_call_matches_keras(name):
    case = FIXTURE["calls"][name]
    layer = getattr(layers, case["layer"])(**case["kwargs"])
    out = layer(_input(case), training=case["training"])
    _compare(case["layer"], out, case["output"])


@pytest.mark.parametrize("name", sorted(FIXTURE["transforms"]))
def test_color_layer_transform_matches_keras_given_the_draw(name):
    case = FIXTURE["transforms"][name]
    layer = getattr(layers, case["layer"])(**case["kwargs"])
    out = layer.transform_images(_input(case), _transformation(case["transformation"]))
    _compare(case["layer"], out, case["output"])


CONFIG_CASES = [
    (name, index) for name, variants in FIXTURE["configs"].items() for index in range(len(variants))
]


@pytest.mark.parametrize("name, index", CONFIG_CASES)
def test_color_layer_config_is_keras_config_and_round_trips(name, index):
    case = FIXTURE["configs"][name][index]
    layer = getattr(layers, name)(**case["kwargs"])
    config = layer.get_config()
    expected = dict(case["config"])
    # minikeras writes a dtype name where Keras writes its DTypePolicy (both load here).
    assert config.pop("dtype") == expected.pop("dtype")["config"]["name"]
    config.pop("name")
    assert json.loads(json.dumps(config)) == expected
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == layer.get_config()
    # The config Keras writes (its DTypePolicy included) loads as the same layer.
    from_keras = keras.layers.deserialize(
        {"module": "keras.layers", "class_name": name, "config": {**case["config"], "name": "x"}}
    )
    assert type(from_keras) is type(layer)
    assert json.loads(json.dumps(from_keras.get_config())) == json.loads(
        json.dumps({**layer.get_config(), "name": "x"})
    )


# -- identity settings, training, dtypes and shapes ---------------------------------------------
RANDOM_LAYERS = {
    "Solarization": lambda: layers.Solarization(0.5, 0.5, seed=1),
    "RandomGrayscale": lambda: layers.RandomGrayscale(1.0, seed=1),
    "RandomInvert": lambda: layers.RandomInvert(seed=1),
    "RandomPosterization": lambda: layers.RandomPosterization(3, seed=1),
    "RandomColorDegeneration": lambda: layers.RandomColorDegeneration(0.8, seed=1),
    "RandomSaturation": lambda: layers.RandomSaturation(0.8, seed=1),
    "RandomHue": lambda: layers.RandomHue(0.8, seed=1),
    "RandomSharpness": lambda: layers.RandomSharpness(0.8, seed=1),
    "RandomColorJitter": lambda: layers.RandomColorJitter(
        brightness_factor=0.5, contrast_factor=0.5, saturation_factor=0.5, hue_factor=0.5, seed=1
    ),
}
ALL_LAYERS = {
    "AutoContrast": lambda: layers.AutoContrast(),
    "Equalization": lambda: layers.Equalization(),
    "ContrastLimitedAdaptiveHistogramEqualization": lambda: (
        layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    ),
    **RANDOM_LAYERS,
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS) + ["Equalization"])
def test_color_layer_is_the_identity_when_not_training_as_keras(name):
    images = IMAGES.astype("uint8")
    layer = ALL_LAYERS[name]()
    out = layer(images, training=False)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), images)
    assert not np.array_equal(layer(images, training=True).numpy(), images)


def test_auto_contrast_works_at_inference_too_as_keras():
    images = IMAGES * 0.5 + 20
    out = layers.AutoContrast()(images, training=False).numpy()
    np.testing.assert_allclose(out.min(axis=(1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.max(axis=(1, 2)), 255, rtol=1e-6)


def test_auto_contrast_channels_first_stretches_each_channel():
    # Keras 3.15 takes the extremes over axes 1 and 2 whatever the data format.
    images = np.moveaxis(IMAGES * 0.5 + 20, -1, -3)
    out = layers.AutoContrast(data_format="channels_first")(images).numpy()
    expected = layers.AutoContrast()(IMAGES * 0.5 + 20).numpy()
    np.testing.assert_array_equal(out, np.moveaxis(expected, -1, -3))


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.RandomGrayscale(0.0),
        lambda: layers.RandomInvert(0.0),
        lambda: layers.RandomColorDegeneration(0.0),
        lambda: layers.RandomPosterization((8, 8)),
        lambda: layers.RandomColorJitter(),
    ],
    ids=lambda make: type(make()).__name__,
)
def test_color_layer_identity_setting_keeps_the_images_exactly(make):
    images = np.round(IMAGES)
    np.testing.assert_array_equal(make()(images).numpy(), images)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.RandomSaturation((0.5, 0.5)),
        lambda: layers.RandomSharpness((0.5, 0.5)),
        lambda: layers.RandomHue(0.0),
        lambda: layers.RandomHue(0.0, value_range=(0, 1)),
    ],
    ids=lambda make: type(make()).__name__,
)
def test_color_layer_identity_setting_keeps_the_images_to_rounding(make):
    images = IMAGES / 255 if make().value_range[1] == 1 else IMAGES
    np.testing.assert_allclose(make()(images).numpy(), images, rtol=1e-5, atol=1e-4)


def test_random_saturation_of_zero_gives_grey_images():
    out = layers.RandomSaturation((0.0, 0.0))(IMAGES).numpy()
    np.testing.assert_allclose(out, np.repeat(IMAGES.max(axis=-1, keepdims=True), 3, -1))


def test_random_grayscale_keeps_one_channel_images():
    images = IMAGES[..., :1]
    np.testing.assert_array_equal(layers.RandomGrayscale(1.0)(images).numpy(), images)


@pytest.mark.parametrize("name", sorted(ALL_LAYERS))
def test_color_layer_output_shape_is_the_input_shape_eagerly_and_symbolically(name):
    layer = ALL_LAYERS[name]()
    assert layer.compute_output_shape((None, 5, 6, 3)) == (None, 5, 6, 3)
    assert layer.compute_output_shape((5, 6, 3)) == (5, 6, 3)
    symbolic = layer(keras.Input((5, 6, 3), dtype="int32"))
    assert symbolic.shape == (None, 5, 6, 3) and symbolic.dtype == "float32"
    assert layer.weights == []
    assert layer(IMAGES[0]).shape == (5, 6, 3)


@pytest.mark.parametrize("name", sorted(ALL_LAYERS))
def test_color_layer_rejects_an_input_that_is_not_one_image_or_a_batch(name):
    layer = ALL_LAYERS[name]()
    with pytest.raises(ValueError, match=r"rank 3 or 4.*\(10, 10\)"):
        layer(np.ones((10, 10), "float32"))
    with pytest.raises(ValueError, match="dict inputs"):
        layer({"images": IMAGES, "bounding_boxes": {}})


@pytest.mark.parametrize(
    "layer",
    [layers.CenterCrop(4, 4), layers.Resizing(4, 4), layers.RandomCrop(4, 4)],
    ids=lambda layer: type(layer).__name__,
)
def test_crop_and_resize_layers_refuse_dict_inputs_naming_what_is_not_supported(layer):
    # Keras also takes {"images": ..., "bounding_boxes": ...}; minikeras takes images and labels.
    with pytest.raises(ValueError, match=f"{type(layer).__name__}: dict inputs"):
        layer({"images": IMAGES, "bounding_boxes": {}})


@pytest.mark.parametrize(
    "cls",
    [
        layers.AutoContrast,
        layers.Equalization,
        layers.ContrastLimitedAdaptiveHistogramEqualization,
    ],
)
def test_deterministic_color_layers_take_no_seed_as_keras(cls):
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments.*\['seed'\]"):
        cls(seed=1)


def test_random_color_degeneration_output_shape_needs_three_channels_as_keras():
    with pytest.raises(ValueError, match=r"3 channels.*input_shape=\(None, 5, 6, 1\)"):
        layers.RandomColorDegeneration(0.2).compute_output_shape((None, 5, 6, 1))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.AutoContrast(value_range=5), "value_range.*two numbers"),
        (lambda: layers.Equalization(value_range=(0, 1, 2)), "value_range"),
        (lambda: layers.Equalization(bins=0), "bins.*positive integer"),
        (
            lambda: layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(8,)),
            "tile_grid_size.*two positive integers",
        ),
        (
            lambda: layers.ContrastLimitedAdaptiveHistogramEqualization(clip_limit="x"),
            "clip_limit",
        ),
        (lambda: layers.Solarization(addition_factor=1.5), "addition_factor"),
        (lambda: layers.Solarization(threshold_factor=(0.1, -0.2)), "threshold_factor"),
        (lambda: layers.RandomGrayscale(1.1), "factor.*between 0 and 1"),
        (lambda: layers.RandomGrayscale((0.1, 0.2)), "factor"),
        (lambda: layers.RandomInvert(-0.1), r"factor.*\[0, 1\]"),
        (lambda: layers.RandomInvert(value_range="x"), "value_range"),
        (lambda: layers.RandomPosterization(9), r"factor.*\[1, 8\]"),
        (lambda: layers.RandomPosterization(0), "factor"),
        (lambda: layers.RandomColorDegeneration(1.5), r"factor.*\[-1, 1\]"),
        (lambda: layers.RandomSaturation((0.1, 2.0)), "factor"),
        (lambda: layers.RandomHue(-0.2), r"factor.*\[0, 1\]"),
        (lambda: layers.RandomSharpness(1.2), "factor"),
        (lambda: layers.RandomColorJitter(hue_factor=2.0), "factor"),
        (lambda: layers.RandomColorJitter(value_range=(0,)), "value_range"),
        (lambda: layers.RandomHue(0.1, data_format="channels_middle"), "data_format"),
    ],
)
def test_color_layer_rejects_bad_arguments_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# -- the distributions of the draws -------------------------------------------------------------
BATCH = np.zeros((4000, 2, 2, 3), "float32")


def test_solarization_draws_additions_and_thresholds_in_keras_ranges():
    # Keras 3.15: uniform in [lower, 255 * upper] (the lower end is not scaled).
    drawn = layers.Solarization((0.2, 0.4), (0.1, 0.5), seed=0).get_random_transformation(BATCH)
    additions, thresholds = drawn["additions"].ravel(), drawn["thresholds"].ravel()
    assert drawn["additions"].shape == (4000, 1, 1, 1)
    assert additions.min() >= 0.2 and additions.max() <= 102 and additions.max() > 95
    assert thresholds.min() >= 0.1 and thresholds.max() <= 127.5 and thresholds.max() > 120
    assert abs(additions.mean() - (0.2 + 102) / 2) < 2


def test_random_grayscale_turns_images_grey_with_probability_factor():
    drawn = layers.RandomGrayscale(0.3, seed=0).get_random_transformation(BATCH)
    assert drawn.shape == (4000, 1, 1, 1) and abs(drawn.mean() - 0.3) < 0.03


def test_random_invert_inverts_with_the_mean_of_the_factor_range():
    # Keras's draw: inverted when uniform(0, 1) < uniform(lower, upper).
    for factor, share in ((1.0, 0.5), ((0.6, 0.8), 0.7), (0.0, 0.0)):
        drawn = layers.RandomInvert(factor, seed=0).get_random_transformation(BATCH)
        assert abs(drawn["apply_inversion"].mean() - share) < 0.03


def test_random_posterization_draws_bits_below_the_upper_end_as_keras():
    shifts = layers.RandomPosterization((2, 5), seed=0).get_random_transformation(BATCH)
    shifts = shifts["shift_factor"]
    assert shifts.dtype == np.uint8 and sorted(set(shifts.tolist())) == [4, 5, 6]


def test_random_color_degeneration_draws_factors_uniformly_in_range():
    drawn = layers.RandomColorDegeneration(0.4, seed=0).get_random_transformation(BATCH)
    factor = drawn["factor"]
    assert factor.shape == (4000, 1, 1, 1)
    assert factor.min() >= -0.4 and factor.max() <= 0.4 and abs(factor.mean()) < 0.02


def test_random_saturation_maps_its_draws_to_f_over_one_minus_f():
    drawn = layers.RandomSaturation((0.2, 0.6), seed=0).get_random_transformation(BATCH)
    factor = drawn["factor"]
    assert factor.min() >= 0.2 / 0.8 - 1e-6 and factor.max() <= 0.6 / 0.4 + 1e-6
    f = factor / (1 + factor)  # f / (1 - f) inverted
    assert abs(f.mean() - 0.4) < 0.01


def test_random_hue_draws_half_the_factor_with_either_sign():
    shifts = layers.RandomHue((0.2, 0.6), seed=0).get_random_transformation(BATCH)["factor"]
    assert np.all((np.abs(shifts) >= 0.1) & (np.abs(shifts) <= 0.3))
    assert abs((shifts > 0).mean() - 0.5) < 0.03


def test_random_sharpness_draws_factors_uniformly_in_range():
    drawn = layers.RandomSharpness((0.1, 0.7), seed=0).get_random_transformation(BATCH)
    factor = drawn["factor"]
    assert factor.min() >= 0.1 and factor.max() <= 0.7 and abs(factor.mean() - 0.4) < 0.01


def test_color_layers_with_the_same_seed_repeat_and_each_call_draws_anew():
    makers = {**RANDOM_LAYERS, "RandomGrayscale": lambda: layers.RandomGrayscale(seed=1)}
    for name, make in makers.items():
        first, second = make(), make()
        images = np.tile(IMAGES, (4, 1, 1, 1))
        a, b = first(images).numpy(), second(images).numpy()
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert not np.array_equal(first(images).numpy(), a), name


def test_random_color_jitter_applies_its_steps_in_keras_order():
    images = IMAGES / 255
    jitter = layers.RandomColorJitter((0, 1), brightness_factor=(0.2, 0.2), hue_factor=(0, 0))
    brightness = layers.RandomBrightness((0.2, 0.2), value_range=(0, 1))
    hue = layers.RandomHue(0, value_range=(0, 1))
    np.testing.assert_array_equal(jitter(images).numpy(), hue(brightness(images)).numpy())
    assert [type(step).__name__ for step in jitter.steps] == ["RandomBrightness", "RandomHue"]


# -- gradients and layer checks -----------------------------------------------------------------
GRADIENT_CASES = {
    "AutoContrast": (lambda: layers.AutoContrast((-1, 1)), None),
    "Solarization": (
        lambda: layers.Solarization(value_range=(-1, 1)),
        {"additions": np.array([[[[10.0]]], [[[0.0]]]]), "thresholds": np.zeros((2, 1, 1, 1))},
    ),
    "RandomColorDegeneration": (
        lambda: layers.RandomColorDegeneration(0.5, value_range=(-5, 5)),
        {"factor": np.array([[[[0.3]]], [[[-0.4]]]])},
    ),
    "RandomSharpness": (
        lambda: layers.RandomSharpness(0.5, value_range=(-5, 5)),
        {"factor": np.array([0.2, 0.9])},
    ),
    "RandomInvert": (
        lambda: layers.RandomInvert(),
        {"apply_inversion": np.array([True, False])},
    ),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_color_layer_passes_gradients_to_its_input_for_a_fixed_draw(name):
    make, transformation = GRADIENT_CASES[name]
    images = np.random.default_rng(1).uniform(-1, 1, (2, 4, 5, 3))
    with float64():
        layer = make()

    def fn(x):
        return layer.transform_images(x, transformation)

    check_gradients(fn, images)


@pytest.mark.parametrize("name", sorted(ALL_LAYERS))
def test_color_layers_pass_layer_checks(name):
    layer = ALL_LAYERS[name]()
    config = layer.get_config()
    config.pop("name")
    run_layer_test(
        type(layer),
        config,
        input_shape=(2, 5, 6, 3),
        expected_output_shape=(2, 5, 6, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


# -- Resizing's interpolations and aspect ratio options, against Keras ----------------------------
RESIZING = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "resizing_layer.json").read_text()
)


@pytest.mark.parametrize("name", sorted(RESIZING["cases"]))
def test_resizing_layer_matches_keras_for_each_interpolation_and_aspect_option(name):
    case = RESIZING["cases"][name]
    images = np.array(RESIZING["images"], "float32")
    images = np.moveaxis(images, -1, -3) if case["channels_first"] else images
    images = images[0] if case["unbatched"] else images
    layer = layers.Resizing(**case["kwargs"])
    out = layer(images).numpy()
    expected = np.array(case["output"], "float32")
    assert out.shape == expected.shape
    # Keras on JAX sums the interpolation in another order: the last bits may differ.
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-4)
    config = layer.get_config()
    assert {key: config[key] for key in case["config"]} == case["config"]


@pytest.mark.parametrize("name", sorted(RESIZING["integer_cases"]))
def test_resizing_rounds_integer_images_back_to_their_dtype_as_keras(name):
    case = RESIZING["integer_cases"][name]
    images = np.array(RESIZING["levels"]).astype(case["dtype"])
    out = layers.Resizing(**case["kwargs"])(images).numpy()
    assert out.dtype == case["output_dtype"]
    # A value within float32 rounding of a half may round the other way (Keras sums the
    # interpolation in another order): a few values differ by one level.
    difference = np.abs(out.astype(np.int64) - np.array(case["output"]))
    assert difference.max() <= 1 and (difference > 0).mean() < 0.01
    assert layers.Resizing(**case["kwargs"])(images[0]).numpy().dtype == case["output_dtype"]
