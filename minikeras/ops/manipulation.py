"""Changing shapes and joining tensors: `reshape`, `transpose`, `moveaxis`, `expand_dims`,
`squeeze`, `concatenate`, `stack`, `split`, `tile`, `repeat`, `broadcast_to`, `flip`, `pad`,
their numpy relatives (`hstack`, `append`, `array_split`, `meshgrid`, ...), the plain-Python
shape helpers (`broadcast_shapes`, `shape_equal`) and `vectorize`.

Ops that only view or rearrange their input pass the gradient back the same way (a reshape
of the gradient, a slice of it per piece of a `concatenate`, a sum over the copies of a
`tile`).
"""

import builtins
import math
import re

import numpy as np

from minikeras.autodiff import Function, Tensor, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import _constant, _one_axis, _promote_all, _tensor, normalize_axis
from minikeras.ops.elementwise import multiply
from minikeras.ops.symbolic import op

__all__ = [
    "append",
    "array_split",
    "broadcast_shapes",
    "broadcast_to",
    "concatenate",
    "dsplit",
    "dstack",
    "expand_dims",
    "flip",
    "hsplit",
    "hstack",
    "meshgrid",
    "moveaxis",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "shape_equal",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
    "vectorize",
    "view",
    "vsplit",
    "vstack",
]


# -- shapes -------------------------------------------------------------------------------
@op(output_spec=_shapes.reshape)
def reshape(x, newshape):
    """Returns `x` with a new shape (one dimension may be -1)."""
    x = _tensor(x)
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    newshape = tuple(-1 if d is None else int(d) for d in newshape)
    known = math.prod(d for d in newshape if d != -1)
    unknown = newshape.count(-1)
    if (
        unknown > 1
        or (unknown == 0 and known != x.size)
        or (unknown == 1 and (known == 0 or x.size % known))
    ):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} into {newshape}.")
    return _arith.Reshape(newshape)(x)


@op
def ravel(x):
    """Flattens `x` to one dimension."""
    return _arith.Reshape((-1,))(_tensor(x))


@op
def transpose(x, axes=None):
    """Permutes the axes of `x` (reverses them by default)."""
    x = _tensor(x)
    if axes is not None:
        axes = [_one_axis(a, x.ndim, "transpose") for a in axes]
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {x.shape}.")
    return _arith.Transpose(axes)(x)


