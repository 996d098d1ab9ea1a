"""Batch normalisation of channels-last data, one cache-sized block of rows at a time.

This is the fast path behind `Normalize` (fused.py) for batch normalisation with the
channels last: read `Normalize.forward` and `Normalize._grouped_backward` first, they
compute the same numbers on whole arrays.

Why blocks. A 128x32x32x32 float32 batch is 16 MB: every numpy call over all of it is one
trip to memory, and the plain formulas take about ten such trips per training step. Here
each function walks the rows in blocks of `BLOCK_VALUES` values (256 KB in float32; the
passes that only add up, four times larger), so the few numpy calls made on one block find
it in the core's L2 cache: the statistics cost one
read of `x`, the output one read and one write, the gradient sums one read of `x` and `gy`,
and the input gradient one more read of both and one write, as in a compiled kernel.
Per-channel sums of a block go through BLAS (`ones @ block`) or `einsum`, which read the
block once.

Two threads. For arrays of at least `PARALLEL_VALUES` values on a machine with two cores
or more, one worker thread (`ops/parallel.py`: started on first use, and again in a
forked child) walks the second half of the blocks while the calling thread walks the
first: numpy and BLAS release the GIL inside each call on float arrays. Each block
writes only its own rows of the result and its own row of per-block sums, which are
combined in block order afterwards, so the results are the same bits with or without the
worker.

Contract.
- Assumes `rows` (and `gy_rows`) are C-contiguous matrices whose columns repeat the
  channels, column `j` holding channel `j % channels` (`Normalize._rows` makes them; any
  number of whole pixels per row), of one float dtype; per-channel vectors are given
  tiled to the row width (`tile`), except `mean` of `gradient_sums`.
- Checks one thing itself: whether `moments`' sums of squares keep their digits (see
  Numbers); `Normalize` takes this path only when `_rows` accepts the arrays (statistics
  over every axis but the last, contiguous arrays) and gamma and beta are one value per
  channel; it copies a strided `x` (a convolution's output window) and makes `gy`
  contiguous before calling in.
- Falls back: `moments` to `centred_moments` when that check fails; every other layout
  uses `Normalize`'s whole-array formulas.

Numbers. The variance is the mean of squared deviations from the mean (as `jnp.var`
computes it in Keras's `moments`). Each block's sum of squared deviations from its own
column means, `M2_b`, is taken as `sum(x^2) - sum(x)^2 / n` when that difference keeps its
digits (the mean is not large against the spread: `moments` checks every block and
column), else from the block centred on its means (`centred_moments`); the blocks are
combined with the parallel variance formula (Chan, Golub and LeVeque), `M2 = sum_b M2_b +
sum_b n_b (mean_b - mean)^2`. The output is `x * a + b` with `a = gamma * inv` and
`b = beta - mean * a`, the order of operations of Keras's `batch_normalization`. The
backward pass likewise works from `x` itself, with no centred copy: `sum(gy * (x - mean))`
is taken as `sum(gy * x) - mean * sum(gy)` (as JAX differentiates Keras's `x * a + b`),
and the input gradient as `scale * (gy + x * slope + shift)`. Sums are added in another
order than the whole-array path, so the results agree with it to float32 rounding.
"""

import math
import threading

import numpy as np

from minikeras.ops import parallel

# Values per block: a block of `x`, one of `gy`, one of the result and three per-channel
# vectors laid out as blocks (6 x 256 KB in float32) fit in a core's 2 MB L2 cache.
BLOCK_VALUES = 1 << 16
# Values per block of the passes that only add up (`moments`, `gradient_sums`): they keep
# one block (and a centred copy) in the cache, not six, and with fewer, larger blocks
# they spend less time between numpy calls. Measured on a 128x32x32x32 float32 batch, two
# threads: the statistics 2.2 ms with 2^16-value blocks, 1.3-1.5 ms with 2^17 or 2^18; the
# gradient sums 1.4 ms against 0.9-1.0.
REDUCTION_BLOCK_VALUES = 1 << 18

# Arrays of at least this many values have their blocks shared by two threads (numpy and
# BLAS release the GIL inside each call), when the machine has two cores or more.
PARALLEL_VALUES = 1 << 20


