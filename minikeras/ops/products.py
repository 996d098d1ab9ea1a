"""Products: `matmul`, `tensordot`, `dot`, `outer`, `einsum`, `inner`, `vdot`, `kron`,
`cross`, `correlate`, and `slogdet` (the one determinant op of `keras.ops.numpy`;
`ops/linalg.py` has the rest).

`matmul` (the autodiff core's `MatMul`), `tensordot`, `einsum` and `slogdet` are
primitives; `parse_einsum` and `_tensordot_axes` are shared with the symbolic shape rules
(`shape_inference.py`). The others are written with them and with elementwise ops (`kron`
is a broadcast product).
"""

import builtins
import string
from collections import Counter

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import (
    _check_broadcast,
    _constant,
    _float_tensor,
    _one_axis,
    _pair,
    _promote_all,
    _tensor,
)
from minikeras.ops.elementwise import multiply, subtract
from minikeras.ops.indexing import Rearrange
from minikeras.ops.manipulation import flip, moveaxis, reshape, stack
from minikeras.ops.symbolic import op

__all__ = [
    "correlate",
    "cross",
    "dot",
    "einsum",
    "inner",
    "kron",
    "matmul",
    "outer",
    "slogdet",
    "tensordot",
    "vdot",
]


_INT8 = np.dtype("int8")


# -- primitives ---------------------------------------------------------------------------
@op(output_spec=_shapes.matmul)
def matmul(x1, x2):
    """Matrix product with numpy's rules for 1-D and batched operands (int8 operands give
    int32, as in Keras)."""
    a, b = _pair(x1, x2)
    if a.data.dtype is _INT8 and b.data.dtype is _INT8:
        a, b = _arith.cast(a, "int32"), _arith.cast(b, "int32")
    a_shape, b_shape = a.data.shape, b.data.shape
    a_ndim, b_ndim = len(a_shape), len(b_shape)
    if a_ndim == 2 and b_ndim == 2 and a_shape[1] == b_shape[0]:
        return _arith.MatMul()(a, b)  # the common case, nothing more to check
    if a_ndim == 0 or b_ndim == 0:
        raise ValueError(f"matmul: operands must not be scalars, got shapes {a_shape}, {b_shape}.")
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if b_ndim == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: incompatible shapes {a_shape} and {b_shape} "
            f"(inner dimensions {inner_a} and {inner_b})."
        )
    if a_ndim > 2 or b_ndim > 2:
        _check_broadcast("matmul (batch dimensions)", a_shape[:-2], b_shape[:-2])
    if a_ndim == 1 and b_ndim == 1:
        return TensorDot([0], [0])(a, b)  # an inner product: a scalar
    return _arith.MatMul()(a, b)


class TensorDot(Function):
    """`np.tensordot` over explicit axis lists; the backward pass is two more tensordots."""

    def __init__(self, a_axes, b_axes):
        self.a_axes, self.b_axes = list(a_axes), list(b_axes)

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.tensordot(a, b, axes=(self.a_axes, self.b_axes))

    def backward(self, gy):
        a, b, a_axes, b_axes = self.a, self.b, self.a_axes, self.b_axes
        a_free = [i for i in range(a.ndim) if i not in a_axes]
        b_free = [i for i in range(b.ndim) if i not in b_axes]
        ga = gb = None
        if self.needs_grad[0]:
            t = np.tensordot(gy, b, axes=(list(range(len(a_free), gy.ndim)), b_free))
            # t holds A's free axes, then A's contracted axes in the order of B's axes.
            source = a_free + [a_axes[b_axes.index(j)] for j in sorted(b_axes)]
            ga = np.transpose(t, np.argsort(source))
        if self.needs_grad[1]:
            t = np.tensordot(a, gy, axes=(a_free, list(range(len(a_free)))))
            source = [b_axes[a_axes.index(i)] for i in sorted(a_axes)] + b_free
            gb = np.transpose(t, np.argsort(source))
        return ga, gb


def _tensordot_axes(axes, a, b):
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(f"tensordot: axes={n} is invalid for shapes {a.shape} and {b.shape}.")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: axes {a_axes} and {b_axes} differ in length.")
    a_axes = [_one_axis(i, a.ndim, "tensordot") for i in a_axes]
    b_axes = [_one_axis(i, b.ndim, "tensordot") for i in b_axes]
    return a_axes, b_axes


@op(output_spec=_shapes.tensordot)
def tensordot(x1, x2, axes=2):
    """Sums products over the given axes of `x1` and `x2`.

    Args:
        axes: an int N (last N axes of `x1` with the first N of `x2`) or a pair of axis
            lists.

    Example:
        >>> ops.tensordot(a, b, axes=([1], [0]))   # same as matmul for matrices
    """
    a, b = _pair(x1, x2)
    a_axes, b_axes = _tensordot_axes(axes, a, b)
    for i, j in zip(a_axes, b_axes):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: incompatible shapes {a.shape} and {b.shape} "
                f"(axis {i} has size {a.shape[i]}, axis {j} has size {b.shape[j]})."
            )
    return TensorDot(a_axes, b_axes)(a, b)


