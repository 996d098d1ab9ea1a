"""RandAugment and AugMix against Keras 3.15.1.

The fixtures (tests/fixtures/generate_image_augment_mix.py) hold each layer's
`transform_images` given a transformation Keras drew (JAX's generator, which minikeras does
not copy), and the configs; the draws themselves are checked for their ranges here.
"""

import io
import json
import pathlib
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.gradcheck import check_gradients, float64

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "image_augment_mix.json").read_text()
)
IMAGES = np.array(FIXTURE["images"], "float32")  # (2, 6, 7, 3) in [0, 255]


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"array", "dtype"}:
            return np.array(value["array"], value["dtype"])
        if set(value) == {"tuple"}:
            return tuple(_decode(item) for item in value["tuple"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def _case_images(case):
    value_range = case["kwargs"].get("value_range", (0, 255))
    images = IMAGES * np.float32(value_range[1] / 255.0)
    return np.moveaxis(images, -1, -3) if case["channels_first"] else images


def _compare(actual, expected):
    actual = actual.numpy()
    expected = np.array(expected, "float32")
    assert actual.dtype == np.float32 and actual.shape == expected.shape
    # RandomSharpness's depthwise convolution sums in another order than Keras's.
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-4)


# -- the numbers, against Keras -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FIXTURE["rand_augment"]))
def test_rand_augment_applies_the_chosen_operations_as_keras_given_the_draw(name):
    case = FIXTURE["rand_augment"][name]
    layer = layers.RandAugment(
        num_ops=len(case["transformation"]["layer_idxes"]["array"]), seed=21, **case["kwargs"]
    )
    out = layer.transform_images(_case_images(case), _decode(case["transformation"]))
    _compare(out, case["output"])


@pytest.mark.parametrize("name", sorted(FIXTURE["aug_mix"]))
def test_aug_mix_blends_its_chains_as_keras_given_the_draw(name):
    case = FIXTURE["aug_mix"][name]
    layer = layers.AugMix(seed=31, **case["kwargs"])
    out = layer.transform_images(_case_images(case), _decode(case["transformation"]))
    _compare(out, case["output"])


CONFIG_CASES = [
    (name, index) for name, variants in FIXTURE["configs"].items() for index in range(len(variants))
]


@pytest.mark.parametrize("name, index", CONFIG_CASES)
def test_augment_mix_config_is_keras_config_and_round_trips(name, index):
    case = FIXTURE["configs"][name][index]
    layer = getattr(layers, name)(**case["kwargs"])
    config = layer.get_config()
    expected = dict(case["config"])
    assert config.pop("dtype") == expected.pop("dtype")["config"]["name"]
    config.pop("name")
    assert json.loads(json.dumps(config)) == expected
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == layer.get_config()
    from_keras = keras.layers.deserialize(
        {"module": "keras.layers", "class_name": name, "config": {**case["config"], "name": "x"}}
    )
    assert json.loads(json.dumps(from_keras.get_config())) == json.loads(
        json.dumps({**layer.get_config(), "name": "x"})
    )


# -- the draws ----------------------------------------------------------------------------------
def test_rand_augment_draws_num_ops_indices_over_all_eleven_operations():
    layer = layers.RandAugment(num_ops=3, factor=0.4, seed=2)
    seen = []
    for _ in range(60):
        drawn = layer.get_random_transformation(IMAGES)
        assert drawn["layer_idxes"].shape == (3,)
        seen.extend(drawn["layer_idxes"].tolist())
        assert set(drawn["transforms"]) == set(layers.RandAugment.OPERATIONS)
        shear = drawn["transforms"]["random_shear"]["shear_factor"]
        assert shear.shape == (2, 2) and np.all(np.abs(shear) <= 0.4)
        angles = drawn["transforms"]["random_rotation"]["angle"]
        assert np.all((angles >= 0) & (angles <= 0.4 * 360))
    assert set(seen) == set(range(11))
    # RandomPosterization keeps at most max(1, int(8 * 0.4)) = 3 bits.
    assert layer.random_posterization.factor == (1, 3)


def test_aug_mix_draws_dirichlet_chain_weights_a_beta_weight_and_every_operation():
    layer = layers.AugMix(num_chains=4, chain_depth=3, all_ops=False, seed=3)
    picks, depths, samples = [], [], []
    for _ in range(200):
        drawn = layer.get_random_transformation(IMAGES)
        weights = drawn["chain_mixing_weights"]
        assert weights.shape == (4,) and weights.dtype == np.float32
        assert np.all(weights >= 0) and abs(float(weights.sum()) - 1) < 1e-5
        samples.append(float(drawn["weight_sample"]))
        assert len(drawn["chain_transforms"]) == 4
        for chain in drawn["chain_transforms"]:
            depths.append(len(chain))
            picks.extend(step["layer_name"] for step in chain)
    assert set(picks) == set(layer.operation_names) and len(layer.operation_names) == 7
    # Each of the three picks is "no operation" with chance 1/8: mean depth 3 * 7/8.
    assert abs(np.mean(depths) - 2.625) < 0.1
    # Beta(1, 1) is uniform on [0, 1].
    assert 0 <= min(samples) and max(samples) <= 1 and abs(np.mean(samples) - 0.5) < 0.06


def test_rand_augment_and_aug_mix_are_the_identity_at_inference_with_float32_output():
    images = np.random.default_rng(0).integers(0, 255, (16, 16, 3))
    for layer in (layers.RandAugment(), layers.AugMix()):
        out = layer(images, training=False)
        assert out.dtype == "float32"
        np.testing.assert_array_equal(out.numpy(), images.astype("float32"))


def test_rand_augment_with_no_operations_keeps_the_images():
    out = layers.RandAugment(num_ops=0, seed=1)(IMAGES)
    np.testing.assert_array_equal(out.numpy(), IMAGES)


def test_rand_augment_and_aug_mix_change_images_in_training_and_keep_the_range():
    for layer in (layers.RandAugment(num_ops=11, seed=1), layers.AugMix(num_chains=5, seed=1)):
        out = layer(IMAGES).numpy()
        assert out.shape == IMAGES.shape and not np.allclose(out, IMAGES)
        assert out.min() >= 0 and out.max() <= 255
    one = layers.AugMix(seed=2)(IMAGES[0])
    assert one.shape == IMAGES[0].shape


def test_seeded_rand_augment_and_aug_mix_repeat_and_each_call_draws_anew():
    for make in (lambda: layers.RandAugment(seed=7), lambda: layers.AugMix(seed=7)):
        first, second = make(), make()
        a, b = first(IMAGES).numpy(), second(IMAGES).numpy()
        np.testing.assert_array_equal(a, b)
        assert not all(np.array_equal(a, first(IMAGES).numpy()) for _ in range(3))


def test_rand_augment_and_aug_mix_pass_labels_through_and_refuse_boxes():
    labels = np.eye(2, dtype="float32")
    for layer in (layers.RandAugment(seed=1), layers.AugMix(seed=1)):
        out = layer({"images": IMAGES, "labels": labels})
        assert out["images"].shape == IMAGES.shape
        np.testing.assert_array_equal(np.asarray(out["labels"]), labels)
        with pytest.raises(ValueError, match="bounding boxes"):
            layer({"images": IMAGES, "bounding_boxes": {"boxes": np.zeros((2, 1, 4))}})


def test_rand_augment_and_aug_mix_in_a_model_fit_and_predict():
    x = np.random.default_rng(1).uniform(0, 255, (8, 8, 8, 3)).astype("float32")
    y = np.random.default_rng(2).uniform(size=(8, 1)).astype("float32")
    for augment in (layers.RandAugment(seed=1), layers.AugMix(seed=1)):
        model = keras.Sequential(
            [keras.Input((8, 8, 3)), augment, layers.Flatten(), layers.Dense(1)]
        )
        model.compile("sgd", "mse")
        model.fit(x, y / 1e4, epochs=1, verbose=0)
        assert model.predict(x, verbose=0).shape == (8, 1)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.RandAugment(factor=1.5), "factor"),
        (lambda: layers.RandAugment(num_ops=-1), "num_ops"),
        (lambda: layers.RandAugment(interpolation="cubic"), "interpolation"),
        (lambda: layers.RandAugment(value_range=(0,)), "value_range"),
        (lambda: layers.AugMix(num_chains=0), "num_chains"),
        (lambda: layers.AugMix(chain_depth=1.5), "chain_depth"),
        (lambda: layers.AugMix(alpha=0), "alpha"),
        (lambda: layers.AugMix(factor=(-0.1, 0.3)), "factor"),
        (lambda: layers.AugMix(all_ops="yes"), "all_ops"),
    ],
)
def test_rand_augment_and_aug_mix_reject_bad_arguments_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# -- every image layer: dict inputs and integer images, against Keras ---------------------------
LAYER_IO = FIXTURE["layer_io"]