def blocks(rows, values=None):
    """Slices of consecutive rows of `rows` (its first axis), each about `values` values
    (default `BLOCK_VALUES`)."""
    step = max(1, (values or BLOCK_VALUES) // max(math.prod(rows.shape[1:]), 1))
    return [slice(start, start + step) for start in range(0, rows.shape[0], step)]


def for_each_block(body, rows, values=None):
    """Calls `body(i, part)` for each block `part` of `rows` (its `i`-th).

    The calls write to disjoint places, so their order does not matter: for a large
    array on a machine with two cores or more, a worker thread makes the calls for the
    second half of the blocks while this thread makes the first half's. The results are
    the same bits either way.
    """
    parts = blocks(rows, values)
    parallel.for_each(body, parts, share=rows.size >= PARALLEL_VALUES)


def tile(vector, rows):
    """A per-channel `vector` repeated along one row (the last axis) of `rows`."""
    row = np.empty(rows.shape[-1], rows.dtype)
    row.reshape(-1, vector.size)[...] = vector.reshape(-1)
    return row


def per_channel(columns, channels):
    """Adds up the columns that hold the same channel: `(..., width)` to `(..., channels)`."""
    return columns.reshape(*columns.shape[:-1], -1, channels).sum(axis=-2)


def moments(rows, channels):
    """Per-channel mean and biased variance of `rows`, one read of it.

    Each block gives its column sums and sums of squares, read from the cached block with
    no copy; a block's sum of squared deviations is then `squares - sums^2 / n`. That
    difference loses digits when a column's mean is large against its spread, so it is
    used only when every block's `sums^2 / n` is at most `_OFFSET_RATIO` times its result
    (the result then keeps all but about three bits of float32's precision); otherwise the
    statistics are computed again from centred blocks (`centred_moments`), as Keras's
    `moments` computes them.

    Returns:
        `(mean, variance)`, each of shape `(channels,)` in `rows`'s dtype.
    """
    sums, squares, counts = _block_sums(rows, centred=False)
    offsets = sums * sums / counts
    squares -= offsets
    if np.any(offsets > _OFFSET_RATIO * squares):
        return centred_moments(rows, channels)
    return _combine(sums, squares, counts, rows, channels)


# How much larger than a block's sum of squared deviations its `sums^2 / n` may be for
# `moments` to take the deviations as `squares - sums^2 / n` (rounding errors grow by up to
# this factor plus one). Activations centred near zero, or a relu's half-normal output
# (ratio about 1.8 per value), stay far below it.
_OFFSET_RATIO = 8


def centred_moments(rows, channels):
    """`moments` from blocks centred on their own column means: one read of `rows`, but a
    centred copy of each block is written (in the cache) and read again."""
    return _combine(*_block_sums(rows, centred=True), rows, channels)


def _block_sums(rows, centred):
    """Per block of `rows` (one read of it): the column sums, the column sums of squares
    (of the block centred on its own column means when `centred`, else of the block as it
    is) and the number of rows, as `(sums, squares, counts)` with one row per block."""
    parts = blocks(rows, REDUCTION_BLOCK_VALUES)
    width = rows.shape[1]
    ones = np.ones(min(parts[0].stop, rows.shape[0]), rows.dtype)
    sums = np.empty((len(parts), width), rows.dtype)
    squares = np.empty_like(sums)
    counts = np.empty((len(parts), 1), rows.dtype)
    scratch = threading.local()

    def body(i, part):
        block = rows[part]
        n = block.shape[0]
        np.dot(ones[:n], block, out=sums[i])
        if centred:
            if not hasattr(scratch, "block"):
                scratch.block = np.empty((len(ones), width), rows.dtype)
            block = np.subtract(block, sums[i] / n, out=scratch.block[:n])
        np.einsum("ij,ij->j", block, block, out=squares[i])
        counts[i] = n

    for_each_block(body, rows, REDUCTION_BLOCK_VALUES)
    return sums, squares, counts


def _combine(sums, squares, counts, rows, channels):
    """Mean and variance from each block's column sums and sums of squared deviations
    from its own means (the parallel variance formula)."""
    width = rows.shape[1]
    count = rows.shape[0] * (width // channels)
    mean = per_channel(sums.sum(axis=0), channels) / count
    spread = sums / counts - tile(mean, rows)
    spread *= spread
    spread *= counts
    squares = squares.sum(axis=0) + spread.sum(axis=0)
    return mean, per_channel(squares, channels) / count


def spread_over_blocks(row, rows):
    """A tiled per-channel `row` laid out like a block of `rows`, to combine with a block
    `b` as `laid[: len(b)]`; just the row (shape `(1, width)`) for arrays of a few blocks.

    Against a whole block numpy runs one long loop; against a single row it restarts its
    loop at every row. Laying the row out costs about one block's pass, which pays from
    about eight blocks on (about 5% of a training step on a 16 MB batch).
    """
    parts = blocks(rows)
    if len(parts) < 8:
        return row[None, :]
    return np.broadcast_to(row, (parts[0].stop, row.size)).copy()


def scale_and_shift(rows, scale, shift, out):
    """`out = rows * scale + shift` for tiled per-channel `scale` and `shift`."""
    scale, shift = spread_over_blocks(scale, rows), spread_over_blocks(shift, rows)

    def body(i, part):
        block = out[part]
        n = block.shape[0]
        np.multiply(rows[part], scale[:n], out=block)
        np.add(block, shift[:n], out=block)

    for_each_block(body, rows)
    return out


def gradient_sums(rows, gy_rows, mean, channels):
    """Per-channel `sum(gy)` and `sum(gy * (x - mean))`, one read of `rows` and `gy_rows`.

    The second is `sum(gy * x) - mean * sum(gy)`, as Keras's gradient of `x * a + b`
    computes it, so no centred block is made.

    Args:
        mean: the per-channel mean, shape `(channels,)`.
    """
    parts = blocks(rows, REDUCTION_BLOCK_VALUES)
    ones = np.ones(min(parts[0].stop, rows.shape[0]), rows.dtype)
    sums = np.empty((len(parts), rows.shape[1]), rows.dtype)
    products = np.empty_like(sums)

    def body(i, part):
        gy = gy_rows[part]
        np.dot(ones[: gy.shape[0]], gy, out=sums[i])
        np.einsum("ij,ij->j", gy, rows[part], out=products[i])

    for_each_block(body, rows, REDUCTION_BLOCK_VALUES)
    sum_gy = per_channel(sums.sum(axis=0), channels)
    return sum_gy, per_channel(products.sum(axis=0), channels) - mean * sum_gy


def input_gradient(rows, gy_rows, slope, shift, scale, out):
    """`out = scale * (gy + x * slope + shift)`, all per-channel vectors tiled."""
    slope, shift, scale = (spread_over_blocks(v, rows) for v in (slope, shift, scale))

    def body(i, part):
        gx = out[part]
        n = gx.shape[0]
        np.multiply(rows[part], slope[:n], out=gx)
        gx += shift[:n]
        gx += gy_rows[part]
        gx *= scale[:n]

    for_each_block(body, rows)
    return out
