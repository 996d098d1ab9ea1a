"""The blocked channels-last batch normalisation (layers/normalization/blocked.py) against the
whole-array formulas of `Normalize`: outputs, statistics, moving averages and gradients."""

import multiprocessing
import threading
import tracemalloc

import numpy as np
import pytest

from minikeras.layers.normalization import blocked
from minikeras.layers.normalization.fused import Normalize, NormalizeAndTrack
from minikeras.ops import parallel
from tests.gradcheck import check_gradients


def _train_step(x, params, gy, has_gamma, has_beta):
    """Forward (moving averages included) and backward of one NormalizeAndTrack node."""
    channels = x.shape[-1]
    axes = tuple(range(x.ndim - 1))
    param_shape = (1,) * (x.ndim - 1) + (channels,)
    moving_mean = np.zeros(channels, x.dtype)
    moving_variance = np.ones(channels, x.dtype)
    function = NormalizeAndTrack(axes, 1e-3, param_shape, has_gamma, has_beta, 0.9)
    function.needs_grad = (True,) * (1 + len(params)) + (False, False)
    y = function.forward(x, *params, moving_mean, moving_variance)
    gradients = function.backward(gy)[: 1 + len(params)]
    statistics = (function.batch_mean, function.batch_variance, moving_mean, moving_variance)
    return (y, *statistics, *gradients)


def _case(shape, has_gamma, has_beta, seed=3, offset=1.0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2 + offset).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    params = []
    if has_gamma:
        params.append(rng.uniform(0.5, 2, shape[-1]).astype(np.float32))
    if has_beta:
        params.append(rng.standard_normal(shape[-1]).astype(np.float32))
    return x, params, gy


@pytest.mark.parametrize("block_values", [64, 1000, blocked.BLOCK_VALUES])
@pytest.mark.parametrize("shape", [(16, 8, 8, 32), (3, 7, 5, 6), (2, 13, 1, 5), (37, 3), (4, 2)])
@pytest.mark.parametrize("has_gamma,has_beta", [(True, True), (True, False), (False, True)])
def test_blocked_batch_norm_matches_the_whole_array_path(
    monkeypatch, block_values, shape, has_gamma, has_beta
):
    x, params, gy = _case(shape, has_gamma, has_beta)
    # Small blocks: several of them, and a shorter last one.
    monkeypatch.setattr(blocked, "BLOCK_VALUES", block_values)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", block_values)
    axes, param_shape = tuple(range(len(shape) - 1)), (1,) * (len(shape) - 1) + (shape[-1],)
    assert Normalize(axes, 1e-3, param_shape, True, True)._blocked_rows(x) is not None
    fast = _train_step(x, params, gy, has_gamma, has_beta)
    monkeypatch.setattr(Normalize, "_blocked_rows", lambda self, x: None)
    plain = _train_step(x, params, gy, has_gamma, has_beta)
    for a, b in zip(fast, plain):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_blocked_batch_norm_with_many_blocks_and_a_short_last_one_matches(monkeypatch):
    x, params, gy = _case((50, 9, 9, 8), True, True)
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 3000)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 3000)
    rows = Normalize((0, 1, 2), 1e-3, (1, 1, 1, 8), True, True)._blocked_rows(x)
    parts = blocked.blocks(rows)
    assert len(parts) >= 8 and len(range(*parts[-1].indices(len(rows)))) < parts[0].stop
    fast = _train_step(x, params, gy, True, True)
    monkeypatch.setattr(Normalize, "_blocked_rows", lambda self, x: None)
    plain = _train_step(x, params, gy, True, True)
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_blocked_batch_norm_variance_survives_a_mean_far_from_zero(monkeypatch):
    # E[x^2] - mean^2 in float32 would lose every digit of a variance 1e-8 of the mean^2.
    rng = np.random.default_rng(4)
    x = (1000 + 0.1 * rng.standard_normal((64, 6, 6, 8))).astype(np.float32)
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 512)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 512)
    mean, variance = blocked.moments(x.reshape(-1, 64), 8)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=(0, 1, 2)), rtol=1e-6)
    np.testing.assert_allclose(variance, x64.var(axis=(0, 1, 2)), rtol=1e-3)
    assert mean.dtype == variance.dtype == np.float32


