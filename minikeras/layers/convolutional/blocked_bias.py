"""The bias and relu of a large channels-last convolution output, one cache-sized block at a
time, on two threads.

This is the fast path behind `BiasActivation` (base_conv.py): read its `forward` and
`backward` first, they compute the same numbers on whole arrays.

Why blocks. A 128x32x32x32 float32 output is 16 MB, and every numpy call over all of it is
one trip to memory: the whole-array forward pass makes two (`x += bias`, then the relu), the
backward pass three (a mask, a product, the bias sum, which numpy adds up slowly over the
leading axes with 32 channels last). Here each pass walks the rows in blocks of
`BLOCK_VALUES` values, so the numpy calls made on one block find it in the core's L2
cache: the forward pass reads and writes the output once, the backward pass reads `y` and
`gy` once and writes the input gradient once. The bias sum of a block goes through BLAS
(`ones @ block`), which reads it once. This reuses the helpers of the blocked batch
normalisation (`layers/normalization/blocked.py`).

Layouts. `rows` views the output without copying it, either as a matrix whose columns
repeat the channels (a C-contiguous output; as batch normalisation lays it out), or, for
a window of a larger array such as the valid part of the blocked convolution's output
grid (`ops/_conv_fast.py`), as `(samples, ..., width)` with each row `width` values long
(the last two axes, which lie side by side in memory), blocked along the samples. On
such a window the whole-array code's loops restart at every pixel (every 32 values with
32 channels); here they run a whole row at a time.

Two threads. For arrays of at least `PARALLEL_VALUES` values on a machine with two cores
or more, one worker thread (`ops/parallel.py`) walks the second half of the blocks while
the calling thread walks the first. Each block writes only its own rows and its own row
of per-block bias sums, which are added in block order afterwards, so the results are the
same bits with or without the worker.

Contract.
- Assumes the output of the forward pass is the convolution's fresh output (as the whole-
  array code does, it is written in place), and that nothing writes into it before the
  backward pass, which reads it for the relu.
- Checks (`rows`, `gradient_rows`): the channels are the last axis; the dtype is float32
  or float64; the array has at least `MIN_VALUES` values; it is C-contiguous, or its last
  two axes lie side by side in memory. The backward pass also needs `gy` C-contiguous,
  of the output's shape and dtype.
- Falls back: for anything else (channels first, small arrays, other dtypes, other
  layouts, a broadcast `gy`) `BiasActivation` runs its whole-array code.

Numbers. The output and the input gradient are the same bits as the whole-array code's
(`x + bias`, `maximum(x, 0)`, `gy * (y > 0)`, element by element); the bias gradient is
added up in another order, so it agrees to float32 rounding.
"""

import numpy as np

from minikeras.layers.normalization import blocked
from minikeras.ops import parallel

# Measured (BiasActivation with relu, forward and backward of a 128x32x32x32 float32
# output, one BLAS thread, best of interleaved runs on a shared 2-core machine):
#   C-contiguous output:             forward 2.3 -> 1.3 ms, backward 5.5 -> 2.1 ms;
#   the blocked convolution's window: forward 5.4 -> 2.2 ms, backward 7.3 -> 2.3 ms.
# One epoch of the VGG-block fit (benchmarks/bench_convnet_fit.py, run once each, one
# BLAS thread): 5.01 -> 4.69 s.
# Values per block: blocks of 2^16, 2^17 and 2^18 values all do well (2^15: 40% slower);
# four blocks of 2^17 (the output, `gy`, the input gradient and a mask: 2 MB in
# float32) stay in a core's L2 cache.
BLOCK_VALUES = 1 << 17
# Smaller arrays run the whole-array code. With one block the blocked path is the
# whole-array forward pass plus a few calls (2^11 values: 3 -> 6 us) and a faster bias
# sum (BLAS rather than numpy's sum over the leading axes): from 2^14 values it is no
# slower, at 2^16 values its backward pass takes 36 us against 59.
MIN_VALUES = 1 << 16
# Arrays of at least this many values have their blocks shared by two threads: at 2^20
# values the backward pass gains (0.68 -> 0.54 ms), the forward pass of a C-contiguous
# output loses a little (0.40 -> 0.48 ms), that of a window gains (0.99 -> 0.57 ms).
PARALLEL_VALUES = 1 << 20
# Values per row of a C-contiguous output (as `Normalize._rows` lays out batch
# normalisation's rows): long enough for numpy's inner loops.
_ROW_WIDTH = 1024


