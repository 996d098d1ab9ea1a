"""Convolution and pooling ops: forward values, shapes, gradients, dtypes, errors, symbolic use.

References are direct loops written here (float64, tiny sizes), independent of the im2col
code: a convolution sums `x[o * stride + t * dilation - pad] @ kernel[t]` position by
position; a transposed convolution follows the definition of XLA's `conv_transpose` that
Keras's JAX backend uses (insert `stride - 1` zeros between inputs, pad by Keras's amounts,
convolve with the spatially flipped kernel); pools take the max / mean of the real elements
of each window. Padding amounts are the TensorFlow "same" formula, and the transposed output
sizes are Keras's `compute_conv_transpose_output_shape`, both re-derived below.
"""

import itertools
import math

import numpy as np
import pytest

from minikeras import GradientTape, Variable, config, ops
from minikeras.ops import convolution
from minikeras.ops.convolution import (
    average_pool,
    conv,
    conv_transpose,
    depthwise_conv,
    max_pool,
    separable_conv,
)
from minikeras.ops.symbolic import KerasTensor
from tests.gradcheck import check_gradients

RNG = np.random.default_rng(2024)


def normal(*shape):
    return RNG.standard_normal(shape)


def distinct(*shape):
    """Values at least 0.1 apart, so a tiny perturbation never changes which one is the max."""
    return RNG.permutation(np.arange(math.prod(shape)) * 0.1 - 1.0).reshape(shape)


# -- independent references ---------------------------------------------------------------
def same_pads(sizes, window, strides, dilations):
    """TensorFlow "same": out = ceil(size / stride), the smaller half of the padding first."""
    pads = []
    for size, k, s, d in zip(sizes, window, strides, dilations):
        span = (k - 1) * d + 1
        out = math.ceil(size / s)
        total = max((out - 1) * s + span - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def naive_conv(x, w, strides, pads, dilations):
    """Channels-last convolution with explicit (before, after) pads, grouped by shapes."""
    rank = x.ndim - 2
    window = w.shape[:rank]
    channels, kernel_in, filters = x.shape[-1], w.shape[-2], w.shape[-1]
    groups = channels // kernel_in
    per_group = filters // groups
    sizes = x.shape[1:-1]
    outs = [
        (size + lo + hi - (k - 1) * d - 1) // s + 1
        for size, (lo, hi), k, s, d in zip(sizes, pads, window, strides, dilations)
    ]
    y = np.zeros((x.shape[0], *outs, filters))
    for o in itertools.product(*[range(n) for n in outs]):
        for t in itertools.product(*[range(k) for k in window]):
            index = [
                oi * s + ti * d - lo
                for oi, ti, s, d, (lo, _) in zip(o, t, strides, dilations, pads)
            ]
            if any(i < 0 or i >= n for i, n in zip(index, sizes)):
                continue
            column = x[(slice(None), *index)]  # (batch, channels)
            for g in range(groups):
                xs = column[:, g * kernel_in : (g + 1) * kernel_in]
                ws = w[t][:, g * per_group : (g + 1) * per_group]
                y[(slice(None), *o, slice(g * per_group, (g + 1) * per_group))] += xs @ ws
    return y


def reference_conv(x, w, strides=1, padding="valid", dilations=1):
    rank = x.ndim - 2
    strides = (strides,) * rank if isinstance(strides, int) else strides
    dilations = (dilations,) * rank if isinstance(dilations, int) else dilations
    if padding == "same":
        pads = same_pads(x.shape[1:-1], w.shape[:rank], strides, dilations)
    else:
        pads = [(0, 0)] * rank
    return naive_conv(x, w, strides, pads, dilations)


def keras_transpose_axis(size, k, s, d, padding, output_padding):
    """Output size (Keras's formula) and the (left, right) padding Keras's JAX backend uses."""
    span = (k - 1) * d + 1
    if padding == "valid":
        extra = max(span, s) - span if output_padding is None else output_padding
        out = (size - 1) * s + span + extra
        left, right = span - 1, span - 1 + extra
    else:
        if output_padding is None:
            out = size * s
            total = s + span - 2
        else:
            out = (size - 1) * s + span % 2 + output_padding
            total = span + span % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, span - 1)
        right = total - left
    return out, left, right


