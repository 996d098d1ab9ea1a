"""Numpy-like ops (`keras.ops.numpy`): arithmetic, math, reductions, shape manipulation.

Each differentiable op is one small `Function` subclass (forward and backward on numpy
arrays) plus the lowercase function users call. Backward methods reduce broadcast
gradients with `sum_to` and return None for inputs that need no gradient.

Ops without a gradient (comparisons, `sign`, `argmax`, `floor`, ...) return tensors with no
creator, so nothing flows back through them.

Dtypes follow Keras: float inputs keep their dtype, integer inputs to float-valued math
(`exp`, `mean`, `sqrt`, ...) become `floatx()`, and Python numbers take the dtype of the
tensor beside them. Constants inside the primitives are Python floats (never np.float64,
which would silently promote float32 arrays).
"""

import builtins
import math
import string
from collections import Counter

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.autodiff.tensor import to_array
from minikeras.ops import shape_inference as _shapes
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "broadcast_to",
    "ceil",
    "clip",
    "concatenate",
    "cos",
    "count_nonzero",
    "cumsum",
    "divide",
    "divide_no_nan",
    "dot",
    "einsum",
    "equal",
    "exp",
    "expand_dims",
    "expm1",
    "eye",
    "flip",
    "floor",
    "full",
    "full_like",
    "get_item",
    "greater",
    "greater_equal",
    "identity",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log1p",
    "log2",
    "log10",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "moveaxis",
    "multiply",
    "ndim",
    "negative",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "power",
    "prod",
    "ravel",
    "reciprocal",
    "repeat",
    "reshape",
    "round",
    "sign",
    "sin",
    "size",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "transpose",
    "true_divide",
    "var",
    "where",
    "zeros",
    "zeros_like",
]


# -- helpers ------------------------------------------------------------------------------
def _tensor(x):
    """Converts a non-tensor argument (floats become floatx)."""
    return x if isinstance(x, Tensor) else Tensor._wrap(to_array(x), None, 0)


def _float_tensor(x):
    """Like `_tensor`, but integer and bool inputs become `floatx()` (as Keras does for math)."""
    x = _tensor(x)
    if x.data.dtype.kind not in "fc":
        x = _arith.cast(x, config.floatx())
    return x


def _pair(x1, x2):
    """Converts two operands; a Python scalar takes the dtype of the tensor beside it."""
    if isinstance(x1, Tensor) and isinstance(x2, Tensor) and x1.data.dtype == x2.data.dtype:
        return x1, x2  # the common case: nothing to convert or promote
    if isinstance(x1, Tensor):
        x2 = _arith.constant_like(x2, x1)
    elif isinstance(x2, Tensor):
        x1 = _arith.constant_like(x1, x2)
    else:
        x1 = _tensor(x1)
        x2 = _arith.constant_like(x2, x1)
    return _arith.promote_int_float(x1, x2)


