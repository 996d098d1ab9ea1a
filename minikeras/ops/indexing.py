"""Taking entries: `take`, `take_along_axis`, `x[key]` (`get_item`), `sort`; the ops that
only move or copy entries around (`roll`, `rot90`, `tril`, `diagonal`, `trace`, ...); and
searching and counting (`nonzero`, `unique`, `bincount`, `searchsorted`, `histogram`, ...).

`Rearrange` is one gather primitive for all of the second group: the op is computed on an
array of positions `0..size-1` once; the result says which input entry each output entry
comes from (the position `size` stands for a zero). The forward pass gathers with those
positions, the backward pass adds the gradients back to them, so every one of these ops
has an exact gradient. `ScatterAdd` is its transpose (it adds entries into positions);
core_more.py and nn_more.py build on both. Searching and counting return tensors without a
gradient.
"""

import math

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import (
    _check_broadcast,
    _constant,
    _float_tensor,
    _one_axis,
    _tensor,
    normalize_axis,
)
from minikeras.ops.elementwise import power
from minikeras.ops.manipulation import broadcast_to, flip, reshape
from minikeras.ops.reductions import sum as _sum
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "argpartition",
    "bincount",
    "diag",
    "diagflat",
    "diagonal",
    "digitize",
    "fliplr",
    "flipud",
    "get_item",
    "histogram",
    "isin",
    "nonzero",
    "roll",
    "rot90",
    "searchsorted",
    "sort",
    "take",
    "take_along_axis",
    "trace",
    "tril",
    "triu",
    "unique",
    "unravel_index",
    "vander",
]


# -- taking entries -----------------------------------------------------------------------
def _indices(indices):
    array = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f" and not np.all(np.equal(np.mod(array, 1), 0)):
            raise ValueError("Indices must be integers.")
        array = array.astype(np.int64)
    return array


class Take(Function):
    """Gathers entries along an axis; the gradient scatter-adds (repeated indices add up)."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.x_shape = x.shape
        return np.take(x, self.indices, axis=self.axis)

    def backward(self, gy):
        gx = np.zeros(self.x_shape, gy.dtype)
        if self.axis == 0 and gy.size:
            # Embedding-style gathers: sort the rows by index and sum each run with one
            # reduceat (about twice as fast as np.add.at), then write each row once.
            rows = gy.reshape((-1,) + self.x_shape[1:])
            flat = self.indices.reshape(-1)
            flat = np.where(flat < 0, flat + self.x_shape[0], flat)
            order = np.argsort(flat, kind="stable")
            ordered = flat[order]
            starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
            gx[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        else:
            index = (slice(None),) * self.axis + (self.indices,)
            np.add.at(gx, index, gy)
        return gx


@op
def take(x, indices, axis=None):
    """Gathers entries of `x` at `indices` along `axis` (of the flattened tensor if None).

    Example:
        >>> ops.take(embeddings, token_ids, axis=0)   # one row per token
    """
    x = _tensor(x)
    indices = _indices(indices)
    if axis is None:
        x = _arith.Reshape((-1,))(x)
        axis = 0
    axis = _one_axis(axis, x.ndim, "take")
    size = x.shape[axis]
    if indices.size and (indices.min() < -size or indices.max() >= size):
        raise ValueError(
            f"take: index out of range for axis {axis} of size {size} (shape {x.shape})."
        )
    return Take(indices, axis)(x)


class TakeAlongAxis(Function):
    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.x_shape = x.shape
        return np.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, gy):
        gx = np.zeros(self.x_shape, gy.dtype)
        ndim = gy.ndim
        index = []
        for d in range(ndim):
            if d == self.axis:
                index.append(self.indices)
            else:
                shape = [1] * ndim
                shape[d] = self.x_shape[d]
                index.append(np.arange(self.x_shape[d]).reshape(shape))
        index = np.broadcast_arrays(*index)
        np.add.at(gx, tuple(index), gy)
        return gx


@op(output_spec=_shapes.take_along_axis)
def take_along_axis(x, indices, axis=None):
    """Picks `x[..., indices[...], ...]` along `axis` (numpy's `take_along_axis`)."""
    x = _tensor(x)
    indices = _indices(indices)
    if axis is None:
        x = _arith.Reshape((-1,))(x)
        indices = indices.reshape(-1)
        axis = 0
    axis = _one_axis(axis, x.ndim, "take_along_axis")
    if indices.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices of shape {indices.shape} must have the rank of x "
            f"(shape {x.shape})."
        )
    # Broadcast the other axes of x and indices against each other, as numpy does.
    other = [i for i in range(x.ndim) if i != axis]
    target = list(
        _check_broadcast(
            "take_along_axis",
            tuple(x.shape[i] for i in other),
            tuple(indices.shape[i] for i in other),
        )
    )
    x_shape, i_shape = list(target), list(target)
    x_shape.insert(axis, x.shape[axis])
    i_shape.insert(axis, indices.shape[axis])
    if tuple(x_shape) != x.shape:
        x = broadcast_to(x, x_shape)
    indices = np.broadcast_to(indices, i_shape)
    return TakeAlongAxis(indices, axis)(x)