@pytest.mark.parametrize("shape", [(4, 3, 3, 2), (9, 4)])
def test_blocked_batch_norm_gradients_by_finite_differences(monkeypatch, shape):
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 8)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 8)
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape) * 2 + 0.5
    gamma, beta = rng.uniform(0.5, 2, shape[-1]), rng.standard_normal(shape[-1])
    axes = tuple(range(len(shape) - 1))
    param_shape = (1,) * (len(shape) - 1) + (shape[-1],)
    assert Normalize(axes, 1e-3, param_shape, True, True)._blocked_rows(x) is not None

    def batch_norm(a, g, b):
        return Normalize(axes, 1e-3, param_shape, True, True)(a, g, b)

    check_gradients(batch_norm, x, gamma, beta)


def test_blocked_batch_norm_takes_a_broadcast_upstream_gradient():
    x, params, gy = _case((8, 4, 4, 16), True, True)
    view = np.broadcast_to(gy[:1], gy.shape)  # what the gradient of a sum looks like
    fast = _train_step(x, params, view, True, True)
    plain = _train_step(x, params, np.ascontiguousarray(view), True, True)
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("x", "axes", "param_shape"),
    [
        (np.zeros((4, 8, 3, 3), np.float32), (0, 2, 3), (1, 8, 1, 1)),  # channels first
        (np.zeros((4, 8), np.float16), (0,), (1, 8)),
        (np.zeros((4, 8), np.float32), (1,), (1, 8)),  # layer normalisation
        (np.zeros((0, 8), np.float32), (0,), (1, 8)),
    ],
)
def test_blocked_batch_norm_is_not_taken_outside_its_contract(x, axes, param_shape):
    assert Normalize(axes, 1e-3, param_shape, True, True)._blocked_rows(x) is None


def test_blocked_batch_norm_keeps_no_input_sized_temporaries():
    x, params, gy = _case((128, 16, 16, 32), True, True)
    function = NormalizeAndTrack((0, 1, 2), 1e-3, (1, 1, 1, 32), True, True, 0.9)
    function.needs_grad = (True, True, True, False, False)
    moving = np.zeros(32, np.float32), np.ones(32, np.float32)
    tracemalloc.start()
    try:
        y = function.forward(x, *params, *moving)
        kept_after_forward = tracemalloc.get_traced_memory()[0]
        gx = function.backward(gy)[0]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.shape == gx.shape == x.shape
    # The forward pass keeps its output and no centred copy of x; the backward pass
    # allocates the input gradient and a few block-sized arrays only.
    assert kept_after_forward < 1.2 * x.nbytes
    assert peak < 2 * x.nbytes + 8 * blocked.BLOCK_VALUES * x.itemsize


def test_blocked_batch_norm_shares_blocks_between_two_threads(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(blocked, "PARALLEL_VALUES", 0)
    rows = np.zeros((10, 4), np.float32)
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 8)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 8)
    seen = []
    blocked.for_each_block(lambda i, part: seen.append((i, part, threading.get_ident())), rows)
    assert sorted(i for i, _, _ in seen) == list(range(5))
    assert [p for _, p, _ in sorted(seen, key=lambda s: s[0])] == blocked.blocks(rows)
    assert len({ident for _, _, ident in seen}) == 2


@pytest.mark.parametrize("shape", [(16, 8, 8, 32), (3, 7, 5, 6), (33, 3)])
def test_blocked_batch_norm_gives_the_same_bits_with_two_threads(monkeypatch, shape):
    x, params, gy = _case(shape, True, True, offset=5.0)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 40)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 40)
    monkeypatch.setattr(blocked, "PARALLEL_VALUES", x.size + 1)
    one_thread = _train_step(x, params, gy, True, True)
    monkeypatch.setattr(blocked, "PARALLEL_VALUES", 0)
    two_threads = _train_step(x, params, gy, True, True)
    for a, b in zip(one_thread, two_threads):
        np.testing.assert_array_equal(a, b)