@op(output_spec=_shapes.dot)
def dot(x1, x2):
    """Dot product with numpy's rules: matmul for matrices, sum over the last axis of `x1`
    and the second-to-last of `x2` in general, and a product for scalars."""
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.ndim <= 2 and b.ndim <= 2 and not (a.data.dtype is _INT8 and b.data.dtype is _INT8):
        return matmul(a, b)  # (which makes int8 products int32; Keras's dot keeps int8)
    b_axis = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[b_axis]:
        raise ValueError(f"dot: incompatible shapes {a.shape} and {b.shape}.")
    return TensorDot([a.ndim - 1], [b_axis])(a, b)


@op(output_spec=_shapes.outer)
def outer(x1, x2):
    """Outer product of the flattened inputs."""
    a, b = _pair(x1, x2)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


_einsum_paths = {}


def _einsum(expression, *arrays):
    """`np.einsum` with the contraction order cached per expression and shapes."""
    if len(arrays) < 2:
        return np.einsum(expression, *arrays)
    key = (expression, *[a.shape for a in arrays])
    path = _einsum_paths.get(key)
    if path is None:
        if len(_einsum_paths) > 512:
            _einsum_paths.clear()
        path = _einsum_paths[key] = np.einsum_path(expression, *arrays, optimize="greedy")[0]
    return np.einsum(expression, *arrays, optimize=path)


def parse_einsum(subscripts, ndims):
    """Rewrites `subscripts` with one explicit letter per axis (no '...', explicit output).

    Returns:
        `(input_terms, output_term)`.
    """
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        lhs, output = subscripts.split("->")
    else:
        lhs, output = subscripts, None
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: {subscripts!r} names {len(terms)} operands, but {len(ndims)} were given."
        )
    used = set(subscripts)
    spare = [c for c in string.ascii_letters if c not in used]
    ranks = []
    for term, ndim in zip(terms, ndims):
        named = len(term.replace("...", ""))
        if "..." in term:
            ranks.append(ndim - named)
        if ("..." in term and named > ndim) or ("..." not in term and named != ndim):
            raise ValueError(f"einsum: subscripts {term!r} do not match an operand of rank {ndim}.")
    ellipsis_rank = builtins.max(ranks, default=0)
    letters = "".join(spare[:ellipsis_rank])
    explicit_terms = []
    for term, ndim in zip(terms, ndims):
        if "..." in term:
            rank = ndim - len(term.replace("...", ""))
            term = term.replace("...", letters[ellipsis_rank - rank :])
        explicit_terms.append(term)
    if output is None:
        counts = Counter("".join(terms).replace(".", ""))
        output = letters + "".join(sorted(c for c, n in counts.items() if n == 1))
    elif "..." in output:
        output = output.replace("...", letters)
    elif ellipsis_rank and builtins.any(r > 0 for r in ranks):
        raise ValueError(f"einsum: {subscripts!r} uses '...' in the inputs but not the output.")
    return explicit_terms, output


class Einsum(Function):
    """Einstein summation; the gradient of each operand is another einsum.

    The gradient of operand i contracts the output gradient with the other operands; axes
    that only operand i has (summed away in the forward pass) are broadcast back, and a
    repeated index (a diagonal) receives its gradient on that diagonal only.
    """

    def __init__(self, terms, output):
        self.terms, self.output = terms, output
        self.expression = ",".join(terms) + "->" + output

    def forward(self, *arrays):
        self.arrays = arrays
        return _einsum(self.expression, *arrays)

    def backward(self, gy):
        grads = []
        for i, (term, array) in enumerate(zip(self.terms, self.arrays)):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            # With a repeated index ('ii'), work on the diagonal ('i') and write it back.
            unique = "".join(dict.fromkeys(term))
            unique_shape = [array.shape[term.index(c)] for c in unique]
            others = [t for j, t in enumerate(self.terms) if j != i]
            other_arrays = [a for j, a in enumerate(self.arrays) if j != i]
            available = set(self.output).union(*others)
            kept = "".join(c for c in unique if c in available)
            g = _einsum(",".join([self.output, *others]) + "->" + kept, gy, *other_arrays)
            if kept != unique:
                g = g.reshape([g.shape[kept.index(c)] if c in kept else 1 for c in unique])
                target = [
                    g.shape[k] if c in kept else unique_shape[k] for k, c in enumerate(unique)
                ]
                g = np.broadcast_to(g, target)
            g = sum_to(g, tuple(unique_shape))
            if unique != term:
                gx = np.zeros(array.shape, gy.dtype)
                # einsum("ii->i", gx) is a writeable view of the diagonal of gx.
                np.einsum(term + "->" + unique, gx)[...] = g
                g = gx
            grads.append(g)
        return tuple(grads)


