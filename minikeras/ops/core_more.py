"""The rest of Keras 3's core ops: scatters, segment reductions, control flow, custom
gradients and a few conversions.

The control-flow ops (`cond`, `switch`, `fori_loop`, `while_loop`, `map`, `scan`,
`associative_scan`, `vectorized_map`) run their Python functions eagerly, one call after
another: minikeras has no compiler to hand a loop to, and gradients flow through whatever
the functions compute.

Scatters and segment reductions are gathers in disguise: each output entry comes from one
entry of the inputs (or is a sum of them), so they reuse `Rearrange` and `ScatterAdd` from
indexing.py and get exact gradients.
"""

import math
import re

import numpy as np

from minikeras import tree
from minikeras.autodiff import Function, Tensor, no_grad
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops._arguments import _constant, _float_tensor, _one_axis, _tensor
from minikeras.ops.elementwise_generic import Elementwise
from minikeras.ops.indexing import Rearrange, ScatterAdd, _indices
from minikeras.ops.math import erf_array
from minikeras.ops.numpy import add, clip, concatenate, reshape, stack
from minikeras.ops.symbolic import op

__all__ = [
    "associative_scan",
    "cdist",
    "cond",
    "custom_gradient",
    "erfinv",
    "extract_sequences",
    "fori_loop",
    "map",
    "polar",
    "rearrange",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "slice_update",
    "switch",
    "vectorized_map",
    "view_as_complex",
    "view_as_real",
    "while_loop",
]


# -- scatters -----------------------------------------------------------------------------
def _scatter_positions(indices, shape, name):
    """Flat positions, one row per index: `indices` (N, k) addresses blocks of
    `shape[k:]`, so each row lists the positions of one block."""
    indices = _indices(indices)
    if indices.ndim == 1:
        indices = indices[:, None]
    depth = indices.shape[-1]
    if depth > len(shape):
        raise ValueError(
            f"{name}: indices of depth {depth} for a tensor of rank {len(shape)} (shape {shape})."
        )
    leading = indices.reshape(-1, depth)
    for axis in range(depth):
        size = shape[axis]
        column = leading[:, axis]
        if column.size and (column.min() < -size or column.max() >= size):
            raise ValueError(
                f"{name}: index out of range for axis {axis} of size {size} (shape {shape})."
            )
        leading[:, axis] = np.where(column < 0, column + size, column)
    block = math.prod(shape[depth:])
    starts = np.ravel_multi_index(leading.T, shape[:depth]) if depth else np.zeros(1, np.int64)
    positions = starts[:, None] * block + np.arange(block)[None, :]
    return positions, indices.shape[:-1] + tuple(shape[depth:])


@op
def scatter(indices, values, shape):
    """A tensor of `shape` holding zeros, plus `values` added at `indices` (repeated
    indices add up).

    Args:
        indices: (N, k) integer indices into the first k axes of `shape`.
        values: (N,) + shape[k:] values.
    """
    values = _tensor(values)
    shape = tuple(int(d) for d in shape)
    positions, expected = _scatter_positions(indices, shape, "scatter")
    if values.shape != expected:
        raise ValueError(f"scatter: values of shape {values.shape} need shape {expected}.")
    return ScatterAdd(positions.reshape(values.shape), math.prod(shape), shape)(values)


def _gather_from_both(inputs, updates, sources):
    """Output entry i is entry `sources[i]` of `inputs` followed by `updates` (flattened)."""
    joined = concatenate([reshape(inputs, (-1,)), reshape(updates, (-1,))], axis=0)
    return reshape(Rearrange(sources)(joined), inputs.shape)


_REDUCTIONS = (None, "add", "max", "min")


