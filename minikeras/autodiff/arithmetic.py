"""The primitives behind Python's operators on tensors: + - * / ** @, unary -, abs, [], casts.

`minikeras.ops` exposes them under their Keras names (`ops.add`, `ops.matmul`, ...).
"""

import numbers

import numpy as np

from minikeras import config
from minikeras.autodiff.function import Function, sum_to
from minikeras.autodiff.tensor import Tensor, to_array


def constant_like(value, like):
    """Converts an operand for a binary op with tensor `like`.

    Python scalars take `like`'s dtype (so `x * 2.0` stays float32), except that a Python
    float meeting an integer tensor becomes `floatx()`. Everything else goes through the
    usual conversion (float arrays of 32 or 64 bits become `floatx()`).
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, np.generic):
        kind = like.data.dtype.kind
        if kind in "fc" or (kind in "iub" and isinstance(value, numbers.Integral)):
            if kind == "b" and not isinstance(value, bool):
                return Tensor._wrap(np.asarray(value, np.int32), None, 0)
            return Tensor._wrap(np.asarray(value, like.data.dtype), None, 0)
        return Tensor._wrap(np.asarray(value, config.floatx()), None, 0)
    return Tensor._wrap(to_array(value), None, 0)


def binary(function_class, a, b):
    """Applies a binary primitive, converting a non-tensor operand (see `constant_like`)."""
    if type(a) is not Tensor and not isinstance(a, Tensor):
        if getattr(a, "_is_symbolic", False):
            return NotImplemented
        a = constant_like(a, b)
    elif type(b) is not Tensor and not isinstance(b, Tensor):
        if getattr(b, "_is_symbolic", False):
            return NotImplemented
        b = constant_like(b, a)
    a, b = promote_int_float(a, b)
    return function_class()(a, b)


def promote_int_float(a, b):
    """An integer or bool operand meeting a float one takes the float's dtype.

    (numpy would make int32 + float32 a float64; Keras keeps float32.)
    """
    dtype_a, dtype_b = a.data.dtype, b.data.dtype
    if dtype_a is dtype_b:
        return a, b
    kind_a, kind_b = dtype_a.kind, dtype_b.kind
    if kind_a in "fc" and kind_b in "iub":
        b = Tensor._wrap(b.data.astype(a.data.dtype), None, 0)
    elif kind_b in "fc" and kind_a in "iub":
        a = Tensor._wrap(a.data.astype(b.data.dtype), None, 0)
    return a, b


class Add(Function):
    def forward(self, x, y):
        self.shapes = (x.shape, y.shape)
        return x + y

    def backward(self, gy):
        x_shape, y_shape = self.shapes
        needs = self.needs_grad
        gx = gz = None
        if needs[0]:
            gx = gy if gy.shape == x_shape else sum_to(gy, x_shape)
        if needs[1]:
            gz = gy if gy.shape == y_shape else sum_to(gy, y_shape)
        return gx, gz


class Subtract(Function):
    def forward(self, x, y):
        self.shapes = (x.shape, y.shape)
        return x - y

    def backward(self, gy):
        x_shape, y_shape = self.shapes
        gx = sum_to(gy, x_shape) if self.needs_grad[0] else None
        gz = sum_to(-gy, y_shape) if self.needs_grad[1] else None
        return gx, gz


class Multiply(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, gy):
        x, y = self.x, self.y
        gx = sum_to(gy * y, x.shape) if self.needs_grad[0] else None
        gz = sum_to(gy * x, y.shape) if self.needs_grad[1] else None
        return gx, gz


class Divide(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        out = x / y
        if out.dtype == np.float64 and x.dtype != np.float64 and y.dtype != np.float64:
            out = out.astype(config.floatx())  # int / int gives floatx, as in Keras
        return out

    def backward(self, gy):
        x, y = self.x, self.y
        gx = sum_to(gy / y, x.shape) if self.needs_grad[0] else None
        gz = sum_to(-gy * x / (y * y), y.shape) if self.needs_grad[1] else None
        return gx, gz


class Power(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        self.out = x**y
        return self.out

    def backward(self, gy):
        x, y = self.x, self.y
        gx = gz = None
        if self.needs_grad[0]:
            gx = sum_to(gy * y * x ** (y - 1), x.shape)
        if self.needs_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_x = np.where(x > 0, np.log(np.where(x > 0, x, 1)), 0)
            gz = sum_to(gy * self.out * log_x, y.shape)
        return gx, gz


class MatMul(Function):
    """Matrix product with numpy's broadcasting and 1-D rules."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.matmul(x, y)

    def backward(self, gy):
        x, y = self.x, self.y
        if x.ndim == 2 and y.ndim == 2:
            needs = self.needs_grad
            return (gy @ y.T if needs[0] else None), (x.T @ gy if needs[1] else None)
        if x.ndim == 1 and y.ndim == 1:  # inner product: gy is a scalar
            gx = gy * y if self.needs_grad[0] else None
            gz = gy * x if self.needs_grad[1] else None
            return gx, gz
        # Promote 1-D operands to matrices, as matmul itself does, then undo it.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        if x.ndim == 1:
            gy = np.expand_dims(gy, -2)
        if y.ndim == 1:
            gy = np.expand_dims(gy, -1)
        gx = gz = None
        if self.needs_grad[0]:
            gx = sum_to(np.matmul(gy, np.swapaxes(y2, -1, -2)), x2.shape).reshape(x.shape)
        if self.needs_grad[1]:
            gz = sum_to(np.matmul(np.swapaxes(x2, -1, -2), gy), y2.shape).reshape(y.shape)
        return gx, gz


