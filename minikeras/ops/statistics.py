"""Statistics (`average`, `ptp`, `quantile`, `percentile`, `median`, `corrcoef`, `select`)
and the NaN-aware reductions (`nansum`, `nanmean`, `nanvar`, `nanmax`, `nanquantile`,
`nanargmax`, `nan_to_num`, ...).

They are written with differentiable ops (`median` is a `sort` and an interpolation,
`nanmean` a masked `sum`), so gradients come for free; those whose result is an index
return tensors without a gradient.
"""

import numpy as np

from minikeras.autodiff import arithmetic as _arith
from minikeras.ops._arguments import _constant, _float_tensor, _one_axis, _tensor, normalize_axis
from minikeras.ops.elementwise import add, multiply, sqrt, square, subtract, where
from minikeras.ops.indexing import sort, take_along_axis
from minikeras.ops.manipulation import moveaxis, reshape
from minikeras.ops.products import tensordot
from minikeras.ops.reductions import cumprod, cumsum, mean, prod
from minikeras.ops.reductions import max as _max
from minikeras.ops.reductions import min as _min
from minikeras.ops.reductions import sum as _sum
from minikeras.ops.symbolic import op

__all__ = [
    "average",
    "corrcoef",
    "median",
    "nan_to_num",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "percentile",
    "ptp",
    "quantile",
    "select",
]


# -- statistics ---------------------------------------------------------------------------
@op
def average(x, axis=None, weights=None):
    """Weighted mean along `axis` (`weights` shaped like `x`, or 1-D along `axis`)."""
    x = _float_tensor(x)
    if weights is None:
        return mean(x, axis=axis)
    w = _tensor(weights)
    if w.data.dtype.kind not in "fc":
        w = _arith.cast(w, x.data.dtype)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1:
            raise ValueError(
                f"average: weights of shape {w.shape} need the shape of x {x.shape}, or 1-D "
                "along the given axis."
            )
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(
                    f"average: 1-D weights need a single axis, got axis={axis} for x of shape "
                    f"{x.shape}."
                )
            (axis,) = axis
        axis = _one_axis(axis, x.ndim, "average")
        if w.shape[0] != x.shape[axis]:
            raise ValueError(
                f"average: {w.shape[0]} weights for axis {axis} of size {x.shape[axis]}."
            )
        shape = [1] * x.ndim
        shape[axis] = -1
        w = reshape(w, shape)
        return _sum(multiply(x, w), axis=axis) / _sum(w)
    return _sum(multiply(x, w), axis=axis) / _sum(w, axis=axis)


@op
def ptp(x, axis=None, keepdims=False):
    """Range (`max - min`) along `axis`."""
    return subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis, keepdims=keepdims))


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


