"""The fast convolution and pooling paths against the plain ones they replace.

`ops/_conv_fast.py` (blocked im2col) must give the plain im2col path's numbers, to float32
rounding, for every geometry; which path runs is a pure function of the shapes.
"""

import itertools

import numpy as np
import pytest

from minikeras import GradientTape, Variable, ops
from minikeras.ops import _conv_fast, convolution, parallel
from tests.gradcheck import check_gradients


def _plain(x, kernel, plan, gy):
    """Output, input gradient and kernel gradient by the plain im2col path."""
    cols = convolution._im2col(x, plan.windows, 1)
    y = np.matmul(cols, convolution._grouped_kernel(kernel, 1))
    y = convolution._from_groups(y, (x.shape[0], *plan.windows.out_sizes))
    gy_groups = convolution._to_groups(gy, 1)
    gx = convolution._input_gradient(gy_groups, kernel, plan.windows, x.shape)
    gw = convolution._kernel_gradient(cols, gy_groups, kernel.shape)
    return y, gx, gw


def _geometries():
    cases = []
    for rank, k, stride, dilation, padding in itertools.product(
        (1, 2, 3), (2, 3, 4), (1, 2, 3), (1, 2), ("valid", "same")
    ):
        if rank == 3 and (k == 4 or stride == 3):
            continue  # keeps the test quick; the 2-D cases cover these
        cases.append((rank, k, stride, dilation, padding))
    return cases


@pytest.mark.parametrize("rank,k,stride,dilation,padding", _geometries())
def test_blocked_conv_matches_plain_im2col(rank, k, stride, dilation, padding):
    rng = np.random.default_rng(rank * 100 + k * 10 + stride)
    span = (k - 1) * dilation + 1
    # Odd sizes, different per axis, so no geometry lines up by accident.
    sizes = tuple(span + 2 + 3 * axis + stride for axis in range(rank))
    x = rng.standard_normal((3, *sizes, 5)).astype(np.float32)
    kernel = rng.standard_normal((*(k,) * rank, 5, 7)).astype(np.float32)
    plan = convolution._ConvPlan("conv", x.shape, kernel.shape, stride, padding, None, dilation)
    fast = _conv_fast.BlockedConv(plan.windows)
    y = fast.forward(x, kernel)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    gx, gw = fast.backward(gy, True, True)
    y0, gx0, gw0 = _plain(x, kernel, plan, gy)
    for ours, plain in ((y, y0), (gx, gx0), (gw, gw0)):
        assert ours.dtype == np.float32
        assert ours.shape == plain.shape
        np.testing.assert_allclose(ours, plain, rtol=1e-4, atol=1e-4)
    # Asking for one gradient gives the same numbers and None for the other.
    only_input, none = fast.backward(gy, True, False)
    assert none is None
    np.testing.assert_array_equal(only_input, gx)
    none, only_kernel = fast.backward(gy, False, True)
    assert none is None
    np.testing.assert_allclose(only_kernel, gw, rtol=1e-6, atol=1e-6)


def test_blocked_conv_with_blocks_smaller_than_the_batch(monkeypatch):
    """Many blocks, the last one partial: the block edges must not change the sums."""
    monkeypatch.setattr(_conv_fast, "_BLOCK_BYTES", 4 * 9 * 16 * 70)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 13, 11, 16)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 16, 8)).astype(np.float32)
    plan = convolution._ConvPlan("conv", x.shape, kernel.shape, 1, "same", None, 1)
    fast = _conv_fast.BlockedConv(plan.windows)
    y = fast.forward(x, kernel)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    gx, gw = fast.backward(gy, True, True)
    for ours, plain in zip((y, gx, gw), _plain(x, kernel, plan, gy)):
        np.testing.assert_allclose(ours, plain, rtol=1e-4, atol=1e-4)


