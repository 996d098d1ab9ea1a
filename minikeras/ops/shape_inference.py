"""Output shapes of ops on symbolic tensors whose sizes may be unknown (None), by Keras 3's rules.

Most ops find their output shape by running on arrays of ones (see `symbolic.py`). That
cannot work when an unknown size has to be matched against a known one: `(None, 3) + (2, None)`
is `(2, 3)` in Keras, but no single choice of sizes for the two Nones runs. The ops where this
happens (broadcasting, products, joining, reshaping, indexing) get a rule here, used as
`@op(output_spec=rule)`. A rule takes the op and its arguments, checks the sizes that are known
(raising ValueError with both shapes when they cannot fit) and returns KerasTensors; output
dtypes come from running the op once on arrays whose sizes are all 1.

Example:
    >>> broadcast_shapes((None, 3), (2, None))
    (2, 3)
"""

import inspect
import math

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.ops.symbolic import KerasTensor, probe_output_spec, unit_probe_dtypes


def shape_of(value):
    """The shape of a (symbolic) tensor, array or Python number (a number's shape is ())."""
    if isinstance(value, (KerasTensor, Tensor, np.ndarray)):
        return tuple(value.shape)
    return np.shape(value)


def broadcast_dims(a, b):
    """One broadcast size: 1 gives way to anything, None (unknown) to a known size.

    Returns None for an unknown result, and also when two known sizes do not broadcast
    (callers tell the two apart by checking that both inputs were known).
    """
    if a == 1:
        return b
    if b == 1 or b is None:
        return a
    if a is None or a == b:
        return b
    return None


def broadcast_shapes(shape1, shape2, name="broadcast"):
    """The shape of `x1 op x2` for shapes that may hold None, aligned on the right.

    Raises:
        ValueError: when two known sizes differ and neither is 1.
    """
    ndim = max(len(shape1), len(shape2))
    padded1 = (1,) * (ndim - len(shape1)) + tuple(shape1)
    padded2 = (1,) * (ndim - len(shape2)) + tuple(shape2)
    result = []
    for a, b in zip(padded1, padded2):
        size = broadcast_dims(a, b)
        if size is None and a is not None and b is not None:
            raise ValueError(
                f"{name}: shapes {tuple(shape1)} and {tuple(shape2)} cannot be broadcast "
                f"together (sizes {a} and {b})."
            )
        result.append(size)
    return tuple(result)


def _check_same_size(a, b, shape1, shape2, name, what):
    if a is not None and b is not None and a != b:
        raise ValueError(
            f"{name}: incompatible shapes {tuple(shape1)} and {tuple(shape2)} ({what}: sizes "
            f"{a} and {b})."
        )


# -- elementwise --------------------------------------------------------------------------
def elementwise(fn, *args, **kwargs):
    """Ops on two or three operands that broadcast (add, less, where...)."""
    operands = [operand for operand in (*args, *kwargs.values()) if operand is not None]
    if len(operands) < 2:  # where(condition) alone lists indices: nothing to broadcast
        return probe_output_spec(fn, args, kwargs)
    shape = shape_of(operands[0])
    for operand in operands[1:]:
        shape = broadcast_shapes(shape, shape_of(operand), fn.__name__)
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, args, kwargs))


def linspace(fn, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`start` and `stop` broadcast, with a new axis of `num` values at `axis`."""
    kwargs = {"endpoint": endpoint, "retstep": retstep, "dtype": dtype, "axis": axis}
    if retstep:
        return probe_output_spec(fn, (start, stop, num), kwargs)
    shape = broadcast_shapes(shape_of(start), shape_of(stop), "linspace")
    axis = _normalize_axis(axis, len(shape) + 1, "linspace")
    shape = shape[:axis] + (int(num),) + shape[axis:]
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (start, stop, num), kwargs))


def spaced(fn, *args, **kwargs):
    """`geomspace`/`logspace`: as `linspace`, `start` and `stop` broadcast, with a new axis of
    `num` values at `axis`."""
    arguments = _bound_arguments(fn, args, kwargs)
    shape = broadcast_shapes(shape_of(arguments["start"]), shape_of(arguments["stop"]), fn.__name__)
    axis = _normalize_axis(arguments["axis"], len(shape) + 1, fn.__name__)
    shape = shape[:axis] + (int(arguments["num"]),) + shape[axis:]
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, args, kwargs))


def _bound_arguments(fn, args, kwargs):
    """`fn`'s arguments by name, defaults filled in."""
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def allclose(fn, x1, x2, *args, **kwargs):
    """One boolean, once the shapes are known to broadcast."""
    broadcast_shapes(shape_of(x1), shape_of(x2), "allclose")
    return KerasTensor((), dtype="bool")


# -- products -----------------------------------------------------------------------------
def inner(fn, x1, x2):
    """The axes of `x1` but its last, then those of `x2` but its last (a product for a scalar)."""
    shape1, shape2 = shape_of(x1), shape_of(x2)
    if not shape1 or not shape2:
        shape = broadcast_shapes(shape1, shape2, "inner")
    else:
        _check_same_size(shape1[-1], shape2[-1], shape1, shape2, "inner", "last axis")
        shape = shape1[:-1] + shape2[:-1]
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (x1, x2), {}))


