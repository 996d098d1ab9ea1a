"""The rest of `keras.ops.numpy`: less common math, rearrangements, statistics and helpers.

`minikeras.ops.numpy` re-exports everything here, so `ops.cumprod` and `ops.numpy.cumprod`
both work. Three small ideas carry most of this file:

- `Elementwise` / `Elementwise2`: one primitive for any elementwise function, given the
  function and its derivative(s) (`arcsin`, `cosh`, `hypot`, `logaddexp`, ...).
- `Rearrange`: any op that only moves or copies entries (`roll`, `rot90`, `diagonal`,
  `tril`, `unfold`, ...) is computed on an array of positions `0..size-1` once; the result
  says which input entry each output entry comes from (the position `size` stands for a
  zero). The forward pass gathers with those positions, the backward pass adds the
  gradients back to them. One primitive, exact gradients for all of them.
- Everything else is written with differentiable ops (`median` is a `sort` and an
  interpolation, `kron` a broadcast product), so gradients come for free; ops whose
  result is a count, an index or a flag return tensors without a gradient.
"""

import builtins
import math
import re

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops.numpy import (
    _binary,
    _constant,
    _float_tensor,
    _indices,
    _one_axis,
    _pair,
    _tensor,
    concatenate,
    cumsum,
    flip,
    mean,
    moveaxis,
    multiply,
    normalize_axis,
    reshape,
    sort,
    split,
    sqrt,
    square,
    stack,
    subtract,
    take_along_axis,
    tensordot,
    where,
)
from minikeras.ops.numpy import (
    max as _max,
)
from minikeras.ops.numpy import (
    min as _min,
)
from minikeras.ops.numpy import (
    sum as _sum,
)
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "allclose",
    "angle",
    "append",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "argpartition",
    "array",
    "array_split",
    "average",
    "bartlett",
    "bincount",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "blackman",
    "broadcast_shapes",
    "cbrt",
    "conj",
    "conjugate",
    "copy",
    "corrcoef",
    "correlate",
    "cosh",
    "cross",
    "cumprod",
    "deg2rad",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "digitize",
    "dsplit",
    "dstack",
    "empty",
    "empty_like",
    "exp2",
    "fabs",
    "fliplr",
    "flipud",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "gcd",
    "geomspace",
    "hamming",
    "hanning",
    "heaviside",
    "histogram",
    "hsplit",
    "hstack",
    "hypot",
    "i0",
    "imag",
    "inner",
    "isclose",
    "isin",
    "isneginf",
    "isposinf",
    "isreal",
    "kaiser",
    "kron",
    "lcm",
    "ldexp",
    "left_shift",
    "logaddexp",
    "logaddexp2",
    "logspace",
    "median",
    "meshgrid",
    "mod",
    "nan_to_num",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "nextafter",
    "nonzero",
    "percentile",
    "ptp",
    "quantile",
    "rad2deg",
    "real",
    "right_shift",
    "roll",
    "rot90",
    "searchsorted",
    "select",
    "shape_equal",
    "signbit",
    "sinc",
    "sinh",
    "slogdet",
    "trace",
    "trapezoid",
    "tri",
    "tril",
    "triu",
    "trunc",
    "unique",
    "unravel_index",
    "vander",
    "vdot",
    "vectorize",
    "view",
    "vsplit",
    "vstack",
]


# -- elementwise primitives from a function and its derivative ---------------------------
class Elementwise(Function):
    """`y = function(x)` elementwise, with `dy/dx = derivative(x, y)`."""

    def __init__(self, function, derivative):
        self.function, self.derivative = function, derivative

    def forward(self, x):
        self.x = x
        self.y = self.function(x)
        return self.y

    def backward(self, gy):
        return gy * self.derivative(self.x, self.y)


class Elementwise2(Function):
    """`z = function(x, y)` elementwise with broadcasting; `derivatives(x, y, z)` gives
    `(dz/dx, dz/dy)`."""

    def __init__(self, function, derivatives):
        self.function, self.derivatives = function, derivatives

    def forward(self, x, y):
        self.x, self.y = x, y
        self.z = self.function(x, y)
        return self.z

    def backward(self, gz):
        dx, dy = self.derivatives(self.x, self.y, self.z)
        gx = sum_to(gz * dx, self.x.shape) if self.needs_grad[0] else None
        gy = sum_to(gz * dy, self.y.shape) if self.needs_grad[1] else None
        return gx, gy