@op(output_spec=_shapes.get_item)
def get_item(x, key):
    """`x[key]`: indexing and slicing with gradients."""
    return _tensor(x)[key]


@op
def sort(x, axis=-1):
    """Sorts along `axis`, or all values flattened when `axis` is None (the gradient goes back
    to each value's original position)."""
    x = _tensor(x)
    if axis is None:
        x, axis = _arith.Reshape((-1,))(x), 0
    if x.ndim == 0:
        return x
    axis = _one_axis(axis, x.ndim, "sort")
    order = np.argsort(x.data, axis=axis, kind="stable")
    return TakeAlongAxis(order, axis)(x)


# -- moving entries around: one gather primitive ------------------------------------------
class Rearrange(Function):
    """Gathers entries by position: output entry `i` is input entry `positions[i]`, or 0
    where `positions[i] == input size`. The backward pass adds the gradients back."""

    def __init__(self, positions):
        self.positions = positions

    def forward(self, x):
        self.x_shape = x.shape
        flat = x.reshape(-1)
        if self.positions.size and self.positions.max() == x.size:
            flat = np.append(flat, np.zeros((1,), x.dtype))
        return flat[self.positions]

    def backward(self, gy):
        size = math.prod(self.x_shape)
        gx = np.zeros(size + 1, gy.dtype)
        np.add.at(gx, self.positions, gy)
        return gx[:size].reshape(self.x_shape)


class ScatterAdd(Function):
    """Adds each input entry into the output at `positions` (the transpose of a gather);
    positions equal to the output size are dropped."""

    def __init__(self, positions, size, shape):
        self.positions, self.size, self.shape = positions, size, shape

    def forward(self, x):
        out = np.zeros(self.size + 1, x.dtype)
        np.add.at(out, self.positions, x)
        return out[: self.size].reshape(self.shape)

    def backward(self, gy):
        return np.append(gy.reshape(-1), np.zeros((1,), gy.dtype))[self.positions]


def rearrange_with(numpy_function, x, *args, **kwargs):
    """Applies a numpy function that only moves, copies or zero-fills entries to `x`, with
    gradients: the function runs once on the positions of `x`'s entries."""
    x = _tensor(x)
    # The sentinel `size` marks zeros: the function fills with 0, so shift positions by 1.
    positions = np.arange(1, x.data.size + 1, dtype=np.int64).reshape(x.shape)
    moved = np.asarray(numpy_function(positions, *args, **kwargs))
    moved = np.where(moved == 0, x.data.size + 1, moved) - 1
    return Rearrange(moved)(x)


@op
def roll(x, shift, axis=None):
    """Shifts entries along `axis` (the flattened tensor when None), wrapping around."""
    return rearrange_with(np.roll, x, shift, axis=axis)


@op
def rot90(array, k=1, axes=(0, 1)):
    """Rotates by 90 degrees `k` times in the plane of `axes` (first towards second)."""
    x = _tensor(array)
    if x.ndim < 2:
        raise ValueError(f"rot90: needs a tensor of rank 2 or more, got shape {x.shape}.")
    axes = tuple(axes)
    if len(axes) != 2 or normalize_axis(axes[0], x.ndim) == normalize_axis(axes[1], x.ndim):
        raise ValueError(f"rot90: axes must be two different axes, got {axes}.")
    return rearrange_with(np.rot90, x, int(k), axes)


@op
def fliplr(x):
    """Reverses the second axis."""
    return flip(x, 1)


@op
def flipud(x):
    """Reverses the first axis."""
    return flip(x, 0)


def _check_matrix(x, name):
    if x.ndim < 2:
        raise ValueError(f"{name}: needs a tensor of rank 2 or more, got shape {x.shape}.")


@op
def tril(x, k=0):
    """The lower triangle of the last two axes (zeros above the k-th diagonal)."""
    x = _tensor(x)
    _check_matrix(x, "tril")
    return rearrange_with(np.tril, x, int(k))


@op
def triu(x, k=0):
    """The upper triangle of the last two axes (zeros below the k-th diagonal)."""
    x = _tensor(x)
    _check_matrix(x, "triu")
    return rearrange_with(np.triu, x, int(k))