def rows(array, channel_axis):
    """`array` viewed as blocks of rows whose last axis repeats the channels (see the
    module docstring), or None when the blocked path does not apply to it."""
    if array.ndim < 2 or channel_axis % array.ndim != array.ndim - 1:
        return None
    if array.dtype not in (np.float32, np.float64) or array.size < MIN_VALUES:
        return None
    channels = array.shape[-1]
    if array.flags.c_contiguous:
        pixels = array.size // channels
        repeats = max(1, _ROW_WIDTH // channels)
        while pixels % repeats:
            repeats -= 1
        return array.reshape(-1, channels * repeats)
    if array.ndim >= 3 and array.strides[-1] == array.itemsize:
        if array.strides[-2] == channels * array.itemsize:
            return array.reshape(*array.shape[:-2], -1)  # a view: the two axes lie together
    return None


def gradient_rows(gy, y, channel_axis):
    """`(gy_rows, y_rows)` for the backward pass, laid out alike, or None when the blocked
    path does not apply. `y` is the forward output when the relu is fused, else None."""
    if not gy.flags.c_contiguous:
        return None
    if y is None:
        gy_rows = rows(gy, channel_axis)
        return None if gy_rows is None else (gy_rows, None)
    if gy.shape != y.shape or gy.dtype != y.dtype:
        return None
    y_rows = rows(y, channel_axis)
    return None if y_rows is None else (gy.reshape(y_rows.shape), y_rows)


def _blocks_and_share(rows):
    return blocked.blocks(rows, BLOCK_VALUES), rows.size >= PARALLEL_VALUES


def add_bias(rows, bias, relu):
    """`rows += bias` (tiled along the rows), then `relu` in place if asked, by blocks."""
    row = blocked.tile(bias, rows)
    parts, share = _blocks_and_share(rows)
    if len(parts) >= 8 and rows.ndim == 2:
        # The tiled row laid out like a block: numpy then runs one long loop over the block
        # rather than restarting at every row (about 10% of the pass); it costs one block.
        row = np.broadcast_to(row, (parts[0].stop, row.size)).copy()

    def body(i, part):
        block = rows[part]
        np.add(block, row[: len(block)] if row.ndim == 2 else row, out=block)
        if relu:
            np.maximum(block, 0, out=block)

    parallel.for_each(body, parts, share)


def gradients(gy_rows, y_rows, channels, needs_input, needs_bias):
    """The input gradient (`gy * (y > 0)` when `y_rows` is given, else `gy_rows` itself)
    and the bias gradient (per-channel sums of it), by blocks.

    Returns:
        `(gx, gbias)`: `gx` laid out as `gy_rows` (None unless `needs_input`), `gbias` of
        shape `(channels,)` (None unless `needs_bias`).
    """
    relu = y_rows is not None
    if not needs_bias and not (relu and needs_input):
        return (gy_rows if needs_input else None), None
    width = gy_rows.shape[-1]
    parts, share = _blocks_and_share(gy_rows)
    gx = np.empty(gy_rows.shape, gy_rows.dtype) if relu else gy_rows
    sums = ones = None
    if needs_bias:
        sums = np.empty((len(parts), width), gy_rows.dtype)
        ones = np.ones(gy_rows[parts[0]].size // width, gy_rows.dtype)

    def body(i, part):
        g = gx[part]
        if relu:
            np.multiply(gy_rows[part], y_rows[part] > 0, out=g)
        if sums is not None:
            g = g.reshape(-1, width)  # a view: gx and gy are C-contiguous
            np.dot(ones[: len(g)], g, out=sums[i])

    parallel.for_each(body, parts, share)
    gbias = None if sums is None else blocked.per_channel(sums.sum(axis=0), channels)
    return (gx if needs_input else None), gbias