def _unary(function, derivative, x):
    return Elementwise(function, derivative)(_float_tensor(x))


def _binary_math(function, derivatives, x1, x2, name):
    a, b = _pair(x1, x2)
    if a.data.dtype.kind not in "fc":
        a = _arith.cast(a, config.floatx())
    if b.data.dtype.kind not in "fc":
        b = _arith.cast(b, a.data.dtype)
    return _binary(lambda: Elementwise2(function, derivatives), a, b, name)


@op
def arccos(x):
    """Elementwise inverse cosine."""
    return _unary(np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x), x)


@op
def arcsin(x):
    """Elementwise inverse sine."""
    return _unary(np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x), x)


@op
def arctan(x):
    """Elementwise inverse tangent."""
    return _unary(np.arctan, lambda x, y: 1 / (1 + x * x), x)


@op
def arccosh(x):
    """Elementwise inverse hyperbolic cosine."""
    return _unary(np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1), x)


@op
def arcsinh(x):
    """Elementwise inverse hyperbolic sine."""
    return _unary(np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1), x)


@op
def arctanh(x):
    """Elementwise inverse hyperbolic tangent."""
    return _unary(np.arctanh, lambda x, y: 1 / (1 - x * x), x)


@op
def cosh(x):
    """Elementwise hyperbolic cosine."""
    return _unary(np.cosh, lambda x, y: np.sinh(x), x)


@op
def sinh(x):
    """Elementwise hyperbolic sine."""
    return _unary(np.sinh, lambda x, y: np.cosh(x), x)


@op
def cbrt(x):
    """Elementwise cube root."""
    return _unary(np.cbrt, lambda x, y: 1 / (3 * y * y), x)


@op
def exp2(x):
    """Elementwise `2 ** x`."""
    return _unary(np.exp2, lambda x, y: y * math.log(2.0), x)


@op
def deg2rad(x):
    """Degrees to radians."""
    return _unary(np.deg2rad, lambda x, y: np.full_like(x, math.pi / 180), x)


@op
def rad2deg(x):
    """Radians to degrees."""
    return _unary(np.rad2deg, lambda x, y: np.full_like(x, 180 / math.pi), x)


@op
def fabs(x):
    """Elementwise `|x|` as a float tensor."""
    return _unary(np.fabs, lambda x, y: np.sign(x), x)


def _sinc_derivative(x, y):
    safe = np.where(x == 0, 1, x)
    return np.where(x == 0, 0, (np.cos(math.pi * x) - y) / safe)


@op
def sinc(x):
    """Normalized sinc, `sin(pi x) / (pi x)` (1 at 0)."""
    return _unary(np.sinc, _sinc_derivative, x)


@op(output_spec=_shapes.elementwise)
def arctan2(x1, x2):
    """Elementwise angle of the point `(x2, x1)`, in `[-pi, pi]`."""

    def derivatives(y, x, z):
        r2 = x * x + y * y
        return x / r2, -y / r2

    return _binary_math(np.arctan2, derivatives, x1, x2, "arctan2")


@op(output_spec=_shapes.elementwise)
def hypot(x1, x2):
    """Elementwise `sqrt(x1**2 + x2**2)`."""
    return _binary_math(np.hypot, lambda x, y, z: (x / z, y / z), x1, x2, "hypot")


@op(output_spec=_shapes.elementwise)
def logaddexp(x1, x2):
    """Elementwise `log(exp(x1) + exp(x2))`, without overflow."""
    return _binary_math(
        np.logaddexp, lambda x, y, z: (np.exp(x - z), np.exp(y - z)), x1, x2, "logaddexp"
    )


@op(output_spec=_shapes.elementwise)
def logaddexp2(x1, x2):
    """Elementwise `log2(2**x1 + 2**x2)`, without overflow."""
    return _binary_math(
        np.logaddexp2, lambda x, y, z: (np.exp2(x - z), np.exp2(y - z)), x1, x2, "logaddexp2"
    )


def _pick_derivatives(picked):
    def derivatives(x, y, z):
        x_wins = picked(x, y).astype(z.dtype)
        return x_wins, 1 - x_wins

    return derivatives