@op
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The `offset` diagonal of the plane `(axis1, axis2)`, as a new last axis."""
    x = _tensor(x)
    _check_matrix(x, "diagonal")
    return rearrange_with(np.diagonal, x, int(offset), int(axis1), int(axis2))


@op
def diag(x, k=0):
    """The k-th diagonal of a matrix, or a matrix with vector `x` on its k-th diagonal."""
    x = _tensor(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"diag: x must be 1-D or 2-D, got shape {x.shape}.")
    return rearrange_with(np.diag, x, int(k))


@op
def diagflat(x, k=0):
    """A matrix with the flattened `x` on its k-th diagonal."""
    return rearrange_with(np.diagflat, x, int(k))


@op
def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along the `offset` diagonal of the plane `(axis1, axis2)` (int32 for signed
    integers and bools, uint32 for unsigned ones, as Keras)."""
    x = _tensor(x)
    if x.data.dtype.kind in "biu":
        values = np.trace(x.data, offset, axis1, axis2)
        dtype = np.uint32 if x.data.dtype.kind == "u" else np.int32
        return _constant(np.asarray(values).astype(dtype))
    return _sum(diagonal(x, offset, axis1, axis2), axis=-1)


# -- counting, searching, indices (no gradient) -------------------------------------------
def _bincount_spec(fn, x, weights=None, minlength=0, sparse=False):
    """The number of bins depends on the largest value: unknown."""
    dtype = "int32"
    if weights is not None:
        weights_dtype = np.dtype(weights.dtype)
        dtype = weights_dtype.name if weights_dtype.kind in "fiu" else config.floatx()
    return KerasTensor(tuple(x.shape[:-1]) + (None,), dtype=dtype)


@op(output_spec=_bincount_spec)
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts each non-negative integer in `x` (summing `weights` instead when given).

    A 2-D `x` is a batch: one row of counts per row, all as long as the longest.

    Returns int32 counts, or sums in the dtype of `weights` (integer weights stay integers,
    as in Keras; bool weights give floatx).
    """
    if sparse:
        raise ValueError(
            "bincount: sparse=True is not supported (minikeras has no sparse tensors)."
        )
    values = _tensor(x).data
    if values.dtype.kind not in "iub" or values.ndim not in (1, 2):
        raise ValueError(
            f"bincount: x must be a 1-D (or a batch of 1-D) integer tensor, got "
            f"{values.dtype} {values.shape}."
        )
    if values.size and values.min() < 0:
        raise ValueError("bincount: x must not hold negative values.")
    w = None if weights is None else _tensor(weights).data
    if w is not None and w.shape != values.shape:
        raise ValueError(f"bincount: weights {w.shape} need the shape of x {values.shape}.")
    length = max(int(minlength), int(values.max()) + 1 if values.size else 0)
    if values.ndim == 2:
        rows = [
            np.bincount(row, None if w is None else w[i], length) for i, row in enumerate(values)
        ]
        counts = np.stack(rows) if rows else np.zeros((0, length))
    else:
        counts = np.bincount(values, w, length)
    if w is None:
        return _constant(counts.astype(np.int32))
    return _constant(counts.astype(w.dtype if w.dtype.kind in "fiu" else config.floatx()))


@op
def digitize(x, bins):
    """The index of the bin each entry falls in (`bins` increasing), int32."""
    bins = _tensor(bins).data
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {bins.shape}.")
    return _constant(np.digitize(_tensor(x).data, bins).astype(np.int32))


@op
def searchsorted(sorted_sequence, values, side="left"):
    """Where `values` would be inserted into the 1-D `sorted_sequence` to keep it sorted."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}.")
    sequence = _tensor(sorted_sequence).data
    if sequence.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D, got shape {sequence.shape}.")
    return _constant(np.searchsorted(sequence, _tensor(values).data, side=side).astype(np.int32))


@op
def argpartition(x, kth, axis=-1):
    """Indices that put the `kth` entry in its sorted place along `axis`, int32."""
    x = _tensor(x)
    return _constant(np.argpartition(x.data, kth, axis=axis).astype(np.int32))


@op
def isin(x1, x2, assume_unique=False, invert=False):
    """True where an entry of `x1` appears in `x2`."""
    values = np.isin(_tensor(x1).data, _tensor(x2).data, assume_unique=assume_unique, invert=invert)
    return _constant(values)


@op
def unravel_index(indices, shape):
    """Flat indices to one index tensor per axis of `shape`."""
    index = _indices(indices)
    shape = tuple(int(d) for d in shape)
    size = math.prod(shape)
    if index.size and (index.min() < 0 or index.max() >= size):
        raise ValueError(f"unravel_index: indices must be in [0, {size}) for shape {shape}.")
    return tuple(_constant(i.astype(np.int32)) for i in np.unravel_index(index, shape))


