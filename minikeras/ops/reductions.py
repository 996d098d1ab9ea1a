"""Reductions: `sum`, `mean`, `max`, `min`, `prod`, `var`, `std` (each one primitive whose
backward spreads the gradient back over the reduced axes), running totals (`cumsum`,
`cumprod`, `diff`, `trapezoid`), and the reductions without a gradient (`all`, `any`,
`argmax`, `argmin`, `argsort`, `count_nonzero`).

Integer inputs to `mean` and `var` give `floatx()`, as in Keras.
"""

import builtins
import math

import numpy as np

from minikeras.autodiff import Function
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops._arguments import (
    _constant,
    _float_tensor,
    _one_axis,
    _tensor,
    expand_reduced,
    normalize_axis,
)
from minikeras.ops.elementwise import multiply, subtract
from minikeras.ops.manipulation import reshape
from minikeras.ops.symbolic import op

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "diff",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "trapezoid",
    "var",
]


# -- reductions without a gradient --------------------------------------------------------
def _reduce_axis(x, axis, name):
    """Validates `axis` for a reduction; returns it in a form numpy accepts."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        return normalize_axis(axis, x.ndim, name)[0]
    return normalize_axis(axis, x.ndim, name)


@op
def all(x, axis=None, keepdims=False):
    """True where every entry along `axis` is non-zero."""
    x = _tensor(x)
    return _constant(np.all(x.data, axis=_reduce_axis(x, axis, "all"), keepdims=keepdims))


@op
def any(x, axis=None, keepdims=False):
    """True where some entry along `axis` is non-zero."""
    x = _tensor(x)
    return _constant(np.any(x.data, axis=_reduce_axis(x, axis, "any"), keepdims=keepdims))


@op
def argmax(x, axis=None, keepdims=False):
    """Index of the largest entry along `axis` (over the flattened tensor by default), int32."""
    x = _tensor(x)
    axis = _reduce_axis(x, axis, "argmax")
    return _constant(np.argmax(x.data, axis=axis, keepdims=keepdims).astype(np.int32))


@op
def argmin(x, axis=None, keepdims=False):
    """Index of the smallest entry along `axis` (over the flattened tensor by default), int32."""
    x = _tensor(x)
    axis = _reduce_axis(x, axis, "argmin")
    return _constant(np.argmin(x.data, axis=axis, keepdims=keepdims).astype(np.int32))


@op
def argsort(x, axis=-1):
    """Indices that sort `x` along `axis` (stable), int32."""
    x = _tensor(x)
    if x.ndim == 0:
        return _constant(np.zeros((1,), np.int32))
    axis = _reduce_axis(x, axis, "argsort")
    return _constant(np.argsort(x.data, axis=axis, kind="stable").astype(np.int32))


@op
def count_nonzero(x, axis=None):
    """Number of non-zero entries along `axis`, int32."""
    x = _tensor(x)
    axis = _reduce_axis(x, axis, "count_nonzero")
    return _constant(np.asarray(np.count_nonzero(x.data, axis=axis), dtype=np.int32))


# -- reductions with a gradient -----------------------------------------------------------
class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        return spread(expand_reduced(gy, self.x_shape, self.axis, self.keepdims), self.x_shape)


def spread(g, shape):
    """`g` broadcast to `shape`: a read-only view for large shapes (no memory traffic), a
    small new array otherwise (np.broadcast_to's own cost dominates for small arrays)."""
    if math.prod(shape) > 4096:
        return np.broadcast_to(g, shape)
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def _axis_arg(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


@op
def sum(x, axis=None, keepdims=False):
    """Sum over `axis` (all axes by default); narrow integer and bool inputs give int32
    (uint32 when unsigned)."""
    x = _tensor(x)
    normalize_axis(axis, x.ndim, "sum")
    accumulator = _integer_accumulator(x.data.dtype)
    if accumulator is not None:
        return _constant(np.sum(x.data, axis=_axis_arg(axis), keepdims=keepdims, dtype=accumulator))
    return Sum(_axis_arg(axis), keepdims)(x)


def _integer_accumulator(dtype):
    """The dtype Keras sums and multiplies narrow integers in: bool and signed ints up to 32
    bits give int32, unsigned ones uint32 (None for 64-bit and float inputs)."""
    if dtype.kind not in "biu" or dtype.itemsize == 8:
        return None
    return np.uint32 if dtype.kind == "u" else np.int32


class Mean(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    # A replayed program (autodiff/program.py) may replace the backward pass of a mean over
    # everything by the scalar `gy / count`, for a consumer that broadcasts it.
    @staticmethod
    def spreads_evenly(parameters):
        return parameters.get("axis") is None and not parameters.get("keepdims")

    def forward(self, x):
        self.x_shape = x.shape
        # sum / count in the input's dtype (np.mean adds a slow Python layer).
        total = np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)
        count = x.size // builtins.max(1, total.size) if x.size else 0
        if count:
            total = total / x.dtype.type(count)
        else:
            total = total * x.dtype.type(np.nan)  # mean of nothing, as numpy gives
        return total

    def backward(self, gy):
        count = x_size = math.prod(self.x_shape)
        if x_size:
            count = x_size // builtins.max(1, gy.size)
        if self.axis is None and not self.keepdims and x_size <= 4096:  # a loss mean: one value
            g = np.empty(self.x_shape, gy.dtype)
            g.fill(gy / gy.dtype.type(count))
            return g
        g = expand_reduced(gy, self.x_shape, self.axis, self.keepdims)
        return spread(g / gy.dtype.type(count), self.x_shape)


@op
def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all axes by default); integer inputs give floats."""
    x = _float_tensor(x)
    if axis is not None:
        normalize_axis(axis, x.ndim, "mean")
    return Mean(_axis_arg(axis), keepdims)(x)


class Max(Function):
    """Largest entry along `axis`; ties share the gradient equally (as JAX does)."""

    reducer = staticmethod(np.max)

    def __init__(self, axis=None, keepdims=False, initial=None):
        self.axis, self.keepdims, self.initial = axis, keepdims, initial

    def forward(self, x):
        kwargs = {} if self.initial is None else {"initial": self.initial}
        y = self.reducer(x, axis=self.axis, keepdims=True, **kwargs)
        self.x, self.y = x, y
        if self.keepdims:
            return y
        return np.squeeze(y, axis=normalize_axis(self.axis, x.ndim))

    def backward(self, gy):
        hit = self.x == self.y
        count = np.sum(hit, axis=self.axis, keepdims=True, dtype=gy.dtype)
        np.maximum(count, 1, out=count)
        g = expand_reduced(gy, self.x.shape, self.axis, self.keepdims)
        return hit * (g / count)


class Min(Max):
    reducer = staticmethod(np.min)


@op
def max(x, axis=None, keepdims=False, initial=None):
    """Largest entry along `axis` (all axes by default)."""
    x = _tensor(x)
    normalize_axis(axis, x.ndim, "max")
    return Max(_axis_arg(axis), keepdims, initial)(x)


@op
def min(x, axis=None, keepdims=False, initial=None):
    """Smallest entry along `axis` (all axes by default)."""
    x = _tensor(x)
    normalize_axis(axis, x.ndim, "min")
    return Min(_axis_arg(axis), keepdims, initial)(x)


@op
def amax(x, axis=None, keepdims=False):
    """Same as `max`."""
    return max(x, axis=axis, keepdims=keepdims)


@op
def amin(x, axis=None, keepdims=False):
    """Same as `min`."""
    return min(x, axis=axis, keepdims=keepdims)


def _product_of_others(x, axes):
    """For each entry, the product of the other entries along `axes` (no division: zero-safe)."""
    k = len(axes)
    moved = np.moveaxis(x, axes, range(x.ndim - k, x.ndim))
    flat = moved.reshape(moved.shape[: x.ndim - k] + (-1,))
    left = np.ones_like(flat)
    np.cumprod(flat[..., :-1], axis=-1, out=left[..., 1:])
    right = np.ones_like(flat)
    right[..., :-1] = np.cumprod(flat[..., :0:-1], axis=-1)[..., ::-1]
    left *= right
    return np.moveaxis(left.reshape(moved.shape), range(x.ndim - k, x.ndim), axes)


class Prod(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        return np.prod(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        axes = normalize_axis(self.axis, self.x.ndim)
        g = expand_reduced(gy, self.x.shape, self.axis, self.keepdims)
        if not axes:
            return np.broadcast_to(g, self.x.shape)
        return _product_of_others(self.x, axes) * g


@op
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product of the entries along `axis` (the gradient is exact even with zeros); integer
    and bool inputs take `sum`'s dtype."""
    x = _tensor(x)
    normalize_axis(axis, x.ndim, "prod")
    if dtype is not None:
        x = _arith.cast(x, dtype)
    elif _integer_accumulator(x.data.dtype) is not None:
        accumulator = _integer_accumulator(x.data.dtype)
        return _constant(
            np.prod(x.data, axis=_axis_arg(axis), keepdims=keepdims, dtype=accumulator)
        )
    return Prod(_axis_arg(axis), keepdims)(x)


class Var(Function):
    """Population variance (two-pass: mean first, then the mean squared deviation)."""

    def __init__(self, axis=None, keepdims=False, root=False):
        self.axis, self.keepdims, self.root = axis, keepdims, root

    def forward(self, x):
        mean = np.mean(x, axis=self.axis, keepdims=True)
        deviation = x - mean
        self.deviation = deviation
        self.count = builtins.max(1, x.size // builtins.max(1, mean.size))
        variance = np.mean(np.square(deviation), axis=self.axis, keepdims=True)
        if self.root:
            variance = np.sqrt(variance)
        self.y = variance
        if self.keepdims:
            return variance
        return np.squeeze(variance, axis=normalize_axis(self.axis, x.ndim))

    def backward(self, gy):
        g = expand_reduced(gy, self.deviation.shape, self.axis, self.keepdims)
        if self.root:
            # d std = d var / (2 std); where std == 0 the gradient is taken as 0.
            scale = np.zeros_like(self.y)
            np.divide(1.0 / self.count, self.y, out=scale, where=self.y > 0)
            return self.deviation * (g * scale)
        return self.deviation * (g * (2.0 / self.count))


@op
def var(x, axis=None, keepdims=False):
    """Variance along `axis` (divides by the number of entries, like numpy and Keras)."""
    x = _float_tensor(x)
    normalize_axis(axis, x.ndim, "var")
    return Var(_axis_arg(axis), keepdims)(x)


@op
def std(x, axis=None, keepdims=False):
    """Standard deviation along `axis` (the gradient at a constant input is 0, not NaN)."""
    x = _float_tensor(x)
    normalize_axis(axis, x.ndim, "std")
    return Var(_axis_arg(axis), keepdims, root=True)(x)


class Cumsum(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.cumsum(x, axis=self.axis, dtype=x.dtype)

    def backward(self, gy):
        # The gradient of a running sum is the running sum taken from the other end.
        return np.flip(np.cumsum(np.flip(gy, self.axis), axis=self.axis), self.axis)


@op
def cumsum(x, axis=None, dtype=None):
    """Running sum along `axis` (of the flattened tensor when `axis` is None)."""
    x = _tensor(x)
    if dtype is not None:
        x = _arith.cast(x, dtype)
    if x.data.dtype == np.bool_:
        x = _arith.cast(x, "int32")
    if axis is None:
        x = _arith.Reshape((-1,))(x)
        axis = 0
    return Cumsum(_one_axis(axis, x.ndim, "cumsum"))(x)


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
        return multiply(sum(heights, axis=axis), dx)
    widths = diff(_float_tensor(x), axis=axis if _tensor(x).ndim == y.ndim else -1)
    if widths.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[axis] = -1
        widths = reshape(widths, shape)
    return sum(multiply(heights, widths), axis=axis)
