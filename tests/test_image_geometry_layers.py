"""The geometric and mixing image augmentation layers (MixUp, CutMix, RandomErasing,
RandomGaussianBlur, RandomShear, RandomPerspective, RandomElasticTransform) against Keras 3.

Keras draws their random parameters with JAX's generator, which minikeras does not copy:
the fixture (tests/fixtures/generate_image_geometry_layers.py) holds each layer's transform
given fixed parameters; the draws themselves are checked for ranges and identity settings
here, as Keras's own tests check them.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.layers.preprocessing.image_geometry import box_masks
from tests.gradcheck import check_gradients, float64

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "image_geometry_layers.json").read_text()
)
IMAGES = np.array(FIXTURE["images"], dtype="float32")  # (2, 8, 9, 3) in [0, 255]
FIRST = np.transpose(IMAGES, (0, 3, 1, 2))
LARGE = np.array(FIXTURE["large_images"], dtype="float32")  # (2, 20, 24, 3)
LABELS = np.array(FIXTURE["labels"], dtype="float32")


def _values(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def _equal(actual, expected):
    actual = _values(actual)
    np.testing.assert_array_equal(actual, np.array(expected, dtype=actual.dtype))


def _close(actual, expected, atol=2e-3):
    actual = _values(actual)
    np.testing.assert_allclose(actual, np.array(expected, dtype=actual.dtype), rtol=1e-5, atol=atol)


def _images_for(data_format):
    return FIRST if data_format == "channels_first" else IMAGES


# -- transforms given the drawn parameters -------------------------------------------------
def test_mix_up_blends_images_and_labels_as_keras_given_the_draw():
    case = FIXTURE["mix_up"]
    transformation = {
        "mix_weight": np.array(case["mix_weight"], "float32"),
        "permutation_order": np.array(case["permutation_order"]),
    }
    layer = layers.MixUp(alpha=0.3)
    out = layer.transform_images(IMAGES, transformation)
    assert out.dtype == "float32"
    _close(out, case["images"])
    _close(layer.transform_labels(LABELS, transformation), case["labels"], atol=1e-6)


@pytest.mark.parametrize("case", FIXTURE["cut_mix"]["cases"], ids=lambda c: c["data_format"])
def test_cut_mix_masks_label_weights_and_images_match_keras_given_the_boxes(case):
    x0, x1, y0, y1 = (np.array(c, "float32") for c in FIXTURE["cut_mix"]["corners"])
    images = _images_for(case["data_format"])
    masks = box_masks(images.shape, x0, x1, y0, y1, case["data_format"])
    _equal(masks, case["masks"])
    weight = layers.CutMix.mix_weight(x0, x1, y0, y1, 8, 9)
    _close(weight, np.ravel(case["mix_weight"]), atol=1e-7)  # Keras keeps (batch, 1, 1, 1)
    transformation = {
        "permutation_order": np.array(FIXTURE["cut_mix"]["permutation_order"]),
        "batch_masks": masks,
        "mix_weight": weight,
    }
    layer = layers.CutMix(data_format=case["data_format"])
    _equal(layer.transform_images(images, transformation), case["images"])
    _close(layer.transform_labels(LABELS, transformation), case["labels"], atol=1e-6)


@pytest.mark.parametrize(
    "case", FIXTURE["random_erasing"]["cases"], ids=lambda c: f"fill{c['fill_value']}"
)
def test_random_erasing_fills_the_box_as_keras_given_the_draw(case):
    x0, x1, y0, y1 = (np.array(c, "float32") for c in FIXTURE["random_erasing"]["corners"])
    layer = layers.RandomErasing(fill_value=case["fill_value"], value_range=case["value_range"])
    fill = layer._fill(IMAGES.shape, None)
    _equal(fill[0, 0, 0], case["fill"])
    transformation = {
        "apply_erasing": np.array(FIXTURE["random_erasing"]["apply_erasing"]),
        "batch_masks": box_masks(IMAGES.shape, x0, x1, y0, y1, "channels_last"),
        "fill_value": fill,
    }
    _equal(layer.transform_images(IMAGES, transformation), case["output"])


@pytest.mark.parametrize("case", FIXTURE["gaussian_blur"]["ops"], ids=lambda c: str(c["sigma"]))
def test_gaussian_blur_matches_keras_ops_image_gaussian_blur(case):
    # (kx, ky) and (sx, sy): the first of each goes along the width, as in Keras.
    out = keras.ops.image.gaussian_blur(IMAGES, case["kernel_size"], case["sigma"])
    _close(out, case["output"])


@pytest.mark.parametrize("case", FIXTURE["gaussian_blur"]["layer"], ids=lambda c: str(c["kwargs"]))
def test_random_gaussian_blur_transform_matches_keras_given_the_draw(case):
    layer = layers.RandomGaussianBlur(**case["kwargs"])
    transformation = {
        "should_apply_blur": np.array(case["should_apply_blur"]),
        "blur_factor": np.array(case["blur_factor"], "float32"),
    }
    images = _images_for(case["kwargs"].get("data_format"))
    _close(layer.transform_images(images, transformation), case["output"])


@pytest.mark.parametrize("case", FIXTURE["random_shear"]["cases"], ids=lambda c: str(c["kwargs"]))
def test_random_shear_transform_matches_keras_given_the_shear(case):
    layer = layers.RandomShear(x_factor=0.3, y_factor=0.3, **case["kwargs"])
    images = _images_for(case["kwargs"].get("data_format"))
    shear = np.array(FIXTURE["random_shear"]["shear_factor"], "float32")
    out = layer.transform_images(images, {"shear_factor": shear, "input_shape": images.shape})
    if case["kwargs"].get("interpolation") == "nearest":
        _equal(out, case["output"])
    else:
        _close(out, case["output"])


@pytest.mark.parametrize(
    "case", FIXTURE["random_perspective"]["cases"], ids=lambda c: str(c["kwargs"])
)
def test_random_perspective_transform_matches_keras_given_the_corners(case):
    layer = layers.RandomPerspective(**case["kwargs"])
    images = _images_for(case["kwargs"].get("data_format"))
    transformation = {
        "apply_perspective": np.array(case["apply_perspective"]),
        "start_points": np.array(FIXTURE["random_perspective"]["start_points"], "float32"),
        "end_points": np.array(FIXTURE["random_perspective"]["end_points"], "float32"),
    }
    _close(layer.transform_images(images, transformation), case["output"])


@pytest.mark.parametrize(
    "case", FIXTURE["random_elastic_transform"]["cases"], ids=lambda c: str(c["kwargs"])
)
def test_random_elastic_transform_matches_keras_given_the_noise(case):
    layer = layers.RandomElasticTransform(**case["kwargs"])
    images = LARGE
    if case["kwargs"].get("data_format") == "channels_first":
        images = np.transpose(LARGE, (0, 3, 1, 2))
    transformation = {
        "apply_transform": np.array(case["apply_transform"]),
        "distortion_factor": np.float32(case["distortion_factor"]),
        "noise": np.array(case["noise"], "float32"),
    }
    _close(layer.transform_images(images, transformation), case["output"])


# -- ops.image.gaussian_blur, perspective_transform; the elastic warp ------------------------
OPS = FIXTURE["ops"]
END = np.array(OPS["end_points"], "float32")


def test_ops_image_gaussian_blur_of_one_channels_first_image_matches_keras():
    out = keras.ops.image.gaussian_blur(
        FIRST[0], kernel_size=(5, 3), sigma=(1.2, 0.5), data_format="channels_first"
    )
    assert out.shape == FIRST[0].shape and out.dtype == "float32"
    _close(out, OPS["blur_single_channels_first"])


def test_ops_image_perspective_transform_matches_keras():
    start = np.array(OPS["start_points"], "float32")
    end = np.array(OPS["end_points"], "float32")
    single = keras.ops.image.perspective_transform(IMAGES[0], start, end, fill_value=3.0)
    _close(single, OPS["perspective"]["single"])
    batch = keras.ops.image.perspective_transform(
        IMAGES, np.stack([start] * 2), np.stack([end, start]), interpolation="nearest"
    )
    _close(batch, OPS["perspective"]["batch_nearest"], atol=1e-4)


def test_elastic_warp_matches_keras_ops_image_elastic_transform_given_its_noise():
    from minikeras.ops.image_warps import elastic_warp

    case = OPS["elastic"]
    noise = np.array(case["noise"], "float32")
    images = keras.ops.convert_to_tensor(LARGE)
    out = elastic_warp(
        images, noise, case["alpha"], case["sigma"], "bilinear", "nearest", 0.0, "channels_last"
    )
    _close(out, case["output"])


def test_ops_image_warps_keep_the_shape_of_symbolic_inputs_and_pass_gradients():
    inputs = keras.Input((8, 9, 3))
    start = np.array(OPS["start_points"], "float32")
    assert keras.ops.image.gaussian_blur(inputs).shape == (None, 8, 9, 3)
    points = keras.Input((4, 2))
    warped = keras.ops.image.perspective_transform(inputs, points, points)
    assert warped.shape == (None, 8, 9, 3) and warped.dtype == "float32"
    images = np.random.default_rng(2).standard_normal((1, 5, 6, 2))
    end = start * np.float32(0.6)
    check_gradients(lambda x: keras.ops.image.gaussian_blur(x, (3, 5), (0.8, 1.3)), images)
    check_gradients(lambda x: keras.ops.image.perspective_transform(x, start, end), images)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: keras.ops.image.gaussian_blur(IMAGES[0, :, :, 0]), r"rank.*\(8, 9\)"),
        (lambda: keras.ops.image.gaussian_blur(IMAGES, kernel_size=(3, 0)), "kernel_size"),
        (lambda: keras.ops.image.gaussian_blur(IMAGES, sigma=(1, 2, 3)), "sigma"),
        (
            lambda: keras.ops.image.perspective_transform(IMAGES, np.ones((3, 2)), np.ones((3, 2))),
            r"start_points shape.*\(3, 2\)",
        ),
        (
            lambda: keras.ops.image.perspective_transform(
                IMAGES, np.ones((2, 4, 2)), np.ones((4, 2))
            ),
            "same shape",
        ),
        (
            lambda: keras.ops.image.perspective_transform(
                IMAGES, np.ones((4, 2)), np.ones((4, 2)), interpolation="bicubic"
            ),
            "interpolation.*'nearest', 'bilinear'",
        ),
        (lambda: keras.ops.image.gaussian_blur(IMAGES, data_format="hwc"), "data_format"),
        (
            lambda: keras.ops.image.perspective_transform(IMAGES, np.zeros((4, 2)), END),
            "no homography",
        ),
    ],
)
def test_ops_image_warps_reject_bad_arguments_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- configs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case", FIXTURE["configs"], ids=lambda c: c["class_name"] + str(sorted(c["kwargs"]))
)
def test_geometry_layer_config_is_keras_config_and_round_trips(case):
    layer = getattr(layers, case["class_name"])(**case["kwargs"])
    config = layer.get_config()
    expected = case["config"]
    assert set(expected) <= set(config)
    assert json.loads(json.dumps({k: config[k] for k in expected})) == expected
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    assert type(keras.layers.deserialize(keras.layers.serialize(layer))) is type(layer)
    # What Keras writes (its dtype policy and name included) loads as the same layer.
    from_keras = keras.layers.deserialize(case["serialized"])
    assert type(from_keras) is type(layer)
    assert json.loads(json.dumps({k: from_keras.get_config()[k] for k in expected})) == expected


# -- the draws -------------------------------------------------------------------------------
def test_mix_up_draws_a_permutation_and_weights_in_0_1_and_labels_stay_distributions():
    layer = layers.MixUp(alpha=0.5, seed=2)
    labels = np.eye(8, dtype="float32")
    images = np.random.default_rng(0).uniform(0, 255, (8, 4, 5, 3)).astype("float32")
    transformation = layer.get_random_transformation(images)
    assert sorted(transformation["permutation_order"]) == list(range(8))
    weight = transformation["mix_weight"]
    assert weight.dtype == np.float32 and np.all((weight >= 0) & (weight <= 1))
    out = layer({"images": images, "labels": labels})
    np.testing.assert_allclose(out["labels"].numpy().sum(axis=1), 1.0, rtol=1e-6)
    assert out["images"].shape == images.shape
    assert np.all(out["images"].numpy() >= images.min()) and np.all(
        out["images"].numpy() <= images.max()
    )


def test_cut_mix_label_weight_is_the_share_of_the_image_left_and_a_single_image_is_kept():
    layer = layers.CutMix(seed=3)
    images = np.random.default_rng(0).uniform(0, 255, (16, 10, 12, 3)).astype("float32")
    transformation = layer.get_random_transformation(images)
    masks, weight = transformation["batch_masks"], transformation["mix_weight"]
    assert masks.shape == images.shape and masks.dtype == bool
    # The box's real-valued area, not its pixel count: close to it.
    kept = 1.0 - masks[..., 0].mean(axis=(1, 2))
    np.testing.assert_allclose(weight, kept, atol=0.25)
    out = layer({"images": images[0], "labels": np.eye(16, dtype="float32")[0]})
    np.testing.assert_array_equal(out["images"].numpy(), images[0])
    np.testing.assert_array_equal(out["labels"].numpy(), np.eye(16)[0])


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandomErasing(factor=0.0, seed=1),
        layers.RandomGaussianBlur(factor=0.0, seed=1),
        layers.RandomShear(seed=1),
        layers.RandomPerspective(scale=0.0, seed=1),
        layers.RandomPerspective(factor=0.0, seed=1),
        layers.RandomElasticTransform(scale=0.0, seed=1),
        layers.RandomElasticTransform(factor=0.0, seed=1),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_geometry_layer_with_a_zero_setting_leaves_images_unchanged(layer):
    out = layer(IMAGES, training=True)
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), IMAGES, atol=1e-4)


@pytest.mark.parametrize(
    "layer",
    [
        layers.RandomErasing(factor=(1.0, 1.0), fill_value=-1.0, value_range=(-1, 300), seed=4),
        layers.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.8, 1.0), seed=4),
        layers.RandomShear(x_factor=(0.3, 0.5), y_factor=(0.2, 0.4), seed=4),
        layers.RandomPerspective(factor=(1.0, 1.0), scale=0.6, seed=4),
        layers.RandomElasticTransform(factor=(1.0, 1.0), scale=(0.9, 1.0), seed=4),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_geometry_layer_with_probability_one_changes_every_image_in_training_only(layer):
    images = LARGE.astype("int32")
    out = layer(images, training=True)
    assert out.dtype == "float32" and out.shape == images.shape
    for index in range(len(images)):
        assert not np.allclose(out.numpy()[index], images[index])
    single = layer(images[0], training=True)
    assert single.shape == images[0].shape
    kept = layer(images, training=False)
    assert kept.dtype == "float32"
    np.testing.assert_array_equal(kept.numpy(), images)


def test_mix_up_keeps_the_dtype_at_inference_as_keras():
    images = IMAGES.astype("uint8")
    assert layers.MixUp()(images, training=False).dtype == "uint8"
    assert layers.MixUp(seed=1)(images, training=True).dtype == "float32"


def test_random_erasing_fill_and_probability_draws_stay_in_their_ranges():
    layer = layers.RandomErasing(factor=(0.5, 0.5), scale=(0.1, 0.2), seed=5)
    images = np.zeros((200, 10, 10, 1), "float32")
    transformation = layer.get_random_transformation(images)
    applied = transformation["apply_erasing"].mean()
    assert 0.35 < applied < 0.65
    fill = transformation["fill_value"]
    assert fill.shape == images.shape and fill.min() >= 0 and fill.max() <= 255
    side = transformation["batch_masks"][:, :, :, 0]
    area = side.mean(axis=(1, 2))
    assert area.max() <= 0.2 + 0.11  # sqrt(scale) sides, rounded to pixels


def test_random_shear_draws_each_sign_and_the_factor_ranges():
    layer = layers.RandomShear(x_factor=(0.2, 0.4), y_factor=0.1, seed=6)
    shear = layer.get_random_transformation(np.zeros((400, 4, 4, 1)))["shear_factor"]
    assert np.all((np.abs(shear[:, 0]) >= 0.2) & (np.abs(shear[:, 0]) <= 0.4))
    assert np.all(np.abs(shear[:, 1]) <= 0.1)
    assert 0.4 < np.mean(shear[:, 0] > 0) < 0.6  # the sign flips half the time


# -- dict inputs, errors, gradients ----------------------------------------------------------
def test_mixing_layers_refuse_integer_class_labels_keras_broadcasts_to_batch_by_batch():
    for layer in (layers.MixUp(seed=1), layers.CutMix(seed=1)):
        with pytest.raises(ValueError, match=r"one-hot.*labels.shape=\(2,\)"):
            layer({"images": IMAGES, "labels": np.array([0, 1])})


def test_geometry_layers_pass_labels_through_and_refuse_boxes_and_masks():
    labels = np.array([0, 1])
    out = layers.RandomShear(0.2, seed=1)({"images": IMAGES, "labels": labels})
    np.testing.assert_array_equal(out["labels"].numpy(), labels)
    with pytest.raises(ValueError, match=r"bounding boxes.*'bounding_boxes'"):
        layers.RandomErasing(seed=1)({"images": IMAGES, "bounding_boxes": {}})
    with pytest.raises(ValueError, match="segmentation_masks"):
        layers.MixUp(seed=1)({"images": IMAGES, "segmentation_masks": IMAGES})


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.MixUp(alpha=0), "alpha"),
        (lambda: layers.CutMix(factor=1.5), r"factor.*\[0, 1\]"),
        (lambda: layers.RandomErasing(scale=(0.1, 2.0)), "scale"),
        (lambda: layers.RandomErasing(fill_value=(1, 2)), "fill_value"),
        (lambda: layers.RandomErasing(value_range=5), "value_range"),
        (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size.*odd"),
        (lambda: layers.RandomGaussianBlur(sigma=2.0), "sigma"),
        (lambda: layers.RandomShear(x_factor=-0.2), "x_factor"),
        (lambda: layers.RandomShear(y_factor=(0.1, 1.2)), "y_factor"),
        (lambda: layers.RandomShear(y_factor=(-1.5, 0.2)), "y_factor"),
        (lambda: layers.RandomShear(fill_mode="mirror"), "fill_mode.*'reflect'"),
        (lambda: layers.RandomPerspective(scale=1.5), "scale"),
        (lambda: layers.RandomPerspective(interpolation="bicubic"), "interpolation.*'nearest'"),
        (lambda: layers.RandomElasticTransform(fill_mode="edge"), "fill_mode.*'mirror'"),
        (lambda: layers.RandomElasticTransform(scale=-0.5), "scale"),
    ],
)
def test_geometry_layers_reject_bad_arguments_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_geometry_layers_reject_an_input_that_is_not_one_image_or_a_batch():
    for layer in (layers.MixUp(), layers.RandomPerspective(), layers.RandomElasticTransform()):
        with pytest.raises(ValueError, match=r"rank 3 or 4.*\(10, 10\)"):
            layer(np.ones((10, 10), "float32"))


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.MixUp(seed=1),
        lambda: layers.CutMix(seed=1),
        lambda: layers.RandomErasing(factor=(1.0, 1.0), fill_value=0.5, seed=1),
        lambda: layers.RandomGaussianBlur(factor=(1.0, 1.0), value_range=(-50, 50), seed=1),
        lambda: layers.RandomShear(0.3, 0.2, seed=1),
        lambda: layers.RandomPerspective(factor=(1.0, 1.0), scale=0.4, seed=1),
        lambda: layers.RandomElasticTransform(factor=(1.0, 1.0), value_range=(-50, 50), seed=1),
    ],
    ids=["MixUp", "CutMix", "Erasing", "Blur", "Shear", "Perspective", "Elastic"],
)
def test_geometry_layer_transform_passes_gradients_to_the_images(make):
    images = np.random.default_rng(1).standard_normal((2, 6, 7, 2))
    with float64():
        layer = make()
    transformation = layer.get_random_transformation(images)
    check_gradients(lambda x: layer.transform_images(x, transformation), images)


def test_random_elastic_transform_takes_a_keras_style_transformation_with_a_seed():
    layer = layers.RandomElasticTransform()
    transformation = {"apply_transform": np.array([True, True]), "distortion_factor": 1.0}
    first = layer.transform_images(LARGE, {**transformation, "seed": 42})
    again = layer.transform_images(LARGE, {**transformation, "seed": 42})
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.allclose(first.numpy(), LARGE)


def test_image_layers_take_keras_s_bounding_box_format_argument_and_refuse_boxes():
    assert "bounding_box_format" not in layers.RandomShear(bounding_box_format=None).get_config()
    for make in (layers.RandomShear, layers.MixUp, layers.RandomFlip):
        with pytest.raises(ValueError, match="bounding_box_format='xyxy'"):
            make(bounding_box_format="xyxy")
