"""Elementwise ops whose result has no gradient: rounding (`sign`, `floor`, `round`,
`trunc`), comparisons and logic (`equal`, `less`, `logical_and`, `isnan`, `isclose`),
integer and bit operations (`floor_divide`, `bitwise_and`, `gcd`), and the parts of complex
numbers (`real` and `conj` of a real tensor pass its gradient through).

They compute on the arrays and return tensors with no creator, so nothing flows back
through them.
"""

import numpy as np

from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import _check_broadcast, _constant, _float_tensor, _pair, _tensor
from minikeras.ops.creation import Copy
from minikeras.ops.symbolic import op

__all__ = [
    "allclose",
    "angle",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "conj",
    "conjugate",
    "equal",
    "floor",
    "floor_divide",
    "gcd",
    "greater",
    "greater_equal",
    "heaviside",
    "i0",
    "imag",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "left_shift",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "nextafter",
    "not_equal",
    "real",
    "right_shift",
    "round",
    "sign",
    "signbit",
    "trunc",
]


# -- sign and rounding --------------------------------------------------------------------
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


# -- integer and bit operations, flags, complex parts -------------------------------------
def _bools_as_int32(a, b):
    """Two bool operands become int32 (Keras's dtype for integer math on bools); a bool
    beside an integer takes that integer's dtype by the usual promotion."""
    if a.data.dtype.kind == "b" and b.data.dtype.kind == "b":
        return _arith.cast(a, "int32"), _arith.cast(b, "int32")
    return a, b


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
    a, b = _bools_as_int32(*_pair(x1, x2))
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


def _integer_op(ufunc, name, bools_as_int32=False):
    @op(output_spec=_shapes.elementwise)
    def integer_op(x, y):
        if bools_as_int32:
            x, y = _bools_as_int32(*_pair(x, y))
        return _no_grad_binary(ufunc, x, y, name, kinds="iub")

    integer_op.__name__ = integer_op.__qualname__ = name
    integer_op.__doc__ = f"Elementwise `np.{ufunc.__name__}` on integer or bool tensors."
    integer_op.operation.name = name
    return integer_op


bitwise_and = _integer_op(np.bitwise_and, "bitwise_and")
bitwise_or = _integer_op(np.bitwise_or, "bitwise_or")
bitwise_xor = _integer_op(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _integer_op(np.left_shift, "bitwise_left_shift", bools_as_int32=True)
bitwise_right_shift = _integer_op(np.right_shift, "bitwise_right_shift", bools_as_int32=True)
left_shift = _integer_op(np.left_shift, "left_shift", bools_as_int32=True)
right_shift = _integer_op(np.right_shift, "right_shift", bools_as_int32=True)
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


@op(output_spec=_shapes.allclose)
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
