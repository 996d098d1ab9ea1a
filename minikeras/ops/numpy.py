"""Numpy-like ops (`keras.ops.numpy`): arithmetic, math, reductions, shape manipulation.

Each differentiable op is one small `Function` subclass (forward and backward on numpy
arrays) plus the lowercase function users call. Backward methods reduce broadcast
gradients with `sum_to` and return None for inputs that need no gradient.
"""

import numpy as np

from minikeras.autodiff import Function, Tensor, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.autodiff.tensor import to_array
from minikeras.ops.symbolic import op

__all__ = [
    "abs",
    "absolute",
    "add",
    "divide",
    "equal",
    "exp",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "log",
    "matmul",
    "maximum",
    "mean",
    "multiply",
    "negative",
    "not_equal",
    "power",
    "reshape",
    "sqrt",
    "square",
    "subtract",
    "sum",
    "transpose",
    "true_divide",
]


# -- helpers ------------------------------------------------------------------------------
def _tensor(x):
    """Converts a non-tensor argument (floats become floatx)."""
    return x if isinstance(x, Tensor) else Tensor._wrap(to_array(x), None, 0)


def _pair(x1, x2):
    """Converts two operands; a Python scalar takes the dtype of the tensor beside it."""
    if isinstance(x1, Tensor):
        x2 = _arith.constant_like(x2, x1)
    elif isinstance(x2, Tensor):
        x1 = _arith.constant_like(x1, x2)
    else:
        x1 = _tensor(x1)
        x2 = _arith.constant_like(x2, x1)
    return _arith.promote_int_float(x1, x2)


def _binary(function_class, x1, x2):
    a, b = _pair(x1, x2)
    try:
        return function_class()(a, b)
    except ValueError as error:
        if "broadcast" not in str(error) and "shape" not in str(error):
            raise
        raise ValueError(
            f"{function_class.__name__.lower()}: incompatible shapes {a.shape} and {b.shape}."
        ) from None


def normalize_axis(axis, ndim):
    """Returns `axis` (None, int or sequence) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    result = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}.")
        result.append(a % ndim if ndim else 0)
    return tuple(sorted(result))


def expand_reduced(g, x_shape, axis, keepdims):
    """Reshapes a reduced gradient so it broadcasts against the input of the reduction."""
    if keepdims or g.ndim == len(x_shape):
        return g
    axes = normalize_axis(axis, len(x_shape))
    shape = [1 if i in axes else size for i, size in enumerate(x_shape)]
    return g.reshape(shape)


# -- elementwise arithmetic ---------------------------------------------------------------
@op
def add(x1, x2):
    """Elementwise `x1 + x2` with broadcasting."""
    return _binary(_arith.Add, x1, x2)


@op
def subtract(x1, x2):
    """Elementwise `x1 - x2` with broadcasting."""
    return _binary(_arith.Subtract, x1, x2)


@op
def multiply(x1, x2):
    """Elementwise `x1 * x2` with broadcasting."""
    return _binary(_arith.Multiply, x1, x2)


@op
def divide(x1, x2):
    """Elementwise `x1 / x2` with broadcasting (integer inputs give floats)."""
    return _binary(_arith.Divide, x1, x2)


true_divide = divide


@op
def power(x1, x2):
    """Elementwise `x1 ** x2`."""
    return _binary(_arith.Power, x1, x2)


@op
def negative(x):
    """Elementwise `-x`."""
    return _arith.Negative()(_tensor(x))


@op
def absolute(x):
    """Elementwise `|x|` (gradient `sign(x)`, 0 at 0)."""
    return _arith.Absolute()(_tensor(x))


abs = absolute  # Keras exposes both names


@op
def matmul(x1, x2):
    """Matrix product with numpy's rules for 1-D and batched operands."""
    a, b = _pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must not be scalars, got shapes {a.shape}, {b.shape}.")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: incompatible shapes {a.shape} and {b.shape} "
            f"(inner dimensions {inner_a} and {inner_b})."
        )
    return _arith.MatMul()(a, b)


