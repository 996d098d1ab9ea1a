"""Elementwise arithmetic and math with a gradient: `add`, `multiply`, `power`, `exp`,
`log`, `sqrt`, `sin`, `tanh`, `maximum`, `clip`, `where`, ...

Each op is one small `Function` subclass (forward and backward on numpy arrays) plus the
lowercase function users call; `add`, `subtract`, `multiply` and `divide` use the autodiff
core's own primitives (`autodiff/arithmetic.py`). Backward methods reduce broadcast
gradients with `sum_to` and return None for inputs that need no gradient.
"""

import math

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import (
    _binary,
    _check_broadcast,
    _constant,
    _float_tensor,
    _pair,
    _tensor,
)
from minikeras.ops.symbolic import op

__all__ = [
    "abs",
    "absolute",
    "add",
    "clip",
    "cos",
    "divide",
    "divide_no_nan",
    "exp",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "power",
    "reciprocal",
    "sin",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "where",
]


# -- elementwise arithmetic ---------------------------------------------------------------
@op(output_spec=_shapes.elementwise)
def add(x1, x2):
    """Elementwise `x1 + x2` with broadcasting."""
    return _binary(_arith.Add, x1, x2, "add")


@op(output_spec=_shapes.elementwise)
def subtract(x1, x2):
    """Elementwise `x1 - x2` with broadcasting."""
    return _binary(_arith.Subtract, x1, x2, "subtract")


@op(output_spec=_shapes.elementwise)
def multiply(x1, x2):
    """Elementwise `x1 * x2` with broadcasting."""
    return _binary(_arith.Multiply, x1, x2, "multiply")


@op(output_spec=_shapes.elementwise)
def divide(x1, x2):
    """Elementwise `x1 / x2` with broadcasting (integer inputs give floats)."""
    return _binary(_arith.Divide, x1, x2, "divide")


@op(output_spec=_shapes.elementwise)
def true_divide(x1, x2):
    """Same as `divide`."""
    return _binary(_arith.Divide, x1, x2, "true_divide")


class DivideNoNan(Function):
    """`x / y`, and 0 wherever `y == 0` (also for the gradients)."""

    def forward(self, x, y):
        self.x, self.y = x, y
        self.nonzero = y != 0
        safe = np.where(self.nonzero, y, 1)
        self.safe = safe
        return np.where(self.nonzero, x / safe, 0)

    def backward(self, gy):
        x, y, safe = self.x, self.y, self.safe
        gy = gy * self.nonzero
        gx = sum_to(gy / safe, x.shape) if self.needs_grad[0] else None
        gz = sum_to(-gy * x / (safe * safe), y.shape) if self.needs_grad[1] else None
        return gx, gz


@op(output_spec=_shapes.elementwise)
def divide_no_nan(x1, x2):
    """`x1 / x2` where `x2 != 0`, else 0 (Keras uses it to average safely)."""
    a, b = _pair(x1, x2)
    if a.data.dtype.kind not in "fc":
        a = _arith.cast(a, config.floatx())
    if b.data.dtype.kind not in "fc":
        b = _arith.cast(b, a.data.dtype)
    _check_broadcast("divide_no_nan", a.shape, b.shape)
    return DivideNoNan()(a, b)


@op(output_spec=_shapes.elementwise)
def power(x1, x2):
    """Elementwise `x1 ** x2` (int32 for two bools, as Keras)."""
    a, b = _pair(x1, x2)
    if a.data.dtype.kind == "b" and b.data.dtype.kind == "b":
        a, b = _arith.cast(a, "int32"), _arith.cast(b, "int32")
    return _binary(_arith.Power, a, b, "power")


@op
def negative(x):
    """Elementwise `-x`."""
    return _arith.Negative()(_tensor(x))


@op
def absolute(x):
    """Elementwise `|x|` (gradient `sign(x)`, 0 at 0)."""
    return _arith.Absolute()(_tensor(x))


@op
def abs(x):
    """Elementwise `|x|` (same as `absolute`)."""
    return _arith.Absolute()(_tensor(x))


class Square(Function):
    def forward(self, x):
        self.x = x
        return np.square(x)

    def backward(self, gy):
        return gy * (2 * self.x)


@op
def square(x):
    """Elementwise `x ** 2` (booleans give int32, as in Keras)."""
    x = _tensor(x)
    if x.data.dtype.kind == "b":
        return _constant(np.square(x.data, dtype=np.int32))
    return Square()(x)


class Sqrt(Function):
    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


@op
def sqrt(x):
    """Elementwise square root."""
    return Sqrt()(_float_tensor(x))


class Reciprocal(Function):
    def forward(self, x):
        self.y = 1 / x
        return self.y

    def backward(self, gy):
        return -gy * np.square(self.y)


@op
def reciprocal(x):
    """Elementwise `1 / x`."""
    return Reciprocal()(_float_tensor(x))


class Exp(Function):
    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


@op
def exp(x):
    """Elementwise exponential."""
    return Exp()(_float_tensor(x))


class Expm1(Function):
    def forward(self, x):
        self.y = np.expm1(x)
        return self.y

    def backward(self, gy):
        return gy * (self.y + 1)


@op
def expm1(x):
    """Elementwise `exp(x) - 1`, accurate for small `x`."""
    return Expm1()(_float_tensor(x))