@op
def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with the entries at `indices` replaced by `updates` (or combined with them
    by `reduction`: "add", "max" or "min").

    Args:
        indices: (N, k) integer indices into the first k axes of `inputs`.
        updates: (N,) + inputs.shape[k:] values.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"scatter_update: unknown reduction {reduction!r}; use {_REDUCTIONS}.")
    inputs = _tensor(inputs)
    updates = _tensor(updates)
    if updates.data.dtype != inputs.data.dtype:
        updates = _arith.cast(updates, inputs.data.dtype)
    positions, expected = _scatter_positions(indices, inputs.shape, "scatter_update")
    if updates.shape != expected:
        raise ValueError(
            f"scatter_update: updates of shape {updates.shape} need shape {expected} "
            f"for inputs of shape {inputs.shape}."
        )
    size = inputs.data.size
    flat_positions = positions.reshape(-1)
    if reduction == "add":
        return add(inputs, scatter(indices, updates, inputs.shape))
    sources = np.arange(size)
    if reduction is None:
        sources[flat_positions] = size + np.arange(flat_positions.size)  # the last write wins
    else:
        combine = np.maximum if reduction == "max" else np.minimum
        result = inputs.data.reshape(-1).copy()
        update_values = updates.data.reshape(-1)
        combine.at(result, flat_positions, update_values)
        # An update supplies the result where it is the winning value and beats the input.
        wins = (update_values == result[flat_positions]) & (
            update_values != inputs.data.reshape(-1)[flat_positions]
        )
        sources[flat_positions[wins]] = size + np.flatnonzero(wins)
    return _gather_from_both(inputs, updates, sources)


@op
def slice_update(inputs, start_indices, updates):
    """`inputs` with the block starting at `start_indices` replaced by `updates`."""
    inputs = _tensor(inputs)
    updates = _tensor(updates)
    if updates.data.dtype != inputs.data.dtype:
        updates = _arith.cast(updates, inputs.data.dtype)
    starts = [int(s) for s in np.reshape(_tensor(start_indices).data, -1)]
    if len(starts) != inputs.ndim or updates.ndim != inputs.ndim:
        raise ValueError(
            f"slice_update: inputs {inputs.shape}, start_indices {starts} and updates "
            f"{updates.shape} need the same rank."
        )
    # As JAX does, a block that would stick out is moved back inside.
    starts = [
        min(max(start, 0), size - length)
        for start, size, length in zip(starts, inputs.shape, updates.shape)
    ]
    if any(length > size for length, size in zip(updates.shape, inputs.shape)):
        raise ValueError(
            f"slice_update: updates of shape {updates.shape} do not fit inputs {inputs.shape}."
        )
    size = inputs.data.size
    sources = np.arange(size).reshape(inputs.shape)
    block = tuple(slice(s, s + n) for s, n in zip(starts, updates.shape))
    sources[block] = size + np.arange(updates.data.size).reshape(updates.shape)
    return _gather_from_both(inputs, updates, sources.reshape(-1))


# -- segment reductions -------------------------------------------------------------------
def _segments(data, segment_ids, num_segments, name):
    data = _tensor(data)
    ids = _indices(segment_ids)
    if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise ValueError(
            f"{name}: segment_ids must be 1-D with one id per row of data, got ids of shape "
            f"{ids.shape} for data of shape {data.shape}."
        )
    if num_segments is None:
        num_segments = int(ids.max()) + 1 if ids.size else 0
    num_segments = int(num_segments)
    block = math.prod(data.shape[1:])
    # Ids outside [0, num_segments) are dropped, as in JAX: they point at the sentinel.
    inside = (ids >= 0) & (ids < num_segments)
    total = num_segments * block
    positions = np.where(
        inside[:, None], ids[:, None] * block + np.arange(block)[None, :], total
    ).reshape(data.shape)
    return data, ids, inside, num_segments, (num_segments,) + data.shape[1:], positions


@op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 (Keras)
    """Sums the rows of `data` that share a segment id (`num_segments` rows out; by
    default the largest id + 1)."""
    data, _, _, _, shape, positions = _segments(data, segment_ids, num_segments, "segment_sum")
    return ScatterAdd(positions, math.prod(shape), shape)(data)