class Square(Function):
    def forward(self, x):
        self.x = x
        return np.square(x)

    def backward(self, gy):
        return gy * (2 * self.x)


@op
def square(x):
    """Elementwise `x ** 2`."""
    return Square()(_tensor(x))


class Sqrt(Function):
    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy / (2 * self.y)


@op
def sqrt(x):
    """Elementwise square root."""
    return Sqrt()(_tensor(x))


class Exp(Function):
    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


@op
def exp(x):
    """Elementwise exponential."""
    return Exp()(_tensor(x))


class Log(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, gy):
        return gy / self.x


@op
def log(x):
    """Elementwise natural logarithm."""
    return Log()(_tensor(x))


class Maximum(Function):
    """Elementwise maximum; where the two are equal the gradient is split evenly."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.maximum(x, y)

    def backward(self, gy):
        x, y = self.x, self.y
        x_wins = (x > y).astype(gy.dtype) + 0.5 * (x == y)
        gx = sum_to(gy * x_wins, x.shape) if self.needs_grad[0] else None
        gz = sum_to(gy * (1 - x_wins), y.shape) if self.needs_grad[1] else None
        return gx, gz


@op
def maximum(x1, x2):
    """Elementwise maximum with broadcasting."""
    return _binary(Maximum, x1, x2)


# -- comparisons (no gradient) --------------------------------------------------------------
def _compare(ufunc, x1, x2):
    a, b = _pair(x1, x2)
    return Tensor._wrap(ufunc(a.data, b.data), None, 0)


@op
def equal(x1, x2):
    """Elementwise `x1 == x2` as a boolean tensor."""
    return _compare(np.equal, x1, x2)


@op
def not_equal(x1, x2):
    """Elementwise `x1 != x2` as a boolean tensor."""
    return _compare(np.not_equal, x1, x2)


@op
def less(x1, x2):
    """Elementwise `x1 < x2` as a boolean tensor."""
    return _compare(np.less, x1, x2)


@op
def less_equal(x1, x2):
    """Elementwise `x1 <= x2` as a boolean tensor."""
    return _compare(np.less_equal, x1, x2)


@op
def greater(x1, x2):
    """Elementwise `x1 > x2` as a boolean tensor."""
    return _compare(np.greater, x1, x2)


@op
def greater_equal(x1, x2):
    """Elementwise `x1 >= x2` as a boolean tensor."""
    return _compare(np.greater_equal, x1, x2)


# -- reductions ---------------------------------------------------------------------------
class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        g = expand_reduced(gy, self.x_shape, self.axis, self.keepdims)
        return np.broadcast_to(g, self.x_shape)


def _axis_arg(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


@op
def sum(x, axis=None, keepdims=False):
    """Sum over `axis` (all axes by default)."""
    x = _tensor(x)
    normalize_axis(axis, x.ndim)
    return Sum(_axis_arg(axis), keepdims)(x)


class Mean(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return np.mean(x, axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        count = x_size = int(np.prod(self.x_shape))
        if x_size:
            count = x_size // max(1, gy.size)
        g = expand_reduced(gy, self.x_shape, self.axis, self.keepdims)
        return np.broadcast_to(g / gy.dtype.type(count), self.x_shape)


@op
def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all axes by default); integer inputs give floats."""
    x = _tensor(x)
    normalize_axis(axis, x.ndim)
    if x.data.dtype.kind not in "fc":
        x = _arith.cast(x, "float32")
    return Mean(_axis_arg(axis), keepdims)(x)


# -- shapes -------------------------------------------------------------------------------
@op
def reshape(x, newshape):
    """Returns `x` with a new shape (one dimension may be -1)."""
    x = _tensor(x)
    newshape = (newshape,) if isinstance(newshape, int) else tuple(int(d) for d in newshape)
    try:
        return _arith.Reshape(newshape)(x)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} into {newshape}."
        ) from None


@op
def transpose(x, axes=None):
    """Permutes the axes of `x` (reverses them by default)."""
    return _arith.Transpose(axes)(_tensor(x))