def _force(monkeypatch, blocked):
    monkeypatch.setattr(_conv_fast, "_MIN_COLS_BYTES", 0 if blocked else float("inf"))
    monkeypatch.setattr(_conv_fast, "_MIN_RUN", 0)
    monkeypatch.setattr(parallel, "blas_work_can_share", lambda: True)
    monkeypatch.setattr(_conv_fast, "_MAX_WASTE", float("inf"))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "strides,padding,dilation", [(1, "same", 1), (2, "valid", 1), (1, "valid", 2)]
)
def test_conv_op_on_the_blocked_path_matches_the_plain_path(
    monkeypatch, data_format, strides, padding, dilation
):
    """Through `ops.conv` and a tape, in both data formats."""
    rng = np.random.default_rng(2)
    shape = (2, 9, 10, 4) if data_format == "channels_last" else (2, 4, 9, 10)
    x = rng.standard_normal(shape).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 4, 6)).astype(np.float32)
    results = []
    for blocked in (False, True):
        _force(monkeypatch, blocked)
        tx, tk = Variable(x), Variable(kernel)
        with GradientTape() as tape:
            y = ops.conv(tx, tk, strides, padding, data_format, dilation)
            loss = ops.sum(y * ops.cos(y))
        results.append([y.numpy(), *[g.numpy() for g in tape.gradient(loss, [tx, tk])]])
    for plain, blocked in zip(*results):
        np.testing.assert_allclose(blocked, plain, rtol=1e-4, atol=1e-4)


def test_blocked_conv_gradients_by_finite_differences(monkeypatch):
    _force(monkeypatch, True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 5, 3))
    kernel = rng.standard_normal((3, 2, 3, 4))
    check_gradients(lambda a, b: ops.conv(a, b, 2, "same"), x, kernel)
    check_gradients(lambda a, b: ops.conv(a, b, 1, "valid", dilation_rate=2), x, kernel)


def test_the_convolution_algorithm_is_chosen_from_the_shapes(monkeypatch):
    monkeypatch.setattr(parallel, "blas_work_can_share", lambda: True)

    def blocked(input_shape, kernel_shape, strides=1, padding="same"):
        plan = convolution._ConvPlan("conv", input_shape, kernel_shape, strides, padding, None, 1)
        return _conv_fast.use_blocked_im2col(
            plan.windows, plan.groups, input_shape[0], input_shape[-1]
        )

    assert blocked((64, 32, 32, 32), (3, 3, 32, 32))
    assert blocked((64, 32, 32, 16), (3, 3, 16, 32))
    assert blocked((128, 32, 32, 3), (3, 3, 3, 32))  # runs of 3 taps x 3 channels
    assert blocked((16, 32, 32, 64), (3, 3, 64, 64), strides=2)
    assert not blocked((4, 32, 32, 64), (3, 3, 64, 64), strides=2)  # cols under 8 MB
    assert not blocked((8, 32, 32, 16), (3, 3, 16, 32))  # cols under 8 MB
    assert not blocked((256, 32, 32, 3), (4, 4, 3, 8), strides=2)  # runs of 2 taps x 3
    assert not blocked((128, 28, 28, 1), (3, 3, 1, 32), padding="valid")  # runs of 3
    assert not blocked((64, 32, 32, 32), (3, 3, 16, 32))  # grouped
    assert not blocked((64, 32, 32, 16), (1, 1, 16, 32))  # one tap: cols is the input
    assert not blocked((64, 8, 8, 64), (3, 3, 64, 64))  # the 10x10 grid is mostly border
    # The same shapes always give the same answer.
    assert blocked((64, 32, 32, 32), (3, 3, 32, 32)) == blocked((64, 32, 32, 32), (3, 3, 32, 32))


def test_conv_takes_the_blocked_path_where_the_rule_says(monkeypatch):
    # numpy's BLAS replaced by a counter whose threads can be set.
    threads = [2]
    monkeypatch.setattr(parallel, "_blas", (lambda: threads[-1], threads.append))
    monkeypatch.setattr(parallel, "has_second_core", lambda: True)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    calls = []
    original = _conv_fast.BlockedConv.forward

    def spy(self, x, kernel):
        calls.append(x.shape)
        return original(self, x, kernel)

    monkeypatch.setattr(_conv_fast.BlockedConv, "forward", spy)
    x = np.zeros((8, 32, 32, 32), np.float32)  # cols of 9.4 MB
    kernel = np.zeros((3, 3, 32, 4), np.float32)
    ops.conv(x, kernel, padding="same")  # outside a loop: BLAS keeps its threads
    with parallel.keep_one_blas_thread():
        ops.conv(x, kernel, padding="same")
        ops.conv(x[:2], kernel, padding="same")  # 2.4 MB
    assert calls == [(8, 32, 32, 32)]