def _segment_extreme(data, segment_ids, num_segments, name, combine, identity):
    data, _, _, _, shape, positions = _segments(data, segment_ids, num_segments, name)
    result = np.full(math.prod(shape), identity, data.data.dtype)
    values = data.data.reshape(-1)
    flat = positions.reshape(-1)
    kept = flat < result.size
    combine.at(result, flat[kept], values[kept])
    # Each output entry takes the gradient of one input entry that reached it.
    sources = np.full(result.size, data.data.size)  # empty segments: no source
    winners = np.flatnonzero(kept)
    winners = winners[values[winners] == result[flat[winners]]]
    sources[flat[winners]] = winners
    out = Rearrange(sources.reshape(shape))(data)
    empty = sources.reshape(shape) == data.data.size
    if np.any(empty):
        out = _constant(np.where(empty, result.reshape(shape), 0).astype(result.dtype)) + out
    return out


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


@op
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 (Keras)
    """Maximum of the rows that share a segment id (-inf, or the lowest integer, for an
    empty segment)."""
    dtype = _tensor(data).data.dtype
    return _segment_extreme(
        data, segment_ids, num_segments, "segment_max", np.maximum, _lowest(dtype)
    )


@op
def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 (Keras)
    """Minimum of the rows that share a segment id (inf, or the highest integer, for an
    empty segment)."""
    dtype = _tensor(data).data.dtype
    return _segment_extreme(
        data, segment_ids, num_segments, "segment_min", np.minimum, _highest(dtype)
    )


class SegmentProd(Function):
    """Products of the rows of each segment; the gradient of an entry is the product of
    the other entries of its segment."""

    def __init__(self, positions, shape):
        self.positions, self.shape = positions, shape

    def forward(self, x):
        self.x = x
        out = np.ones(math.prod(self.shape) + 1, x.dtype)
        np.multiply.at(out, self.positions, x)
        self.out = out
        return out[:-1].reshape(self.shape)

    def backward(self, gy):
        g = np.append(gy.reshape(-1), np.zeros(1, gy.dtype))[self.positions]
        x = self.x
        others = np.empty_like(x)
        safe = x != 0
        others[safe] = self.out[self.positions][safe] / x[safe]
        for index in zip(*np.nonzero(~safe)):  # a zero entry: multiply the others directly
            rest = np.ones(self.out.shape, x.dtype)
            masked = x.copy()
            masked[index] = 1
            np.multiply.at(rest, self.positions, masked)
            others[index] = rest[self.positions[index]]
        return g * others


@op
def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 (Keras)
    """Product of the rows that share a segment id (1 for an empty segment)."""
    data, _, _, _, shape, positions = _segments(data, segment_ids, num_segments, "segment_prod")
    return SegmentProd(positions, shape)(data)


