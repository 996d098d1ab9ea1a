"""The fast paths of `Conv`: im2col in cache-sized blocks over a flat padded input, and the
input gradient of strided convolutions by stride phases; and max and average pooling in
blocks of samples (`for_each_batch_block`, at the end).

Which algorithm runs is a pure function of the shapes (nothing is timed or checked at run
time), decided per call of `Conv` / `ConvTranspose`:

- Forward pass, kernel gradient and input gradient: blocked im2col (`BlockedConv`, on two
  threads) when `use_blocked_im2col` holds: the blocks can go to two threads (inside `fit`,
  `evaluate` and `predict`: `parallel.blas_work_can_share`), ungrouped, more than one tap,
  a `cols` matrix of at least `_MIN_COLS_BYTES`, input runs of at least `_MIN_RUN` numbers,
  a grid of at most `_MAX_WASTE` times as many positions as outputs. Otherwise
  the plain path of `convolution.py`:
- forward pass and kernel gradient: im2col and one GEMM each;
- input gradient (and `conv_transpose`'s forward pass, which is one): by stride phases
  (`phase_input_gradient`) when `use_phase_input_gradient` holds: ungrouped, a stride above
  1 on some axis, at most `_MAX_PHASE_SLOTS` weight slots per kernel tap. Otherwise (unit
  strides, grouped, dilations that leave most slots empty) col2im: one product and one
  slice addition per tap (`convolution._input_gradient`).

Every path computes the same sums of products as the plain im2col path, grouped
differently: results agree to float32 rounding (tests/test_conv_speed.py,
tests/test_conv_phase_gradient.py compare them across ranks, strides, dilations, padding,
data formats and odd sizes, with float64 finite-difference checks).

Not used: Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions. It needs 2.25 times fewer
multiplications, but in numpy its input and output transforms are whole-array passes over
16 tile components: a prototype (one BLAS thread, 64x32x32x16 to 32 filters, "same",
batched in 1 to 8 images to stay in cache) took 23-34 ms for the forward pass against
12-23 ms for the blocked im2col below (interleaved rounds, loaded machine), so it did not
pay where it was meant to.

## Blocked im2col

The plain path (`convolution.py`) copies every window into one matrix `cols`, nine times the
size of the input for a 3x3 kernel, and multiplies it once; the backward pass keeps it for the
kernel gradient. Writing and re-reading that matrix from memory costs as much as the product.
This path builds `cols` a block of rows at a time, in a buffer small enough to stay in the
CPU's cache, multiplies the block, and builds it again in the backward pass.

The layout that makes each block one cheap copy: pad the input and flatten it to one row of
`channels` numbers per padded position, `(batch * padded_height * padded_width, channels)`.
The input that kernel tap `(i, j)` reads for the output at padded position `p` is then row
`p + i * padded_width + j`: the window of `p` is a fixed pattern of row offsets, so a block of
`cols` is one strided view of the flat array. The outputs are computed on the whole padded
grid; the extra rows (border positions, where windows would run past the edge or wrap into the
next row or image) are never read: the result is a view of the valid box.

Strides: split the padded input into its `stride` phases per axis (position `q * s + r` goes
to phase `r`, place `q`). Tap `t` (dilated: `t * dilation`) reads phase `t * dilation % s` at
place offset `t * dilation // s`, with unit steps inside the phase, so each phase is a flat
array as above and `cols` takes one strided view per phase. The kernel's rows are reordered to
match (taps grouped by phase).

Backward, with the same layout:
- kernel gradient: `sum over blocks of cols_block.T @ gy_block`, where `gy` is put on the
  padded grid with zeros in the positions that are not real outputs;
- input gradient: the transposed convolution, computed by the same blocked product: for the
  input in phase `r`, `gx[p] = sum over the taps t reading r of gy[p - offset_t] @ kernel_t.T`,
  i.e. a convolution of `gy` (with zeros in front) by the phase's taps flipped; the phases are
  then interleaved back into the input's shape.

When it applies (`use_blocked_im2col`, a function of the shapes and of whether blocks can
run on two threads, which holds inside `fit`, `evaluate` and `predict` on two cores with
numpy's OpenBLAS, or with the environment setting one BLAS thread): an ungrouped
convolution (any rank, stride, dilation, padding, data format) whose kernel has more than one
tap, whose whole `cols` would take at least `_MIN_COLS_BYTES`, whose block rows copy runs of
at least `_MIN_RUN` neighbouring numbers, and whose grid holds at most `_MAX_WASTE` times as
many positions as there are outputs. Below that size the plain path's one copy and one
product cost less than the blocks' many calls; shorter runs copy slowly; on small images
most of the grid is border; a 1x1 kernel's `cols` is the input itself; grouped convolutions
keep the plain path. Nothing else is checked at run time: both paths compute the same sums,
in a different order (results agree to float32 rounding).

Two threads. The blocks are independent: the calling thread computes the first half and the
worker thread of `ops/parallel.py` the second (`_for_each_block`), each with its own block
buffer, while BLAS runs each call on its calling thread (`fit`, `evaluate` and `predict`
tell numpy's OpenBLAS to use one thread from their first block to the end of their loop;
see `parallel.keep_one_blas_thread`, which a custom training loop can use too). Outside
such a loop BLAS keeps its own threads and the blocks would run on one thread, where they
measured slower than the plain path (64x32x32x16 to 32 filters: 28.8 ms against 25.5;
128x16x16x64 to 64: 67.8 against 61.9): the plain path runs there. The block
copies then run on both cores too, not only the products. Each block writes its own rows of
the result; the kernel gradient keeps one running total per half of the blocks, added to in
block order and summed at the end, so the results are the same bits whether the second
thread runs or not.

Measured (2-core x86_64, best of rounds, forward and both gradients, "same" 3x3 kernels,
BLAS on one thread as in a `fit`), plain path against blocks on two threads: 64x32x32x16 to
32 filters 38.9 ms -> 19.2 ms (the plain path with two BLAS threads: 26.9); 128x32x32x32 to
32, 146.0 -> 61.3; 128x16x16x64 to 64, 96.9 -> 47.8; 128x32x32x3 to 32, 26.9 -> 15.8;
16x32x32x16 to 32 (10 MB of `cols`), 7.8 -> 5.0; the guide convnet's kernel-4 stride-2
layers (runs of 6 numbers, 2-3 MB) 1.2-1.9 ms -> 2.3-4.0; 128x28x28x1 to 32 (runs of 3),
8.2 -> 9.2. One step of the VGG-block benchmark model: 326 -> 226 ms. Memory: the forward
pass keeps the padded input (1.1 times the input) instead of `cols` (9 times).
"""

