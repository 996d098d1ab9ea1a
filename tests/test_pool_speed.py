"""Max and average pooling in blocks of samples on two threads
(`_conv_fast.for_each_batch_block`) against the same code on the whole batch at once: the
same bits, forward and backward."""

import threading

import numpy as np
import pytest

from minikeras import GradientTape, Variable, ops
from minikeras.ops import _conv_fast, convolution, parallel


def _pool_step(x, gy, pool_size, strides, padding, data_format, pool=ops.max_pool):
    """Pooling of `x` and its input gradient from the upstream gradient `gy`."""
    tx = Variable(x)
    with GradientTape() as tape:
        out = pool(tx, pool_size, strides, padding, data_format)
    grad = tape.gradient(out, tx, output_gradients=ops.convert_to_tensor(gy))
    return np.asarray(out), np.asarray(grad)


def _tied_case(shape, pool_size, strides, padding, data_format, seed=0):
    """An input of a few distinct values (many tied maxima, half of them 0 as after a relu)
    and an upstream gradient of the output's shape."""
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.integers(-3, 3, shape), 0).astype(np.float32)
    out_shape = ops.max_pool(x, pool_size, strides, padding, data_format).shape
    gy = rng.standard_normal(out_shape).astype(np.float32)
    return x, gy


CASES = [
    # (input shape, pool_size, strides, padding, data_format)
    ((6, 8, 8, 3), 2, None, "valid", "channels_last"),
    ((5, 7, 9, 2), 2, None, "valid", "channels_last"),  # odd sizes: a row/column left over
    ((5, 7, 9, 2), 3, 2, "same", "channels_last"),  # overlapping windows, padding
    ((4, 3, 7, 6), (2, 3), (1, 2), "same", "channels_first"),
    ((7, 6, 6, 4), 3, 1, "valid", "channels_last"),
    ((5, 11, 3), 3, 2, "same", "channels_last"),  # one spatial axis
    ((3, 2, 5, 4, 6), 2, None, "same", "channels_first"),  # three spatial axes
]


@pytest.mark.parametrize("pool", [ops.max_pool, ops.average_pool])
@pytest.mark.parametrize("shape, pool_size, strides, padding, data_format", CASES)
def test_pooling_in_blocks_on_two_threads_gives_the_same_bits_as_the_whole_batch(
    monkeypatch, shape, pool_size, strides, padding, data_format, pool
):
    x, gy = _tied_case(shape, pool_size, strides, padding, data_format)
    if pool is ops.average_pool:
        x += np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    args = (pool_size, strides, padding, data_format, pool)
    monkeypatch.setattr(_conv_fast, "POOL_BLOCK_VALUES", x.size + 1)
    assert len(_conv_fast.batch_blocks(x.shape)) == 1
    whole = _pool_step(x, gy, *args)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_conv_fast, "POOL_PARALLEL_VALUES", 0)
    for block_values in (1, 2 * x.size // shape[0]):
        monkeypatch.setattr(_conv_fast, "POOL_BLOCK_VALUES", block_values)
        assert len(_conv_fast.batch_blocks(x.shape)) > 1
        blocked = _pool_step(x, gy, *args)
        for a, b in zip(whole, blocked):
            assert a.dtype == b.dtype == np.float32
            np.testing.assert_array_equal(a, b)


def test_max_pool_runs_blocks_of_samples_on_two_threads(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_conv_fast, "POOL_PARALLEL_VALUES", 0)
    x, gy = _tied_case((10, 4, 4, 2), 2, None, "valid", "channels_last")
    monkeypatch.setattr(_conv_fast, "POOL_BLOCK_VALUES", 2 * 4 * 4 * 2)
    seen = {"forward": [], "backward": []}
    forward, backward = convolution._max_pool_forward, convolution._max_pool_backward

    def spy_forward(x, y, windows):
        seen["forward"].append((x.shape[0], threading.get_ident()))
        forward(x, y, windows)

    def spy_backward(x, y, gy, gx, windows):
        seen["backward"].append((x.shape[0], threading.get_ident()))
        backward(x, y, gy, gx, windows)

    monkeypatch.setattr(convolution, "_max_pool_forward", spy_forward)
    monkeypatch.setattr(convolution, "_max_pool_backward", spy_backward)
    _pool_step(x, gy, 2, None, "valid", "channels_last")
    for calls in seen.values():
        assert [size for size, _ in calls] == [2] * 5  # five blocks of two samples
        assert len({ident for _, ident in calls}) == 2


def test_max_pool_small_input_is_one_call_on_the_whole_batch(monkeypatch):
    x, gy = _tied_case((4, 6, 6, 3), 2, None, "valid", "channels_last")
    sizes = []
    backward = convolution._max_pool_backward

    def spy_backward(x, y, gy, gx, windows):
        sizes.append(x.shape[0])
        backward(x, y, gy, gx, windows)

    monkeypatch.setattr(convolution, "_max_pool_backward", spy_backward)
    _pool_step(x, gy, 2, None, "valid", "channels_last")
    assert sizes == [4]


@pytest.mark.parametrize("strides", [None, 1])
def test_max_pool_in_blocks_sends_the_gradient_to_the_first_maximum(monkeypatch, strides):
    # Every element ties: each window's gradient goes to its top-left element, in row-major
    # order the first.
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_conv_fast, "POOL_PARALLEL_VALUES", 0)
    monkeypatch.setattr(_conv_fast, "POOL_BLOCK_VALUES", 1)
    x = np.ones((3, 4, 4, 1), np.float32)
    out_size = 2 if strides is None else 3
    gy = np.arange(3 * out_size * out_size, dtype=np.float32).reshape(3, out_size, out_size, 1)
    _, grad = _pool_step(x, gy, 2, strides, "valid", "channels_last")
    step = 2 if strides is None else 1
    expected = np.zeros_like(x)
    for i in range(out_size):
        for j in range(out_size):
            expected[:, i * step, j * step] += gy[:, i, j]
    np.testing.assert_array_equal(grad, expected)


def test_average_pool_runs_blocks_of_samples_on_two_threads(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_conv_fast, "POOL_PARALLEL_VALUES", 0)
    monkeypatch.setattr(_conv_fast, "POOL_BLOCK_VALUES", 3 * 5 * 5 * 2)
    x, gy = _tied_case((9, 5, 5, 2), 3, 2, "same", "channels_last")
    seen = {"forward": [], "backward": []}
    forward, backward = convolution._average_pool_forward, convolution._average_pool_backward

    def spy_forward(x, y, windows, divisor):
        seen["forward"].append((x.shape[0], threading.get_ident()))
        forward(x, y, windows, divisor)

    def spy_backward(gx, gy, windows, divisor):
        seen["backward"].append((gy.shape[0], threading.get_ident()))
        backward(gx, gy, windows, divisor)

    monkeypatch.setattr(convolution, "_average_pool_forward", spy_forward)
    monkeypatch.setattr(convolution, "_average_pool_backward", spy_backward)
    _pool_step(x, gy, 3, 2, "same", "channels_last", ops.average_pool)
    for calls in seen.values():
        assert [size for size, _ in calls] == [3] * 3  # three blocks of three samples
        assert len({ident for _, ident in calls}) == 2
