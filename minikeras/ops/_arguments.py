"""Argument handling shared by the numpy-like ops: inputs to tensors, operands to one dtype,
axes to tuples.

`_tensor` wraps a non-tensor argument (floats become `floatx()`); `_float_tensor` also turns
integers and bools into `floatx()`, as Keras does for math. `_pair` converts two operands so
that a Python number takes the dtype of the tensor beside it, and `_binary` runs a
two-input primitive, naming the op when the shapes do not broadcast. `normalize_axis`
checks axes against a rank and sorts them; `expand_reduced` brings a reduced gradient back
to a shape that broadcasts against the reduction's input.
"""

import builtins

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor
from minikeras.autodiff import arithmetic as _arith
from minikeras.autodiff.tensor import to_array


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
    return _int32_for_mixed_signs(*_arith.promote_int_float(x1, x2))


def _int32_for_mixed_signs(*tensors):
    """Integers of 32 bits or fewer whose common type numpy makes int64 (a signed integer
    meeting uint32) meet as int32, as in Keras, which computes such integers in 32 bits."""
    dtypes = [t.data.dtype for t in tensors]
    if (
        all(d.kind in "iub" and d.itemsize <= 4 for d in dtypes)
        and np.result_type(*dtypes).itemsize == 8
    ):
        return [_arith.cast(t, "int32") for t in tensors]
    return tensors


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
    if not any(d.kind in "fc" for d in dtypes):
        tensors = _int32_for_mixed_signs(*tensors)
        dtypes = {t.data.dtype for t in tensors}
    target = np.result_type(*[d for d in dtypes if d.kind in "fc"] or list(dtypes))
    return [t if t.data.dtype == target else _arith.cast(t, target) for t in tensors]
