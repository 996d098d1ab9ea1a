"""Math ops (`keras.ops.math`): logsumexp, erf, erfc, rsqrt, top_k, in_top_k, and `norm`
(which Keras keeps in `keras.ops.linalg`; it is exported as `ops.norm` either way).
"""

import math

import numpy as np

from minikeras.autodiff import Function
from minikeras.ops import numpy as _numpy_ops
from minikeras.ops import shape_inference as _shapes
from minikeras.ops._arguments import (
    _constant,
    _float_tensor,
    _one_axis,
    _tensor,
    expand_reduced,
    normalize_axis,
)
from minikeras.ops.indexing import TakeAlongAxis
from minikeras.ops.numpy import absolute, power, squeeze
from minikeras.ops.symbolic import op

__all__ = [
    "erf",
    "erfc",
    "in_top_k",
    "logsumexp",
    "norm",
    "rsqrt",
    "top_k",
]


# -- erf ----------------------------------------------------------------------------------
# erf is evaluated in the input's own dtype from two polynomial fits (no scipy needed):
#   |x| < 1:       erf(x) = x * P(x^2)
#   1 <= |x| <= 6: erfc(|x|) = exp(-x^2) * Q(s), with u = 2 / (2 + |x|) mapped linearly to
#                  s in [-1, 1] over the interval
#   |x| > 6:       erfc(|x|) = exp(-x^2) * (a continued fraction), erf = +-1 to double precision.
# The coefficients are weighted least-squares Chebyshev fits (converted to powers) to erf
# and exp(x^2) erfc(x) computed with 50-digit arithmetic; the maximum relative error is
# about 6e-15 in float64, and float32 inputs get float32 rounding only.
_ERF_SMALL = (
    1.1283791670955143,
    -0.3761263890321837,
    0.11283791672258602,
    -0.026866170849418478,
    0.005223979256203775,
    -0.0008548401629278393,
    0.00012057431515513082,
    -1.4963197278195233e-05,
    1.6890362618183678e-06,
    -1.9370100158217151e-07,
    2.646530566091426e-08,
    -2.998501048984375e-09,
)
_ERFCX_MIDDLE = (
    0.22142954022993203,
    0.16189356804101793,
    0.038560570425185306,
    0.005588816282013698,
    0.0001971391775953874,
    -8.079220581808394e-05,
    -7.340517091299997e-06,
    1.9795683662009847e-06,
    1.634973989412858e-07,
    -7.006784912960741e-08,
    -5.872317496530111e-10,
    2.6420658100015505e-09,
    -2.673436755663161e-10,
    -8.531513403693516e-11,
    1.9727456297809087e-11,
    3.1529354157344833e-12,
)
# u = 2 / (2 + x) runs over [0.25, 2/3] for x in [1, 6]; s = u * _U_SCALE - _U_SHIFT.
_U_LOW, _U_HIGH = 0.25, 2.0 / 3.0
_U_SCALE = 2.0 / (_U_HIGH - _U_LOW)
_U_SHIFT = (_U_LOW + _U_HIGH) / (_U_HIGH - _U_LOW)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _horner(coefficients, t):
    result = np.full_like(t, coefficients[-1])
    for c in coefficients[-2::-1]:
        result *= t
        result += c
    return result


def _erfc_tail(ax):
    """erfc(x) for x >= 1, as exp(-x^2) times a smooth factor (other entries: unused)."""
    # Clipping keeps the polynomial inside its fitted range and x * x from overflowing;
    # erfc(30) underflows to 0 anyway.
    ax = np.clip(ax, 1, 30)
    s = 2 / (2 + ax)
    s *= _U_SCALE
    s -= _U_SHIFT
    factor = _horner(_ERFCX_MIDDLE, s)
    far = ax > 6
    if far.any():
        # exp(x^2) erfc(x) = 1 / (sqrt(pi) (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))))
        t = ax.copy()
        for k in range(12, 0, -1):
            t = ax + (0.5 * k) / t
        factor = np.where(far, _INV_SQRT_PI / t, factor)
    factor *= np.exp(-(ax * ax))
    return factor


def _erf_small(x):
    """erf(x) for |x| < 1 (other entries: unused)."""
    x = np.clip(x, -1, 1)
    return x * _horner(_ERF_SMALL, x * x)


def erf_array(x):
    """erf on a numpy float array, in that array's dtype."""
    x = np.asarray(x)
    ax = np.abs(x)
    small = ax < 1
    y = _erf_small(x)
    if small.all():
        return y
    return np.where(small, y, np.copysign(1 - _erfc_tail(ax), x))


def erfc_array(x):
    """erfc = 1 - erf on a numpy float array, accurate in the tail (x > 1)."""
    x = np.asarray(x)
    ax = np.abs(x)
    small = ax < 1
    y = 1 - _erf_small(x)
    if small.all():
        return y
    tail = _erfc_tail(ax)
    return np.where(small, y, np.where(x > 0, tail, 2 - tail))