def _check_broadcast(name, *shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{name}: incompatible shapes {listed} (they do not broadcast).") from None


def _binary(function_class, x1, x2, name):
    a, b = _pair(x1, x2)
    try:
        return function_class()(a, b)
    except ValueError:
        # Checked only on failure: np.broadcast_shapes costs microseconds on a hot path.
        _check_broadcast(name, a.data.shape, b.data.shape)
        raise


def _constant(array):
    """Wraps an array computed without a gradient (comparisons, argmax, ...)."""
    if type(array) is not np.ndarray:
        array = np.asarray(array)
    return Tensor._wrap(array, None, 0)


def _inplace(ufunc, array):
    """`ufunc(array)` written into `array` when it is an ndarray (numpy scalars are immutable)."""
    if type(array) is np.ndarray:
        return ufunc(array, out=array)
    return ufunc(array)


def normalize_axis(axis, ndim, name=None):
    """Returns `axis` (None, int or sequence) as a sorted tuple of non-negative ints.

    Raises a ValueError naming the op (`name`) when an axis is out of range.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    result = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            where = f"{name}: " if name else ""
            raise ValueError(
                f"{where}axis {a} is out of bounds for a tensor of rank {ndim} "
                f"(valid axes are {-ndim} to {ndim - 1})."
            )
        result.append(a % ndim if ndim else 0)
    if len(set(result)) != len(result):
        raise ValueError(f"{name or 'op'}: repeated axis in {tuple(axis)}.")
    return tuple(sorted(result))


def _one_axis(axis, ndim, name):
    return normalize_axis(int(axis), ndim, name)[0]


def expand_reduced(g, x_shape, axis, keepdims):
    """Reshapes a reduced gradient so it broadcasts against the input of the reduction."""
    if keepdims or g.ndim == len(x_shape):
        return g
    axes = normalize_axis(axis, len(x_shape))
    shape = [1 if i in axes else size for i, size in enumerate(x_shape)]
    return np.reshape(g, shape)


def _promote_all(tensors):
    """Brings a list of tensors to one dtype: integers meet floats as that float."""
    dtypes = {t.data.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    target = np.result_type(*[d for d in dtypes if d.kind in "fc"] or list(dtypes))
    return [t if t.data.dtype == target else _arith.cast(t, target) for t in tensors]


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
    """Elementwise `x1 ** x2`."""
    return _binary(_arith.Power, x1, x2, "power")


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


@op(output_spec=_shapes.matmul)
def matmul(x1, x2):
    """Matrix product with numpy's rules for 1-D and batched operands."""
    a, b = _pair(x1, x2)
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


# -- elementwise functions without a gradient ---------------------------------------------
@op
def sign(x):
    """Elementwise sign (-1, 0 or 1); no gradient flows through it."""
    x = _tensor(x)
    return _constant(np.sign(x.data))


@op
def floor(x):
    """Elementwise floor (no gradient); integer inputs become floats."""
    return _constant(np.floor(_float_tensor(x).data))


@op
def ceil(x):
    """Elementwise ceiling (no gradient); integer inputs become floats."""
    return _constant(np.ceil(_float_tensor(x).data))


@op
def round(x, decimals=0):
    """Rounds half to even, like numpy (no gradient).

    Raises:
        ValueError: for a boolean `x` (numpy would silently return float16).
    """
    x = _tensor(x)
    if x.data.dtype.kind == "b":
        raise ValueError("round: expected a numeric tensor, got dtype bool.")
    return _constant(np.round(x.data, decimals))


# -- comparisons and logic (no gradient) --------------------------------------------------
def _compare(ufunc, x1, x2, name):
    a, b = _pair(x1, x2)
    try:
        return _constant(ufunc(a.data, b.data))
    except ValueError:
        _check_broadcast(name, a.data.shape, b.data.shape)
        raise


@op(output_spec=_shapes.elementwise)
def equal(x1, x2):
    """Elementwise `x1 == x2` as a boolean tensor."""
    return _compare(np.equal, x1, x2, "equal")


@op(output_spec=_shapes.elementwise)
def not_equal(x1, x2):
    """Elementwise `x1 != x2` as a boolean tensor."""
    return _compare(np.not_equal, x1, x2, "not_equal")


@op(output_spec=_shapes.elementwise)
def less(x1, x2):
    """Elementwise `x1 < x2` as a boolean tensor."""
    return _compare(np.less, x1, x2, "less")


@op(output_spec=_shapes.elementwise)
def less_equal(x1, x2):
    """Elementwise `x1 <= x2` as a boolean tensor."""
    return _compare(np.less_equal, x1, x2, "less_equal")


@op(output_spec=_shapes.elementwise)
def greater(x1, x2):
    """Elementwise `x1 > x2` as a boolean tensor."""
    return _compare(np.greater, x1, x2, "greater")


@op(output_spec=_shapes.elementwise)
def greater_equal(x1, x2):
    """Elementwise `x1 >= x2` as a boolean tensor."""
    return _compare(np.greater_equal, x1, x2, "greater_equal")


@op(output_spec=_shapes.elementwise)
def logical_and(x1, x2):
    """Elementwise logical and (non-zero counts as True)."""
    return _compare(np.logical_and, x1, x2, "logical_and")


@op(output_spec=_shapes.elementwise)
def logical_or(x1, x2):
    """Elementwise logical or."""
    return _compare(np.logical_or, x1, x2, "logical_or")


@op(output_spec=_shapes.elementwise)
def logical_xor(x1, x2):
    """Elementwise logical exclusive or."""
    return _compare(np.logical_xor, x1, x2, "logical_xor")


@op
def logical_not(x):
    """Elementwise logical not."""
    return _constant(np.logical_not(_tensor(x).data))


@op
def isnan(x):
    """Elementwise test for NaN."""
    return _constant(np.isnan(_tensor(x).data))


@op
def isinf(x):
    """Elementwise test for positive or negative infinity."""
    return _constant(np.isinf(_tensor(x).data))


@op
def isfinite(x):
    """Elementwise test for finite values (not NaN, not infinite)."""
    return _constant(np.isfinite(_tensor(x).data))


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


# -- reductions ---------------------------------------------------------------------------
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


# -- products -----------------------------------------------------------------------------
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
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
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


# -- creation and information -------------------------------------------------------------
def _shape_arg(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


@op
def zeros(shape, dtype=None):
    """A tensor of zeros (`floatx()` by default)."""
    return _constant(np.zeros(_shape_arg(shape), dtype or config.floatx()))


@op
def ones(shape, dtype=None):
    """A tensor of ones (`floatx()` by default)."""
    return _constant(np.ones(_shape_arg(shape), dtype or config.floatx()))


@op
def full(shape, fill_value, dtype=None):
    """A tensor filled with `fill_value` (`floatx()` by default)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.data
    return _constant(np.full(_shape_arg(shape), fill_value, dtype or config.floatx()))


@op
def zeros_like(x, dtype=None):
    """Zeros with the shape (and dtype, unless given) of `x`."""
    x = _tensor(x)
    return _constant(np.zeros(x.shape, dtype or x.data.dtype))


@op
def ones_like(x, dtype=None):
    """Ones with the shape (and dtype, unless given) of `x`."""
    x = _tensor(x)
    return _constant(np.ones(x.shape, dtype or x.data.dtype))


@op
def full_like(x, fill_value, dtype=None):
    """`fill_value` with the shape (and dtype, unless given) of `x`."""
    x = _tensor(x)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.data
    return _constant(np.full(x.shape, fill_value, dtype or x.data.dtype))


@op
def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in `[start, stop)`; int32 for integer arguments, else floatx."""
    values = [v for v in (start, stop, step) if v is not None]
    if dtype is None:
        is_float = builtins.any(
            isinstance(v, float) or np.asarray(v).dtype.kind == "f" for v in values
        )
        dtype = config.floatx() if is_float else "int32"
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    return _constant(np.arange(start, stop, step, dtype=dtype))


@op
def eye(N, M=None, k=0, dtype=None):
    """A 2-D tensor with ones on the k-th diagonal.

    Raises:
        TypeError: when `N` or `M` is not an integer (`eye(3.5)` is refused, not rounded).
        ValueError: when `k` is not an integer.
    """
    N = _integer_argument(N, "N", "eye", TypeError)
    M = None if M is None else _integer_argument(M, "M", "eye", TypeError)
    k = _integer_argument(k, "k", "eye", ValueError)
    return _constant(np.eye(N, M, k, dtype or config.floatx()))


@op
def identity(n, dtype=None):
    """The n x n identity matrix (`n` must be an integer)."""
    n = _integer_argument(n, "n", "identity", TypeError)
    return _constant(np.eye(n, dtype=dtype or config.floatx()))


def _integer_argument(value, argument, name, error):
    """`value` as a Python int; a float or other non-integer raises `error` naming `argument`."""
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "iu":
        raise error(f"{name}: argument `{argument}` must be an integer, got {value!r}.")
    return int(array)


@op(output_spec=_shapes.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (floatx by default)."""
    dtype = dtype or config.floatx()
    values = np.linspace(start, stop, int(num), endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        values, step = values
        return _constant(values.astype(dtype)), _constant(np.asarray(step, dtype))
    return _constant(values.astype(dtype))


def size(x):
    """Number of entries of `x` (None for a symbolic tensor with unknown dimensions)."""
    if isinstance(x, KerasTensor):
        return None if None in x.shape else math.prod(x.shape)
    return int(np.size(x.data if isinstance(x, Tensor) else x))


def ndim(x):
    """Number of axes of `x`."""
    if isinstance(x, (Tensor, KerasTensor)):
        return len(x.shape)
    return np.ndim(x)


# The less common ops of `keras.ops.numpy` live in numpy_more.py (it imports the helpers
# above, so it is loaded last).
from minikeras.ops import numpy_more as _more  # noqa: E402
from minikeras.ops.numpy_more import *  # noqa: E402, F403

__all__ += _more.__all__