@op(output_spec=_shapes.einsum)
def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, e.g. `einsum("bij,bjk->bik", a, b)`; supports '...', implicit
    outputs and repeated indices (diagonals), with gradients for every operand.
    """
    tensors = _promote_all([_tensor(x) for x in operands])
    terms, output = parse_einsum(subscripts, [t.ndim for t in tensors])
    sizes = {}
    for term, t in zip(terms, tensors):
        for letter, size in zip(term, t.shape):
            if size != 1 and sizes.setdefault(letter, size) != size:
                shapes = " and ".join(str(x.shape) for x in tensors)
                raise ValueError(
                    f"einsum: incompatible shapes {shapes} for {subscripts!r} "
                    f"(index {letter!r} has sizes {sizes[letter]} and {size})."
                )
    return Einsum(terms, output)(*tensors)


# -- products written with the ones above -------------------------------------------------
@op(output_spec=_shapes.inner)
def inner(x1, x2):
    """Sum product over the last axes (a plain product when either is a scalar)."""
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: last axes differ: shapes {a.shape} and {b.shape}.")
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


@op
def vdot(x1, x2):
    """Dot product of the flattened tensors."""
    a, b = _pair(x1, x2)
    if a.data.size != b.data.size:
        raise ValueError(f"vdot: sizes differ: shapes {a.shape} and {b.shape}.")
    return tensordot(reshape(a, (-1,)), reshape(b, (-1,)), axes=1)


@op
def kron(x1, x2):
    """Kronecker product: every entry of `x1` times the whole of `x2`."""
    a, b = _pair(x1, x2)
    ndim = builtins.max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (ndim - a.ndim) + a.shape)
    b = reshape(b, (1,) * (ndim - b.ndim) + b.shape)
    # Interleave the axes: (a0, b0, a1, b1, ...), then merge each pair.
    a_shape = [size for pair in zip(a.shape, (1,) * ndim) for size in pair]
    b_shape = [size for pair in zip((1,) * ndim, b.shape) for size in pair]
    product = multiply(reshape(a, a_shape), reshape(b, b_shape))
    return reshape(product, tuple(p * q for p, q in zip(a.shape, b.shape)))


@op(output_spec=_shapes.cross)
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, giving the z component) along an axis."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _pair(x1, x2)
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(
            f"cross: the vector axes need size 2 or 3, got shapes {a.shape} and {b.shape}."
        )

    def part(v, i):
        if i >= v.shape[-1]:
            return _constant(np.zeros(v.shape[:-1], v.data.dtype))
        return v[..., i]

    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    z = subtract(multiply(a0, b1), multiply(a1, b0))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    x = subtract(multiply(a1, b2), multiply(a2, b1))
    y = subtract(multiply(a2, b0), multiply(a0, b2))
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


def _sliding_windows(size, window):
    return np.arange(size - window + 1)[:, None] + np.arange(window)[None, :]


@op
def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors: `out[k] = sum_j x1[k + j] * x2[j]`.

    Args:
        mode: "valid" (full overlap only), "same" (the length of the longer) or "full".
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full', got {mode!r}.")
    a, b = _pair(x1, x2)
    if a.data.dtype.kind not in "fc":
        a, b = _arith.cast(a, config.floatx()), _arith.cast(b, config.floatx())
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"correlate: x1 and x2 must be 1-D, got shapes {a.shape} and {b.shape}.")
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        raise ValueError(f"correlate: x1 and x2 must not be empty, got {a.shape} and {b.shape}.")
    swapped = m > n
    if swapped:  # numpy slides the shorter one: correlate(a, b) = reverse(correlate(b, a))
        a, b, n, m = b, a, m, n
    left = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    right = {"valid": 0, "same": m - 1 - m // 2, "full": m - 1}[mode]
    padded = np.concatenate(
        [np.zeros(left, np.int64), np.arange(1, n + 1), np.zeros(right, np.int64)]
    )
    windows = padded[_sliding_windows(padded.size, m)]
    windows = np.where(windows == 0, n + 1, windows) - 1
    out = tensordot(Rearrange(windows)(a), b, axes=1)
    return flip(out, 0) if swapped else out


# -- determinants (keras.ops.numpy holds slogdet; ops.linalg has the rest) -----------------
class SlogDet(Function):
    def forward(self, x):
        self.x = x
        sign, logabs = np.linalg.slogdet(x)
        return sign.astype(x.dtype), logabs.astype(x.dtype)

    def backward(self, g_sign, g_logabs):
        eye = np.broadcast_to(np.eye(self.x.shape[-1], dtype=self.x.dtype), self.x.shape)
        return g_logabs[..., None, None] * np.swapaxes(np.linalg.solve(self.x, eye), -1, -2)


@op
def slogdet(x):
    """`(sign, log|det|)` of each square matrix (stable where `det` overflows).

    Returns:
        The sign (no gradient) and the log of the absolute determinant.
    """
    x = _float_tensor(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"slogdet: expected square matrices, got shape {x.shape}.")
    return SlogDet()(x)