class Erf(Function):
    def forward(self, x):
        self.x = x
        return erf_array(x)

    def backward(self, gy):
        x = self.x
        slope = np.exp(-(x * x))
        slope *= _TWO_OVER_SQRT_PI
        return gy * slope


@op
def erf(x):
    """The error function `2/sqrt(pi) * integral_0^x exp(-t^2) dt`, elementwise."""
    return Erf()(_float_tensor(x))


class Erfc(Erf):
    def forward(self, x):
        self.x = x
        return erfc_array(x)

    def backward(self, gy):
        return -super().backward(gy)


@op
def erfc(x):
    """The complementary error function `1 - erf(x)`, accurate for large `x`."""
    return Erfc()(_float_tensor(x))


# -- logsumexp, rsqrt ---------------------------------------------------------------------
class LogSumExp(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        shift = np.max(x, axis=self.axis, keepdims=True)
        self.empty = False
        if not np.isfinite(shift).all():
            # A slice of only -inf would give -inf - (-inf) = NaN; shift it by 0 instead, so
            # its sum is 0 and its result -inf, as it should be.
            shift = np.where(np.isfinite(shift), shift, 0)
        e = np.exp(x - shift)
        total = np.sum(e, axis=self.axis, keepdims=True)
        self.e, self.total = e, total
        if total.all():
            y = np.log(total)
        else:
            self.empty = True
            with np.errstate(divide="ignore"):
                y = np.log(total)
        y += shift
        if self.keepdims:
            return y
        return np.squeeze(y, axis=normalize_axis(self.axis, x.ndim))

    def backward(self, gy):
        # d logsumexp / dx = softmax(x) = e / total, both kept from the forward pass.
        g = expand_reduced(gy, self.e.shape, self.axis, self.keepdims)
        if self.empty:
            scale = np.zeros(np.broadcast_shapes(g.shape, self.total.shape), g.dtype)
            np.divide(g, self.total, out=scale, where=self.total > 0)
            return self.e * scale
        return self.e * (g / self.total)


@op
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` over `axis`, shifted by the maximum so it never overflows."""
    x = _float_tensor(x)
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    return LogSumExp(axes, keepdims)(x)


class Rsqrt(Function):
    def forward(self, x):
        self.y = 1 / np.sqrt(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (-0.5 * (y * y * y))


@op
def rsqrt(x):
    """Elementwise `1 / sqrt(x)`."""
    return Rsqrt()(_float_tensor(x))


# -- top_k --------------------------------------------------------------------------------
def _descending_order(values, axis=-1):
    """Indices sorting `values` from largest to smallest; ties keep the lower index first.

    NaN counts as larger than every number (as in `jax.lax.top_k`, Keras on JAX); numpy's
    sort would put it last.
    """
    if values.dtype == np.bool_:
        values = values.astype(np.int8)
    order = np.argsort(-values, axis=axis, kind="stable")
    if values.dtype.kind == "f" and np.isnan(values).any():
        is_number = ~np.isnan(np.take_along_axis(values, order, axis=axis))
        order = np.take_along_axis(order, np.argsort(is_number, axis=axis, kind="stable"), axis)
    return order


@op
def top_k(x, k, sorted=True):  # noqa: A002 (the Keras signature)
    """The `k` largest entries along the last axis and their indices.

    Gradients flow to the selected entries. Ties are broken by the lower index; NaN ranks
    above every number, as in Keras.

    Returns:
        `(values, indices)`, indices as int32.
    """
    x = _tensor(x)
    k = int(k)
    if x.ndim == 0 or not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k={k} is invalid for a tensor of shape {x.shape}.")
    indices = _descending_order(x.data)[..., :k]
    values = TakeAlongAxis(indices, x.ndim - 1)(x)
    return values, _constant(indices.astype(np.int32))


@op(output_spec=_shapes.in_top_k)
def in_top_k(targets, predictions, k):
    """True where the prediction for the target class is among the `k` largest.

    A target counts as in the top k when fewer than k classes score strictly higher (ties
    count in its favour, as in Keras). NaN scores never count.
    """
    predictions = _tensor(predictions).data
    targets = np.asarray(_tensor(targets).data).astype(np.int64)
    at_target = np.take_along_axis(predictions, targets[..., None], axis=-1)
    at_target = np.where(np.isnan(at_target), -np.inf, at_target)
    rank = 1 + np.sum(predictions > at_target, axis=-1)
    return _constant(rank <= int(k))


# -- norm ---------------------------------------------------------------------------------
class L2Norm(Function):
    """`sqrt(sum(x^2))` over `axis`; the gradient `x / norm` is taken as 0 where norm == 0."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        y = np.sqrt(np.sum(np.square(x), axis=self.axis, keepdims=True))
        self.x, self.y = x, y
        if self.keepdims:
            return y
        return np.squeeze(y, axis=normalize_axis(self.axis, x.ndim))

    def backward(self, gy):
        g = expand_reduced(gy, self.x.shape, self.axis, self.keepdims)
        scale = np.zeros(np.broadcast_shapes(g.shape, self.y.shape), g.dtype)
        np.divide(g, self.y, out=scale, where=self.y > 0)
        return self.x * scale


class SingularValueNorm(Function):
    """Matrix norms from singular values: nuclear (their sum), 2 (largest), -2 (smallest)."""

    def __init__(self, kind, axes, keepdims):
        self.kind, self.axes, self.keepdims = kind, axes, keepdims

    def forward(self, x):
        self.x_shape = x.shape
        matrices = np.moveaxis(x, self.axes, (-2, -1))
        u, s, vh = np.linalg.svd(matrices, full_matrices=False)
        self.u, self.vh = u, vh
        if self.kind == "nuc":
            y = s.sum(axis=-1)
        else:
            y = s[..., 0] if self.kind == 2 else s[..., -1]
        if self.keepdims:
            y = np.expand_dims(y, tuple(sorted(self.axes)))
        return y

    def backward(self, gy):
        u, vh = self.u, self.vh
        if self.keepdims:
            gy = np.squeeze(gy, axis=tuple(sorted(self.axes)))
        if self.kind == "nuc":
            g = u @ vh
        else:
            i = 0 if self.kind == 2 else -1
            g = u[..., :, i, None] * vh[..., None, i, :]
        g = g * gy[..., None, None]
        return np.moveaxis(g, (-2, -1), self.axes)


def _vector_norm(x, order, axis, keepdims):
    if order is None or order == 2:
        return L2Norm(axis, keepdims)(x)
    if isinstance(order, str):
        raise ValueError(f"norm: ord={order!r} is only valid for matrix norms (two axes).")
    if order == math.inf:
        return _numpy_ops.max(absolute(x), axis=axis, keepdims=keepdims)
    if order == -math.inf:
        return _numpy_ops.min(absolute(x), axis=axis, keepdims=keepdims)
    if order == 0:
        counts = np.sum(x.data != 0, axis=axis, keepdims=keepdims)
        return _constant(counts.astype(x.data.dtype))
    if order == 1:
        return _numpy_ops.sum(absolute(x), axis=axis, keepdims=keepdims)
    total = _numpy_ops.sum(power(absolute(x), float(order)), axis=axis, keepdims=keepdims)
    return power(total, 1.0 / float(order))


_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _matrix_norm(x, order, axes, keepdims):
    rows, columns = axes
    if order is None or order == "fro":
        return L2Norm(tuple(sorted(axes)), keepdims)(x)
    if order in ("nuc", 2, -2):
        return SingularValueNorm(order, axes, keepdims)(x)
    if order in (1, -1):
        # Largest (smallest) absolute column sum.
        inner, outer = rows, columns
    elif order in (math.inf, -math.inf):
        inner, outer = columns, rows
    else:
        raise ValueError(
            f"norm: invalid ord={order!r} for a matrix. Expected one of {_MATRIX_ORDS}."
        )
    sums = _numpy_ops.sum(absolute(x), axis=inner, keepdims=True)
    reduce = _numpy_ops.max if order in (1, math.inf) else _numpy_ops.min
    result = reduce(sums, axis=outer, keepdims=True)
    if keepdims:
        return result
    return squeeze(result, axis=axes)


@op
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (the Keras signature)
    """Vector or matrix norm, with numpy's meaning of `ord` and `axis`.

    Args:
        ord: vector norms: None/2 (Euclidean), 1, inf, -inf, 0 (count) or any p; matrix
            norms (two axes): None/"fro", "nuc", 1, -1, 2, -2, inf, -inf.
        axis: None (the whole tensor: Euclidean for `ord=None`, else a vector or matrix norm
            by rank), an int (vector norm) or a pair of ints (matrix norm).
        keepdims: keep the reduced axes with size 1.

    Example:
        >>> ops.norm([[3.0, 4.0]], axis=-1).numpy()   # [5.]
    """
    x = _float_tensor(x)
    if axis is None:
        if ord is None:
            return L2Norm(None, keepdims)(x)
        if x.ndim == 1:
            axis = 0
        elif x.ndim == 2:
            axis = (0, 1)
        else:
            raise ValueError(
                f"norm: ord={ord!r} needs `axis` for a tensor of rank {x.ndim} (shape {x.shape})."
            )
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(_one_axis(a, x.ndim, "norm") for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis must be an int or a pair of different ints, got {axis}.")