class Negative(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Absolute(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, gy):
        return gy * np.sign(self.x)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return np.transpose(gy)
        return np.transpose(gy, np.argsort(self.axes))


class Reshape(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = x.shape
        return np.reshape(x, self.shape)

    def backward(self, gy):
        return gy.reshape(self.x_shape)


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        if self.x_dtype.kind not in "fc":
            return None
        return gy.astype(self.x_dtype)


def cast(x, dtype):
    """Casts `x` to `dtype`; gradients flow back for float to float casts."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    if dtype.kind not in "fc" and x.requires_grad:
        return Tensor._wrap(x.data.astype(dtype), None, 0)  # no gradient reaches integers
    # A primitive even for integers, so that a recorded step (`autodiff/program.py`)
    # casts each new batch too (the Input of an Embedding model casts its indices).
    return Cast(dtype)(x)


def _is_advanced(part):
    return isinstance(part, (np.ndarray, list))


class GetItem(Function):
    """Indexing and slicing; repeated indices add up their gradients (scatter-add)."""

    def __init__(self, key):
        self.key = key
        parts = key if isinstance(key, tuple) else (key,)
        self.advanced = any(_is_advanced(part) for part in parts)

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, gy):
        gx = np.zeros(self.x_shape, self.x_dtype)
        if self.advanced:
            np.add.at(gx, self.key, gy)
        else:
            gx[self.key] = gy
        return gx


def _plain_key(key):
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(_plain_key(part) for part in key)
    return key


def get_item(x, key):
    """`x[key]` for a tensor `x`; `key` may hold tensors, arrays, slices, None, Ellipsis."""
    return GetItem(_plain_key(key))(x)


def compare(ufunc, a, b):
    """Elementwise comparison: a boolean tensor with no gradient."""
    if not isinstance(b, Tensor):
        if getattr(b, "_is_symbolic", False):
            return NotImplemented
        b = constant_like(b, a)
    a, b = promote_int_float(a, b)
    return Tensor._wrap(ufunc(a.data, b.data), None, 0)


# -- Tensor's operators ----------------------------------------------------------------------
# tensor.py defines Tensor without its operators, so that it needs nothing from this module;
# they are installed here, beside the primitives they call (DeZero's `setup_variable`).


def _add(self, other):
    return binary(Add, self, other)


def _radd(self, other):
    return binary(Add, other, self)


def _subtract(self, other):
    return binary(Subtract, self, other)


def _rsubtract(self, other):
    return binary(Subtract, other, self)


def _multiply(self, other):
    return binary(Multiply, self, other)


def _rmultiply(self, other):
    return binary(Multiply, other, self)


def _divide(self, other):
    return binary(Divide, self, other)


def _rdivide(self, other):
    return binary(Divide, other, self)


def _power(self, other):
    return binary(Power, self, other)


def _rpower(self, other):
    return binary(Power, other, self)


def _matmul(self, other):
    return binary(MatMul, self, other)


def _rmatmul(self, other):
    return binary(MatMul, other, self)


def _negative(self):
    return Negative()(self)


def _absolute(self):
    return Absolute()(self)


def _less(self, other):
    return compare(np.less, self, other)


def _less_equal(self, other):
    return compare(np.less_equal, self, other)


def _greater(self, other):
    return compare(np.greater, self, other)


def _greater_equal(self, other):
    return compare(np.greater_equal, self, other)


def _equal(self, other):
    return compare(np.equal, self, other)


def _not_equal(self, other):
    return compare(np.not_equal, self, other)


# A few array methods Keras tensors have; the full set is `minikeras.ops`.
def _transpose(self):
    return Transpose(None)(self)


def _reshape(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape(shape)(self)


def _astype(self, dtype):
    return cast(self, dtype)


_TENSOR_METHODS = {
    "__add__": _add,
    "__radd__": _radd,
    "__sub__": _subtract,
    "__rsub__": _rsubtract,
    "__mul__": _multiply,
    "__rmul__": _rmultiply,
    "__truediv__": _divide,
    "__rtruediv__": _rdivide,
    "__pow__": _power,
    "__rpow__": _rpower,
    "__matmul__": _matmul,
    "__rmatmul__": _rmatmul,
    "__neg__": _negative,
    "__abs__": _absolute,
    "__getitem__": get_item,
    "__lt__": _less,
    "__le__": _less_equal,
    "__gt__": _greater,
    "__ge__": _greater_equal,
    "__eq__": _equal,
    "__ne__": _not_equal,
    "T": property(_transpose),
    "reshape": _reshape,
    "astype": _astype,
}
for _name, _method in _TENSOR_METHODS.items():
    setattr(Tensor, _name, _method)