def _nonzero_spec(fn, x):
    """One index tensor per axis, of a length only the values decide."""
    return tuple(KerasTensor((None,), dtype="int32") for _ in x.shape)


def _unique_spec(
    fn,
    x,
    sorted=True,  # noqa: A002 (the Keras signature)
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """As Keras: the number of distinct values is unknown unless `size` fixes it."""
    count = None if size is None else int(size)
    if axis is None:
        values_shape = (count,)
    else:
        along = _one_axis(axis, len(x.shape), "unique")
        values_shape = x.shape[:along] + (count,) + x.shape[along + 1 :]
    outputs = [KerasTensor(values_shape, dtype=x.dtype)]
    if return_index:
        outputs.append(KerasTensor((count,), dtype="int32"))
    if return_inverse:
        inverse_shape = x.shape if axis is None else (x.shape[along],)
        outputs.append(KerasTensor(inverse_shape, dtype="int32"))
    if return_counts:
        outputs.append(KerasTensor((count,), dtype="int32"))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


@op(output_spec=_nonzero_spec)
def nonzero(x):
    """The indices of the non-zero entries, one int32 tensor per axis."""
    return tuple(_constant(i.astype(np.int32)) for i in np.nonzero(_tensor(x).data))


@op(output_spec=_unique_spec)
def unique(
    x,
    sorted=True,  # noqa: A002 (the Keras signature)
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The sorted distinct entries of `x` (over the flattened tensor, or slices along `axis`).

    Args:
        return_index, return_inverse, return_counts: also return the first index of each
            value, the index of each entry's value, and the counts (int32), as numpy.
        size: pad (with `fill_value`, default the smallest value) or cut the result to this
            length.
    """
    data = _tensor(x).data
    # Each NaN is its own value (NaN != NaN), as in Keras; numpy would merge them.
    nan_keywords = {"equal_nan": False} if axis is None else {}
    results = np.unique(
        data,
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
        **nan_keywords,
    )
    results = list(results) if isinstance(results, tuple) else [results]
    if size is not None:
        inverse_position = 1 + bool(return_index) if return_inverse else None
        index_position = 1 if return_index else None
        results = _fit_unique_size(
            results, int(size), fill_value, axis, inverse_position, index_position
        )
    tensors = [_constant(results[0])] + [_constant(r.astype(np.int32)) for r in results[1:]]
    return tensors[0] if len(tensors) == 1 else tuple(tensors)


def _fit_unique_size(results, size, fill_value, axis, inverse_position, index_position):
    """Pads (or cuts) the distinct values to `size`: values with `fill_value` (default the
    smallest value), first indices with the first of them (as Keras), counts with 0; the
    inverse keeps one per entry."""
    along = 0 if axis is None else axis
    count = results[0].shape[along]
    fitted = []
    for i, result in enumerate(results):
        if i == inverse_position:
            fitted.append(result)
            continue
        fill, where_axis = 0, 0
        if i == 0:
            where_axis = along
            if fill_value is not None:
                fill = fill_value
            elif result.size:
                fill = result.min()
        elif i == index_position and result.size:
            fill = result[0]
        if count >= size:
            result = np.take(result, np.arange(size), axis=where_axis)
        else:
            pad_shape = list(result.shape)
            pad_shape[where_axis] = size - count
            result = np.concatenate([result, np.full(pad_shape, fill, result.dtype)], where_axis)
        fitted.append(result)
    return fitted


@op
def histogram(x, bins=10, range=None):  # noqa: A002 (the Keras signature)
    """Counts of 1-D `x` in `bins` equal bins over `range` (its min and max by default).

    Returns:
        `(counts, bin_edges)`: counts and `bins + 1` edges, both in the float dtype of `x`
        (as Keras returns them).
    """
    data = _float_tensor(x).data
    if data.ndim != 1:
        raise ValueError(f"histogram: x must be 1-D, got shape {data.shape}.")
    if not isinstance(bins, (int, np.integer)) or bins <= 0:
        raise ValueError(f"histogram: bins must be a positive integer, got {bins!r}.")
    if range is not None and (len(range) != 2 or range[0] > range[1]):
        raise ValueError(f"histogram: range must be (min, max) with min <= max, got {range}.")
    counts, edges = np.histogram(data, bins=int(bins), range=range)
    return _constant(counts.astype(data.dtype)), _constant(edges.astype(data.dtype))


@op
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-D `x`: columns are powers of `x`."""
    x = _tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {x.shape}.")
    columns = x.shape[0] if N is None else int(N)
    exponents = np.arange(columns)
    if not increasing:
        exponents = exponents[::-1]
    exponents = exponents.astype(x.data.dtype)
    return power(reshape(x, (-1, 1)), _constant(exponents.reshape(1, -1)))