def cross(fn, x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Vectors on the last axes (other axes are probed): the other axes broadcast, then 3
    components, or none when both vectors have 2."""
    keywords = {"axisa": axisa, "axisb": axisb, "axisc": axisc, "axis": axis}
    shape1, shape2 = shape_of(x1), shape_of(x2)
    ends = (axisa, axisb, axisc) == (-1, -1, -1) and axis in (None, -1)
    if not ends or not shape1 or not shape2 or None in (shape1[-1], shape2[-1]):
        return probe_output_spec(fn, (x1, x2), keywords)
    if shape1[-1] not in (2, 3) or shape2[-1] not in (2, 3):
        raise ValueError(
            f"cross: the vector axes need size 2 or 3, got shapes {shape1} and {shape2}."
        )
    shape = broadcast_shapes(shape1[:-1], shape2[:-1], "cross")
    shape += () if shape1[-1] == shape2[-1] == 2 else (3,)
    # The dtype from one pair of vectors (the size-1 probes of other rules are no vectors).
    vectors = [np.ones(s[-1:], dtype=x.dtype) for s, x in ((shape1, x1), (shape2, x2))]
    return KerasTensor(shape, dtype=np.dtype(fn(*vectors).dtype).name)


def matmul(fn, x1, x2):
    """numpy's matmul: 1-D operands gain an axis that is dropped again; batch axes broadcast."""
    shape1, shape2 = shape_of(x1), shape_of(x2)
    if not shape1 or not shape2:
        raise ValueError(f"matmul: operands must not be scalars, got {shape1} and {shape2}.")
    a = (1, *shape1) if len(shape1) == 1 else shape1
    b = (*shape2, 1) if len(shape2) == 1 else shape2
    _check_same_size(a[-1], b[-2], shape1, shape2, "matmul", "contracted axis")
    batch = broadcast_shapes(a[:-2], b[:-2], "matmul")
    shape = batch + (a[-2],) * (len(shape1) > 1) + (b[-1],) * (len(shape2) > 1)
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (x1, x2), {}))


def dot(fn, x1, x2):
    """numpy's dot: a product with scalars, else the last axis of `x1` against the
    second-to-last (or only) axis of `x2`."""
    shape1, shape2 = shape_of(x1), shape_of(x2)
    if not shape1 or not shape2:
        shape = shape1 or shape2
    else:
        contracted = shape2[-2] if len(shape2) > 1 else shape2[0]
        _check_same_size(shape1[-1], contracted, shape1, shape2, "dot", "contracted axis")
        shape = shape1[:-1] + shape2[:-2] + shape2[-1:] * (len(shape2) > 1)
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (x1, x2), {}))


def tensordot(fn, x1, x2, axes=2):
    """The axes of `x1` not summed over, then those of `x2`."""
    from minikeras.ops.products import _tensordot_axes

    a = KerasTensor(shape_of(x1))
    b = KerasTensor(shape_of(x2))
    a_axes, b_axes = _tensordot_axes(axes, a, b)
    for i, j in zip(a_axes, b_axes):
        _check_same_size(a.shape[i], b.shape[j], a.shape, b.shape, "tensordot", f"axes {i}, {j}")
    shape = tuple(d for i, d in enumerate(a.shape) if i not in a_axes) + tuple(
        d for j, d in enumerate(b.shape) if j not in b_axes
    )
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (x1, x2), {"axes": axes}))


def _product(shape):
    return None if None in shape else math.prod(shape)


def outer(fn, x1, x2):
    """Both operands flattened: `(size of x1, size of x2)`."""
    shape = (_product(shape_of(x1)), _product(shape_of(x2)))
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (x1, x2), {}))