def reference_conv_transpose(x, w, strides, padding, output_padding=None, dilations=1):
    """XLA conv_transpose: stride-dilate the input, pad, convolve with the flipped kernel."""
    rank = x.ndim - 2
    strides = (strides,) * rank if isinstance(strides, int) else strides
    dilations = (dilations,) * rank if isinstance(dilations, int) else dilations
    extras = (
        (output_padding,) * rank
        if output_padding is None or isinstance(output_padding, int)
        else output_padding
    )
    window = w.shape[:rank]
    dilated_shape = [(n - 1) * s + 1 for n, s in zip(x.shape[1:-1], strides)]
    dilated = np.zeros((x.shape[0], *dilated_shape, x.shape[-1]))
    dilated[(slice(None), *[slice(None, None, s) for s in strides])] = x
    pads, outs = [], []
    for n, k, s, d, e in zip(x.shape[1:-1], window, strides, dilations, extras):
        out, left, right = keras_transpose_axis(n, k, s, d, padding, e)
        pads.append((left, right))
        outs.append(out)
    # Kernel (*k, out_channels, in_channels): flip space, swap channels -> (*k, in, out).
    flipped = w[tuple(slice(None, None, -1) for _ in window)].swapaxes(-1, -2)
    y = naive_conv(dilated, flipped, (1,) * rank, pads, dilations)
    assert y.shape[1:-1] == tuple(outs)
    return y