class Log(Function):
    """Natural logarithm; `scale` gives other bases (log2 = ln / ln 2)."""

    def __init__(self, ufunc=np.log, scale=1.0):
        self.ufunc, self.scale = ufunc, scale

    def forward(self, x):
        self.x = x
        return self.ufunc(x)

    def backward(self, gy):
        if self.scale == 1.0:
            return gy / self.x
        return gy / (self.x * self.scale)


@op
def log(x):
    """Elementwise natural logarithm."""
    return Log()(_float_tensor(x))


@op
def log2(x):
    """Elementwise base-2 logarithm."""
    return Log(np.log2, math.log(2.0))(_float_tensor(x))


@op
def log10(x):
    """Elementwise base-10 logarithm."""
    return Log(np.log10, math.log(10.0))(_float_tensor(x))


class Log1p(Function):
    def forward(self, x):
        self.x = x
        return np.log1p(x)

    def backward(self, gy):
        return gy / (self.x + 1)


@op
def log1p(x):
    """Elementwise `log(1 + x)`, accurate for small `x`."""
    return Log1p()(_float_tensor(x))


class Sin(Function):
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, gy):
        return gy * np.cos(self.x)


@op
def sin(x):
    """Elementwise sine."""
    return Sin()(_float_tensor(x))


class Cos(Function):
    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, gy):
        return -gy * np.sin(self.x)


@op
def cos(x):
    """Elementwise cosine."""
    return Cos()(_float_tensor(x))


class Tan(Function):
    def forward(self, x):
        self.y = np.tan(x)
        return self.y

    def backward(self, gy):
        return gy * (1 + np.square(self.y))


@op
def tan(x):
    """Elementwise tangent."""
    return Tan()(_float_tensor(x))


class Tanh(Function):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - np.square(self.y))


@op
def tanh(x):
    """Elementwise hyperbolic tangent (also `ops.nn.tanh`)."""
    return Tanh()(_float_tensor(x))


class Maximum(Function):
    """Elementwise maximum; where the two are equal the gradient is split evenly (as JAX)."""

    ufunc = staticmethod(np.maximum)

    def forward(self, x, y):
        self.x, self.y = x, y
        return self.ufunc(x, y)

    def backward(self, gy):
        x, y = self.x, self.y
        if self.ufunc is np.maximum:
            x_wins = np.greater(x, y).astype(gy.dtype)
        else:
            x_wins = np.less(x, y).astype(gy.dtype)
        x_wins += np.equal(x, y) * gy.dtype.type(0.5)
        gx = sum_to(gy * x_wins, x.shape) if self.needs_grad[0] else None
        gz = sum_to(gy * (1 - x_wins), y.shape) if self.needs_grad[1] else None
        return gx, gz


class Minimum(Maximum):
    ufunc = staticmethod(np.minimum)


@op(output_spec=_shapes.elementwise)
def maximum(x1, x2):
    """Elementwise maximum with broadcasting."""
    return _binary(Maximum, x1, x2, "maximum")


@op(output_spec=_shapes.elementwise)
def minimum(x1, x2):
    """Elementwise minimum with broadcasting."""
    return _binary(Minimum, x1, x2, "minimum")


class Clip(Function):
    """Limits values to [low, high]; the gradient passes where the input was inside."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        if self.low is None:
            self.inside = x <= self.high
        elif self.high is None:
            self.inside = x >= self.low
        else:
            self.inside = (x >= self.low) & (x <= self.high)
        return np.clip(x, self.low, self.high)

    def backward(self, gy):
        return gy * self.inside


def _bound(value, like):
    """A clip bound as a Python number or an array of `like`'s dtype (no float64 sneaking in)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return np.asarray(value).astype(like.dtype, copy=False)
    if like.dtype.kind in "iu" and isinstance(value, float):
        return value
    return like.dtype.type(value)


@op
def clip(x, x_min, x_max):
    """Limits the values of `x` to `[x_min, x_max]` (gradient 1 inside, 0 outside)."""
    x = _tensor(x)
    if x.data.dtype == np.bool_:
        x = _arith.cast(x, "int32")
    if x.data.dtype.kind in "iu" and (isinstance(x_min, float) or isinstance(x_max, float)):
        x = _arith.cast(x, config.floatx())
    return Clip(_bound(x_min, x.data), _bound(x_max, x.data))(x)


class Where(Function):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, x, y):
        self.shapes = (x.shape, y.shape)
        return np.where(self.condition, x, y)

    def backward(self, gy):
        x_shape, y_shape = self.shapes
        gx = gz = None
        if self.needs_grad[0]:
            gx = sum_to(np.where(self.condition, gy, 0), x_shape)
        if self.needs_grad[1]:
            gz = sum_to(np.where(self.condition, 0, gy), y_shape)
        return gx, gz


@op(output_spec=_shapes.elementwise)
def where(condition, x1=None, x2=None):
    """Picks `x1` where `condition` holds and `x2` elsewhere (broadcasting all three).

    With only `condition`, returns the indices of its non-zero entries (like numpy).
    """
    condition = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if x1 is None and x2 is None:
        return tuple(_constant(i.astype(np.int32)) for i in np.nonzero(condition))
    if x1 is None or x2 is None:
        raise ValueError("where: pass both x1 and x2, or neither.")
    a, b = _pair(x1, x2)
    _check_broadcast("where", condition.shape, a.shape, b.shape)
    return Where(condition.astype(bool, copy=False))(a, b)
