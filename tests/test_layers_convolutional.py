"""Convolution layers: Keras fixture values, naive-loop values, shapes (also symbolic, with
unknown sizes), weights, configs, errors, gradients, and a small convnet that trains."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, ops
from minikeras.layers import Dense, Input
from minikeras.layers import convolutional as conv_layers
from minikeras.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from tests.fixtures.conv_layers_scenarios import check_layer_case
from tests.gradcheck import float64
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "conv_layers.npz")
CONV_CLASSES = ("Conv1D", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D")


def _fixture_cases():
    data = np.load(FIXTURE)
    cases = json.loads(str(data["cases"]))["cases"]
    return data, list(enumerate(cases))


FIXTURE_DATA, FIXTURE_CASES = _fixture_cases()


# -- naive references: plain loops over output positions and kernel taps ------------------
def _same_padding(size, kernel, stride, dilation):
    """(before, after) zero padding of a "same" convolution (the extra one goes after)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def naive_conv2d(x, kernel, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    """Cross-correlation of channels-last `x` with `kernel` (kh, kw, C // groups, F)."""
    n, height, width, _ = x.shape
    kh, kw, group_in, filters = kernel.shape
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        pads = [
            _same_padding(height, kh, strides[0], dilation[0]),
            _same_padding(width, kw, strides[1], dilation[1]),
        ]
    xp = np.pad(x.astype(np.float64), [(0, 0), pads[0], pads[1], (0, 0)])
    out_h = (xp.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    out_w = (xp.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    out = np.zeros((n, out_h, out_w, filters))
    group_out = filters // groups
    for i in range(out_h):
        for j in range(out_w):
            for a in range(kh):
                for b in range(kw):
                    row = i * strides[0] + a * dilation[0]
                    col = j * strides[1] + b * dilation[1]
                    for g in range(groups):
                        patch = xp[:, row, col, g * group_in : (g + 1) * group_in]
                        taps = kernel[a, b, :, g * group_out : (g + 1) * group_out]
                        out[:, i, j, g * group_out : (g + 1) * group_out] += patch @ taps
    return out


def naive_depthwise2d(x, kernel, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Each channel c convolved with kernel[..., c, m] gives output channel c * M + m."""
    channels = kernel.shape[2]
    outputs = []
    for c in range(channels):
        single = naive_conv2d(
            x[..., c : c + 1], kernel[:, :, c : c + 1, :], strides, padding, dilation
        )
        outputs.append(single)
    return np.concatenate(outputs, axis=-1)


def naive_conv2d_transpose(x, kernel, strides, padding, output_padding=None, dilation=(1, 1)):
    """Scatter form: input pixel (i, j) adds `x[i, j] . kernel[a, b]` at (i*s + a*d, j*s + b*d),
    then the full result is cropped (or extended) to the Keras output size."""
    n, height, width, _ = x.shape
    kh, kw, filters, _ = kernel.shape
    sizes, crops = [], []
    for size, k, s, d, extra in zip(
        (height, width), (kh, kw), strides, dilation, output_padding or (None, None)
    ):
        k_eff = (k - 1) * d + 1
        if padding == "valid":
            extra = max(k_eff, s) - k_eff if extra is None else extra
            sizes.append((size - 1) * s + k_eff + extra)
            crops.append(0)
        else:
            if extra is None:
                sizes.append(size * s)
                pad = s + k_eff - 2
            else:
                sizes.append((size - 1) * s + k_eff % 2 + extra)
                pad = k_eff + k_eff % 2 - 2 + extra
            crops.append(k_eff - 1 - min(pad // 2 + pad % 2, k_eff - 1))
    full = np.zeros(
        (
            n,
            (height - 1) * strides[0] + (kh - 1) * dilation[0] + 1 + sizes[0],
            (width - 1) * strides[1] + (kw - 1) * dilation[1] + 1 + sizes[1],
            filters,
        )
    )
    for i in range(height):
        for j in range(width):
            for a in range(kh):
                for b in range(kw):
                    row = i * strides[0] + a * dilation[0]
                    col = j * strides[1] + b * dilation[1]
                    full[:, row, col, :] += x[:, i, j, :] @ kernel[a, b].T
    return full[:, crops[0] : crops[0] + sizes[0], crops[1] : crops[1] + sizes[1], :]


def _rng():
    return np.random.default_rng(7)


def _random(shape, rng):
    return rng.standard_normal(shape).astype(np.float32)


# -- real Keras values ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("index", "case"),
    [c for c in FIXTURE_CASES if c[1]["class_name"] in CONV_CLASSES],
    ids=lambda v: v["class_name"] if isinstance(v, dict) else str(v),
)
def test_matches_keras(index, case):
    check_layer_case(conv_layers, index, case, FIXTURE_DATA)


# -- independent hand computations --------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"kernel_size": 3}, (2, 6, 5, 3)),
        ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 6, 3)),
        ({"kernel_size": 4, "strides": 2, "padding": "same"}, (1, 8, 8, 2)),
        ({"kernel_size": (3, 2), "dilation_rate": (2, 1)}, (1, 7, 5, 2)),
        ({"kernel_size": 2, "groups": 2}, (2, 4, 4, 4)),
    ],
)
def test_conv2d_matches_naive_loops(kwargs, shape):
    rng = _rng()
    layer = Conv2D(4, bias_initializer="random_normal", **kwargs)
    x = _random(shape, rng)
    out = layer(x).numpy()
    expected = naive_conv2d(
        x,
        layer.kernel.numpy(),
        layer.strides,
        layer.padding,
        layer.dilation_rate,
        layer.groups,
    )
    expected += layer.bias.numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_conv2d_channels_first_is_transposed_channels_last():
    rng = _rng()
    x = _random((2, 6, 7, 3), rng)
    last = Conv2D(4, 3, strides=2, padding="same", activation="relu")
    first = Conv2D(4, 3, strides=2, padding="same", activation="relu", data_format="channels_first")
    expected = last(x).numpy()
    first.build((None, 3, 6, 7))
    first.set_weights(last.get_weights())
    out = first(np.transpose(x, (0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(np.transpose(out, (0, 2, 3, 1)), expected, rtol=1e-5, atol=1e-6)


def test_conv1d_matches_naive_loops_including_causal():
    rng = _rng()
    x = _random((2, 9, 3), rng)
    for kwargs in ({"strides": 2, "padding": "same"}, {"padding": "causal", "dilation_rate": 2}):
        layer = Conv1D(4, 3, **kwargs)
        out = layer(x).numpy()
        kernel = layer.kernel.numpy()[None]  # a 1D convolution is a 2D one of height 1
        padding = kwargs["padding"]
        x2 = x[:, None]
        if padding == "causal":
            x2 = np.pad(x2, [(0, 0), (0, 0), (2 * (3 - 1), 0), (0, 0)])
            padding = "valid"
        expected = naive_conv2d(
            x2, kernel, (1, layer.strides[0]), padding, (1, layer.dilation_rate[0])
        )[:, 0]
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    # Causal: output step t must not depend on inputs after t.
    layer = Conv1D(2, 3, padding="causal")
    changed = x.copy()
    changed[:, 5:] += 1.0
    np.testing.assert_allclose(layer(x).numpy()[:, :5], layer(changed).numpy()[:, :5], atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 4, 2)),
        ({"kernel_size": 3, "strides": 2}, (1, 3, 3, 2)),
        ({"kernel_size": 2, "strides": 3}, (1, 2, 3, 2)),
        ({"kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1}, (1, 3, 2, 3)),
        ({"kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (1, 4, 4, 2)),
    ],
)
def test_conv2d_transpose_matches_naive_loops(kwargs, shape):
    rng = _rng()
    layer = Conv2DTranspose(3, bias_initializer="random_normal", **kwargs)
    x = _random(shape, rng)
    out = layer(x).numpy()
    expected = naive_conv2d_transpose(
        x,
        layer.kernel.numpy(),
        layer.strides,
        layer.padding,
        layer.output_padding,
        layer.dilation_rate,
    )
    expected += layer.bias.numpy()
    assert out.shape == expected.shape == tuple(layer.compute_output_shape(shape))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_depthwise_and_separable_match_naive_loops():
    rng = _rng()
    x = _random((2, 7, 6, 3), rng)
    depthwise = DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)
    depthwise.build(x.shape)
    depthwise.bias.assign(_random((6,), rng))
    expected = naive_depthwise2d(x, depthwise.kernel.numpy(), (2, 2), "same")
    expected += depthwise.bias.numpy()
    np.testing.assert_allclose(depthwise(x).numpy(), expected, rtol=1e-5, atol=1e-5)

    separable = SeparableConv2D(5, 3, padding="same", depth_multiplier=2, activation="relu")
    separable.build(x.shape)
    separable.bias.assign(_random((5,), rng))
    hidden = naive_depthwise2d(x, separable.depthwise_kernel.numpy(), padding="same")
    expected = hidden @ separable.pointwise_kernel.numpy()[0, 0] + separable.bias.numpy()
    np.testing.assert_allclose(separable(x).numpy(), np.maximum(expected, 0), rtol=1e-5, atol=1e-5)


# -- shapes ---------------------------------------------------------------------------------
SHAPE_CASES = [
    (Conv1D, {"filters": 3, "kernel_size": 3}, (2, 10, 4)),
    (Conv1D, {"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same"}, (2, 10, 4)),
    (Conv1D, {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 3}, (2, 10, 4)),
    (Conv1D, {"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, (2, 4, 10)),
    (Conv2D, {"filters": 3, "kernel_size": 3}, (2, 9, 8, 2)),
    (Conv2D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 9, 8, 2)),
    (Conv2D, {"filters": 3, "kernel_size": (1, 5), "strides": (3, 1)}, (2, 9, 8, 2)),
    (Conv2D, {"filters": 3, "kernel_size": 3, "dilation_rate": 3}, (1, 9, 8, 2)),
    (Conv2D, {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (1, 9, 8, 2)),
    (
        Conv2D,
        {"filters": 3, "kernel_size": 2, "strides": 2, "data_format": "channels_first"},
        (2, 2, 9, 8),
    ),
    (Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 5, 2)),
    (
        Conv2DTranspose,
        {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same"},
        (2, 4, 5, 2),
    ),
    (
        Conv2DTranspose,
        {"filters": 3, "kernel_size": 3, "strides": 3, "output_padding": 2},
        (1, 4, 5, 2),
    ),
    (
        Conv2DTranspose,
        {"filters": 3, "kernel_size": 3, "data_format": "channels_first"},
        (1, 2, 4, 5),
    ),
    (DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 3, "strides": 2}, (2, 9, 8, 2)),
    (
        DepthwiseConv2D,
        {"kernel_size": 3, "padding": "same", "data_format": "channels_first"},
        (2, 2, 9, 8),
    ),
    (
        SeparableConv2D,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 9, 8, 2),
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape"), SHAPE_CASES)
def test_shared_layer_checks(cls, kwargs, shape):
    """Output shape vs compute_output_shape, float32, config round trip, a training step,
    freezing (see tests/layer_test_helper.py)."""
    weights = 3 if cls is SeparableConv2D else 2
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_num_trainable_weights=weights,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        (
            Conv2D,
            {"filters": 2, "kernel_size": 3, "use_bias": False, "activation": "relu"},
            (2, 5, 5, 2),
        ),
        (
            Conv2D,
            {
                "filters": 2,
                "kernel_size": 2,
                "kernel_regularizer": "l2",
                "activity_regularizer": "l1",
            },
            (2, 4, 4, 1),
        ),
        (Conv1D, {"filters": 2, "kernel_size": 2, "groups": 2, "activation": "tanh"}, (2, 6, 4)),
        (Conv2DTranspose, {"filters": 2, "kernel_size": 2, "use_bias": False}, (2, 3, 3, 2)),
        (
            DepthwiseConv2D,
            {"kernel_size": 2, "use_bias": False, "depthwise_regularizer": "l1"},
            (1, 4, 4, 2),
        ),
    ],
)
def test_shared_layer_checks_without_bias_and_with_penalties(cls, kwargs, shape):
    regularized = any(key.endswith("_regularizer") for key in kwargs)
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_num_trainable_weights=1 if kwargs.get("use_bias") is False else 2,
        expected_num_losses=len([k for k in kwargs if k.endswith("_regularizer")])
        if regularized
        else 0,
    )


@pytest.mark.parametrize(("cls", "kwargs", "shape"), SHAPE_CASES)
def test_symbolic_shapes_with_unknown_sizes(cls, kwargs, shape):
    channels_first = kwargs.get("data_format") == "channels_first"
    unknown = (
        (shape[1],) + (None,) * (len(shape) - 2)
        if channels_first
        else ((None,) * (len(shape) - 2) + (shape[-1],))
    )
    inputs = Input(unknown)
    out = cls(**kwargs)(inputs)
    concrete = cls(**kwargs)(np.ones(shape, np.float32))
    channel_axis = 1 if channels_first else -1
    expected = [None] * len(shape)
    expected[channel_axis] = concrete.shape[channel_axis]
    assert tuple(out.shape) == tuple(expected)
    # Known sizes stay known.
    known = cls(**kwargs)(Input(shape[1:]))
    assert tuple(known.shape) == (None, *concrete.shape[1:])


def test_symbolic_image_model_with_unknown_sizes_runs_on_any_size():
    inputs = Input((None, None, 3))
    hidden = Conv2D(4, 3, strides=2, padding="same", activation="relu")(inputs)
    outputs = Conv2DTranspose(2, 3, strides=2, padding="same")(hidden)
    assert hidden.shape == (None, None, None, 4) and outputs.shape == (None, None, None, 2)
    model = keras.Model(inputs, outputs)
    assert model(np.ones((1, 8, 6, 3), np.float32)).shape == (1, 8, 6, 2)
    assert model(np.ones((2, 5, 5, 3), np.float32)).shape == (2, 6, 6, 2)


# -- weights --------------------------------------------------------------------------------
def test_weight_names_shapes_and_order():
    conv = Conv2D(8, (3, 5), groups=2)
    conv.build((None, 10, 10, 4))
    assert [(w.name, tuple(w.shape)) for w in conv.weights] == [
        ("kernel", (3, 5, 2, 8)),
        ("bias", (8,)),
    ]
    assert conv.count_params() == 3 * 5 * 2 * 8 + 8
    transpose = Conv2DTranspose(6, 3, data_format="channels_first")
    transpose.build((None, 4, 5, 5))
    assert [tuple(w.shape) for w in transpose.weights] == [(3, 3, 6, 4), (6,)]
    depthwise = DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    depthwise.build((None, 6, 6, 5))
    assert [(w.name, tuple(w.shape)) for w in depthwise.weights] == [("kernel", (3, 3, 5, 2))]
    separable = SeparableConv2D(7, 3, depth_multiplier=2)
    separable.build((None, 6, 6, 5))
    assert [(w.name, tuple(w.shape)) for w in separable.weights] == [
        ("depthwise_kernel", (3, 3, 5, 2)),
        ("pointwise_kernel", (1, 1, 10, 7)),
        ("bias", (7,)),
    ]
    conv1d = Conv1D(3, 4, use_bias=False)
    conv1d.build((None, 9, 2))
    assert [(w.name, tuple(w.shape)) for w in conv1d.weights] == [("kernel", (4, 2, 3))]


def test_initializers_regularizers_and_constraints_are_used():
    layer = Conv2D(
        2,
        2,
        kernel_initializer="ones",
        bias_initializer=keras.initializers.Constant(0.5),
        kernel_regularizer=keras.regularizers.L2(0.1),
        kernel_constraint=keras.constraints.NonNeg(),
    )
    out = layer(np.ones((1, 3, 3, 3), np.float32))
    np.testing.assert_allclose(out.numpy(), np.full((1, 2, 2, 2), 12.5))
    np.testing.assert_allclose(float(ops.sum(layer.losses[0])), 0.1 * 24, rtol=1e-6)
    assert layer.kernel.constraint is not None


def test_float32_preserved_and_float64_follows_floatx():
    out = Conv2D(2, 3)(np.ones((1, 5, 5, 2), np.float64))
    assert out.dtype == "float32"
    with float64():
        layer = DepthwiseConv2D(2)
        out = layer(np.ones((1, 4, 4, 2)))
        assert out.dtype == "float64" and layer.kernel.dtype == "float64"


# -- config ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer",
    [
        Conv1D(3, 5, strides=2, padding="causal", activation="relu", name="c1"),
        Conv2D(
            4,
            (3, 2),
            padding="same",
            data_format="channels_first",
            dilation_rate=2,
            groups=2,
            use_bias=False,
            kernel_initializer="he_normal",
            kernel_regularizer="l2",
            bias_constraint="non_neg",
        ),
        Conv2DTranspose(3, 3, strides=2, output_padding=1, activation="sigmoid"),
        DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer="zeros"),
        SeparableConv2D(5, 3, depth_multiplier=3, pointwise_regularizer="l1"),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_config_round_trip(layer):
    config = layer.get_config()
    json.dumps(config)  # plain data only
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    if isinstance(layer, Conv2D):
        assert config["kernel_size"] == (3, 2) and config["groups"] == 2
        assert config["data_format"] == "channels_first"


def test_image_data_format_default_comes_from_config():
    keras.config.set_image_data_format("channels_first")
    try:
        layer = Conv2D(2, 3)
    finally:
        keras.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"
    assert Conv2D(2, 3).data_format == "channels_last"


# -- bad arguments and inputs -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Conv2D(4, 3, padding="full"), r"\['valid', 'same'\].*'full'"),
        (lambda: Conv2D(4, 3, padding="causal"), r"\['valid', 'same'\]"),
        (lambda: Conv1D(4, 3, padding="circular"), r"\['valid', 'same', 'causal'\]"),
        (lambda: Conv2D(0, 3), r"filters.*positive.*filters=0"),
        (lambda: Conv2D(4, (3, 0)), r"kernel_size.*> 0"),
        (lambda: Conv2D(4, (3, 3, 3)), r"kernel_size.*tuple of 2 integers"),
        (lambda: Conv2D(4, 3, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
        (lambda: Conv2D(5, 3, groups=2), r"filters.*divisible by.*groups"),
        (lambda: Conv2D(4, 3, data_format="NHWC"), r"channels_last.*channels_first.*NHWC"),
        (lambda: Conv2DTranspose(4, 3, strides=2, output_padding=2), r"output_padding.*stride"),
        (lambda: DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_input_channels_names_layer_and_shapes():
    layer = Conv2D(4, 3, name="features")
    layer(np.ones((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r'"features".*3.*\(1, 5, 5, 2\)'):
        layer(np.ones((1, 5, 5, 2), np.float32))
    model = keras.Sequential([Input((8, 8, 3)), Conv2D(2, 3, name="first_conv")])
    with pytest.raises(ValueError, match=r"\(2, 8, 8, 1\)"):
        model(np.ones((2, 8, 8, 1), np.float32))


def test_bad_input_rank_size_and_groups():
    with pytest.raises(ValueError, match=r'"flat".*rank 4.*\(2, 5\)'):
        Conv2D(2, 3, name="flat")(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r'"small".*zero or negative.*\(1, 2, 2, 1\)'):
        Conv2D(2, 3, name="small")(np.ones((1, 2, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r'"grouped".*channels \(3\).*groups=2'):
        Conv2D(2, 3, groups=2, name="grouped")(np.ones((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r'"unknown".*known number of input channels'):
        Conv2D(2, 3, name="unknown")(Input((None, None, None)))


# -- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "input_shape"),
    [
        (lambda: Conv2D(2, 3, strides=2, padding="same", activation="tanh"), (2, 5, 4, 2)),
        (lambda: Conv2D(4, 2, groups=2, dilation_rate=(1, 2)), (1, 3, 5, 2)),
        (lambda: Conv2D(2, 2, data_format="channels_first", activation="relu"), (1, 2, 3, 3)),
        (lambda: Conv2D(3, 2, strides=2, activation="relu", use_bias=False), (1, 4, 4, 2)),
        (lambda: Conv1D(2, 3, padding="causal", dilation_rate=2), (2, 5, 2)),
        (lambda: Conv2DTranspose(2, 3, strides=2, padding="same"), (1, 2, 3, 2)),
        (lambda: DepthwiseConv2D(2, depth_multiplier=2, padding="same"), (1, 3, 3, 2)),
        (lambda: SeparableConv2D(2, 2, depth_multiplier=2), (1, 3, 3, 2)),
    ],
)
def test_finite_difference_gradients(make, input_shape):
    """Gradients for the input and every weight match central differences (float64)."""
    with float64():
        layer = make()
    layer.build(input_shape)
    # Random biases, so that relu's kink and the bias terms are exercised.
    rng = np.random.default_rng(3)
    if getattr(layer, "bias", None) is not None:
        layer.bias.assign(rng.standard_normal(layer.bias.shape))
    check_layer_gradients(layer, rng.standard_normal(input_shape))


# -- a small convnet ------------------------------------------------------------------------
def small_convnet(output_activation=None):
    from minikeras.layers.pooling import GlobalAveragePooling2D

    return keras.Sequential(
        [
            Input((32, 32, 3)),
            Conv2D(8, 4, strides=2, padding="same", activation="relu"),
            Conv2D(16, 4, strides=2, padding="same", activation="relu"),
            Conv2D(32, 4, strides=2, padding="same", activation="relu"),
            GlobalAveragePooling2D(),
            Dense(10, activation=output_activation),
        ]
    )


def test_small_convnet_forward_backward_and_training():
    keras.utils.set_random_seed(0)
    model = small_convnet()
    assert [tuple(layer.output.shape) for layer in model.layers] == [
        (None, 16, 16, 8),
        (None, 8, 8, 16),
        (None, 4, 4, 32),
        (None, 32),
        (None, 10),
    ]
    assert model.count_params() == (4 * 4 * 3 * 8 + 8) + (4 * 4 * 8 * 16 + 16) + (
        4 * 4 * 16 * 32 + 32
    ) + (32 * 10 + 10)
    rng = _rng()
    x = _random((16, 32, 32, 3), rng)
    y = rng.integers(0, 10, 16)

    # The model is the composition of its layers.
    h = x
    for layer in model.layers:
        h = layer(h)
    logits = model(x)
    assert logits.shape == (16, 10) and logits.dtype == "float32"
    np.testing.assert_allclose(logits.numpy(), h.numpy(), rtol=1e-6)

    optimizer = keras.optimizers.Adam(0.01)
    losses = []
    for _ in range(15):
        with GradientTape() as tape:
            loss = ops.mean(ops.sparse_categorical_crossentropy(y, model(x), from_logits=True))
        grads = tape.gradient(loss, model.trainable_weights)
        assert [g.shape for g in grads] == [tuple(w.shape) for w in model.trainable_weights]
        assert all(np.any(np.asarray(g) != 0) for g in grads)
        optimizer.apply(grads, model.trainable_weights)
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0]


def test_small_convnet_fits_and_predicts():
    keras.utils.set_random_seed(1)
    model = small_convnet("softmax")  # the string loss expects probabilities
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    rng = _rng()
    # Two easy classes: brighter or darker images.
    y = rng.integers(0, 2, 64)
    x = (_random((64, 32, 32, 3), rng) * 0.1 + (y[:, None, None, None] - 0.5)).astype(np.float32)
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    predictions = model.predict(x, verbose=0)
    assert predictions.shape == (64, 10) and predictions.dtype == np.float32