import functools
import itertools
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minikeras.ops import parallel

# Below this size of the whole `cols` matrix (bytes), the plain path's one copy and one
# product cost less than the blocks' many calls.
_MIN_COLS_BYTES = 8 << 20
# Below this many numbers side by side in the input per block row and phase (the channels
# times the taps along the last axis that read neighbouring positions), the block copies
# move runs too short to be fast: the guide convnet's kernel-4 stride-2 layers (6 numbers
# on its 3-channel input) and 1-channel images keep the plain path.
_MIN_RUN = 8
# The blocked path computes an output for every position of the (phase) grid; past this
# ratio of grid positions to real outputs (small images: a 3x3 "same" convolution of 8x8
# images works on a 10x10 grid) the wasted rows cost more than the plain path's copy.
_MAX_WASTE = 1.3
# Bytes of one block of `cols`: small enough to stay in the CPU's cache.
_BLOCK_BYTES = 1 << 20
# Convolutions with at least this many blocks share them between two threads.
_PARALLEL_BLOCKS = 4


def use_blocked_im2col(windows, groups, batch, channels, itemsize=4):
    """Whether `Conv` runs this geometry on the blocked path (see the module docstring)."""
    if groups != 1 or math.prod(windows.window) == 1 or not parallel.blas_work_can_share():
        return False
    cols_bytes = batch * math.prod(windows.out_sizes) * math.prod(windows.window) * channels
    if cols_bytes * itemsize < _MIN_COLS_BYTES:
        return False
    layout = _layout(windows)
    if min(_run(phase, channels) for phase in layout.phases if phase) < _MIN_RUN:
        return False
    return math.prod(layout.grid) <= _MAX_WASTE * math.prod(windows.out_sizes)


