"""KerasTensor's operators (+ - * / // % ** @, comparisons, & | ^ ~ on booleans, unary -,
abs, round, [], and the methods `reshape` and `squeeze`): each one records
the op of the same name from `ops/numpy.py`, so `x + 1` on an `Input` is a graph node like
`ops.add(x, 1)`.

`symbolic.py` defines KerasTensor and the recording that `numpy.py` builds on, so it cannot
import `numpy.py`; the operators are installed from here instead (as
`autodiff/arithmetic.py` installs Tensor's), and `minikeras.ops` imports this module when
it loads.
"""

from minikeras.ops import numpy as numpy_ops
from minikeras.ops.symbolic import KerasTensor, symbolic_call


def _binary(name, reflected=False):
    function = getattr(numpy_ops, name)

    def method(self, other):
        return function(other, self) if reflected else function(self, other)

    method.__name__ = name
    return method


def _get_item(self, key):
    return symbolic_call(numpy_ops.get_item.operation, (self, key), {})


def _negative(self):
    return numpy_ops.negative(self)


def _absolute(self):
    return numpy_ops.absolute(self)


def _logical_not(self):
    return numpy_ops.logical_not(self)


def _reshape(self, newshape):
    return numpy_ops.reshape(self, newshape)


def _squeeze(self, axis=None):
    return numpy_ops.squeeze(self, axis=axis)


def _round(self, ndigits=None):
    return numpy_ops.round(self, decimals=ndigits or 0)


_METHODS = {
    "__add__": _binary("add"),
    "__radd__": _binary("add", reflected=True),
    "__sub__": _binary("subtract"),
    "__rsub__": _binary("subtract", reflected=True),
    "__mul__": _binary("multiply"),
    "__rmul__": _binary("multiply", reflected=True),
    # Keras records `x / y` as its TrueDivide op, which configs name.
    "__truediv__": _binary("true_divide"),
    "__rtruediv__": _binary("true_divide", reflected=True),
    "__floordiv__": _binary("floor_divide"),
    "__rfloordiv__": _binary("floor_divide", reflected=True),
    "__mod__": _binary("mod"),
    "__rmod__": _binary("mod", reflected=True),
    # As Keras's KerasTensor: the bit operators are the logical ops.
    "__and__": _binary("logical_and"),
    "__rand__": _binary("logical_and", reflected=True),
    "__or__": _binary("logical_or"),
    "__ror__": _binary("logical_or", reflected=True),
    "__xor__": _binary("logical_xor"),
    "__rxor__": _binary("logical_xor", reflected=True),
    "__invert__": _logical_not,
    "__round__": _round,
    "__pow__": _binary("power"),
    "__rpow__": _binary("power", reflected=True),
    "__matmul__": _binary("matmul"),
    "__rmatmul__": _binary("matmul", reflected=True),
    "__lt__": _binary("less"),
    "__le__": _binary("less_equal"),
    "__gt__": _binary("greater"),
    "__ge__": _binary("greater_equal"),
    "__neg__": _negative,
    "__abs__": _absolute,
    "__getitem__": _get_item,
    # The two array methods Keras's KerasTensor has.
    "reshape": _reshape,
    "squeeze": _squeeze,
}
for _name, _method in _METHODS.items():
    setattr(KerasTensor, _name, _method)
