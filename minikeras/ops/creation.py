"""Making tensors: `zeros`, `ones`, `full`, `empty` and their `_like` forms, `arange`,
`linspace`, `logspace`, `geomspace`, `eye`, `identity`, `tri`, the window functions
(`hanning`, `kaiser`, ...), `array` and `copy`; and the questions `size` and `ndim`.

What they make is a constant; `copy` passes the gradient through, and `array` is
`convert_to_tensor`.
"""

import builtins
import math

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import _constant, _tensor
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "arange",
    "array",
    "bartlett",
    "blackman",
    "copy",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "geomspace",
    "hamming",
    "hanning",
    "identity",
    "kaiser",
    "linspace",
    "logspace",
    "ndim",
    "ones",
    "ones_like",
    "size",
    "tri",
    "zeros",
    "zeros_like",
]


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


@op(output_spec=_shapes.spaced)
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """`num` numbers spaced evenly on a log scale, `base**start` to `base**stop`."""
    values = np.logspace(start, stop, int(num), endpoint=endpoint, base=base, axis=axis)
    return _constant(values.astype(dtype or config.floatx()))


@op(output_spec=_shapes.spaced)
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
