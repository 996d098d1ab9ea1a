"""More elementwise math (`arcsin`, `cosh`, `cbrt`, `sinc`, `arctan2`, `hypot`, `logaddexp`,
`fmax`, `mod`, ...) from one pair of primitives.

`Elementwise` / `Elementwise2` compute any elementwise function given the function and its
derivative(s), so each op here is a line or two: the function, its derivative written with
numpy, and the dtype rules of `_float_tensor`/`_pair`.
"""

import math

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import _binary, _constant, _float_tensor, _pair, _tensor
from minikeras.ops.elementwise import multiply
from minikeras.ops.symbolic import op

__all__ = [
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "cbrt",
    "cosh",
    "deg2rad",
    "exp2",
    "fabs",
    "fmax",
    "fmin",
    "fmod",
    "hypot",
    "ldexp",
    "logaddexp",
    "logaddexp2",
    "mod",
    "rad2deg",
    "sinc",
    "sinh",
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
    if a.data.dtype.kind == "b" and b.data.dtype.kind == "b":
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