def _blocks_in_a_child(queue):
    rows = np.arange(40, dtype=np.float32).reshape(10, 4)
    mean, variance = blocked.moments(rows, 4)
    queue.put((mean.tolist(), variance.tolist()))


def test_blocked_batch_norm_worker_thread_is_restarted_in_a_forked_child(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(blocked, "PARALLEL_VALUES", 0)
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 8)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 8)
    rows = np.arange(40, dtype=np.float32).reshape(10, 4)
    expected = [a.tolist() for a in blocked.moments(rows, 4)]  # starts the worker here
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_blocks_in_a_child, args=(queue,))
    child.start()
    try:
        assert [list(a) for a in queue.get(timeout=30)] == expected
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0


def test_a_strided_window_takes_the_blocked_path_and_matches_the_whole_array_path(monkeypatch):
    """A convolution's output is often a window of a larger array: it is copied once into
    a contiguous array and normalised on the blocked path, with the numbers of the
    whole-array path on the window itself."""
    big, params, _ = _case((6, 11, 10, 8), True, True)
    x = big[:, 1:10, :9]  # a window: not contiguous
    gy = np.random.default_rng(4).standard_normal(x.shape).astype(np.float32)
    assert not x.flags.c_contiguous
    axes, param_shape = (0, 1, 2), (1, 1, 1, 8)
    assert Normalize(axes, 1e-3, param_shape, True, True)._blocked_rows(x) is not None
    monkeypatch.setattr(blocked, "BLOCK_VALUES", 100)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 100)
    fast = _train_step(x, params, gy, True, True)
    monkeypatch.setattr(Normalize, "_blocked_rows", lambda self, x: None)
    plain = _train_step(x, params, gy, True, True)
    for a, b in zip(fast, plain):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert fast[0].flags.c_contiguous


@pytest.mark.parametrize(
    "offset, scale", [(0.0, 1.0), (0.3, 1.0), (-2.0, 3.0), (0.0, 1e-3)], ids=str
)
def test_one_read_moments_agree_with_the_centred_ones(monkeypatch, offset, scale):
    rng = np.random.default_rng(11)
    x = (offset + scale * rng.standard_normal((32, 8, 8, 16))).astype(np.float32)
    rows = x.reshape(-1, 64)
    monkeypatch.setattr(blocked, "REDUCTION_BLOCK_VALUES", 1024)
    calls = []
    centred = blocked.centred_moments
    monkeypatch.setattr(blocked, "centred_moments", lambda *a: calls.append(1) or centred(*a))
    fast = blocked.moments(rows, 16)
    assert not calls  # the one-read path ran
    plain = centred(rows, 16)
    x64 = x.astype(np.float64)
    for got, want in zip(fast, plain):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7 * scale * scale)
    np.testing.assert_allclose(fast[1], x64.var(axis=(0, 1, 2)), rtol=2e-6)


def test_relu_outputs_take_the_one_read_moments(monkeypatch):
    rng = np.random.default_rng(12)
    x = np.maximum(rng.standard_normal((32, 8, 8, 16)), 0).astype(np.float32)
    calls = []
    centred = blocked.centred_moments
    monkeypatch.setattr(blocked, "centred_moments", lambda *a: calls.append(1) or centred(*a))
    variance = blocked.moments(x.reshape(-1, 64), 16)[1]
    assert not calls
    np.testing.assert_allclose(variance, x.astype(np.float64).var(axis=(0, 1, 2)), rtol=2e-6)


def test_moments_fall_back_to_centred_blocks_when_the_mean_dwarfs_the_spread(monkeypatch):
    rng = np.random.default_rng(13)
    x = (50 + rng.standard_normal((32, 8, 8, 16))).astype(np.float32)
    calls = []
    centred = blocked.centred_moments
    monkeypatch.setattr(blocked, "centred_moments", lambda *a: calls.append(1) or centred(*a))
    mean, variance = blocked.moments(x.reshape(-1, 64), 16)
    assert calls == [1]
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(variance, x64.var(axis=(0, 1, 2)), rtol=1e-5)
    assert mean.dtype == variance.dtype == np.float32