def reference_pool(x, pool, strides, padding, kind):
    rank = x.ndim - 2
    pool = (pool,) * rank if isinstance(pool, int) else pool
    strides = pool if strides is None else strides
    strides = (strides,) * rank if isinstance(strides, int) else strides
    sizes = x.shape[1:-1]
    if padding == "same":
        pads = same_pads(sizes, pool, strides, (1,) * rank)
        outs = [math.ceil(n / s) for n, s in zip(sizes, strides)]
    else:
        pads = [(0, 0)] * rank
        outs = [(n - k) // s + 1 for n, k, s in zip(sizes, pool, strides)]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for o in itertools.product(*[range(n) for n in outs]):
        ranges = [
            range(max(oi * s - lo, 0), min(oi * s - lo + k, n))
            for oi, s, (lo, _), k, n in zip(o, strides, pads, pool, sizes)
        ]
        block = x[(slice(None), *[slice(r.start, r.stop) for r in ranges])]
        axes = tuple(range(1, rank + 1))
        value = block.max(axis=axes) if kind == "max" else block.mean(axis=axes)
        y[(slice(None), *o)] = value
    return y


def to_first(a):
    return np.moveaxis(a, -1, 1)


# -- conv forward -------------------------------------------------------------------------
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv2d_matches_direct_loops(strides, padding, dilation):
    if strides > 1 and dilation > 1:
        strides = (2, 1)  # mixed per-axis values
    x, w = normal(2, 7, 6, 3), normal(3, 2, 3, 4)
    expected = reference_conv(
        x, w, strides if isinstance(strides, tuple) else (strides, strides), padding, dilation
    )
    got = conv(x, w, strides, padding, dilation_rate=dilation)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv1d_matches_direct_loops(strides, padding, dilation):
    x, w = normal(2, 11, 3), normal(3, 3, 5)
    expected = reference_conv(x, w, strides, padding, dilation)
    got = conv(x, w, strides=strides, padding=padding, dilation_rate=dilation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


def test_conv3d_matches_direct_loops():
    x, w = normal(1, 5, 4, 6, 2), normal(2, 3, 2, 2, 3)
    for padding, strides in [("valid", 1), ("same", (2, 1, 2))]:
        expected = reference_conv(x, w, strides, padding)
        got = conv(x, w, strides=strides, padding=padding)
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_channels_first_is_the_transposed_channels_last(padding):
    x, w = normal(2, 6, 5, 3), normal(3, 3, 3, 4)
    expected = to_first(reference_conv(x, w, 2, padding))
    got = conv(to_first(x), w, 2, padding, data_format="channels_first")
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)
    x1, w1 = normal(2, 9, 3), normal(3, 3, 2)
    got = conv(to_first(x1), w1, padding=padding, data_format="channels_first")
    np.testing.assert_allclose(
        np.asarray(got), to_first(reference_conv(x1, w1, 1, padding)), rtol=1e-5, atol=1e-5
    )


def test_conv_follows_the_configured_image_data_format():
    x, w = normal(1, 2, 5, 5), normal(3, 3, 2, 3)
    config.set_image_data_format("channels_first")
    try:
        got = conv(x, w, padding="same")
    finally:
        config.set_image_data_format("channels_last")
    expected = to_first(reference_conv(np.moveaxis(x, 1, -1), w, 1, "same"))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


def test_grouped_conv_matches_direct_loops():
    # 6 input channels, kernel in_channels 2 -> 3 groups of 2 output channels each.
    x, w = normal(2, 6, 5, 6), normal(3, 3, 2, 6)
    for padding in ("valid", "same"):
        expected = reference_conv(x, w, 1, padding)
        np.testing.assert_allclose(
            np.asarray(conv(x, w, padding=padding)), expected, rtol=1e-5, atol=1e-5
        )
    # The same as convolving each group separately.
    parts = [
        reference_conv(x[..., 2 * g : 2 * g + 2], w[..., 2 * g : 2 * g + 2], 1) for g in range(3)
    ]
    np.testing.assert_allclose(
        np.asarray(conv(x, w)), np.concatenate(parts, axis=-1), rtol=1e-5, atol=1e-5
    )


def test_same_padding_puts_the_smaller_half_first():
    # Size 4, kernel 2, stride 1: one padded row, after the input (TF convention).
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    w = np.array([1.0, 10.0]).reshape(2, 1, 1)
    got = np.asarray(conv(x, w, padding="same"))[0, :, 0]
    np.testing.assert_allclose(got, [21.0, 32.0, 43.0, 4.0])
    # Size 5, kernel 4, stride 2: out 3, total pad 3 -> 1 before, 2 after.
    x = np.arange(1.0, 6.0).reshape(1, 5, 1)
    w = np.ones((4, 1, 1))
    got = np.asarray(conv(x, w, strides=2, padding="same"))[0, :, 0]
    np.testing.assert_allclose(got, [0 + 1 + 2 + 3, 2 + 3 + 4 + 5, 4 + 5 + 0 + 0])


def test_windows_larger_than_the_input_with_same_padding():
    # Some kernel positions then only ever read padding.
    x, w = normal(1, 2, 3, 2), normal(5, 4, 2, 3)
    np.testing.assert_allclose(
        np.asarray(conv(x, w, padding="same")), reference_conv(x, w, 1, "same"), atol=1e-5
    )
    check_gradients(lambda a, b: conv(a, b, padding="same"), x, w)
    check_gradients(lambda a, b: depthwise_conv(a, b, padding="same"), x, normal(5, 4, 2, 1))
    pooled = distinct(1, 2, 3, 2)
    for kind, function in (("max", max_pool), ("average", average_pool)):
        expected = reference_pool(pooled, 4, 1, "same", kind)
        np.testing.assert_allclose(np.asarray(function(pooled, 4, 1, "same")), expected, atol=1e-6)
        check_gradients(lambda a, f=function: f(a, 4, 1, "same"), pooled)


# -- depthwise / separable ----------------------------------------------------------------
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
def test_depthwise_conv_convolves_each_channel_with_its_own_filters(padding, strides):
    x, w = normal(2, 6, 7, 3), normal(3, 3, 3, 2)  # channel multiplier 2
    expected = np.zeros(
        reference_conv(x[..., :1], w[:, :, :1, :1], strides, padding).shape[:-1] + (6,)
    )
    for c in range(3):
        for m in range(2):
            single = reference_conv(
                x[..., c : c + 1], w[:, :, c : c + 1, m : m + 1], strides, padding
            )
            expected[..., c * 2 + m] = single[..., 0]
    got = depthwise_conv(x, w, strides, padding)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)
    got = depthwise_conv(to_first(x), w, strides, padding, data_format="channels_first")
    np.testing.assert_allclose(np.asarray(got), to_first(expected), rtol=1e-5, atol=1e-5)


def test_depthwise_conv1d_with_dilation():
    x, w = normal(2, 10, 2), normal(3, 2, 1)
    expected = np.concatenate(
        [reference_conv(x[..., c : c + 1], w[:, c : c + 1, :], 1, "same", 2) for c in range(2)],
        axis=-1,
    )
    got = depthwise_conv(x, w, padding="same", dilation_rate=2)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