@op(output_spec=_shapes.elementwise)
def fmax(x1, x2):
    """Elementwise maximum that ignores NaN (the other value wins)."""
    a, b = _pair(x1, x2)
    if a.data.dtype.kind not in "fc":
        return _constant(np.fmax(a.data, b.data))
    wins = _pick_derivatives(lambda x, y: (x >= y) | np.isnan(y))
    return _binary(lambda: Elementwise2(np.fmax, wins), a, b, "fmax")


@op(output_spec=_shapes.elementwise)
def fmin(x1, x2):
    """Elementwise minimum that ignores NaN (the other value wins)."""
    a, b = _pair(x1, x2)
    if a.data.dtype.kind not in "fc":
        return _constant(np.fmin(a.data, b.data))
    wins = _pick_derivatives(lambda x, y: (x <= y) | np.isnan(y))
    return _binary(lambda: Elementwise2(np.fmin, wins), a, b, "fmin")


def _remainder(ufunc, x1, x2, name):
    a, b = _pair(x1, x2)
    if a.data.dtype.kind == "b":
        a, b = _arith.cast(a, "int32"), _arith.cast(b, "int32")
    if a.data.dtype.kind not in "fc":
        return _constant(ufunc(a.data, b.data))

    def derivatives(x, y, z):
        return np.ones_like(z), -((x - z) / y)  # x = q*y + r, so dr/dy = -q

    return _binary(lambda: Elementwise2(ufunc, derivatives), a, b, name)


@op(output_spec=_shapes.elementwise)
def mod(x1, x2):
    """Elementwise remainder with the sign of `x2` (Python's `%`)."""
    return _remainder(np.mod, x1, x2, "mod")


@op(output_spec=_shapes.elementwise)
def fmod(x1, x2):
    """Elementwise remainder with the sign of `x1` (C's `fmod`)."""
    return _remainder(np.fmod, x1, x2, "fmod")


@op(output_spec=_shapes.elementwise)
def ldexp(x1, x2):
    """Elementwise `x1 * 2**x2` (`x2` integer)."""
    a = _float_tensor(x1)
    exponent = _tensor(x2).data
    if exponent.dtype.kind not in "iub":
        raise TypeError(f"ldexp: x2 must hold integers, got dtype {exponent.dtype}.")
    return multiply(a, _constant(np.ldexp(np.ones((), a.data.dtype), exponent)))


# -- elementwise ops without a gradient ---------------------------------------------------
def _no_grad_binary(ufunc, x1, x2, name, kinds=None):
    a, b = _pair(x1, x2)
    for operand in (a, b):
        if kinds is not None and operand.data.dtype.kind not in kinds:
            raise TypeError(f"{name}: expected integer or bool tensors, got {operand.data.dtype}.")
    try:
        return _constant(ufunc(a.data, b.data))
    except ValueError:
        _shapes.broadcast_shapes(a.shape, b.shape, name)
        raise


@op(output_spec=_shapes.elementwise)
def floor_divide(x1, x2):
    """Elementwise `x1 // x2` (no gradient)."""
    a, b = _pair(x1, x2)
    if a.data.dtype.kind == "b":
        a, b = _arith.cast(a, "int32"), _arith.cast(b, "int32")
    return _no_grad_binary(np.floor_divide, a, b, "floor_divide")


@op(output_spec=_shapes.elementwise)
def heaviside(x1, x2):
    """Step function: 0 where `x1 < 0`, `x2` where `x1 == 0`, 1 where `x1 > 0`."""
    a, b = _pair(_float_tensor(x1), x2)
    return _no_grad_binary(np.heaviside, a, b, "heaviside")


@op(output_spec=_shapes.elementwise)
def nextafter(x1, x2):
    """The next float after `x1` towards `x2`."""
    return _no_grad_binary(np.nextafter, _float_tensor(x1), x2, "nextafter")


def _integer_op(ufunc, name):
    @op(output_spec=_shapes.elementwise)
    def integer_op(x, y):
        return _no_grad_binary(ufunc, x, y, name, kinds="iub")

    integer_op.__name__ = integer_op.__qualname__ = name
    integer_op.__doc__ = f"Elementwise `np.{ufunc.__name__}` on integer or bool tensors."
    integer_op.operation.name = name
    return integer_op