def _run(phase, channels):
    """Numbers side by side in the flat input for one row of a phase's block: the taps
    along the last axis are neighbouring rows when their row step is 1."""
    _, counts, _, _, steps = phase
    return counts[-1] * channels if steps[-1] == 1 else channels


class _PhaseLayout:
    """Where the taps of a convolution read in the phase-split, flattened padded input.

    Attributes:
        grid: the size of each phase along each spatial axis.
        order: the kernel's taps (row-major indices), grouped by phase: the order of the
            columns of `cols`.
        phases: for each phase, None when no tap reads it, else `(taps, counts, first, last,
            steps)`: the slice of `order` holding its taps, their count along each axis,
            the flat row offsets of its first and last tap, and the row step of each axis.
        placements: for each phase, `(input_index, grid_index)`: the input elements that
            belong to the phase and where they sit in its grid.
        valid: the index of the real outputs in the grid.
    """

    def __init__(self, windows):
        rank = len(windows.sizes)
        reach = [[t * d for t in range(k)] for k, d in zip(windows.window, windows.dilations)]
        strides = windows.strides
        most = [max(r) // s for r, s in zip(reach, strides)]
        self.grid = tuple(
            max(out + m, -(-(pad + size) // s))
            for out, m, pad, size, s in zip(
                windows.out_sizes, most, windows.pads, windows.sizes, strides
            )
        )
        place = [math.prod(self.grid[axis + 1 :]) for axis in range(rank)]
        self.order, self.phases, self.placements = [], [], []
        for phase in np.ndindex(*strides):
            # Along each axis, the taps reading this phase are evenly spaced, and so are the
            # places they read.
            per_axis = [
                [t for t in range(len(r)) if r[t] % s == p]
                for r, s, p in zip(reach, strides, phase)
            ]
            self.placements.append(_placement(phase, windows))
            if not all(per_axis):
                self.phases.append(None)
                continue
            shifts = [[r[t] // s for t in taps] for r, s, taps in zip(reach, strides, per_axis)]
            steps = [(sh[1] - sh[0] if len(sh) > 1 else 0) * m for sh, m in zip(shifts, place)]
            first = sum(sh[0] * m for sh, m in zip(shifts, place))
            last = sum(sh[-1] * m for sh, m in zip(shifts, place))
            start = len(self.order)
            for position in itertools.product(*per_axis):
                self.order.append(int(np.ravel_multi_index(position, windows.window)))
            counts = tuple(len(taps) for taps in per_axis)
            self.phases.append((slice(start, len(self.order)), counts, first, last, steps))
        self.tail = max(p[3] for p in self.phases if p is not None)
        self.valid = (slice(None), *[slice(0, out) for out in windows.out_sizes])


def _placement(phase, windows):
    """`(input_index, grid_index)` of the input elements at padded positions `q * s + r`."""
    input_index, grid_index = [slice(None)], [slice(None)]
    for r, s, pad, size in zip(phase, windows.strides, windows.pads, windows.sizes):
        first = -(-(pad - r) // s) if pad > r else 0
        count = max(0, (pad + size - 1 - r) // s - first + 1)
        start = first * s + r - pad
        input_index.append(slice(start, start + (count - 1) * s + 1 if count else 0, s))
        grid_index.append(slice(first, first + count))
    return tuple(input_index), tuple(grid_index)


@functools.lru_cache(maxsize=256)
def _layout(windows):
    return _PhaseLayout(windows)


def _block_rows(rows, row_bytes):
    block = max(64, _BLOCK_BYTES // row_bytes)
    return range(0, rows, block), block


def _windows_view(flat, offset, counts, steps, rows):
    """`(rows, *counts, channels)` view of `flat`: row `p`, tap `m` is `flat[p + offset +
    sum(m * steps)]`."""
    row = flat.strides[0]
    return as_strided(
        flat[offset:],
        shape=(rows, *counts, flat.shape[-1]),
        strides=(row, *[step * row for step in steps], flat.strides[-1]),
        writeable=False,
    )


class BlockedConv:
    """Forward and backward of an ungrouped convolution on channels-last arrays, by blocks
    of im2col. Holds what the backward pass needs between the two calls.

    Two threads share the blocks (`_for_each_block`): each block writes only its own rows of
    the result, and the kernel gradient adds up the blocks in two fixed halves, so the
    results are the same bits with or without the second thread.
    """

    def __init__(self, windows):
        self.layout = _layout(windows)

    def _cols(self, buffer, views, begin, end):
        """Block `[begin, end)` of `cols`: each phase's windows copied side by side."""
        cols = buffer[: end - begin]
        for (taps, counts, *_), view in views:
            part = cols[:, taps].reshape(end - begin, *counts, -1)
            np.copyto(part, view[begin:end])
        return cols.reshape(end - begin, -1)

    def _input_views(self, rows):
        return [
            (phase, _windows_view(self.flat[index], phase[2], phase[1], phase[4], rows))
            for index, phase in enumerate(self.layout.phases)
            if phase is not None
        ]

    def forward(self, x, kernel):
        layout = self.layout
        batch, channels = x.shape[0], x.shape[-1]
        rows = batch * math.prod(layout.grid)
        self.flat = np.zeros((len(layout.phases), rows + layout.tail, channels), dtype=x.dtype)
        for flat, (input_index, grid_index) in zip(self.flat, layout.placements):
            grid = flat[:rows].reshape(batch, *layout.grid, channels)
            grid[(*grid_index, slice(None))] = x[(*input_index, slice(None))]
        self.kernel, self.x_shape = kernel, x.shape
        taps = len(layout.order)
        weights = kernel.reshape(taps, channels, -1)[layout.order].reshape(taps * channels, -1)
        y = np.empty((rows, kernel.shape[-1]), dtype=np.result_type(x, kernel))
        views = self._input_views(rows)

        def block(buffer, begin, end):
            np.matmul(self._cols(buffer, views, begin, end), weights, out=y[begin:end])

        _for_each_block(block, rows, (taps, channels), x.dtype)
        return y.reshape(batch, *layout.grid, -1)[(*layout.valid, slice(None))]

    def backward(self, gy, needs_input, needs_kernel):
        """`(input gradient, kernel gradient)` for the output gradient `gy`; each is None
        unless asked for."""
        layout = self.layout
        batch = self.x_shape[0]
        filters = gy.shape[-1]
        rows = batch * math.prod(layout.grid)
        # `gy` on the grid (zeros where there is no real output), flat, after `front` rows of
        # zeros: the input gradient reads it shifted back by up to `tail` rows.
        front = layout.tail if needs_input else 0
        gy_flat = np.zeros((front + rows, filters), dtype=gy.dtype)
        grid = gy_flat[front:].reshape(batch, *layout.grid, filters)
        grid[(*layout.valid, slice(None))] = gy
        gx = gw = None
        if needs_kernel:
            gw = self._kernel_gradient(gy_flat[front:], rows)
        if needs_input:
            gx = self._input_gradient(gy_flat, front, rows)
        return gx, gw

    def _kernel_gradient(self, gy_rows, rows):
        """`cols.T @ gy` over the blocks, summed in two halves (one per thread)."""
        layout = self.layout
        channels, filters, taps = self.x_shape[-1], gy_rows.shape[-1], len(layout.order)
        views = self._input_views(rows)
        starts = _block_starts(rows, (taps, channels))
        # One running total per half of the blocks, each added to in block order.
        totals = np.zeros((2, taps * channels, filters), dtype=gy_rows.dtype)
        products = np.empty_like(totals)
        second_half = starts[len(starts) // 2] if len(starts) > 1 else rows

        def block(buffer, begin, end):
            which = 0 if begin < second_half else 1
            cols = self._cols(buffer, views, begin, end)
            np.matmul(cols.T, gy_rows[begin:end], out=products[which])
            totals[which] += products[which]

        _for_each_block(block, rows, (taps, channels), gy_rows.dtype)
        gw = np.empty((taps, channels, filters), dtype=gy_rows.dtype)
        gw[layout.order] = (totals[0] + totals[1]).reshape(taps, channels, filters)
        return gw.reshape(self.kernel.shape)

    def _input_gradient(self, gy_flat, front, rows):
        """The transposed convolution of `gy_flat`, phase by phase (see the module docstring)."""
        layout = self.layout
        batch, channels = self.x_shape[0], self.x_shape[-1]
        filters = gy_flat.shape[-1]
        kernel = self.kernel.reshape(-1, channels, filters)
        gx = np.empty(self.x_shape, dtype=gy_flat.dtype)
        grid_gradient = np.empty((rows, channels), dtype=gy_flat.dtype)
        for phase, (input_index, grid_index) in zip(layout.phases, layout.placements):
            if any(s.stop == s.start for s in grid_index[1:]):
                continue  # no input element sits in this phase
            if phase is None:
                grid_gradient[...] = 0
            else:
                taps, counts, _, last, steps = phase
                # Tap m of the phase reads gy at `p + front - offset_m`: counted from the
                # phase's last tap, the taps run forwards with the kernel flipped.
                view = _windows_view(gy_flat, front - last, counts, steps, rows)
                flipped = kernel[layout.order[taps]].reshape(*counts, channels, filters)
                flipped = np.flip(flipped, axis=tuple(range(len(counts))))
                weights = np.swapaxes(flipped, -1, -2).reshape(-1, channels)

                def block(buffer, begin, end, view=view, weights=weights):
                    cols = buffer[: end - begin]
                    np.copyto(cols, view[begin:end])
                    out = grid_gradient[begin:end]
                    np.matmul(cols.reshape(end - begin, -1), weights, out=out)

                _for_each_block(block, rows, (*counts, filters), gy_flat.dtype)
            grid = grid_gradient.reshape(batch, *layout.grid, channels)
            gx[(*input_index, slice(None))] = grid[(*grid_index, slice(None))]
        return gx


def _block_starts(rows, row_shape):
    """The first row of each block of `cols` whose rows have `row_shape`."""
    return range(0, rows, _block_rows(rows, 4 * math.prod(row_shape))[1])


def _for_each_block(block, rows, row_shape, dtype):
    """Calls `block(buffer, begin, end)` for each block of rows `[begin, end)` of a `cols`
    matrix whose rows have `row_shape`; `buffer` holds one block, one buffer per thread.

    Blocks go to two threads (`parallel.for_each` with BLAS calls) when there are at least
    `_PARALLEL_BLOCKS` of them.
    """
    starts, size = _block_rows(rows, 4 * math.prod(row_shape))
    starts = list(starts)
    buffers = threading.local()

    def body(i, begin):
        buffer = getattr(buffers, "buffer", None)
        if buffer is None:
            buffer = buffers.buffer = np.empty((size, *row_shape), dtype=dtype)
        block(buffer, begin, min(rows, begin + size))

    parallel.for_each(body, starts, share=len(starts) >= _PARALLEL_BLOCKS, blas=True)


# -- input gradient of a strided convolution on the plain path ---------------------------
# Measured (one BLAS thread, best of interleaved rounds, 64 images, "same"): the guide
# convnet's kernel-4 stride-2 layers, 32x32x3 -> 8, 16x16x8 -> 16, 8x8x16 -> 32 filters:
# 1.67 -> 0.65 ms, 0.87 -> 0.37 ms, 0.39 -> 0.29 ms against col2im; a 3x3 stride-2 layer
# 32x32x16 -> 32: 4.8 -> 3.4 ms. Memory: the im2col of `gy`, `prod(A) / prod(s) * filters /
# channels` times the input (1 to 4 times here) for the duration of the call.
# Weight slots of the phase input gradient per kernel tap, at most (taps that read no phase
# at a given place leave zero slots): past this the zeros cost more than they save.
_MAX_PHASE_SLOTS = 2.0


class _PhaseGradient:
    """Where each kernel tap sits in the phase input gradient's weight matrix (see
    `phase_input_gradient`).

    Attributes:
        reach: along each axis, how many places back a phase's taps read `gy` (`A`).
        grid: along each axis, the places of each phase (`Q`: enough for the padded input).
        slots: for each kernel tap (row-major), `(place, phase)` as flat indices into the
            `prod(reach)` places (flipped) and the `prod(strides)` phases.
    """

    def __init__(self, windows):
        reach, grid, per_axis = [], [], []
        for k, s, d, pad, size in zip(
            windows.window, windows.strides, windows.dilations, windows.pads, windows.sizes
        ):
            a = (k - 1) * d // s + 1
            reach.append(a)
            grid.append(-(-(pad + size) // s))
            # Tap t reads padded position o * s + t * d = (o + place) * s + phase.
            per_axis.append([(a - 1 - t * d // s, t * d % s) for t in range(k)])
        self.reach, self.grid = tuple(reach), tuple(grid)
        places, phases = [], []
        for position in itertools.product(*per_axis):
            places.append(np.ravel_multi_index([p for p, _ in position], self.reach))
            phases.append(np.ravel_multi_index([r for _, r in position], windows.strides))
        self.places, self.phases = np.array(places), np.array(phases)


@functools.lru_cache(maxsize=256)
def _phase_gradient(windows):
    return _PhaseGradient(windows)


def use_phase_input_gradient(windows, groups):
    """Whether the plain path computes the input gradient by `phase_input_gradient`: an
    ungrouped convolution with a stride above 1 whose weight matrix there holds at most
    `_MAX_PHASE_SLOTS` slots per kernel tap (a pure function of the shapes)."""
    if groups != 1 or all(s == 1 for s in windows.strides):
        return False
    layout = _phase_gradient(windows)
    slots = math.prod(layout.reach) * math.prod(windows.strides)
    return slots <= _MAX_PHASE_SLOTS * math.prod(windows.window)


def phase_input_gradient(gy, kernel, windows, x_shape):
    """Input gradient of a strided convolution as one stride-1 convolution and one GEMM.

    Split the padded input by stride phase: position `q * s + r` is place `q` of phase `r`.
    Tap `t` reads phase `t * d % s` at place `o + t * d // s` for output `o`, so the gradient
    of place `q` of every phase is a sum over the last `A` outputs `gy[q - a]`, `a < A`: a
    stride-1 convolution of `gy` (zero-padded by `A - 1` in front) with an `A`-wide window,
    whose output channels are (phase, input channel). Its im2col is small (`gy` has `s`
    times fewer positions per axis than the input), it is one GEMM instead of one product
    and one scattered add per tap, and the phases interleave back with one copy.

    Args:
        gy: `(batch, *out_sizes, filters)`, channels last.
        kernel: `(*window, channels, filters)`.
        windows: the convolution's `_Windows`.
        x_shape: the channels-last input shape.

    Returns:
        The input gradient, `x_shape`, dtype of `gy` and `kernel`.
    """
    layout = _phase_gradient(windows)
    batch, channels, filters = x_shape[0], x_shape[-1], gy.shape[-1]
    dtype = np.result_type(gy, kernel)
    rank = len(windows.sizes)
    places, phases = math.prod(layout.reach), math.prod(windows.strides)
    weights = np.zeros((places, phases, channels, filters), dtype=dtype)
    weights[layout.places, layout.phases] = kernel.reshape(-1, channels, filters)
    weights = weights.transpose(0, 3, 1, 2).reshape(places * filters, phases * channels)
    # gy with `A - 1` zeros in front and enough behind for `Q` outputs per axis.
    padded = np.zeros(
        (batch, *[q + a - 1 for q, a in zip(layout.grid, layout.reach)], filters), dtype=dtype
    )
    inside = tuple(
        slice(a - 1, a - 1 + min(out, q))
        for a, out, q in zip(layout.reach, gy.shape[1:-1], layout.grid)
    )
    padded[(slice(None), *inside, slice(None))] = gy[
        (slice(None), *[slice(0, s.stop - s.start) for s in inside], slice(None))
    ]
    spatial = padded.strides[1:-1]
    view = as_strided(
        padded,
        shape=(batch, *layout.grid, *layout.reach, filters),
        strides=(padded.strides[0], *spatial, *spatial, padded.strides[-1]),
        writeable=False,
    )
    rows = batch * math.prod(layout.grid)
    grid = np.matmul(view.reshape(rows, places * filters), weights)
    # (batch, *Q, *s, c) -> (batch, Q0, s0, Q1, s1, ..., c): the phases interleaved.
    grid = grid.reshape(batch, *layout.grid, *windows.strides, channels)
    order = [0, *itertools.chain.from_iterable((1 + i, 1 + rank + i) for i in range(rank))]
    interleaved = grid.transpose(*order, 2 * rank + 1).reshape(
        batch, *[q * s for q, s in zip(layout.grid, windows.strides)], channels
    )
    box = tuple(slice(pad, pad + size) for pad, size in zip(windows.pads, windows.sizes))
    return interleaved[(slice(None), *box, slice(None))]


# -- pooling in blocks of samples -----------------------------------------------------------
# Measured (MaxPooling2D(2) forward and backward of a 128x32x32x32 float32 batch, one BLAS
# thread, best of interleaved rounds on a shared 2-core machine): the whole batch at once
# 11.4 ms, blocks of 2^18 values on one thread 10.1 ms, on two threads 6.4 ms (PyTorch
# eager, two threads: about 10.9 ms); when the other core is busy, two threads gain nothing
# over one. AveragePooling2D(2), the same batch: 7.4 ms -> 4.5-6.2 ms.
# Not used: recording in the forward pass which tap won each 2x2 window (two comparisons
# of tap pairs and one of the pair maxima), so that the backward pass needs one mask
# operation per tap instead of three: 3% faster, not worth a second code path.
# Input values per block of samples: the block of `x`, of the input gradient and the
# smaller output-sized arrays (1 MB + 1 MB + a quarter of that for 2x2 pooling, in
# float32) stay in a core's 2 MB L2 cache between the passes over the pool taps.
POOL_BLOCK_VALUES = 1 << 18
# Inputs of at least this many values have their blocks shared by two threads.
POOL_PARALLEL_VALUES = 1 << 20


def batch_blocks(shape):
    """Slices of the batch axis of an input of `shape`, each about `POOL_BLOCK_VALUES`
    values (at least one sample)."""
    step = max(1, POOL_BLOCK_VALUES // max(math.prod(shape[1:]), 1))
    return [slice(start, start + step) for start in range(0, shape[0], step)]


def for_each_batch_block(function, arrays, *args):
    """Calls `function(*blocks, *args)`, with `blocks` the same slice of the batch axis of
    each of `arrays`, for each slice of `batch_blocks(arrays[0].shape)` (the first array is
    the pooling input or its gradient, whose size sets the blocks).

    This is how `convolution.MaxPool` and `AveragePool` run their forward and backward
    passes. Pooling works on each sample alone, so the whole-array code gives the same bits
    on any slice of the batch; running it one cache-sized block at a time makes each of its
    passes over the pool taps (a maximum, a comparison, a mask update, a product per tap)
    read the block from the cache rather than from memory, and two threads share the
    blocks of a large input.

    Contract: assumes `function` writes only its own block of samples; checks nothing; a
    batch of one block (small inputs, or samples larger than a block) is one call on the
    whole arrays, the plain path.
    """
    if arrays[0].size <= POOL_BLOCK_VALUES:  # one block: the common small case, checked first
        function(*arrays, *args)
        return
    shape = arrays[0].shape
    parts = batch_blocks(shape)
    share = math.prod(shape) >= POOL_PARALLEL_VALUES

    def body(i, block):
        function(*[array[block] for array in arrays], *args)

    parallel.for_each(body, parts, share)