def test_separable_conv_is_depthwise_then_pointwise():
    x, dw, pw = normal(2, 6, 6, 3), normal(3, 3, 3, 2), normal(1, 1, 6, 4)
    hidden = np.asarray(depthwise_conv(x, dw, 2, "same"))
    expected = reference_conv(hidden, pw)
    got = separable_conv(x, dw, pw, 2, "same")
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


# -- conv_transpose -----------------------------------------------------------------------
TRANSPOSE_CASES = [
    # (input spatial, kernel size, strides, padding, output_padding, dilation)
    ((4, 5), (3, 3), 2, "same", None, 1),
    ((4, 5), (3, 3), 2, "valid", None, 1),
    ((3, 4), (2, 3), (2, 3), "valid", None, 1),
    ((3, 3), (4, 4), 2, "same", None, 1),
    ((4, 3), (3, 2), 1, "same", None, 1),
    ((3, 4), (3, 3), 3, "valid", 1, 1),
    ((3, 4), (3, 3), 2, "same", 1, 1),
    ((4, 4), (3, 3), 2, "same", (0, 1), 1),
    ((3, 3), (2, 2), 3, "valid", None, 1),  # stride > kernel: zero rows at the end
    ((4, 4), (3, 2), 1, "valid", None, 2),
    ((3, 4), (3, 3), 2, "same", None, (2, 1)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose_matches_the_xla_definition_and_keras_shape(case):
    spatial, window, strides, padding, output_padding, dilation = case
    x, w = normal(2, *spatial, 3), normal(*window, 2, 3)
    expected = reference_conv_transpose(x, w, strides, padding, output_padding, dilation)
    got = conv_transpose(x, w, strides, padding, output_padding, dilation_rate=dilation)
    rank = len(spatial)
    s = (strides,) * rank if isinstance(strides, int) else strides
    d = (dilation,) * rank if isinstance(dilation, int) else dilation
    e = (output_padding,) * rank if not isinstance(output_padding, tuple) else output_padding
    shape = [
        keras_transpose_axis(*args, padding, extra)[0]
        for args, extra in zip(zip(spatial, window, s, d), e)
    ]
    assert got.shape == (2, *shape, 2)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


def test_conv_transpose_same_padding_scales_the_size_by_the_stride():
    x, w = normal(1, 5, 7, 2), normal(5, 5, 4, 2)
    assert conv_transpose(x, w, 3, "same").shape == (1, 15, 21, 4)
    assert conv_transpose(x, w, (1, 2), "valid").shape == (1, 9, 17, 4)


def test_conv_transpose_1d_and_channels_first():
    x, w = normal(2, 5, 3), normal(3, 4, 3)
    expected = reference_conv_transpose(x, w, 2, "same")
    np.testing.assert_allclose(
        np.asarray(conv_transpose(x, w, 2, "same")), expected, rtol=1e-5, atol=1e-5
    )
    got = conv_transpose(to_first(x), w, 2, "same", data_format="channels_first")
    np.testing.assert_allclose(np.asarray(got), to_first(expected), rtol=1e-5, atol=1e-5)
    x2, w2 = normal(1, 3, 4, 2), normal(3, 3, 1, 2)
    got = conv_transpose(to_first(x2), w2, 2, "valid", data_format="channels_first")
    np.testing.assert_allclose(
        np.asarray(got), to_first(reference_conv_transpose(x2, w2, 2, "valid")), atol=1e-5
    )


def test_conv_transpose_is_the_adjoint_of_conv():
    # <conv(x, w), y> == <x, conv_transpose(y, w)> when the shapes match up.
    # Valid, stride 2: 8 -> 3 -> 7 unless output_padding restores the dropped row.
    for strides, padding, extra in [(1, "same", None), (2, "same", None), (2, "valid", 1)]:
        x, w = normal(2, 8, 8, 3), normal(3, 3, 3, 4)
        y = np.asarray(conv(x, w, strides, padding))
        g = normal(*y.shape)
        back = np.asarray(conv_transpose(g, w, strides, padding, extra))
        assert back.shape == x.shape
        np.testing.assert_allclose(np.sum(y * g), np.sum(x * back), rtol=1e-4)


# -- pooling ------------------------------------------------------------------------------
POOL_CASES = [
    # (input spatial, pool_size, strides, padding)
    ((7, 5), 2, None, "valid"),
    ((7, 5), 2, None, "same"),
    ((7, 5), 3, 2, "valid"),
    ((7, 5), 3, 2, "same"),
    ((7, 5), (3, 2), (1, 2), "same"),
    ((5, 5), 3, 1, "same"),
    ((9,), 2, None, "valid"),
    ((9,), 4, 3, "same"),
    ((9,), 3, 1, "same"),
    ((4, 5, 3), 2, None, "same"),
]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "average"])
def test_pools_match_direct_loops(case, kind):
    spatial, pool, strides, padding = case
    x = normal(2, *spatial, 3)
    function = max_pool if kind == "max" else average_pool
    expected = reference_pool(x, pool, strides, padding, kind)
    got = function(x, pool, strides, padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, atol=1e-6)
    got = function(to_first(x), pool, strides, padding, data_format="channels_first")
    np.testing.assert_allclose(np.asarray(got), to_first(expected), rtol=1e-6, atol=1e-6)