def einsum(fn, subscripts, *operands, **kwargs):
    """Each index letter takes the size its operands know (all known sizes must agree)."""
    from minikeras.ops.products import parse_einsum

    shapes = [shape_of(x) for x in operands]
    terms, output = parse_einsum(subscripts, [len(s) for s in shapes])
    sizes = {}
    for term, shape in zip(terms, shapes):
        for letter, size in zip(term, shape):
            if letter not in sizes:
                sizes[letter] = size
                continue
            known = sizes[letter]
            sizes[letter] = broadcast_dims(known, size)
            if sizes[letter] is None and known is not None and size is not None:
                raise ValueError(
                    f"einsum: incompatible shapes {' and '.join(map(str, shapes))} for "
                    f"{subscripts!r} (index {letter!r} has sizes {known} and {size})."
                )
    shape = tuple(sizes[letter] for letter in output)
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (subscripts, *operands), kwargs))


# -- joining and splitting ----------------------------------------------------------------
def _normalize_axis(axis, ndim, name):
    from minikeras.ops._arguments import _one_axis

    return _one_axis(axis, ndim, name)


def _joined(xs, name, new_axis):
    """Checks every shape against the first (unknown sizes fit anything), as Keras does."""
    first = shape_of(xs[0])
    for x in xs[1:]:
        shape = shape_of(x)
        if len(shape) != len(first):
            raise ValueError(
                f"{name}: every tensor needs the same rank, got shapes {first} and {shape}."
            )
        for axis, (a, b) in enumerate(zip(first, shape)):
            if axis != new_axis:
                _check_same_size(a, b, first, shape, name, f"axis {axis}")
    return first


def concatenate(fn, xs, axis=0):
    """The first tensor's shape, with the sizes along `axis` added (unknown if one is)."""
    if axis is None:
        raise ValueError("concatenate: axis=None is not supported; flatten the tensors first.")
    first = shape_of(xs[0])
    axis = _normalize_axis(axis, len(first), "concatenate")
    first = _joined(xs, "concatenate", axis)
    sizes = [shape_of(x)[axis] for x in xs]
    total = None if None in sizes else sum(sizes)
    shape = first[:axis] + (total,) + first[axis + 1 :]
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (xs,), {"axis": axis}))


def stack(fn, x, axis=0):
    """The first tensor's shape with a new axis of size `len(x)`."""
    first = _joined(x, "stack", None)
    axis = _normalize_axis(axis, len(first) + 1, "stack")
    shape = first[:axis] + (len(x),) + first[axis:]
    return KerasTensor(shape, dtype=unit_probe_dtypes(fn, (x,), {"axis": axis}))


def split(fn, x, indices_or_sections, axis=0):
    """Sections along an unknown axis are unknown; split points still give known sizes.

    Also `array_split`'s rule (which differs from `split` only on a known size).
    """
    shape = shape_of(x)
    if not shape:
        raise ValueError("split: cannot split a scalar (shape ()).")
    axis = _normalize_axis(axis, len(shape), "split")
    size = shape[axis]
    if size is not None:
        return probe_output_spec(fn, (x, indices_or_sections), {"axis": axis})
    if isinstance(indices_or_sections, (int, np.integer)):
        sizes = [None] * int(indices_or_sections)
    else:
        points = [int(i) for i in indices_or_sections]
        sizes = [b - a for a, b in zip([0, *points], points)] + [None]
    return [KerasTensor(shape[:axis] + (s,) + shape[axis + 1 :], dtype=x.dtype) for s in sizes]


def repeat(fn, x, repeats, axis=None):
    """Each entry repeated along `axis` (of the flattened tensor when None). The new size is
    unknown when the axis size or the counts are; a list of counts must match a known size."""
    shape = shape_of(x)
    if axis is None:
        shape, axis = (_product(shape),), 0
    axis = _normalize_axis(axis, len(shape), "repeat")
    size = shape[axis]
    total = None
    if not isinstance(repeats, KerasTensor):
        counts = np.reshape(repeats.numpy() if isinstance(repeats, Tensor) else repeats, -1)
        if counts.size != 1 and size is not None and counts.size != size:
            raise ValueError(f"repeat: {counts.size} repeat counts for axis {axis} of size {size}.")
        if size is not None:
            total = size * int(counts[0]) if counts.size == 1 else int(counts.sum())
    return KerasTensor(shape[:axis] + (total,) + shape[axis + 1 :], dtype=x.dtype)