@op
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (q in [0, 1]) along `axis`; the axes of `q` come first.

    Args:
        method: "linear", "lower", "higher", "midpoint" or "nearest" (as numpy).
    """
    return _quantile(x, q, axis, method, keepdims, "quantile", skip_nan=False)


def _quantile(x, q, axis, method, keepdims, name, skip_nan):
    """Sorts along the reduced axes and interpolates between neighbours (differentiable
    through the sort). With `skip_nan`, NaNs sort last and each row counts only the rest."""
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{name}: unknown method {method!r}; choose from {_QUANTILE_METHODS}.")
    x = _float_tensor(x)
    q_values = np.asarray(_tensor(q).data, dtype=np.float64)
    if np.any((q_values < 0) | (q_values > 1)):
        raise ValueError(f"{name}: q must be within [0, 1], got {q_values}.")
    ndim = x.ndim
    axes = normalize_axis(axis, ndim, name)
    others = [i for i in range(ndim) if i not in axes]
    moved = moveaxis(x, list(axes), list(range(ndim - len(axes), ndim))) if axes else x
    flat = reshape(moved, tuple(x.shape[i] for i in others) + (-1,))
    nans = np.isnan(flat.data)
    if skip_nan:
        counts = np.sum(~nans, axis=-1)
        # NaNs sort last as infinities; rows of only NaNs get zeros (their result is NaN).
        filler = np.where((counts == 0)[..., None], 0.0, np.inf).astype(flat.data.dtype)
        flat = where(nans, np.broadcast_to(filler, nans.shape), flat)
    else:
        counts = np.full(flat.shape[:-1], flat.shape[-1])
    ordered = sort(flat, axis=-1)
    last = np.maximum(counts - 1, 0)[..., None]
    position = q_values.reshape(-1) * last  # one row of positions per reduced row
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, last)
    fraction = position - low
    if method == "lower":
        high, fraction = low, fraction * 0
    elif method == "higher":
        low = np.ceil(position).astype(np.int64)
        high, fraction = low, fraction * 0
    elif method == "nearest":
        low = np.round(position).astype(np.int64)  # numpy also rounds half to even here
        high, fraction = low, fraction * 0
    elif method == "midpoint":
        high = np.minimum(np.ceil(position).astype(np.int64), last)

    dtype = ordered.data.dtype
    low_values = take_along_axis(ordered, low, axis=-1)
    high_values = take_along_axis(ordered, high, axis=-1)
    if method == "midpoint":
        # The half-sum, not `low + (high - low) / 2`: a middle value of inf stays inf.
        result = multiply(add(low_values, high_values), 0.5)
    else:
        weight = _constant(fraction.astype(dtype))
        # inf - inf between two infinite neighbours is NaN, as in Keras, without a warning.
        with np.errstate(invalid="ignore"):
            result = low_values + multiply(subtract(high_values, low_values), weight)
    if skip_nan and np.any(counts == 0):
        result = where((counts == 0)[..., None], np.nan, result)
    result = moveaxis(result, -1, 0)  # the axes of q first, as numpy puts them
    result = reshape(result, q_values.shape + tuple(x.shape[i] for i in others))
    if keepdims:
        shape = list(q_values.shape) + [1 if i in axes else x.shape[i] for i in range(ndim)]
        result = reshape(result, shape)
    return result


@op
def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """`quantile` of the entries that are not NaN (NaN where all are)."""
    return _quantile(x, q, axis, method, keepdims, "nanquantile", skip_nan=True)


@op
def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """`percentile` of the entries that are not NaN (NaN where all are)."""
    q_values = np.asarray(_tensor(q).data, dtype=np.float64) / 100
    return _quantile(x, q_values, axis, method, keepdims, "nanpercentile", skip_nan=True)


@op
def nanmedian(x, axis=None, keepdims=False):
    """`median` of the entries that are not NaN (NaN where all are)."""
    return _quantile(x, 0.5, axis, "midpoint", keepdims, "nanmedian", skip_nan=True)


@op
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (q in [0, 100]) along `axis`."""
    q_values = np.asarray(_tensor(q).data, dtype=np.float64) / 100
    return quantile(x, q_values, axis=axis, method=method, keepdims=keepdims)


@op
def median(x, axis=None, keepdims=False):
    """The median along `axis` (the mean of the two middle values for even counts)."""
    return quantile(x, 0.5, axis=axis, method="midpoint", keepdims=keepdims)


@op
def corrcoef(x):
    """Pearson correlation coefficients between the rows of `x`."""
    x = _float_tensor(x)
    if x.ndim == 1:
        x = reshape(x, (1, -1))
    centered = subtract(x, mean(x, axis=-1, keepdims=True))
    covariance = tensordot(centered, centered, axes=([1], [1]))
    scale = sqrt(_sum(square(centered), axis=-1))
    result = covariance / multiply(reshape(scale, (-1, 1)), reshape(scale, (1, -1)))
    return result[0, 0] if result.shape == (1, 1) else result


@op
def select(condlist, choicelist, default=0):
    """Picks from `choicelist[i]` where `condlist[i]` first holds, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: {len(condlist)} conditions for {len(choicelist)} choices (need as many)."
        )
    if not condlist:
        raise ValueError("select: condlist must not be empty.")
    result = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        result = where(condition, choice, result)
    return result


# -- NaN-aware reductions -----------------------------------------------------------------
def _nan_mask(x):
    x = _tensor(x)
    return x, np.isnan(x.data) if x.data.dtype.kind in "fc" else np.zeros(x.shape, bool)


@op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN becomes `nan`, infinities become `posinf`/`neginf` (the dtype's extremes by
    default); gradients flow through the finite entries."""
    x = _tensor(x)
    if x.data.dtype.kind not in "fc":
        return x
    values = np.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return where(np.isfinite(x.data), x, _constant(values))