def test_average_pool_same_divides_by_the_real_elements_only():
    x = np.ones((1, 3, 3, 1))
    # Every window average of ones is 1: padding is not counted.
    np.testing.assert_allclose(np.asarray(average_pool(x, 2, 2, "same")), 1.0)
    x = np.arange(1.0, 4.0).reshape(1, 3, 1)
    # Windows [1, 2] and [3] (the pad after 3 is not counted).
    np.testing.assert_allclose(np.asarray(average_pool(x, 2, 2, "same"))[0, :, 0], [1.5, 3.0])


def test_max_pool_same_never_picks_the_padding():
    x = -np.ones((1, 3, 3, 1)) * np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    got = np.asarray(max_pool(x, 2, 2, "same"))[0, :, :, 0]
    np.testing.assert_allclose(got, [[-1, -3], [-7, -9]])


def test_max_pool_gradient_goes_to_the_first_maximum_only():
    x = Variable(np.array([[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 5.0, 5.0]]).reshape(1, 2, 4, 1))
    with GradientTape() as tape:
        y = max_pool(x, 2)
        loss = ops.sum(y * np.array([10.0, 20.0]).reshape(1, 1, 2, 1))
    grad = np.asarray(tape.gradient(loss, x))[0, :, :, 0]
    np.testing.assert_array_equal(grad, [[0, 10, 0, 0], [0, 0, 20, 0]])
    # Overlapping windows: a shared maximum collects the gradient of every window it wins.
    x = Variable(np.array([0.0, 5.0, 1.0, 2.0]).reshape(1, 4, 1))
    with GradientTape() as tape:
        loss = ops.sum(max_pool(x, 2, 1))
    np.testing.assert_array_equal(np.asarray(tape.gradient(loss, x)).ravel(), [0, 2, 0, 1])


# -- gradients ----------------------------------------------------------------------------
CONV_GRAD_CASES = [
    dict(strides=1, padding="valid"),
    dict(strides=1, padding="same"),
    dict(strides=2, padding="same"),
    dict(strides=(2, 1), padding="valid", dilation_rate=1),
    dict(strides=1, padding="same", dilation_rate=2),
]


@pytest.mark.parametrize("kwargs", CONV_GRAD_CASES)
def test_conv2d_gradients(kwargs):
    check_gradients(lambda x, w: conv(x, w, **kwargs), normal(2, 5, 5, 2), normal(3, 3, 2, 3))


def test_conv_gradients_1d_3d_grouped_and_channels_first():
    check_gradients(
        lambda x, w: conv(x, w, 2, "same", dilation_rate=1), normal(2, 7, 2), normal(3, 2, 3)
    )
    check_gradients(
        lambda x, w: conv(x, w, 1, "same"), normal(1, 3, 4, 3, 2), normal(2, 2, 2, 2, 2)
    )
    check_gradients(lambda x, w: conv(x, w, 1, "same"), normal(2, 4, 4, 4), normal(3, 3, 2, 4))
    check_gradients(
        lambda x, w: conv(x, w, 2, "same", data_format="channels_first"),
        normal(2, 2, 5, 5),
        normal(3, 3, 2, 3),
    )


