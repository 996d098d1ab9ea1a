"""Pooling layers: Keras fixture values, naive-loop values, shapes (also symbolic, with
unknown sizes), configs, errors, masks and gradients."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, ops
from minikeras.layers import Input
from minikeras.layers import pooling as pooling_layers
from minikeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from tests.gradcheck import float64
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "conv_layers.npz")
FIXTURE_DATA = np.load(FIXTURE)
FIXTURE_CASES = [
    (index, case)
    for index, case in enumerate(json.loads(str(FIXTURE_DATA["cases"]))["cases"])
    if "Pooling" in case["class_name"]
]


def naive_pool2d(x, pool_size, strides, padding, mode):
    """Max or mean of each window of channels-last `x`, looping over output positions.

    "same" padding: the windows may stick out of the input; only real elements count (the
    mean divides by the number of real elements in the window).
    """
    n, height, width, channels = x.shape
    starts = []
    for size, k, s in zip((height, width), pool_size, strides):
        if padding == "same":
            out = -(-size // s)
            before = max((out - 1) * s + k - size, 0) // 2
        else:
            out, before = (size - k) // s + 1, 0
        starts.append([o * s - before for o in range(out)])
    result = np.zeros((n, len(starts[0]), len(starts[1]), channels))
    for i, top in enumerate(starts[0]):
        for j, left in enumerate(starts[1]):
            window = x[:, max(top, 0) : top + pool_size[0], max(left, 0) : left + pool_size[1]]
            reduce = np.max if mode == "max" else np.mean
            result[:, i, j] = reduce(window, axis=(1, 2))
    return result


def _random(shape, seed=5):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# -- real Keras values ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("index", "case"),
    FIXTURE_CASES,
    ids=lambda v: v["class_name"] if isinstance(v, dict) else str(v),
)
def test_matches_keras(index, case):
    layer = getattr(pooling_layers, case["class_name"])(**case["config"])
    x = FIXTURE_DATA[f"{index}/input"]
    expected = FIXTURE_DATA[f"{index}/output"]
    out = layer(x)
    assert out.dtype == "float32" and layer.weights == []
    assert out.shape == expected.shape == tuple(layer.compute_output_shape(x.shape))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)
    config = layer.get_config()
    for key, value in case["keras_config"].items():
        ours = config[key]
        assert (list(ours) if isinstance(ours, tuple) else ours) == value, key


# -- independent hand computations --------------------------------------------------------
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(
    ("pool_size", "strides", "padding", "shape"),
    [
        ((2, 2), None, "valid", (2, 6, 7, 3)),
        ((3, 3), (2, 2), "same", (2, 7, 8, 2)),
        ((3, 2), (1, 2), "valid", (1, 5, 6, 2)),
        ((2, 3), (3, 1), "same", (1, 7, 5, 3)),
        ((4, 4), (1, 1), "same", (1, 5, 5, 1)),
    ],
)
def test_pooling2d_matches_naive_loops(mode, pool_size, strides, padding, shape):
    cls = MaxPooling2D if mode == "max" else AveragePooling2D
    x = _random(shape)
    out = cls(pool_size, strides=strides, padding=padding)(x).numpy()
    expected = naive_pool2d(x, pool_size, strides or pool_size, padding, mode)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    # channels_first gives the same numbers on transposed data.
    first = cls(pool_size, strides=strides, padding=padding, data_format="channels_first")
    out_first = first(np.transpose(x, (0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(
        np.transpose(out_first, (0, 2, 3, 1)), expected, rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pooling1d_matches_naive_loops(mode):
    x = _random((2, 9, 3))
    cls = MaxPooling1D if mode == "max" else AveragePooling1D
    for pool_size, strides, padding in ((2, None, "valid"), (3, 2, "same"), (4, 1, "same")):
        out = cls(pool_size, strides=strides, padding=padding)(x).numpy()
        expected = naive_pool2d(
            x[:, None], (1, pool_size), (1, strides or pool_size), padding, mode
        )[:, 0]
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_global_pooling_matches_numpy():
    x2 = _random((2, 4, 5, 3))
    np.testing.assert_allclose(GlobalAveragePooling2D()(x2).numpy(), x2.mean(axis=(1, 2)), 1e-6)
    np.testing.assert_allclose(GlobalMaxPooling2D()(x2).numpy(), x2.max(axis=(1, 2)))
    out = GlobalAveragePooling2D(data_format="channels_first", keepdims=True)(x2).numpy()
    np.testing.assert_allclose(out, x2.mean(axis=(2, 3), keepdims=True), rtol=1e-6)
    x1 = _random((3, 6, 4))
    np.testing.assert_allclose(GlobalAveragePooling1D()(x1).numpy(), x1.mean(axis=1), 1e-6)
    np.testing.assert_allclose(
        GlobalMaxPooling1D(keepdims=True)(x1).numpy(), x1.max(axis=1, keepdims=True)
    )
    np.testing.assert_allclose(
        GlobalMaxPooling1D(data_format="channels_first")(x1).numpy(), x1.max(axis=2)
    )


def test_global_average_pooling1d_mask_leaves_out_masked_steps():
    x = _random((2, 5, 3))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    out = GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out[0], x[0, :2].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(out[1], x[1].mean(axis=0), rtol=1e-6)
    first = GlobalAveragePooling1D(data_format="channels_first")
    out_first = first(np.transpose(x, (0, 2, 1)), mask=mask).numpy()
    np.testing.assert_allclose(out_first, out, rtol=1e-6)


# -- shapes ---------------------------------------------------------------------------------
SHAPE_CASES = [
    (MaxPooling1D, {}, (2, 9, 3)),
    (MaxPooling1D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 9, 3)),
    (AveragePooling1D, {"pool_size": 4, "strides": 1}, (2, 9, 3)),
    (AveragePooling1D, {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 9)),
    (MaxPooling2D, {}, (2, 9, 8, 3)),
    (MaxPooling2D, {"pool_size": (3, 2), "strides": 2, "padding": "same"}, (2, 9, 8, 3)),
    (AveragePooling2D, {"pool_size": 3, "strides": (1, 2)}, (2, 9, 8, 3)),
    (AveragePooling2D, {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 9, 8)),
    (GlobalAveragePooling1D, {}, (2, 9, 3)),
    (GlobalMaxPooling1D, {"keepdims": True, "data_format": "channels_first"}, (2, 3, 9)),
    (GlobalAveragePooling2D, {"keepdims": True}, (2, 9, 8, 3)),
    (GlobalMaxPooling2D, {"data_format": "channels_first"}, (2, 3, 9, 8)),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape"), SHAPE_CASES)
def test_shared_layer_checks(cls, kwargs, shape):
    """Output shape vs compute_output_shape, float32, config round trip, no weights, a
    gradient step through the layer (see tests/layer_test_helper.py)."""
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(("cls", "kwargs", "shape"), SHAPE_CASES)
def test_symbolic_shapes_with_unknown_sizes(cls, kwargs, shape):
    channels_first = kwargs.get("data_format") == "channels_first"
    spatial = (None,) * (len(shape) - 2)
    unknown = (shape[1], *spatial) if channels_first else (*spatial, shape[-1])
    out = cls(**kwargs)(Input(unknown))
    concrete = cls(**kwargs)(np.ones(shape, np.float32))
    # Unknown spatial sizes stay unknown; channels, and the 1s kept by keepdims, are known.
    channel_axis = 1 if channels_first else concrete.ndim - 1
    expected = tuple(
        size if i == channel_axis or (kwargs.get("keepdims") and i > 0) else None
        for i, size in enumerate(concrete.shape)
    )
    assert tuple(out.shape) == expected
    assert tuple(cls(**kwargs)(Input(shape[1:])).shape) == (None, *concrete.shape[1:])


def test_pooling_in_a_model_with_unknown_image_size():
    inputs = Input((None, None, 2))
    pooled = MaxPooling2D(3, strides=2, padding="same")(inputs)
    outputs = GlobalAveragePooling2D()(pooled)
    assert pooled.shape == (None, None, None, 2) and outputs.shape == (None, 2)
    model = keras.Model(inputs, outputs)
    x = _random((3, 7, 5, 2))
    expected = naive_pool2d(x, (3, 3), (2, 2), "same", "max").mean(axis=(1, 2))
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6)


# -- config and errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer",
    [
        MaxPooling1D(3, strides=1, padding="same", name="pool"),
        AveragePooling1D(2, data_format="channels_first"),
        MaxPooling2D((3, 2), strides=(2, 1)),
        AveragePooling2D(2, padding="SAME"),
        GlobalAveragePooling1D(keepdims=True),
        GlobalAveragePooling2D(data_format="channels_first"),
        GlobalMaxPooling1D(),
        GlobalMaxPooling2D(keepdims=True),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    if isinstance(layer, AveragePooling2D):
        assert config["padding"] == "same" and config["strides"] == (2, 2)


def test_defaults_follow_keras():
    assert MaxPooling2D().pool_size == (2, 2) and MaxPooling2D().strides == (2, 2)
    assert MaxPooling1D().pool_size == (2,)
    assert MaxPooling2D(3).strides == (3, 3) and MaxPooling2D(3, 1).strides == (1, 1)
    with pytest.raises(TypeError):
        AveragePooling2D()  # pool_size is required in Keras 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MaxPooling2D(padding="reflect"), r"\['valid', 'same'\].*'reflect'"),
        (lambda: AveragePooling1D(2, padding="causal"), r"\['valid', 'same'\]"),
        (lambda: MaxPooling2D((2, 0)), r"pool_size.*> 0"),
        (lambda: MaxPooling2D(2, strides=(1, 1, 1)), r"strides.*tuple of 2 integers"),
        (lambda: GlobalMaxPooling2D(data_format="NCHW"), r"channels_last.*NCHW"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r'"pool".*ndim=4.*\(2, 5, 3\)'):
        MaxPooling2D(name="pool")(np.ones((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r'"tiny".*zero or negative.*\(1, 2, 2, 1\)'):
        AveragePooling2D(3, name="tiny")(np.ones((1, 2, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r'"gap".*ndim=3.*\(2, 4, 4, 1\)'):
        GlobalAveragePooling1D(name="gap")(np.ones((2, 4, 4, 1), np.float32))


# -- gradients ------------------------------------------------------------------------------
def _distinct(shape, seed):
    """Values with no ties, so each max has a well-defined (differentiable) winner."""
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape)
    return values / 7.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: MaxPooling2D(2),
        lambda: MaxPooling2D(3, strides=2, padding="same"),
        lambda: AveragePooling2D(3, strides=2, padding="same"),
        lambda: AveragePooling2D((2, 3), strides=1, data_format="channels_first"),
        lambda: MaxPooling1D(3, strides=2, padding="same"),
        lambda: AveragePooling1D(2, strides=1),
        lambda: GlobalMaxPooling2D(),
        lambda: GlobalAveragePooling1D(keepdims=True),
    ],
)
def test_finite_difference_gradients(make):
    with float64():  # the layer computes in its own dtype: float64 for the check
        layer = make()
    shape = (2, 5, 4) if layer.rank == 1 else (2, 5, 4, 3)
    check_layer_gradients(layer, _distinct(shape, 2))


def test_gradients_flow_into_a_conv_below_and_dtype_is_kept():
    from minikeras.layers.convolutional import Conv2D

    conv = Conv2D(2, 3, padding="same")
    pool = MaxPooling2D()
    x = _random((2, 6, 6, 2))
    with GradientTape() as tape:
        out = GlobalMaxPooling2D()(AveragePooling2D(1)(pool(conv(x))))
        loss = ops.sum(out)
    assert out.dtype == "float32"
    grads = tape.gradient(loss, conv.trainable_weights)
    kernel_grad = np.asarray(grads[0])
    assert kernel_grad.dtype == np.float32 and np.any(kernel_grad != 0)
    # Each output channel's max goes back to exactly one position per sample.
    np.testing.assert_allclose(np.asarray(grads[1]), [2.0, 2.0])