def _pool_reference(x, pool, stride, padding, kind, gy):
    """Output and input gradient of 2-D pooling by loops over windows (channels last).

    Max: the gradient goes to the first maximum of the window in row-major order.
    """
    n, h, w, c = x.shape
    if padding == "same":
        out = [-(-size // stride) for size in (h, w)]
        pads = [max((o - 1) * stride + pool - size, 0) // 2 for o, size in zip(out, (h, w))]
    else:
        out = [(size - pool) // stride + 1 for size in (h, w)]
        pads = [0, 0]
    y = np.zeros((n, *out, c), x.dtype)
    gx = np.zeros_like(x)
    for b, i, j, ch in itertools.product(range(n), range(out[0]), range(out[1]), range(c)):
        rows = range(max(i * stride - pads[0], 0), min(i * stride - pads[0] + pool, h))
        cols = range(max(j * stride - pads[1], 0), min(j * stride - pads[1] + pool, w))
        cells = [(r, q) for r in rows for q in cols]
        values = [x[b, r, q, ch] for r, q in cells]
        if kind == "max":
            y[b, i, j, ch] = max(values)
            r, q = cells[values.index(max(values))]
            gx[b, r, q, ch] += gy[b, i, j, ch]
        else:
            y[b, i, j, ch] = sum(values) / len(values)
            for r, q in cells:
                gx[b, r, q, ch] += gy[b, i, j, ch] / len(values)
    return y, gx


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize(
    "size,pool,stride,padding",
    [
        ((8, 6), 2, 2, "valid"),  # windows tile the input
        ((9, 7), 2, 2, "valid"),  # a row and a column left over
        ((9, 7), 2, 2, "same"),
        ((9, 8), 2, 3, "valid"),  # gaps between windows
        ((10, 7), 3, 3, "same"),
        ((7, 7), 3, 2, "same"),  # overlapping windows keep adding
    ],
)
def test_pooling_fast_paths_match_window_loops(kind, size, pool, stride, padding):
    rng = np.random.default_rng(4)
    # Rounded, half of them zero (as after a relu): many tied maxima.
    x = np.maximum(np.round(rng.standard_normal((2, *size, 3)), 1), 0).astype(np.float32)
    function = ops.max_pool if kind == "max" else ops.average_pool
    tx = Variable(x)
    with GradientTape() as tape:
        y = function(tx, pool, stride, padding)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    with GradientTape() as tape:
        loss = ops.sum(function(tx, pool, stride, padding) * gy)
    gx = tape.gradient(loss, tx).numpy()
    y_ref, gx_ref = _pool_reference(x, pool, stride, padding, kind, gy)
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("has_gamma,has_beta", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("channels_first", [False, True])
def test_batch_norm_backward_in_few_passes_matches_the_general_formula(
    monkeypatch, has_gamma, has_beta, channels_first
):
    from minikeras.layers.normalization.fused import Normalize

    rng = np.random.default_rng(5)
    x = (rng.standard_normal((6, 5, 4, 3)) * 3 + 1).astype(np.float32)
    axes, param_shape = ((0, 2, 3), (1, 5, 1, 1)) if channels_first else ((0, 1, 2), (1, 1, 1, 3))
    channels = param_shape[1] if channels_first else param_shape[-1]
    params = []
    if has_gamma:
        params.append(rng.uniform(0.5, 2, channels).astype(np.float32))
    if has_beta:
        params.append(rng.standard_normal(channels).astype(np.float32))
    gy = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    for grouped in (True, False):
        monkeypatch.setattr(Normalize, "_grouped", lambda self, ndim, grouped=grouped: grouped)
        function = Normalize(axes, 1e-3, param_shape, has_gamma, has_beta)
        function.needs_grad = (True,) * (1 + len(params))
        y = function.forward(x, *params)
        results.append((y, *function.backward(gy)))
    for fast, general in zip(*results):
        assert fast.dtype == np.float32
        np.testing.assert_allclose(fast, general, rtol=1e-4, atol=1e-5)


def test_batch_norm_gradients_by_finite_differences():
    from minikeras.layers.normalization.fused import Normalize

    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 3, 2))
    gamma, beta = rng.uniform(0.5, 2, 2), rng.standard_normal(2)
    assert Normalize((0, 1, 2), 1e-3, (1, 1, 1, 2), True, True)._grouped(4)

    def batch_norm(a, g, b):
        return Normalize((0, 1, 2), 1e-3, (1, 1, 1, 2), True, True)(a, g, b)

    check_gradients(batch_norm, x, gamma, beta)


@pytest.mark.parametrize("layout", ["channels_last", "channels_last_view", "channels_first"])
def test_batch_norm_statistics_by_blas_reductions_match_numpy(layout):
    from minikeras.layers.normalization.fused import Normalize

    rng = np.random.default_rng(7)
    x = (rng.standard_normal((8, 6, 5, 4)) * 2 + 3).astype(np.float32)
    if layout == "channels_last_view":
        x = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, -1, 1)), 1, -1)  # not contiguous
    axes = (0, 2, 3) if layout == "channels_first" else (0, 1, 2)
    param_shape = (1, 6, 1, 1) if layout == "channels_first" else (1, 1, 1, 4)
    function = Normalize(axes, 1e-3, param_shape, False, False)
    y = function.forward(x)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    variance = x64.var(axis=axes, keepdims=True)
    assert y.dtype == np.float32 and function.batch_mean.dtype == np.float32
    np.testing.assert_allclose(function.batch_mean, mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(function.batch_variance, variance, rtol=1e-5)
    np.testing.assert_allclose(y, (x64 - mean) / np.sqrt(variance + 1e-3), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides,padding", [(1, "same"), (2, "valid")])
def test_blocked_conv_gives_the_same_bits_with_or_without_the_second_thread(
    monkeypatch, strides, padding
):
    """The blocks are shared by two threads (BLAS on one thread each), and the kernel
    gradient adds them up in two fixed halves: the worker changes who computes, not what."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 17, 15, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 5)).astype(np.float32)
    gy = None
    plan = convolution._ConvPlan("conv", x.shape, kernel.shape, strides, padding, None, 1)
    monkeypatch.setattr(_conv_fast, "_BLOCK_BYTES", 4 * 72 * 13)  # blocks of 13 rows: many
    # numpy's BLAS replaced by a counter whose threads can be set, inside a loop: the
    # blocks really go to two threads.
    threads = [2]
    monkeypatch.setattr(parallel, "_blas", (lambda: threads[-1], threads.append))
    monkeypatch.setattr(parallel, "has_second_core", lambda: True)
    results, shared = [], []
    original = parallel._share

    def spy(body, parts):
        shared.append(len(parts))
        original(body, parts)

    monkeypatch.setattr(parallel, "_share", spy)
    for blocks_shared in (False, True):
        monkeypatch.setattr(_conv_fast, "_PARALLEL_BLOCKS", 2 if blocks_shared else 10**9)
        fast = _conv_fast.BlockedConv(plan.windows)
        with parallel.keep_one_blas_thread():
            y = fast.forward(x, kernel)
            if gy is None:
                gy = rng.standard_normal(y.shape).astype(np.float32)
            results.append((y, *fast.backward(gy, True, True)))
        if not blocks_shared:
            assert not shared
    assert shared  # the second run shared its blocks
    for alone, together in zip(*results):
        np.testing.assert_array_equal(alone, together)
    for ours, plain in zip(results[1], _plain(x, kernel, plan, gy)):
        np.testing.assert_allclose(ours, plain, rtol=1e-4, atol=1e-4)