@pytest.mark.parametrize("strides, padding", [(1, "valid"), (2, "same"), (1, "same")])
def test_depthwise_and_separable_gradients(strides, padding):
    check_gradients(
        lambda x, w: depthwise_conv(x, w, strides, padding), normal(2, 5, 5, 2), normal(3, 3, 2, 2)
    )
    check_gradients(
        lambda x, d, p: separable_conv(x, d, p, strides, padding),
        normal(1, 5, 5, 2),
        normal(3, 3, 2, 1),
        normal(1, 1, 2, 3),
    )


@pytest.mark.parametrize(
    "strides, padding, output_padding, dilation",
    [
        (2, "same", None, 1),
        (2, "valid", None, 1),
        (1, "same", None, 1),
        (3, "valid", 1, 1),
        (1, "valid", None, 2),
    ],
)
def test_conv_transpose_gradients(strides, padding, output_padding, dilation):
    check_gradients(
        lambda x, w: conv_transpose(x, w, strides, padding, output_padding, dilation_rate=dilation),
        normal(2, 3, 3, 2),
        normal(3, 3, 3, 2),
    )


def test_conv_transpose_gradients_1d_and_channels_first():
    check_gradients(lambda x, w: conv_transpose(x, w, 2, "same"), normal(2, 4, 3), normal(3, 2, 3))
    check_gradients(
        lambda x, w: conv_transpose(x, w, 2, "valid", data_format="channels_first"),
        normal(1, 2, 3, 3),
        normal(2, 3, 3, 2),
    )


@pytest.mark.parametrize("case", POOL_CASES)
def test_pool_gradients(case):
    spatial, pool, strides, padding = case
    x = distinct(2, *spatial, 2)
    check_gradients(lambda t: max_pool(t, pool, strides, padding), x)
    check_gradients(lambda t: average_pool(t, pool, strides, padding), x)
    check_gradients(
        lambda t: max_pool(t, pool, strides, padding, data_format="channels_first"), to_first(x)
    )


# -- dtypes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn, kernel_shape",
    [
        (lambda x, w: conv(x, w, 2, "same"), (3, 3, 3, 4)),
        (lambda x, w: depthwise_conv(x, w, 1, "same"), (3, 3, 3, 2)),
        (lambda x, w: conv_transpose(x, w, 2, "same"), (3, 3, 4, 3)),
        (lambda x, w: max_pool(x, 2, padding="same") * w[0, 0, 0, 0], (1, 1, 1, 1)),
        (lambda x, w: average_pool(x, 3, 2, "same") * w[0, 0, 0, 0], (1, 1, 1, 1)),
    ],
)
def test_float32_in_float32_out_and_float32_gradients(fn, kernel_shape):
    x = Variable(normal(2, 5, 5, 3).astype(np.float32))
    w = Variable(normal(*kernel_shape).astype(np.float32))
    with GradientTape() as tape:
        y = fn(x, w)
        loss = ops.sum(y * y)
    assert y.dtype == "float32"
    gx, gw = tape.gradient(loss, [x, w])
    assert np.asarray(gx).dtype == np.float32
    assert np.asarray(gw).dtype == np.float32


def test_inputs_take_the_kernel_dtype():
    x = np.ones((1, 4, 4, 2), dtype=np.float64)
    w = np.ones((3, 3, 2, 1), dtype=np.float32)
    assert conv(x, w).dtype == "float32"
    assert conv(np.ones((1, 4, 4, 2), dtype=np.int64), w).dtype == "float32"


def test_no_gradient_needed_for_a_constant_kernel():
    x = Variable(normal(1, 4, 4, 2).astype(np.float32))
    w = ops.convert_to_tensor(normal(3, 3, 2, 2).astype(np.float32))
    with GradientTape() as tape:
        loss = ops.sum(conv(x, w, padding="same"))
    grad = np.asarray(tape.gradient(loss, x))
    expected = reference_conv_transpose(np.ones((1, 4, 4, 2)), np.asarray(w, np.float64), 1, "same")
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-5)


# -- errors -------------------------------------------------------------------------------
def test_channel_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(1, 5, 5, 3\).*\(3, 3, 2, 4\)"):
        conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4)))
    with pytest.raises(ValueError, match=r"\(1, 5, 5, 3\).*\(3, 3, 4, 2\)"):
        depthwise_conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 4, 2)))
    with pytest.raises(ValueError, match=r"\(1, 5, 5, 3\).*\(3, 3, 2, 4\)"):
        conv_transpose(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4)))
    # channels_first reads the channels from axis 1.
    with pytest.raises(ValueError, match=r"\(1, 5, 5, 3\).*\(3, 3, 3, 4\)"):
        conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), data_format="channels_first")