# -- shapes -------------------------------------------------------------------------------
def reshape(fn, x, newshape):
    """A -1 takes the remaining size, which is unknown when `x` has an unknown size.

    A fully known `x` must fit the new shape; sizes of a partly unknown `x` are trusted.
    """
    shape = shape_of(x)
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    newshape = tuple(None if d is None else int(d) for d in newshape)
    if newshape.count(-1) > 1:
        raise ValueError(f"reshape: only one -1 is allowed, got {newshape}.")
    if None in shape or None in newshape:
        unknown = None
    else:
        size = math.prod(shape)
        known = math.prod(d for d in newshape if d != -1)
        unknown = size // known if known and -1 in newshape else None
        if (-1 in newshape and (known == 0 or size % known)) or (
            -1 not in newshape and known != size
        ):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {shape} into {newshape}.")
    return KerasTensor(tuple(unknown if d == -1 else d for d in newshape), dtype=x.dtype)


def broadcast_to(fn, x, shape):
    """Exactly `shape`; each size of `x` (aligned on the right) must be 1, unknown or equal."""
    x_shape = shape_of(x)
    shape = tuple(None if d is None else int(d) for d in shape)
    if len(x_shape) > len(shape):
        raise ValueError(f"broadcast_to: cannot broadcast shape {x_shape} to {shape} (fewer axes).")
    for a, b in zip(x_shape[::-1], shape[::-1]):
        if a not in (1, None) and b is not None and a != b:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x_shape} to {shape}.")
    return KerasTensor(shape, dtype=x.dtype)


# -- indexing -----------------------------------------------------------------------------
def get_item(fn, x, key):
    """Basic indexing (ints, slices, None, `...`); other keys are probed.

    An int on an unknown size is trusted; on a known size it must be in range. A slice of an
    unknown size has an unknown length.
    """
    parts = key if isinstance(key, tuple) else (key,)
    basic = (int, np.integer, slice, type(None), type(Ellipsis))
    if not all(isinstance(part, basic) and not isinstance(part, bool) for part in parts):
        return probe_output_spec(fn, (x, key), {})
    shape = shape_of(x)
    if sum(part is Ellipsis for part in parts) > 1:
        raise ValueError(f"get_item: an index can only have one ellipsis ('...'), got {key}.")
    consumed = sum(part is not None and part is not Ellipsis for part in parts)
    if consumed > len(shape):
        raise ValueError(
            f"get_item: too many indices for a tensor of shape {shape}: {key} indexes "
            f"{consumed} axes."
        )
    if Ellipsis in parts:
        at = parts.index(Ellipsis)
        parts = parts[:at] + (slice(None),) * (len(shape) - consumed) + parts[at + 1 :]
    else:
        parts = parts + (slice(None),) * (len(shape) - consumed)
    result, axis = [], 0
    for part in parts:
        if part is None:
            result.append(1)
            continue
        size = shape[axis]
        axis += 1
        if isinstance(part, slice):
            result.append(None if size is None else len(range(*part.indices(size))))
        elif size is not None and not -size <= part < size:
            raise ValueError(
                f"get_item: index {part} is out of bounds for axis {axis - 1} with size {size} "
                f"(shape {shape})."
            )
    return KerasTensor(tuple(result), dtype=x.dtype)


def take_along_axis(fn, x, indices, axis=None):
    """The sizes of `indices` along `axis`, the other axes broadcast with `x`'s."""
    if axis is None:
        return probe_output_spec(fn, (x, indices), {"axis": axis})
    x_shape, index_shape = shape_of(x), shape_of(indices)
    if len(x_shape) != len(index_shape):
        raise ValueError(
            f"take_along_axis: x {x_shape} and indices {index_shape} need the same rank."
        )
    axis = _normalize_axis(axis, len(x_shape), "take_along_axis")
    others = [1 if i == axis else d for i, d in enumerate(x_shape)]
    shape = list(broadcast_shapes(others, index_shape, "take_along_axis"))
    return KerasTensor(tuple(shape), dtype=x.dtype)


def in_top_k(fn, targets, predictions, k):
    """One boolean per target: the batch size of `targets` or, if unknown, of `predictions`."""
    targets_shape, predictions_shape = shape_of(targets), shape_of(predictions)
    if len(targets_shape) != 1 or len(predictions_shape) != 2:
        return probe_output_spec(fn, (targets, predictions, k), {})
    size = broadcast_shapes(targets_shape, predictions_shape[:1], "in_top_k")
    return KerasTensor(size, dtype="bool")
