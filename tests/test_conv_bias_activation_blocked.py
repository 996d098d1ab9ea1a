"""The blocked bias and relu of convolution outputs (layers/convolutional/blocked_bias.py)
against the whole-array code of `BiasActivation`: outputs, input and bias gradients."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.layers.convolutional import blocked_bias
from minikeras.layers.convolutional.base_conv import BiasActivation
from minikeras.ops import _conv_fast, parallel


def _output(rng, shape, window, dtype=np.float32):
    """A convolution-like output of `shape`: C-contiguous, or (`window`) the valid part of
    a larger grid, as the blocked convolution returns it."""
    if not window:
        return rng.standard_normal(shape).astype(dtype)
    grid = rng.standard_normal((shape[0], *(size + 2 for size in shape[1:-1]), shape[-1]))
    inner = tuple(slice(1, 1 + size) for size in shape[1:-1])
    x = grid.astype(dtype)[(slice(None), *inner, slice(None))]
    assert not x.flags.c_contiguous
    return x


def _step(x, bias, gy, relu, needs=(True, True), channel_axis=-1):
    """Forward and backward of one BiasActivation node on a copy of `x`'s layout."""
    function = BiasActivation(channel_axis, relu)
    function.needs_grad = needs
    x = x.copy(order="K") if x.flags.c_contiguous else _same_window(x)
    y = function.forward(x, bias)
    gy_before = gy.copy()
    gx, gb = function.backward(gy)
    np.testing.assert_array_equal(gy, gy_before)  # gy may be shared: never written
    return y.copy(), gx, gb


def _same_window(x):
    """A fresh non-contiguous array with `x`'s values and layout (the forward pass writes
    into its input)."""
    grid = np.zeros((x.shape[0], *(size + 2 for size in x.shape[1:-1]), x.shape[-1]), x.dtype)
    window = grid[(slice(None), *(slice(1, 1 + size) for size in x.shape[1:-1]), slice(None))]
    window[...] = x
    return window


def _plain(monkeypatch):
    monkeypatch.setattr(blocked_bias, "MIN_VALUES", np.inf)


def _blocked(monkeypatch, block_values, parallel_values=np.inf, row_width=64):
    """Small arrays take the blocked path, in blocks of `block_values` values, with narrow
    rows so that they have many; two threads from `parallel_values` values."""
    monkeypatch.setattr(blocked_bias, "MIN_VALUES", 0)
    monkeypatch.setattr(blocked_bias, "BLOCK_VALUES", block_values)
    monkeypatch.setattr(blocked_bias, "PARALLEL_VALUES", parallel_values)
    monkeypatch.setattr(blocked_bias, "_ROW_WIDTH", row_width)


def _assert_same(fast, plain, rtol):
    (y, gx, gb), (y0, gx0, gb0) = fast, plain
    assert y.dtype == y0.dtype and y.shape == y0.shape
    np.testing.assert_array_equal(y, y0)
    if gx0 is None:
        assert gx is None
    else:
        assert gx.dtype == gx0.dtype and gx.shape == gx0.shape
        np.testing.assert_array_equal(gx, gx0)
    if gb0 is None:
        assert gb is None
    else:
        assert gb.dtype == gb0.dtype and gb.shape == gb0.shape
        np.testing.assert_allclose(gb, gb0, rtol=rtol, atol=rtol)


SHAPES = [(16, 8, 8, 32), (3, 7, 5, 6), (5, 11, 3), (3, 3, 4, 5, 7), (9, 1, 1, 40)]