def test_wrong_rank_is_reported():
    with pytest.raises(ValueError, match=r"conv: inputs of shape \(5, 5, 3\)"):
        conv(np.ones((5, 5, 3)), np.ones((3, 3, 3, 4)))
    with pytest.raises(ValueError, match=r"\(1, 5, 5, 3\) and kernel of shape \(3, 3, 4\)"):
        conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match=r"max_pool: inputs of shape \(4, 4\)"):
        max_pool(np.ones((4, 4)), 2)


def test_unknown_strings_list_the_valid_ones():
    with pytest.raises(ValueError, match=r"padding 'full'.*\['valid', 'same'\]"):
        conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), padding="full")
    with pytest.raises(ValueError, match=r"\['valid', 'same'\]"):
        average_pool(np.ones((1, 5, 5, 3)), 2, padding="causal")
    with pytest.raises(ValueError, match=r"channels_last.*channels_first"):
        max_pool(np.ones((1, 5, 5, 3)), 2, data_format="NHWC")
    # Case does not matter, as in Keras.
    assert conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), padding="SAME").shape == (1, 5, 5, 4)


def test_bad_window_arguments():
    with pytest.raises(ValueError, match="strides"):
        conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 4)), strides=(1, 2, 3))
    with pytest.raises(ValueError, match="empty"):
        conv(np.ones((1, 2, 2, 3)), np.ones((3, 3, 3, 4)))
    with pytest.raises(ValueError, match="empty"):
        max_pool(np.ones((1, 2, 2, 3)), 3)


# -- symbolic -----------------------------------------------------------------------------
def test_symbolic_conv_keeps_unknown_dimensions():
    x = KerasTensor((None, None, None, 3))
    y = conv(x, np.ones((3, 3, 3, 8), np.float32), padding="same")
    assert isinstance(y, KerasTensor)
    assert y.shape == (None, None, None, 8)
    y = conv(KerasTensor((None, 32, 31, 3)), np.ones((5, 5, 3, 4), np.float32), 2)
    assert y.shape == (None, 14, 14, 4)


def test_symbolic_shapes_of_every_op():
    x = KerasTensor((None, 9, 10, 4))
    assert depthwise_conv(x, np.ones((3, 3, 4, 2)), 1, "same").shape == (None, 9, 10, 8)
    assert separable_conv(x, np.ones((3, 3, 4, 1)), np.ones((1, 1, 4, 6))).shape == (
        None,
        7,
        8,
        6,
    )
    assert conv_transpose(x, np.ones((3, 3, 5, 4)), 2, "same").shape == (None, 18, 20, 5)
    assert conv_transpose(x, np.ones((3, 3, 5, 4)), 2).shape == (None, 19, 21, 5)
    assert max_pool(x, 2).shape == (None, 4, 5, 4)
    assert average_pool(x, 3, 2, "same").shape == (None, 5, 5, 4)
    first = KerasTensor((None, 4, None, 10))
    assert max_pool(first, 2, data_format="channels_first").shape == (None, 4, None, 5)
    with pytest.raises(ValueError, match=r"\(None, 9, 10, 4\).*\(3, 3, 3, 8\)"):
        conv(x, np.ones((3, 3, 3, 8)))


def test_symbolic_graph_replays_to_the_eager_values():
    from minikeras.ops.symbolic import Node

    x = KerasTensor((None, 6, 6, 2))
    w = normal(3, 3, 2, 3).astype(np.float32)
    y = conv(x, w, 2, "same")
    assert isinstance(y.node, Node)
    data = normal(2, 6, 6, 2).astype(np.float32)
    replayed = y.node.operation(data, *y.node.args[1:], **y.node.kwargs)
    np.testing.assert_allclose(np.asarray(replayed), np.asarray(conv(data, w, 2, "same")))


def test_module_exports():
    assert sorted(convolution.__all__) == [
        "average_pool",
        "conv",
        "conv_transpose",
        "depthwise_conv",
        "max_pool",
        "separable_conv",
    ]
