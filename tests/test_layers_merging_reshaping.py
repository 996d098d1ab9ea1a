"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and
reshaping layers (Flatten, Reshape, Permute, RepeatVector, ZeroPadding, Cropping,
UpSampling).

Each layer passes the shared checks of `run_layer_test`; values come from real Keras
(tests/fixtures/layers.json) or from the equivalent numpy expression.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.layer_test_helper import keras_case, run_layer_test

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# -- merging --------------------------------------------------------------------------------
ELEMENTWISE = [
    (layers.Add, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (layers.Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (layers.Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
]


@pytest.mark.parametrize(("cls", "formula"), ELEMENTWISE)
def test_elementwise_merge_layers(cls, formula):
    layer = run_layer_test(
        cls,
        {},
        input_shape=[(2, 3, 4)] * 3,
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )
    xs = [rand(2, 3, 4) for _ in range(3)]
    np.testing.assert_allclose(layer(xs).numpy(), formula(xs), rtol=1e-6)


def test_subtract_takes_exactly_two_inputs():
    layer = run_layer_test(
        layers.Subtract, {}, input_shape=[(3, 5), (3, 5)], expected_output_shape=(3, 5)
    )
    a, b = rand(3, 5), rand(3, 5)
    np.testing.assert_array_equal(layer([a, b]).numpy(), a - b)
    with pytest.raises(ValueError, match=r"exactly 2 inputs.*3 inputs"):
        layers.Subtract()([a, a, a])


def test_functional_forms_match_the_layers():
    a, b = rand(2, 3), rand(2, 3)
    np.testing.assert_allclose(layers.add([a, b]).numpy(), a + b)
    np.testing.assert_allclose(layers.subtract([a, b]).numpy(), a - b)
    np.testing.assert_allclose(layers.multiply([a, b]).numpy(), a * b)
    np.testing.assert_allclose(layers.average([a, b]).numpy(), (a + b) / 2)
    np.testing.assert_allclose(layers.maximum([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(layers.minimum([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.concatenate([a, b]).numpy(), np.concatenate([a, b], -1))
    np.testing.assert_allclose(layers.dot([a, b], axes=1).numpy(), (a * b).sum(1, keepdims=True))


@pytest.mark.parametrize("case", ["add_ranks", "average_three", "maximum"])
def test_merge_layers_match_keras(case):
    data = keras_case(case)
    cls = {"add_ranks": layers.Add, "average_three": layers.Average, "maximum": layers.Maximum}
    out = cls[case]()(data["inputs"])
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-6, atol=1e-7)


def test_merge_broadcasts_lower_rank_after_the_batch_axis():
    a, b = keras.Input((3,)), keras.Input((4, 3))
    assert layers.Add()([a, b]).shape == (None, 4, 3)
    assert layers.Multiply().compute_output_shape([(2, 1, 3), (2, 5, 1)]) == (2, 5, 3)


def test_merge_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r'"adder".*incompatible shapes.*\(2, 3\).*\(2, 4\)'):
        layers.Add(name="adder")([rand(2, 3), rand(2, 4)])
    with pytest.raises(ValueError, match=r"different batch sizes.*\(2, 3\).*\(5, 3\)"):
        layers.Add()([keras.Input((3,), batch_size=2), keras.Input((3,), batch_size=5)])
    with pytest.raises(ValueError, match="list of tensors"):
        layers.Add()(rand(2, 3))
    with pytest.raises(ValueError, match="list of tensors"):
        layers.Add()(keras.Input((3,)))


def test_concatenate_passes_layer_checks_and_matches_keras():
    run_layer_test(
        layers.Concatenate,
        {"axis": 1},
        input_shape=[(2, 3, 4), (2, 1, 4)],
        expected_output_shape=(2, 4, 4),
    )
    data = keras_case("concatenate_axis1")
    out = layers.Concatenate(axis=1)(data["inputs"])
    np.testing.assert_array_equal(out.numpy(), data["outputs"][0])
    assert layers.Concatenate()([keras.Input((None, 2)), keras.Input((5, 3))]).shape == (
        None,
        5,
        5,
    )


def test_concatenate_errors():
    with pytest.raises(ValueError, match=r'"cat".*except for the concatenation axis.*\(2, 4, 3\)'):
        layers.Concatenate(axis=-1, name="cat")([rand(2, 3, 3), rand(2, 4, 3)])
    with pytest.raises(ValueError, match=r"axis 3 is out of range"):
        layers.Concatenate(axis=3)([keras.Input((3,)), keras.Input((3,))])
    with pytest.raises(ValueError, match="must be an int"):
        layers.Concatenate(axis="last")


@pytest.mark.parametrize(
    ("kwargs", "shapes", "expected"),
    [
        ({"axes": 1}, [(3, 4), (3, 4)], (3, 1)),
        ({"axes": (1, 2), "normalize": True}, [(2, 5, 3), (2, 4, 5)], (2, 3, 4)),
        ({"axes": -1}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    ],
)
def test_dot_passes_layer_checks(kwargs, shapes, expected):
    run_layer_test(layers.Dot, kwargs, input_shape=shapes, expected_output_shape=expected)


@pytest.mark.parametrize("case", ["dot_normalize", "dot_3d", "dot_mixed_rank"])
def test_dot_matches_keras(case):
    data = keras_case(case)
    kwargs = dict(data["kwargs"])
    if isinstance(kwargs["axes"], list):
        kwargs["axes"] = tuple(kwargs["axes"])
    out = layers.Dot(**kwargs)(data["inputs"])
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-5, atol=1e-6)


def test_dot_errors():
    with pytest.raises(ValueError, match=r"axis 1 of the first has size 4.*size 3"):
        layers.Dot(axes=1)([rand(2, 4), rand(2, 3)])
    with pytest.raises(ValueError, match="batch axis 0"):
        layers.Dot(axes=0)([rand(2, 3), rand(2, 3)])
    with pytest.raises(ValueError, match="2 tensors"):
        layers.Dot(axes=1)([rand(2, 3)])
    with pytest.raises(ValueError, match="pair of ints"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="pair of ints"):
        layers.Dot(axes="last")


# -- reshaping ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs", "input_shape", "expected"),
    [
        (layers.Flatten, {}, (2, 3, 4), (2, 12)),
        (layers.Flatten, {"data_format": "channels_first"}, (2, 3, 4, 5), (2, 60)),
        (layers.Flatten, {}, (3, 5), (3, 5)),
        (layers.Reshape, {"target_shape": (4, 3)}, (2, 12), (2, 4, 3)),
        (layers.Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), (2, 6, 2)),
        (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
        (layers.RepeatVector, {"n": 3}, (2, 5), (2, 3, 5)),
        (layers.ZeroPadding1D, {"padding": (1, 2)}, (2, 4, 3), (2, 7, 3)),
        (layers.ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, (2, 3, 4, 2), (2, 4, 7, 2)),
        (
            layers.ZeroPadding2D,
            {"padding": 1, "data_format": "channels_first"},
            (1, 2, 3, 3),
            (1, 2, 5, 5),
        ),
        (layers.Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
        (layers.Cropping2D, {"cropping": ((1, 1), (0, 2))}, (2, 4, 5, 2), (2, 2, 3, 2)),
        (
            layers.Cropping2D,
            {"cropping": 1, "data_format": "channels_first"},
            (1, 2, 4, 4),
            (1, 2, 2, 2),
        ),
        (layers.UpSampling1D, {"size": 3}, (2, 4, 2), (2, 12, 2)),
        (layers.UpSampling2D, {"size": (2, 3)}, (2, 3, 4, 2), (2, 6, 12, 2)),
        (layers.UpSampling2D, {"interpolation": "bilinear"}, (1, 3, 3, 2), (1, 6, 6, 2)),
        (layers.UpSampling2D, {"data_format": "channels_first"}, (1, 2, 3, 3), (1, 2, 6, 6)),
    ],
)
def test_reshaping_layers_pass_layer_checks(cls, kwargs, input_shape, expected):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    ("case", "cls"),
    [
        ("flatten_channels_first", layers.Flatten),
        ("upsampling_bilinear", layers.UpSampling2D),
        ("upsampling_nearest", layers.UpSampling2D),
        ("zero_padding", layers.ZeroPadding2D),
        ("cropping", layers.Cropping2D),
        ("permute", layers.Permute),
        ("reshape", layers.Reshape),
    ],
)
def test_reshaping_layers_match_keras(case, cls):
    data = keras_case(case)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data["kwargs"].items()}
    out = cls(**kwargs)(data["inputs"])
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-6, atol=1e-6)


def test_reshaping_values_by_numpy():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.reshape(2, 12))
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    np.testing.assert_array_equal(layers.UpSampling1D(2)(x).numpy(), np.repeat(x, 2, axis=1))
    np.testing.assert_array_equal(layers.Cropping1D(1)(x).numpy(), x[:, 1:2])
    np.testing.assert_array_equal(
        layers.ZeroPadding1D(1)(x).numpy(), np.pad(x, ((0, 0), (1, 1), (0, 0)))
    )
    v = rand(2, 5)
    np.testing.assert_array_equal(
        layers.RepeatVector(3)(v).numpy(), np.broadcast_to(v[:, None], (2, 3, 5))
    )


def test_bilinear_upsampling_of_integer_images_interpolates_in_float():
    pixels = np.arange(8, dtype=np.int32).reshape(1, 2, 2, 2)
    out = layers.UpSampling2D(interpolation="bilinear")(pixels)
    expected = layers.UpSampling2D(interpolation="bilinear")(pixels.astype(np.float32))
    assert out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert layers.UpSampling2D()(pixels).dtype == "int32"  # nearest copies values


def test_reshaping_unknown_sizes_stay_unknown():
    inputs = keras.Input((None, 4))
    assert layers.Flatten()(inputs).shape == (None, None)
    assert layers.Reshape((-1, 2))(inputs).shape == (None, None, 2)
    assert layers.UpSampling1D(2)(inputs).shape == (None, None, 4)
    images = keras.Input((None, None, 3))
    assert layers.ZeroPadding2D(1)(images).shape == (None, None, None, 3)
    assert layers.UpSampling2D(2)(images).shape == (None, None, None, 3)


def test_reshaping_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r'"reshaper".*\(2, 3\).*6 values.*\(4, 2\)'):
        layers.Reshape((4, 2), name="reshaper")(rand(5, 2, 3))
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2"):
        layers.Permute((2, 1))(rand(2, 3))
    with pytest.raises(ValueError, match="positive integer"):
        layers.RepeatVector(0)
    with pytest.raises(TypeError, match="integer"):
        layers.RepeatVector(2.0)
    with pytest.raises(ValueError, match=r"expected ndim=2"):
        layers.RepeatVector(2)(rand(2, 3, 4))
    with pytest.raises(ValueError, match=r'"crop".*removes everything.*\(1, 4, 4, 1\)'):
        layers.Cropping2D(2, name="crop")(rand(1, 4, 4, 1))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=">= 0"):
        layers.ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="trilinear")
    with pytest.raises(ValueError, match="data_format"):
        layers.UpSampling2D(data_format="channels_middle")
    with pytest.raises(ValueError, match=r"expected ndim=4"):
        layers.ZeroPadding2D(1)(rand(2, 3, 4))