@op
def nansum(x, axis=None, keepdims=False):
    """Sum along `axis`, treating NaN as 0."""
    x, nans = _nan_mask(x)
    return _sum(where(nans, 0, x), axis=axis, keepdims=keepdims)


@op
def nanprod(x, axis=None, keepdims=False):
    """Product along `axis`, treating NaN as 1."""
    x, nans = _nan_mask(x)
    return prod(where(nans, 1, x), axis=axis, keepdims=keepdims)


@op
def nanmean(x, axis=None, keepdims=False):
    """Mean along `axis` of the entries that are not NaN."""
    x, nans = _nan_mask(x)
    x = _float_tensor(x)
    count = np.sum(~nans, axis=_axis(axis), keepdims=keepdims).astype(x.data.dtype)
    return _sum(where(nans, 0, x), axis=axis, keepdims=keepdims) / _constant(count)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


@op
def nanvar(x, axis=None, keepdims=False):
    """Variance along `axis` of the entries that are not NaN."""
    x, nans = _nan_mask(x)
    x = _float_tensor(x)
    center = nanmean(x, axis=axis, keepdims=True)
    deviations = where(nans, 0, subtract(x, center))
    count = np.sum(~nans, axis=_axis(axis), keepdims=keepdims).astype(x.data.dtype)
    return _sum(square(deviations), axis=axis, keepdims=keepdims) / _constant(count)


@op
def nanstd(x, axis=None, keepdims=False):
    """Standard deviation along `axis` of the entries that are not NaN."""
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


@op
def nanmax(x, axis=None, keepdims=False):
    """Maximum along `axis` ignoring NaN (NaN where every entry is NaN)."""
    x, nans = _nan_mask(x)
    if x.data.dtype.kind not in "fc":
        return _max(x, axis=axis, keepdims=keepdims)  # no NaN; keeps the dtype, as Keras
    result = _max(where(nans, -np.inf, x), axis=axis, keepdims=keepdims)
    return _restore_all_nan(result, nans, axis, keepdims)


@op
def nanmin(x, axis=None, keepdims=False):
    """Minimum along `axis` ignoring NaN (NaN where every entry is NaN)."""
    x, nans = _nan_mask(x)
    if x.data.dtype.kind not in "fc":
        return _min(x, axis=axis, keepdims=keepdims)  # no NaN; keeps the dtype, as Keras
    result = _min(where(nans, np.inf, x), axis=axis, keepdims=keepdims)
    return _restore_all_nan(result, nans, axis, keepdims)


def _restore_all_nan(result, nans, axis, keepdims):
    all_nan = np.all(nans, axis=_axis(axis), keepdims=keepdims)
    if not np.any(all_nan):
        return result
    return where(all_nan, _constant(np.array(np.nan, result.data.dtype)), result)


@op
def nanargmax(x, axis=None, keepdims=False):
    """Index of the largest non-NaN entry along `axis` (-1 where all are NaN), int32."""
    return _nan_arg(np.nanargmax, x, axis, keepdims, -np.inf)


@op
def nanargmin(x, axis=None, keepdims=False):
    """Index of the smallest non-NaN entry along `axis` (-1 where all are NaN), int32."""
    return _nan_arg(np.nanargmin, x, axis, keepdims, np.inf)


def _nan_arg(function, x, axis, keepdims, fill):
    x, nans = _nan_mask(x)
    picker = np.argmax if function is np.nanargmax else np.argmin
    index = picker(np.where(nans, fill, x.data), axis=axis, keepdims=keepdims)
    all_nan = np.all(nans, axis=axis, keepdims=keepdims)
    return _constant(np.where(all_nan, -1, index).astype(np.int32))


@op
def nancumsum(x, axis=None, dtype=None):
    """Running sum along `axis`, treating NaN as 0."""
    x, nans = _nan_mask(x)
    return cumsum(where(nans, 0, x), axis=axis, dtype=dtype)


@op
def nancumprod(x, axis=None, dtype=None):
    """Running product along `axis`, treating NaN as 1."""
    x, nans = _nan_mask(x)
    return cumprod(where(nans, 1, x), axis=axis, dtype=dtype)