@op
def swapaxes(x, axis1, axis2):
    """Exchanges two axes."""
    x = _tensor(x)
    perm = list(range(x.ndim))
    a, b = _one_axis(axis1, x.ndim, "swapaxes"), _one_axis(axis2, x.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return _arith.Transpose(perm)(x)


@op
def moveaxis(x, source, destination):
    """Moves axes to new positions, keeping the order of the others."""
    x = _tensor(x)
    source = [source] if isinstance(source, (int, np.integer)) else list(source)
    destination = [destination] if isinstance(destination, (int, np.integer)) else destination
    source = [_one_axis(a, x.ndim, "moveaxis") for a in source]
    destination = [_one_axis(a, x.ndim, "moveaxis") for a in destination]
    perm = [i for i in range(x.ndim) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        perm.insert(dest, src)
    return _arith.Transpose(perm)(x)


@op
def expand_dims(x, axis):
    """Inserts size-1 axes at the positions `axis` (an int or a tuple) of the result."""
    x = _tensor(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    axes = normalize_axis(axes, out_ndim, "expand_dims")
    sizes = iter(x.shape)
    shape = tuple(1 if i in axes else next(sizes) for i in range(out_ndim))
    return _arith.Reshape(shape)(x)


@op
def squeeze(x, axis=None):
    """Removes size-1 axes (all of them, or those in `axis`)."""
    x = _tensor(x)
    if axis is None:
        axes = tuple(i for i, size in enumerate(x.shape) if size == 1)
    else:
        axes = normalize_axis(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(
                    f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} (shape {x.shape})."
                )
    shape = tuple(size for i, size in enumerate(x.shape) if i not in axes)
    return _arith.Reshape(shape)(x)


class Concatenate(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return np.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        bounds = np.cumsum(self.sizes)[:-1]
        parts = np.split(gy, bounds, axis=self.axis)
        return tuple(p if needs else None for p, needs in zip(parts, self.needs_grad))


@op(output_spec=_shapes.concatenate)
def concatenate(xs, axis=0):
    """Joins tensors along an existing axis; their other dimensions must match."""
    tensors = _promote_all([_tensor(x) for x in xs])
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor.")
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("concatenate: cannot concatenate scalars (shape ()).")
    axis = _one_axis(axis, first.ndim, "concatenate")
    for t in tensors[1:]:
        if t.ndim != first.ndim or builtins.any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        ):
            raise ValueError(
                f"concatenate: incompatible shapes {first.shape} and {t.shape} along axis "
                f"{axis} (all dimensions except the axis must match)."
            )
    return Concatenate(axis)(*tensors)


class Stack(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def backward(self, gy):
        lead = (slice(None),) * self.axis
        return tuple(gy[(*lead, i)] if needs else None for i, needs in enumerate(self.needs_grad))


@op(output_spec=_shapes.stack)
def stack(x, axis=0):
    """Joins tensors of the same shape along a new axis."""
    tensors = _promote_all([_tensor(t) for t in x])
    if not tensors:
        raise ValueError("stack: needs at least one tensor.")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(
                f"stack: incompatible shapes {tensors[0].shape} and {t.shape} "
                "(all tensors must have the same shape)."
            )
    axis = _one_axis(axis, tensors[0].ndim + 1, "stack")
    return Stack(axis)(*tensors)


class Split(Function):
    def __init__(self, sections, axis):
        self.sections, self.axis = sections, axis

    def forward(self, x):
        return tuple(np.split(x, self.sections, axis=self.axis))

    def backward(self, *gys):
        return np.concatenate(gys, axis=self.axis)


@op(output_spec=_shapes.split)
def split(x, indices_or_sections, axis=0):
    """Splits `x` into a list of tensors along `axis`.

    Args:
        indices_or_sections: a number of equal parts, or the indices where to cut.
    """
    x = _tensor(x)
    axis = _one_axis(axis, x.ndim, "split")
    if isinstance(indices_or_sections, (int, np.integer)):
        if indices_or_sections <= 0 or x.shape[axis] % indices_or_sections:
            raise ValueError(
                f"split: cannot split axis {axis} of size {x.shape[axis]} (shape {x.shape}) "
                f"into {indices_or_sections} equal parts."
            )
        sections = int(indices_or_sections)
    else:
        sections = [int(i) for i in indices_or_sections]
    return list(Split(sections, axis)(x))


class Tile(Function):
    def __init__(self, repeats):
        self.repeats = repeats

    def forward(self, x):
        self.x_shape = x.shape
        return np.tile(x, self.repeats)

    def backward(self, gy):
        ndim = gy.ndim
        repeats = (1,) * (ndim - len(self.repeats)) + tuple(self.repeats)
        sizes = (1,) * (ndim - len(self.x_shape)) + tuple(self.x_shape)
        # Each output axis is (copy, position); summing over the copies gives the gradient.
        g = gy.reshape([n for pair in zip(repeats, sizes) for n in pair])
        g = g.sum(axis=tuple(range(0, 2 * ndim, 2)))
        return g.reshape(self.x_shape)


@op
def tile(x, repeats):
    """Repeats the whole tensor `repeats[i]` times along axis i."""
    x = _tensor(x)
    repeats = (repeats,) if isinstance(repeats, (int, np.integer)) else tuple(repeats)
    return Tile(tuple(int(r) for r in repeats))(x)


class Repeat(Function):
    def __init__(self, repeats, axis):
        self.repeats, self.axis = repeats, axis

    def forward(self, x):
        self.x_shape = x.shape
        return np.repeat(x, self.repeats, axis=self.axis)

    def backward(self, gy):
        axis, repeats = self.axis, self.repeats
        if np.ndim(repeats) == 0 or np.size(repeats) == 1:
            r = int(np.reshape(repeats, -1)[0])
            shape = self.x_shape[:axis] + (self.x_shape[axis], r) + self.x_shape[axis + 1 :]
            return gy.reshape(shape).sum(axis=axis + 1)
        # Each output entry adds its gradient to the input entry it copies.
        owner = np.repeat(np.arange(self.x_shape[axis]), repeats)
        gx = np.zeros(self.x_shape, gy.dtype)
        np.add.at(gx, (slice(None),) * axis + (owner,), gy)
        return gx


@op(output_spec=_shapes.repeat)
def repeat(x, repeats, axis=None):
    """Repeats each entry `repeats` times along `axis` (of the flattened tensor by default)."""
    x = _tensor(x)
    if axis is None:
        x = _arith.Reshape((-1,))(x)
        axis = 0
    axis = _one_axis(axis, x.ndim, "repeat")
    if isinstance(repeats, Tensor):
        repeats = repeats.data
    if np.ndim(repeats) and np.size(repeats) not in (1, x.shape[axis]):
        raise ValueError(
            f"repeat: {np.size(repeats)} repeat counts for axis {axis} of size {x.shape[axis]}."
        )
    return Repeat(repeats, axis)(x)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return np.broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


@op(output_spec=_shapes.broadcast_to)
def broadcast_to(x, shape):
    """Repeats size-1 (and missing leading) axes of `x` to reach `shape` (a read-only view)."""
    x = _tensor(x)
    shape = tuple(int(d) for d in shape)
    try:
        if np.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}.") from None
    return BroadcastTo(shape)(x)


class Flip(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.flip(x, self.axis)

    def backward(self, gy):
        return np.flip(gy, self.axis)


@op
def flip(x, axis=None):
    """Reverses the order of the entries along `axis` (all axes by default)."""
    x = _tensor(x)
    return Flip(normalize_axis(axis, x.ndim, "flip"))(x)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


class Pad(Function):
    def __init__(self, pad_width, mode, constant_values):
        self.pad_width, self.mode, self.constant_values = pad_width, mode, constant_values

    def forward(self, x):
        self.x_shape = x.shape
        if self.mode == "constant":
            value = 0 if self.constant_values is None else self.constant_values
            return np.pad(x, self.pad_width, mode="constant", constant_values=value)
        return np.pad(x, self.pad_width, mode=self.mode)

    def backward(self, gy):
        if self.mode == "constant":
            inner = tuple(
                slice(before, before + size)
                for (before, _), size in zip(self.pad_width, self.x_shape)
            )
            return gy[inner]
        # Pad an array of source positions the same way: every output entry then says which
        # input entry it copies, and the gradient scatter-adds back to it.
        size = math.prod(self.x_shape)
        source = np.pad(np.arange(size).reshape(self.x_shape), self.pad_width, mode=self.mode)
        gx = np.zeros(size, gy.dtype)
        np.add.at(gx, source.reshape(-1), gy.reshape(-1))
        return gx.reshape(self.x_shape)


@op
def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads `x` with `pad_width` entries before and after each axis.

    Args:
        pad_width: `((before_0, after_0), (before_1, after_1), ...)`, or one pair / one int
            used for every axis.
        mode: "constant" (default), "edge", "reflect", "symmetric" or "wrap".
        constant_values: the fill value for mode "constant" (0 by default).
    """
    x = _tensor(x)
    mode = str(mode).lower()
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}. Expected one of {list(_PAD_MODES)}.")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"pad: constant_values needs mode='constant', got mode={mode!r}.")
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width} does not fit a tensor of shape {x.shape}."
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must not be negative, got {pad_width}.")
    widths = tuple((int(a), int(b)) for a, b in widths)
    if isinstance(constant_values, Tensor):
        constant_values = constant_values.data
    return Pad(widths, mode, constant_values)(x)


# -- joining and splitting ----------------------------------------------------------------
def _at_least(x, ndim):
    x = _tensor(x)
    if x.ndim >= ndim:
        return x
    if ndim == 2:
        return reshape(x, (1, -1))
    return (
        reshape(x, (1, -1, 1) if x.ndim == 1 else x.shape + (1,))
        if x.ndim
        else reshape(x, (1, 1, 1))
    )


@op
def hstack(xs):
    """Joins tensors column-wise (along axis 1; axis 0 for 1-D tensors)."""
    xs = [_tensor(x) for x in xs]
    return concatenate(xs, axis=0 if builtins.all(x.ndim == 1 for x in xs) else 1)


@op
def vstack(xs):
    """Joins tensors row-wise (1-D tensors become rows)."""
    return concatenate([_at_least(x, 2) for x in xs], axis=0)


@op
def dstack(xs):
    """Joins tensors along a third axis."""
    return concatenate([_at_least(x, 3) for x in xs], axis=2)


@op
def append(x1, x2, axis=None):
    """`x2` appended to `x1` along `axis` (both flattened when None)."""
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], axis=0)
    return concatenate([x1, x2], axis=axis)


@op(output_spec=_shapes.split)
def array_split(x, indices_or_sections, axis=0):
    """Splits into sections that may differ by one in size (the first ones are larger)."""
    x = _tensor(x)
    axis = _one_axis(axis, x.ndim, "array_split")
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"array_split: sections must be positive, got {sections}.")
        size, extra = divmod(x.shape[axis], sections)
        sizes = [size + 1] * extra + [size] * (sections - extra)
        indices_or_sections = np.cumsum(sizes)[:-1].tolist()
    return split(x, indices_or_sections, axis=axis)


def _split_along(x, indices_or_sections, axis, name, min_ndim):
    x = _tensor(x)
    if x.ndim < min_ndim:
        raise ValueError(f"{name}: needs a tensor of rank {min_ndim} or more, got {x.shape}.")
    return split(x, indices_or_sections, axis=axis)


@op
def hsplit(x, indices_or_sections):
    """Splits along axis 1 (axis 0 for 1-D tensors)."""
    x = _tensor(x)
    return _split_along(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit", 1)


@op
def vsplit(x, indices_or_sections):
    """Splits along axis 0."""
    return _split_along(x, indices_or_sections, 0, "vsplit", 2)


@op
def dsplit(x, indices_or_sections):
    """Splits along axis 2."""
    return _split_along(x, indices_or_sections, 2, "dsplit", 3)


@op
def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors (`"xy"`: the first two axes swapped, as numpy)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}.")
    vectors = [reshape(v, (-1,)) for v in x]
    sizes = [v.shape[0] for v in vectors]
    if indexing == "xy" and len(vectors) > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, v in enumerate(vectors):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(vectors) > 1 else i
        shape = [1] * len(vectors)
        shape[axis] = -1
        grids.append(multiply(reshape(v, shape), _constant(np.ones(sizes, v.data.dtype))))
    return grids


# -- shape helpers (plain Python, as in Keras) --------------------------------------------
def broadcast_shapes(shape1, shape2):
    """The shape two tensors broadcast to, as a list (None for unknown sizes).

    Example:
        >>> broadcast_shapes((5, 3), (1, 3))
        [5, 3]
    """
    return list(_shapes.broadcast_shapes(tuple(shape1), tuple(shape2)))


def shape_equal(shape1, shape2, axis=None, allow_none=True):
    """True when two shapes match, ignoring the axes in `axis`.

    Args:
        allow_none: let an unknown size (None) match any size.
    """
    if len(shape1) != len(shape2):
        return False
    ignored = set()
    if axis is not None:
        axes = [axis] if isinstance(axis, int) else axis
        ignored = {a % len(shape1) for a in axes}
    for i, (a, b) in enumerate(zip(shape1, shape2)):
        if i in ignored:
            continue
        if allow_none and (a is None or b is None):
            continue
        if a != b:
            return False
    return True


@op
def view(x, dtype=None):
    """The same bytes read as another dtype (no gradient)."""
    x = _tensor(x)
    if dtype is None:
        return _constant(x.data.copy())
    return _constant(x.data.view(np.dtype(dtype)).copy())


# -- vectorize --------------------------------------------------------------------------------
def _parse_signature(signature):
    """`"(m,n),(n)->(m)"` -> input core dims `[["m","n"], ["n"]]`, output core dims."""
    match = re.fullmatch(r"\s*(.*?)\s*->\s*(.*?)\s*", signature)
    if match is None:
        raise ValueError(f"vectorize: invalid signature {signature!r}.")

    def dims(side):
        return [
            [d.strip() for d in group.split(",") if d.strip()]
            for group in re.findall(r"\(([^)]*)\)", side)
        ]

    inputs, outputs = dims(match.group(1)), dims(match.group(2))
    if len(outputs) != 1:
        raise ValueError(f"vectorize: only one output is supported, got {signature!r}.")
    return inputs, outputs[0]


def vectorize(pyfunc, *, excluded=None, signature=None):
    """Turns `pyfunc` on single entries (or on core slices given by `signature`, such as
    `"(n),(n)->()"`) into a function on whole tensors that broadcasts its arguments.

    It calls `pyfunc` once per entry (or slice) and stacks the results: a convenience, not a
    fast path. Gradients flow through what `pyfunc` computes.
    """
    excluded = set(excluded or ())

    def wrapper(*args, **kwargs):
        positions = [i for i in range(len(args)) if i not in excluded]
        tensors = [_tensor(args[i]) for i in positions]
        if signature is None:
            core_ranks = [0] * len(tensors)
        else:
            core_dims, _ = _parse_signature(signature)
            if len(core_dims) != len(tensors):
                raise ValueError(
                    f"vectorize: the signature {signature!r} has {len(core_dims)} inputs, "
                    f"got {len(tensors)}."
                )
            core_ranks = [len(d) for d in core_dims]
        loop_shapes = [t.shape[: t.ndim - r] for t, r in zip(tensors, core_ranks)]
        loop_shape = np.broadcast_shapes(*loop_shapes) if loop_shapes else ()
        broadcast = [
            t if t.shape[: t.ndim - r] == loop_shape else _broadcast(t, loop_shape, r)
            for t, r in zip(tensors, core_ranks)
        ]
        results = []
        for index in np.ndindex(*loop_shape):
            call_args = list(args)
            for position, tensor in zip(positions, broadcast):
                call_args[position] = tensor[index] if index else tensor
            results.append(_tensor(pyfunc(*call_args, **kwargs)))
        if not loop_shape:
            return results[0]
        stacked = stack(results, axis=0)
        return reshape(stacked, tuple(loop_shape) + tuple(stacked.shape[1:]))

    return wrapper


def _broadcast(tensor, loop_shape, core_rank):
    core = tensor.shape[tensor.ndim - core_rank :] if core_rank else ()
    return broadcast_to(tensor, tuple(loop_shape) + tuple(core))