# -- control flow (eager) ------------------------------------------------------------------
def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`."""
    value = pred.data if isinstance(pred, Tensor) else pred
    return true_fn() if bool(np.asarray(value)) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`; an index outside the range picks the nearest end (as
    JAX does)."""
    if not branches:
        raise ValueError("switch: `branches` must not be empty.")
    value = int(np.asarray(index.data if isinstance(index, Tensor) else index))
    return branches[min(max(value, 0), len(branches) - 1)](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for `i` in `range(lower, upper)`; returns `val`."""
    value = init_val
    for i in range(int(np.asarray(lower)), int(np.asarray(upper))):
        value = body_fun(i, value)
    return value


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` (at most
    `maximum_iterations` times); a single loop variable may be passed bare."""
    is_sequence = isinstance(loop_vars, (tuple, list))
    values = tuple(loop_vars) if is_sequence else (loop_vars,)
    count = 0
    while bool(np.asarray(_plain(cond(*values)))):
        if maximum_iterations is not None and count >= maximum_iterations:
            break
        outputs = body(*values)
        values = tuple(outputs) if is_sequence else (outputs,)
        count += 1
    return values if is_sequence else values[0]


def _plain(value):
    return value.data if isinstance(value, Tensor) else value


def _stack_structures(results):
    """A list of structures of tensors -> one structure of stacked tensors."""
    flat = [tree.flatten(r) for r in results]
    stacked = [stack(list(parts), axis=0) for parts in zip(*flat)]
    iterator = iter(stacked)
    return tree.map_structure(lambda _: next(iterator), results[0])


def _slices(xs):
    """The structure `xs` cut along its leading axis: a list of structures."""
    flat = [_tensor(x) for x in tree.flatten(xs)]
    length = flat[0].shape[0] if flat else 0
    for x in flat:
        if x.ndim == 0 or x.shape[0] != length:
            raise ValueError("All inputs must share the size of their leading axis.")
    result = []
    for i in range(length):
        result.append(_rebuild(xs, [x[i] for x in flat]))
    return result, length


def _rebuild(structure, leaves):
    """`structure` with its leaves replaced, in order, by `leaves`."""
    iterator = iter(leaves)
    return tree.map_structure(lambda _: next(iterator), structure)


def map(f, xs):
    """`f` applied to each slice of `xs` along its leading axis, the results stacked."""
    slices, length = _slices(xs)
    if not length:
        raise ValueError("map: `xs` has no entries along its leading axis.")
    return _stack_structures([f(x) for x in slices])


def vectorized_map(function, elements):
    """Same as `map` (one call per slice)."""
    return map(function, elements)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """`carry, y = f(carry, x)` over the slices of `xs` (or `length` times with x None);
    returns the last carry and the stacked `y`s.

    Args:
        reverse: go through the slices from the last to the first (the `y`s keep the
            slices' order).
        unroll: accepted for compatibility (every step runs in Python anyway).
    """
    if not isinstance(unroll, (bool, int)):
        raise TypeError(f"scan: `unroll` must be an int or a bool, got {unroll!r}.")
    if xs is None:
        if length is None:
            raise ValueError("scan: pass `xs` or `length`.")
        slices = [None] * int(length)
    else:
        slices, size = _slices(xs)
        if length is not None and int(length) != size:
            raise ValueError(f"scan: `length` {length} differs from the size of `xs` {size}.")
    order = range(len(slices) - 1, -1, -1) if reverse else range(len(slices))
    carry, ys = init, [None] * len(slices)
    for i in order:
        carry, ys[i] = f(carry, slices[i])
    if not ys or ys[0] is None:
        return carry, None
    return carry, _stack_structures(ys)


def associative_scan(f, elems, reverse=False, axis=0):
    """Running combination `out[i] = f(out[i-1], elems[i])` along `axis` (from the end
    with `reverse`). `f` must be associative; here it runs left to right, so results equal
    a parallel scan's up to floating-point rounding."""
    flat = [_tensor(e) for e in tree.flatten(elems)]
    axis = _one_axis(axis, flat[0].ndim, "associative_scan")
    length = flat[0].shape[axis]
    if any(e.shape[axis] != length for e in flat):
        raise ValueError("associative_scan: all elems need the same size along `axis`.")

    def piece(i):
        index = (slice(None),) * axis + (i,)
        parts = iter([e[index] for e in flat])
        return tree.map_structure(lambda _: next(parts), elems)

    order = list(range(length))[::-1] if reverse else list(range(length))
    results = [None] * length
    total = None
    for i in order:
        total = (
            piece(i) if total is None else (f(piece(i), total) if reverse else f(total, piece(i)))
        )
        results[i] = total
    flat_results = [tree.flatten(r) for r in results]
    stacked = [stack(list(parts), axis=axis) for parts in zip(*flat_results)]
    iterator = iter(stacked)
    return tree.map_structure(lambda _: next(iterator), elems)


# -- custom gradients ---------------------------------------------------------------------
class CustomGradient(Function):
    """Runs a user function forward without recording and calls its `grad` backward."""

    def __init__(self, fn):
        self.fn = fn

    def forward(self, *arrays):
        with no_grad():
            output, self.grad_fn = self.fn(*[Tensor(a, dtype=a.dtype) for a in arrays])
        self.shapes = [a.shape for a in arrays]
        return _tensor(output).data

    def backward(self, gy):
        with no_grad():
            grads = self.grad_fn(Tensor(gy, dtype=gy.dtype))
        grads = grads if isinstance(grads, (list, tuple)) else (grads,)
        if len(grads) != len(self.shapes):
            raise ValueError(
                f"custom_gradient: the gradient function returned {len(grads)} gradients for "
                f"{len(self.shapes)} inputs."
            )
        result = []
        for g, shape in zip(grads, self.shapes):
            array = None if g is None else np.broadcast_to(_tensor(g).data, shape)
            result.append(None if array is None else array.astype(gy.dtype, copy=False))
        return result[0] if len(result) == 1 else tuple(result)


def custom_gradient(f):
    """Decorator: `f(*tensors)` returns `(output, grad)` and `grad(upstream)` returns the
    gradient of each input (a tensor, or a tuple for several inputs).

    Example:
        >>> @ops.custom_gradient
        ... def clip_gradient(x):
        ...     def grad(upstream):
        ...         return ops.clip(upstream, -1.0, 1.0)
        ...     return x, grad
    """

    def wrapper(*args):
        tensors = [_tensor(a) for a in args]
        return CustomGradient(f)(*tensors)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper


# -- conversions and special functions ------------------------------------------------------
def _range_of(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind in "iu":
        return np.iinfo(dtype).min, np.iinfo(dtype).max
    return np.finfo(dtype).min, np.finfo(dtype).max


@op
def saturate_cast(x, dtype):
    """Casts to `dtype`, first clipping values to its range (no wrap-around)."""
    x = _tensor(x)
    in_dtype, out_dtype = x.data.dtype, np.dtype(dtype)
    in_min, in_max = _range_of(in_dtype)
    out_min, out_max = _range_of(out_dtype)
    # The limits in the input dtype, nudged inwards where rounding pushed them out.
    low = np.asarray(np.maximum(in_min, out_min)).astype(in_dtype)
    if low < out_min:
        low = np.nextafter(low, 0, dtype=in_dtype)
    high = np.asarray(np.minimum(in_max, out_max)).astype(in_dtype)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=in_dtype)
    clipped = clip(x, low, high) if in_dtype.kind != "b" else x
    return _arith.cast(clipped, out_dtype)


def _erfinv_array(y):
    """Inverse error function: a rational first guess refined by Newton steps in float64."""
    y64 = y.astype(np.float64)
    with np.errstate(all="ignore"):  # y = +-1 gives infinities, replaced at the end
        return _erfinv_float64(y64).astype(y.dtype)


def _erfinv_float64(y64):
    w = -np.log((1.0 - y64) * (1.0 + y64))
    guess = np.where(
        w < 5.0,
        _poly(
            [2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
             -0.00125372503, -0.00417768164, 0.246640727, 1.50140941],
            w - 2.5,
        ),
        _poly(
            [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
             -0.0076224613, 0.00943887047, 1.00167406, 2.83297682],
            np.sqrt(np.maximum(w, 5.0)) - 3.0,
        ),
    ) * y64  # fmt: skip
    x = guess
    for _ in range(2):
        x = x - (erf_array(x) - y64) / (2.0 / math.sqrt(math.pi) * np.exp(-x * x))
    return np.where(np.abs(y64) == 1, np.sign(y64) * np.inf, x)


def _poly(coefficients, t):
    result = np.full_like(t, coefficients[0])
    for c in coefficients[1:]:
        result = result * t + c
    return result


@op
def erfinv(x):
    """Inverse error function (`erf(erfinv(x)) == x` on (-1, 1))."""
    return Elementwise(_erfinv_array, lambda x, y: (math.sqrt(math.pi) / 2) * np.exp(np.square(y)))(
        _float_tensor(x)
    )


@op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` entries every `sequence_stride` along the last axis:
    shape `(..., frames, sequence_length)`."""
    x = _tensor(x)
    for name, value in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride)):
        # int() would truncate a stride of 1.5 to 1 without a word.
        if not isinstance(value, int | np.integer):
            raise TypeError(f"extract_sequences: `{name}` must be an integer, got {value!r}.")
    length, stride = int(sequence_length), int(sequence_stride)
    if x.ndim == 0 or length < 1 or stride < 1 or length > x.shape[-1]:
        raise ValueError(
            f"extract_sequences: need a tensor of rank >= 1 whose last axis (shape {x.shape}) "
            f"holds at least sequence_length={length}; sequence_stride={stride} must be >= 1."
        )
    frames = (x.shape[-1] - length) // stride + 1
    positions = np.arange(x.data.size).reshape(x.shape)
    windows = (np.arange(frames) * stride)[:, None] + np.arange(length)[None, :]
    return Rearrange(positions[..., windows])(x)


@op
def view_as_real(x):
    """A complex tensor as floats with a last axis of size 2 (real, imaginary)."""
    data = _tensor(x).data
    if data.dtype.kind != "c":
        raise ValueError(f"view_as_real: expected a complex tensor, got dtype {data.dtype}.")
    return _constant(np.stack([data.real, data.imag], axis=-1))


@op
def view_as_complex(x):
    """Floats with a last axis of size 2 (real, imaginary) as a complex tensor."""
    data = _tensor(x).data
    if data.ndim == 0 or data.shape[-1] != 2:
        raise ValueError(f"view_as_complex: the last axis must have size 2, got {data.shape}.")
    dtype = np.complex128 if data.dtype == np.float64 else np.complex64
    return _constant((data[..., 0] + 1j * data[..., 1]).astype(dtype))


@op
def polar(abs_, angle):
    """The complex tensor `abs_ * (cos(angle) + i sin(angle))` (no gradient)."""
    magnitude = _float_tensor(abs_).data
    phase = _float_tensor(angle).data
    dtype = np.complex128 if magnitude.dtype == np.float64 else np.complex64
    return _constant((magnitude * np.cos(phase) + 1j * magnitude * np.sin(phase)).astype(dtype))


@op
def cdist(x, y):
    """Euclidean distances between the rows of `x` (..., P, M) and `y` (..., R, M):
    shape (..., P, R)."""
    from minikeras.ops.numpy import expand_dims, sqrt, square, subtract
    from minikeras.ops.numpy import sum as _sum

    x, y = _float_tensor(x), _float_tensor(y)
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"cdist: inputs need rank >= 2 and the same last axis, got {x.shape} and {y.shape}."
        )
    differences = subtract(expand_dims(x, -2), expand_dims(y, -3))
    return sqrt(_sum(square(differences), axis=-1))


# -- einops-style rearrange -------------------------------------------------------------------
def _pattern_groups(side, pattern):
    groups = []
    for grouped, single in re.findall(r"\(([^)]*)\)|(\w+)", side):
        groups.append(grouped.split() if not single else [single])
    names = [name for group in groups for name in group]
    if len(set(names)) != len(names):
        raise ValueError(f"rearrange: repeated axis name in {pattern!r}.")
    return groups


@op
def rearrange(tensor, pattern, **axes_lengths):
    """Reorders, splits and merges axes by an einops pattern such as `"b h w c -> b (h w) c"`
    or `"b (h p) w -> b h p w"` (sizes that cannot be inferred go in `axes_lengths`)."""
    from minikeras.ops.numpy import transpose

    x = _tensor(tensor)
    if pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern needs one '->', got {pattern!r}.")
    left, right = pattern.split("->")
    inputs, outputs = _pattern_groups(left, pattern), _pattern_groups(right, pattern)
    if len(inputs) != x.ndim:
        raise ValueError(
            f"rearrange: the pattern {pattern!r} names {len(inputs)} axes for a tensor of "
            f"shape {x.shape}."
        )
    sizes = {name: int(size) for name, size in axes_lengths.items()}
    for group, dim in zip(inputs, x.shape):
        unknown = [name for name in group if name not in sizes]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}.")
        known = math.prod(sizes[name] for name in group if name in sizes)
        if unknown:
            sizes[unknown[0]] = dim // known if known else 0
        if math.prod(sizes[name] for name in group) != dim:
            raise ValueError(f"rearrange: axis {group} of size {dim} does not fit {pattern!r}.")
    elementary = [name for group in inputs for name in group]
    ordered = [name for group in outputs for name in group]
    if sorted(elementary) != sorted(ordered):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes "
            f"({sorted(elementary)} and {sorted(ordered)})."
        )
    x = reshape(x, tuple(sizes[name] for name in elementary))
    x = transpose(x, [elementary.index(name) for name in ordered])
    return reshape(x, tuple(math.prod(sizes[name] for name in group) for group in outputs))