@pytest.mark.parametrize("name", sorted(LAYER_IO))
def test_image_layer_takes_an_images_and_labels_dict_where_keras_does(name):
    case = LAYER_IO[name]
    layer = getattr(layers, name)(**case["kwargs"])
    labels = np.eye(2, dtype="float32")
    data = {"images": IMAGES[:, :6, :6], "labels": labels}
    if not isinstance(case["dict"], list):
        # Keras 3.15 fails here (NotImplementedError, AttributeError); minikeras says why.
        with pytest.raises(ValueError, match="dict inputs"):
            layer(data, training=True)
        return
    out = layer(data, training=True)
    assert sorted(out) == case["dict"]
    assert out["images"].shape == layer(IMAGES[:, :6, :6]).shape
    if "labels_kept" in case:
        np.testing.assert_array_equal(np.asarray(out["labels"]), labels)
    with pytest.raises(ValueError, match=r"bounding boxes.*'bounding_boxes'"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": np.zeros((2, 1, 4))}})


# Where Keras 3.15 keeps integer images integer (or raises) and minikeras gives float32, so a
# layer's output dtype never depends on `training` (see the README's image layer paragraph).
INTEGER_AT_INFERENCE_IN_KERAS = {
    "ContrastLimitedAdaptiveHistogramEqualization",
    "Equalization",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomSaturation",
}
INTEGER_IN_TRAINING_IN_KERAS = {
    "ContrastLimitedAdaptiveHistogramEqualization",
    "RandomBrightness",
    "RandomGrayscale",
}
RAISES_IN_TRAINING_IN_KERAS = {"RandomSaturation"}


@pytest.mark.parametrize("name", sorted(LAYER_IO))
def test_image_layer_output_dtype_for_integer_images_is_keras_s_but_for_the_listed_ones(name):
    case = LAYER_IO[name]
    layer = getattr(layers, name)(**case["kwargs"])
    images = np.round(IMAGES[:, :6, :6])
    for dtype in ("uint8", "int32"):
        for training in (True, False):
            key = f"{dtype}_{'training' if training else 'inference'}"
            listed = (
                INTEGER_IN_TRAINING_IN_KERAS | RAISES_IN_TRAINING_IN_KERAS
                if training
                else INTEGER_AT_INFERENCE_IN_KERAS
            )
            expected = "float32" if name in listed else case[key]
            if name in listed:  # the list holds only real differences
                assert case[key] != "float32", (name, key)
            assert layer(images.astype(dtype), training=training).dtype == expected, key


def test_rand_augment_and_aug_mix_save_keras_s_weights_file_layout(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((6, 7, 3)),
            layers.RandAugment(seed=1),
            layers.AugMix(all_ops=False, seed=2),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    path = tmp_path / "model.keras"
    model.save(path)
    paths = []
    with h5py.File(io.BytesIO(zipfile.ZipFile(path).read("model.weights.h5")), "r") as f:
        f.visit(paths.append)
    assert sorted(paths) == FIXTURE["weights_groups"]
    restored = keras.saving.load_model(path)
    assert [type(layer).__name__ for layer in restored.layers][:2] == ["RandAugment", "AugMix"]
    for old, new in zip(model.layers[:2], restored.layers[:2]):
        assert json.dumps(new.get_config()) == json.dumps(old.get_config())


def test_rand_augment_and_aug_mix_pass_gradients_to_the_images_for_a_fixed_draw():
    images = np.random.default_rng(1).standard_normal((2, 6, 7, 3))
    with float64():
        rand_augment = layers.RandAugment(value_range=(-50, 50), num_ops=3, seed=4)
        aug_mix = layers.AugMix(value_range=(-50, 50), num_chains=2, seed=4)
    drawn = rand_augment.get_random_transformation(images)
    drawn["layer_idxes"] = np.array([0, 3, 5])  # shear, brightness, contrast
    check_gradients(lambda x: rand_augment.transform_images(x, drawn), images)
    mixed = aug_mix.get_random_transformation(images)
    mixed["chain_transforms"] = [
        [
            {
                "layer_name": name,
                "transformation": getattr(aug_mix, name).get_random_transformation(images),
            }
        ]
        for name in ("random_rotation", "random_translation")
    ]
    check_gradients(lambda x: aug_mix.transform_images(x, mixed), images)