@pytest.mark.parametrize("short_last_block", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("window", [False, True])
@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_bias_activation_matches_the_whole_array_path(
    monkeypatch, rng, short_last_block, shape, window, relu, dtype
):
    x = _output(rng, shape, window, dtype)
    bias = rng.standard_normal(shape[-1]).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    _blocked(monkeypatch, 1)
    rows = blocked_bias.rows(x, -1)
    assert np.shares_memory(rows, x) and rows.shape[-1] % shape[-1] == 0
    # Blocks of one row, or of the fewest rows that leave a shorter last block.
    count = len(rows)
    per_block = next(k for k in range(2, count) if count % k) if short_last_block else 1
    _blocked(monkeypatch, per_block * (rows.size // count))
    parts = blocked_bias.blocked.blocks(rows, blocked_bias.BLOCK_VALUES)
    assert len(parts) >= 2 and parts[-1].stop >= count > parts[-1].start
    assert (parts[-1].stop > count) == short_last_block
    fast = _step(x, bias, gy, relu)
    _plain(monkeypatch)
    plain = _step(x, bias, gy, relu)
    _assert_same(fast, plain, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("needs", [(True, False), (False, True), (False, False)])
@pytest.mark.parametrize("relu", [True, False])
def test_blocked_bias_activation_gives_only_the_gradients_asked_for(monkeypatch, rng, needs, relu):
    x, bias, gy = _output(rng, (6, 5, 4, 8), False), rng.standard_normal(8), None
    bias = bias.astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    _blocked(monkeypatch, 100)
    fast = _step(x, bias, gy, relu, needs)
    _plain(monkeypatch)
    plain = _step(x, bias, gy, relu, needs)
    _assert_same(fast, plain, rtol=1e-5)
    for gradient, needed in zip(fast[1:], needs):
        if relu or not needed:  # without relu the plain path passes gy on as it is
            assert (gradient is not None) == needed


@pytest.mark.parametrize("window", [False, True])
@pytest.mark.parametrize("relu", [True, False])
def test_blocked_bias_activation_gives_the_same_bits_with_two_threads(
    monkeypatch, rng, window, relu
):
    shape = (23, 6, 7, 16)
    x = _output(rng, shape, window)
    bias = rng.standard_normal(shape[-1]).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    shared = []
    for_each = parallel.for_each

    def spy(body, parts, share):
        shared.append(share and len(parts) >= 2)
        for_each(body, parts, share)

    monkeypatch.setattr(blocked_bias.parallel, "for_each", spy)
    _blocked(monkeypatch, 500)
    one_thread = _step(x, bias, gy, relu)
    assert shared == [False, False]
    _blocked(monkeypatch, 500, parallel_values=0)
    two_threads = _step(x, bias, gy, relu)
    assert shared[2:] == [True, True]
    for a, b in zip(one_thread, two_threads):
        np.testing.assert_array_equal(a, b)


def test_blocked_bias_activation_falls_back_to_the_whole_array_code(monkeypatch, rng):
    _blocked(monkeypatch, 100)
    x = rng.standard_normal((4, 6, 6, 8)).astype(np.float32)
    assert blocked_bias.rows(x, -1) is not None
    assert blocked_bias.rows(x, 1) is None  # channels first
    assert blocked_bias.rows(x.astype(np.float16), -1) is None
    assert blocked_bias.rows(x.transpose(0, 2, 1, 3), -1) is None  # pixels out of order
    assert blocked_bias.rows(x[..., ::2], -1) is None  # channels apart
    monkeypatch.setattr(blocked_bias, "MIN_VALUES", x.size + 1)
    assert blocked_bias.rows(x, -1) is None  # small
    monkeypatch.setattr(blocked_bias, "MIN_VALUES", 0)
    y = np.maximum(x, 0)
    broadcast = np.broadcast_to(np.float32(1), x.shape)
    assert blocked_bias.gradient_rows(broadcast, y, -1) is None
    assert blocked_bias.gradient_rows(x.astype(np.float64), y, -1) is None
    # Channels first, a float16 input (made float32 first) and a broadcast gradient give
    # the whole-array results.
    bias = rng.standard_normal(8).astype(np.float32)
    for x_case, gy, axis in [
        (x.transpose(0, 3, 1, 2).copy(), rng.standard_normal((4, 8, 6, 6)), 1),
        (x.astype(np.float16), rng.standard_normal(x.shape), -1),
        (x, broadcast, -1),
    ]:
        gy = gy.astype(np.float32)
        y, gx, gb = _step(x_case, bias, gy, True, channel_axis=axis)
        along_channels = bias.reshape(-1, 1, 1) if axis == 1 else bias
        expected = np.maximum(x_case.astype(np.float32) + along_channels, 0)
        np.testing.assert_array_equal(y, expected)
        np.testing.assert_array_equal(gx, gy * (expected > 0))
        other_axes = tuple(i for i in range(4) if i != axis % 4)
        np.testing.assert_allclose(gb, (gy * (expected > 0)).sum(axis=other_axes), rtol=1e-5)


def test_a_conv2d_output_window_takes_the_blocked_path(monkeypatch, rng):
    # The blocked convolution (taken here for a small batch) returns the valid part of its
    # grid.
    monkeypatch.setattr(_conv_fast, "_MIN_COLS_BYTES", 0)
    monkeypatch.setattr(parallel, "blas_work_can_share", lambda: True)
    layer = layers.Conv2D(16, 3, padding="same", activation="relu")
    x = rng.standard_normal((2, 16, 16, 32)).astype(np.float32)
    _blocked(monkeypatch, 400)
    laid_out = []
    rows = blocked_bias.rows
    monkeypatch.setattr(blocked_bias, "rows", lambda a, axis: laid_out.append(a) or rows(a, axis))
    y = keras.ops.convert_to_numpy(layer(x))
    assert laid_out and not laid_out[0].flags.c_contiguous
    assert rows(laid_out[0], -1) is not None
    monkeypatch.setattr(blocked_bias, "rows", rows)
    _plain(monkeypatch)
    np.testing.assert_array_equal(y, keras.ops.convert_to_numpy(layer(x)))


def _vgg_block():
    keras.utils.set_random_seed(5)
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(8, 3, padding="same"),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )


def test_a_replayed_fit_through_the_blocked_path_trains_as_the_eager_whole_array_fit(
    monkeypatch, rng
):
    x = rng.standard_normal((40, 16, 16, 3)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(_conv_fast, "_MIN_COLS_BYTES", 0)  # the blocked convolution's window
    monkeypatch.setattr(parallel, "blas_work_can_share", lambda: True)
    layouts = set()
    rows = blocked_bias.rows

    def spy(array, axis):
        laid_out = rows(array, axis)
        layouts.add((array.flags.c_contiguous, laid_out is not None))
        return laid_out

    monkeypatch.setattr(blocked_bias, "rows", spy)
    weights = []
    for blocked_path, eager in ((True, False), (False, True)):
        if blocked_path:
            _blocked(monkeypatch, 700, parallel_values=0)
        else:
            _plain(monkeypatch)
        model = _vgg_block()
        model.compile(
            "adam",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            run_eagerly=eager,
        )
        keras.utils.set_random_seed(11)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        if not eager:
            assert model._compiled_steps.replayed["train"] > 0
        weights.append(model.get_weights())
        if blocked_path:  # outputs of both layouts took the blocked path
            assert {(True, True), (False, True)} <= layouts
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