bitwise_and = _integer_op(np.bitwise_and, "bitwise_and")
bitwise_or = _integer_op(np.bitwise_or, "bitwise_or")
bitwise_xor = _integer_op(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _integer_op(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _integer_op(np.right_shift, "bitwise_right_shift")
left_shift = _integer_op(np.left_shift, "left_shift")
right_shift = _integer_op(np.right_shift, "right_shift")
gcd = _integer_op(np.gcd, "gcd")
lcm = _integer_op(np.lcm, "lcm")


@op
def bitwise_invert(x):
    """Elementwise bitwise NOT of an integer or bool tensor."""
    x = _tensor(x)
    if x.data.dtype.kind not in "iub":
        raise TypeError(f"bitwise_invert: expected an integer or bool tensor, got {x.data.dtype}.")
    return _constant(np.invert(x.data))


@op
def bitwise_not(x):
    """Same as `bitwise_invert`."""
    return bitwise_invert(x)


@op
def trunc(x):
    """Rounds towards zero (no gradient); integer tensors are returned unchanged."""
    return _constant(np.trunc(_tensor(x).data))


@op
def signbit(x):
    """True where the sign bit is set (negative numbers and -0.0)."""
    return _constant(np.signbit(_tensor(x).data))


@op
def isneginf(x):
    """True where `x` is negative infinity."""
    return _constant(np.isneginf(_tensor(x).data))


@op
def isposinf(x):
    """True where `x` is positive infinity."""
    return _constant(np.isposinf(_tensor(x).data))


@op
def isreal(x):
    """True where `x` has no imaginary part."""
    return _constant(np.isreal(_tensor(x).data))


@op(output_spec=_shapes.elementwise)
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise `|x1 - x2| <= atol + rtol * |x2|`."""
    a, b = _pair(x1, x2)
    return _constant(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@op
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when `isclose` holds everywhere (a scalar bool tensor)."""
    a, b = _pair(x1, x2)
    return _constant(np.allclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@op
def i0(x):
    """Modified Bessel function of the first kind, order 0 (no gradient here)."""
    return _constant(np.i0(_float_tensor(x).data))


@op
def real(x):
    """The real part (the tensor itself for real tensors)."""
    x = _tensor(x)
    if x.data.dtype.kind == "c":
        return _constant(np.real(x.data))
    return Copy()(x)


@op
def imag(x):
    """The imaginary part (zeros for real tensors)."""
    x = _tensor(x)
    return _constant(np.imag(x.data).copy())


@op
def conj(x):
    """The complex conjugate (the tensor itself for real tensors)."""
    x = _tensor(x)
    if x.data.dtype.kind == "c":
        return _constant(np.conj(x.data))
    return Copy()(x)


@op
def conjugate(x):
    """Same as `conj`."""
    return conj(x)


@op
def angle(x):
    """The complex argument (0 or pi for real tensors), as floats (no gradient)."""
    x = _float_tensor(x)
    return _constant(np.angle(x.data).astype(x.data.dtype, copy=False))


# -- copying and creating -----------------------------------------------------------------
class Copy(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


@op
def array(x, dtype=None):
    """A new tensor holding `x` (Keras's `ops.array`: floats become `floatx()`)."""
    from minikeras.ops.core import convert_to_tensor

    return convert_to_tensor(x, dtype=dtype)


@op
def copy(x):
    """A copy of `x` (gradients pass through)."""
    return Copy()(_tensor(x))


@op
def empty(shape, dtype=None):
    """A tensor of the given shape (zeros here; do not rely on the values)."""
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _constant(np.zeros(shape, dtype or config.floatx()))


@op
def empty_like(x, dtype=None):
    """A tensor shaped like `x` (zeros here; do not rely on the values)."""
    x = _tensor(x)
    return _constant(np.zeros(x.shape, dtype or x.data.dtype))


@op
def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the k-th diagonal of an `N x M` matrix."""
    return _constant(
        np.tri(int(N), None if M is None else int(M), int(k), dtype or config.floatx())
    )


@op
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` numbers spaced evenly on a log scale, `base**start` to `base**stop`."""
    values = np.logspace(start, stop, int(num), endpoint=endpoint, base=base, axis=axis)
    return _constant(values.astype(dtype or config.floatx()))


@op
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` numbers spaced evenly on a log scale from `start` to `stop`."""
    values = np.geomspace(start, stop, int(num), endpoint=endpoint, axis=axis)
    return _constant(values.astype(dtype or config.floatx()))


def _window(function, x, *args):
    return _constant(function(int(_tensor(x).data), *args).astype(config.floatx()))


@op
def bartlett(x):
    """The Bartlett (triangular) window of `x` points."""
    return _window(np.bartlett, x)


@op
def blackman(x):
    """The Blackman window of `x` points."""
    return _window(np.blackman, x)


@op
def hamming(x):
    """The Hamming window of `x` points."""
    return _window(np.hamming, x)


@op
def hanning(x):
    """The Hann window of `x` points."""
    return _window(np.hanning, x)


@op
def kaiser(x, beta):
    """The Kaiser window of `x` points with shape parameter `beta`."""
    return _window(np.kaiser, x, float(beta))


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
    """Sum along the `offset` diagonal of the plane `(axis1, axis2)` (int32 for integers)."""
    x = _tensor(x)
    if x.data.dtype.kind in "biu":
        values = np.trace(x.data, offset, axis1, axis2)
        return _constant(np.asarray(values).astype(np.int32))
    return _sum(diagonal(x, offset, axis1, axis2), axis=-1)


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


@op
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


# -- products -----------------------------------------------------------------------------
@op
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


@op
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


# -- running products and differences -----------------------------------------------------
class Cumprod(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.x = x
        self.y = np.cumprod(x, axis=self.axis, dtype=x.dtype)
        return self.y

    def backward(self, gy):
        x, axis = self.x, self.axis
        if np.all(x != 0):
            # d y_k / d x_i = y_k / x_i for k >= i: a reversed running sum of gy * y.
            tail = np.flip(np.cumsum(np.flip(gy * self.y, axis), axis=axis), axis)
            return tail / x
        # With zeros, drop each entry in turn from the product (n running products).
        gx = np.empty_like(x)
        for i in range(x.shape[axis]):
            without = x.copy()
            np.moveaxis(without, axis, 0)[i] = 1
            products = np.cumprod(without, axis=axis)
            terms = np.moveaxis(gy * products, axis, 0)[i:]
            np.moveaxis(gx, axis, 0)[i] = terms.sum(axis=0)
        return gx


@op
def cumprod(x, axis=None, dtype=None):
    """Running product along `axis` (of the flattened tensor when `axis` is None)."""
    x = _tensor(x)
    if dtype is not None:
        x = _arith.cast(x, dtype)
    if x.data.dtype == np.bool_:
        x = _arith.cast(x, "int32")
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    return Cumprod(_one_axis(axis, x.ndim, "cumprod"))(x)


@op
def diff(a, n=1, axis=-1):
    """The n-th difference along `axis`: `a[1:] - a[:-1]`, `n` times."""
    x = _tensor(a)
    if x.ndim == 0:
        raise ValueError("diff: needs a tensor of rank 1 or more, got a scalar.")
    axis = _one_axis(axis, x.ndim, "diff")
    if int(n) < 0:
        raise ValueError(f"diff: n must be non-negative, got {n}.")
    before = (slice(None),) * axis
    for _ in range(int(n)):
        if x.data.dtype == np.bool_:
            x = _constant(x.data[before + (slice(1, None),)] != x.data[before + (slice(None, -1),)])
        else:
            x = subtract(x[before + (slice(1, None),)], x[before + (slice(None, -1),)])
    return x


@op
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of `y` along `axis` by the trapezoidal rule (spacing `x` or `dx`)."""
    y = _float_tensor(y)
    axis = _one_axis(axis, y.ndim, "trapezoid")
    before = (slice(None),) * axis
    heights = multiply(y[before + (slice(1, None),)] + y[before + (slice(None, -1),)], 0.5)
    if x is None:
        return multiply(_sum(heights, axis=axis), dx)
    widths = diff(_float_tensor(x), axis=axis if _tensor(x).ndim == y.ndim else -1)
    if widths.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[axis] = -1
        widths = reshape(widths, shape)
    return _sum(multiply(heights, widths), axis=axis)


# -- statistics ---------------------------------------------------------------------------
@op
def average(x, axis=None, weights=None):
    """Weighted mean along `axis` (`weights` shaped like `x`, or 1-D along `axis`)."""
    x = _float_tensor(x)
    if weights is None:
        return mean(x, axis=axis)
    w = _tensor(weights)
    if w.data.dtype.kind not in "fc":
        w = _arith.cast(w, x.data.dtype)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1:
            raise ValueError(
                f"average: weights of shape {w.shape} need the shape of x {x.shape}, or 1-D "
                "along the given axis."
            )
        axis = _one_axis(axis, x.ndim, "average")
        if w.shape[0] != x.shape[axis]:
            raise ValueError(
                f"average: {w.shape[0]} weights for axis {axis} of size {x.shape[axis]}."
            )
        shape = [1] * x.ndim
        shape[axis] = -1
        w = reshape(w, shape)
        return _sum(multiply(x, w), axis=axis) / _sum(w)
    return _sum(multiply(x, w), axis=axis) / _sum(w, axis=axis)


@op
def ptp(x, axis=None, keepdims=False):
    """Range (`max - min`) along `axis`."""
    return subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis, keepdims=keepdims))


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


@op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (q in [0, 1]) along `axis`; the axes of `q` come first.

    Args:
        method: "linear", "lower", "higher", "midpoint" or "nearest" (as numpy).
    """
    return _quantile(x, q, axis, method, keepdims, "quantile", skip_nan=False)


def _quantile(x, q, axis, method, keepdims, name, skip_nan):
    """Sorts along the reduced axes and interpolates between neighbours (differentiable
    through the sort). With `skip_nan`, NaNs sort last and each row counts only the rest."""
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{name}: unknown method {method!r}; choose from {_QUANTILE_METHODS}.")
    x = _float_tensor(x)
    q_values = np.asarray(_tensor(q).data, dtype=np.float64)
    if np.any((q_values < 0) | (q_values > 1)):
        raise ValueError(f"{name}: q must be within [0, 1], got {q_values}.")
    ndim = x.ndim
    axes = normalize_axis(axis, ndim, name)
    others = [i for i in range(ndim) if i not in axes]
    moved = moveaxis(x, list(axes), list(range(ndim - len(axes), ndim))) if axes else x
    flat = reshape(moved, tuple(x.shape[i] for i in others) + (-1,))
    nans = np.isnan(flat.data)
    if skip_nan:
        counts = np.sum(~nans, axis=-1)
        # NaNs sort last as infinities; rows of only NaNs get zeros (their result is NaN).
        filler = np.where((counts == 0)[..., None], 0.0, np.inf).astype(flat.data.dtype)
        flat = where(nans, np.broadcast_to(filler, nans.shape), flat)
    else:
        counts = np.full(flat.shape[:-1], flat.shape[-1])
    ordered = sort(flat, axis=-1)
    last = np.maximum(counts - 1, 0)[..., None]
    position = q_values.reshape(-1) * last  # one row of positions per reduced row
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, last)
    fraction = position - low
    if method == "lower":
        high, fraction = low, fraction * 0
    elif method == "higher":
        low = np.ceil(position).astype(np.int64)
        high, fraction = low, fraction * 0
    elif method == "nearest":
        low = np.round(position).astype(np.int64)  # numpy also rounds half to even here
        high, fraction = low, fraction * 0
    elif method == "midpoint":
        fraction = np.where(fraction > 0, 0.5, 0.0)

    dtype = ordered.data.dtype
    low_values = take_along_axis(ordered, low, axis=-1)
    high_values = take_along_axis(ordered, high, axis=-1)
    weight = _constant(fraction.astype(dtype))
    result = low_values + multiply(subtract(high_values, low_values), weight)
    if skip_nan and np.any(counts == 0):
        result = where((counts == 0)[..., None], np.nan, result)
    result = moveaxis(result, -1, 0)  # the axes of q first, as numpy puts them
    result = reshape(result, q_values.shape + tuple(x.shape[i] for i in others))
    if keepdims:
        shape = list(q_values.shape) + [1 if i in axes else x.shape[i] for i in range(ndim)]
        result = reshape(result, shape)
    return result


@op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """`quantile` of the entries that are not NaN (NaN where all are)."""
    return _quantile(x, q, axis, method, keepdims, "nanquantile", skip_nan=True)


@op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """`percentile` of the entries that are not NaN (NaN where all are)."""
    q_values = np.asarray(_tensor(q).data, dtype=np.float64) / 100
    return _quantile(x, q_values, axis, method, keepdims, "nanpercentile", skip_nan=True)


@op
def nanmedian(x, axis=None, keepdims=False):
    """`median` of the entries that are not NaN (NaN where all are)."""
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", skip_nan=True)


@op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (q in [0, 100]) along `axis`."""
    q_values = np.asarray(_tensor(q).data, dtype=np.float64) / 100
    return quantile(x, q_values, axis=axis, method=method, keepdims=keepdims)


@op
def median(x, axis=None, keepdims=False):
    """The median along `axis` (the mean of the two middle values for even counts)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


@op
def corrcoef(x):
    """Pearson correlation coefficients between the rows of `x`."""
    x = _float_tensor(x)
    if x.ndim == 1:
        x = reshape(x, (1, -1))
    centered = subtract(x, mean(x, axis=-1, keepdims=True))
    covariance = tensordot(centered, centered, axes=([1], [1]))
    scale = sqrt(_sum(square(centered), axis=-1))
    result = covariance / multiply(reshape(scale, (-1, 1)), reshape(scale, (1, -1)))
    return result[0, 0] if result.shape == (1, 1) else result


@op
def select(condlist, choicelist, default=0):
    """Picks from `choicelist[i]` where `condlist[i]` first holds, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: {len(condlist)} conditions for {len(choicelist)} choices (need as many)."
        )
    if not condlist:
        raise ValueError("select: condlist must not be empty.")
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        result = where(condition, choice, result)
    return result


# -- NaN-aware reductions -----------------------------------------------------------------
def _nan_mask(x):
    x = _tensor(x)
    return x, np.isnan(x.data) if x.data.dtype.kind in "fc" else np.zeros(x.shape, bool)


@op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN becomes `nan`, infinities become `posinf`/`neginf` (the dtype's extremes by
    default); gradients flow through the finite entries."""
    x = _tensor(x)
    if x.data.dtype.kind not in "fc":
        return x
    values = np.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return where(np.isfinite(x.data), x, _constant(values))


@op
def nansum(x, axis=None, keepdims=False):
    """Sum along `axis`, treating NaN as 0."""
    x, nans = _nan_mask(x)
    return _sum(where(nans, 0, x), axis=axis, keepdims=keepdims)


@op
def nanprod(x, axis=None, keepdims=False):
    """Product along `axis`, treating NaN as 1."""
    from minikeras.ops.numpy import prod

    x, nans = _nan_mask(x)
    return prod(where(nans, 1, x), axis=axis, keepdims=keepdims)


@op
def nanmean(x, axis=None, keepdims=False):
    """Mean along `axis` of the entries that are not NaN."""
    x, nans = _nan_mask(x)
    x = _float_tensor(x)
    count = np.sum(~nans, axis=_axis(axis), keepdims=keepdims).astype(x.data.dtype)
    return _sum(where(nans, 0, x), axis=axis, keepdims=keepdims) / _constant(count)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@op
def nanvar(x, axis=None, keepdims=False):
    """Variance along `axis` of the entries that are not NaN."""
    x, nans = _nan_mask(x)
    x = _float_tensor(x)
    center = nanmean(x, axis=axis, keepdims=True)
    deviations = where(nans, 0, subtract(x, center))
    count = np.sum(~nans, axis=_axis(axis), keepdims=keepdims).astype(x.data.dtype)
    return _sum(square(deviations), axis=axis, keepdims=keepdims) / _constant(count)


@op
def nanstd(x, axis=None, keepdims=False):
    """Standard deviation along `axis` of the entries that are not NaN."""
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


@op
def nanmax(x, axis=None, keepdims=False):
    """Maximum along `axis` ignoring NaN (NaN where every entry is NaN)."""
    x, nans = _nan_mask(x)
    result = _max(where(nans, -np.inf, x), axis=axis, keepdims=keepdims)
    return _restore_all_nan(result, nans, axis, keepdims)


@op
def nanmin(x, axis=None, keepdims=False):
    """Minimum along `axis` ignoring NaN (NaN where every entry is NaN)."""
    x, nans = _nan_mask(x)
    result = _min(where(nans, np.inf, x), axis=axis, keepdims=keepdims)
    return _restore_all_nan(result, nans, axis, keepdims)


def _restore_all_nan(result, nans, axis, keepdims):
    all_nan = np.all(nans, axis=_axis(axis), keepdims=keepdims)
    if not np.any(all_nan):
        return result
    return where(all_nan, _constant(np.array(np.nan, result.data.dtype)), result)


@op
def nanargmax(x, axis=None, keepdims=False):
    """Index of the largest non-NaN entry along `axis` (-1 where all are NaN), int32."""
    return _nan_arg(np.nanargmax, x, axis, keepdims, -np.inf)


@op
def nanargmin(x, axis=None, keepdims=False):
    """Index of the smallest non-NaN entry along `axis` (-1 where all are NaN), int32."""
    return _nan_arg(np.nanargmin, x, axis, keepdims, np.inf)


def _nan_arg(function, x, axis, keepdims, fill):
    x, nans = _nan_mask(x)
    picker = np.argmax if function is np.nanargmax else np.argmin
    index = picker(np.where(nans, fill, x.data), axis=axis, keepdims=keepdims)
    all_nan = np.all(nans, axis=axis, keepdims=keepdims)
    return _constant(np.where(all_nan, -1, index).astype(np.int32))


@op
def nancumsum(x, axis=None, dtype=None):
    """Running sum along `axis`, treating NaN as 0."""
    x, nans = _nan_mask(x)
    return cumsum(where(nans, 0, x), axis=axis, dtype=dtype)


@op
def nancumprod(x, axis=None, dtype=None):
    """Running product along `axis`, treating NaN as 1."""
    x, nans = _nan_mask(x)
    return cumprod(where(nans, 1, x), axis=axis, dtype=dtype)


# -- counting, searching, indices (no gradient) -------------------------------------------
def _bincount_spec(fn, x, weights=None, minlength=0, sparse=False):
    """The number of bins depends on the largest value: unknown."""
    dtype = "int32"
    if weights is not None:
        weights_dtype = np.dtype(weights.dtype)
        dtype = weights_dtype.name if weights_dtype.kind == "f" else config.floatx()
    return KerasTensor(tuple(x.shape[:-1]) + (None,), dtype=dtype)


@op(output_spec=_bincount_spec)
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts each non-negative integer in 1-D `x` (summing `weights` instead when given).

    Returns int32 counts, or sums in the dtype of `weights`.
    """
    if sparse:
        raise ValueError(
            "bincount: sparse=True is not supported (minikeras has no sparse tensors)."
        )
    values = _tensor(x).data
    if values.dtype.kind not in "iub" or values.ndim != 1:
        raise ValueError(
            f"bincount: x must be a 1-D integer tensor, got {values.dtype} {values.shape}."
        )
    if values.size and values.min() < 0:
        raise ValueError("bincount: x must not hold negative values.")
    if weights is None:
        return _constant(np.bincount(values, minlength=int(minlength)).astype(np.int32))
    w = _tensor(weights).data
    counts = np.bincount(values, weights=w, minlength=int(minlength))
    return _constant(counts.astype(w.dtype if w.dtype.kind == "f" else config.floatx()))


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
    results = np.unique(
        data,
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
    )
    results = list(results) if isinstance(results, tuple) else [results]
    if size is not None:
        inverse_position = 1 + bool(return_index) if return_inverse else None
        results = _fit_unique_size(results, int(size), fill_value, axis, inverse_position)
    tensors = [_constant(results[0])] + [_constant(r.astype(np.int32)) for r in results[1:]]
    return tensors[0] if len(tensors) == 1 else tuple(tensors)


def _fit_unique_size(results, size, fill_value, axis, inverse_position):
    """Pads (or cuts) the distinct values to `size`: values with `fill_value` (default the
    smallest value), first indices and counts with 0; the inverse keeps one per entry."""
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
    from minikeras.ops.numpy import power

    x = _tensor(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {x.shape}.")
    columns = x.shape[0] if N is None else int(N)
    exponents = np.arange(columns)
    if not increasing:
        exponents = exponents[::-1]
    exponents = exponents.astype(x.data.dtype)
    return power(reshape(x, (-1, 1)), _constant(exponents.reshape(1, -1)))


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
    from minikeras.ops.numpy import broadcast_to

    core = tensor.shape[tensor.ndim - core_rank :] if core_rank else ()
    return broadcast_to(tensor, tuple(loop_shape) + tuple(core))
