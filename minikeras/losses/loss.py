"""The `Loss` base class and the reduction rules every loss shares (Keras 3 `losses/loss.py`).

A loss object computes one value per sample in `call(y_true, y_pred)`; `__call__` then
multiplies by `sample_weight` and reduces:

- `"sum_over_batch_size"` (the default) and `"mean"`: sum of the weighted values divided by
  the *number of values* (not by the sum of the weights);
- `"sum"`: the plain sum;
- `"mean_with_sample_weight"`: sum divided by the sum of the weights;
- `"none"` / `None`: the weighted values themselves.

Divisions are "divide-no-nan": an empty batch or zero total weight gives 0, not NaN.
"""

import numpy as np

from minikeras import config, ops
from minikeras.autodiff import Tensor
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask  # noqa: F401 (re-exported)
from minikeras.autodiff.tensor import dtype_name
from minikeras.utils.naming import auto_name

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


class Reduction:
    """Keras 2's names for the reductions, mapped onto the Keras 3 strings.

    Example:
        >>> from minikeras import losses
        >>> losses.MeanSquaredError(reduction=losses.Reduction.SUM).reduction
        'sum'
    """

    AUTO = "sum_over_batch_size"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
    MEAN = "mean"
    MEAN_WITH_SAMPLE_WEIGHT = "mean_with_sample_weight"

    @classmethod
    def all(cls):
        """Every accepted reduction string."""
        return ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")

    @classmethod
    def validate(cls, key):
        """Raises a ValueError unless `key` is a valid reduction."""
        standardize_reduction(key)


def standardize_reduction(reduction):
    """Returns `reduction` if valid (Keras 2's `"auto"` becomes `"sum_over_batch_size"`).

    Raises:
        ValueError: naming the valid reductions.
    """
    if isinstance(reduction, str) and reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{['sum_over_batch_size', 'sum', 'mean', 'mean_with_sample_weight', 'none', None]}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def _standardize_loss_dtype(dtype):
    """The numpy name of a loss's computation dtype (`floatx()` for None).

    Raises:
        ValueError: naming `dtype`, for names numpy has no dtype for (Keras's `"bfloat16"`
            and dtype policies such as `"mixed_float16"`) and for non-numeric dtypes.
    """
    try:
        standard = np.dtype(dtype or config.floatx())
    except TypeError:
        standard = None
    if standard is None or standard.kind not in "biufc":
        raise ValueError(
            f"Invalid value for argument `dtype` of a loss: {dtype!r}. minikeras computes "
            "in numpy dtypes, such as 'float32' (the default), 'float16' or 'float64'; it "
            "has no bfloat16 and no mixed-precision policies."
        )
    return standard.name


# -- masks --------------------------------------------------------------------------------
# A loss function may mark entries of its per-sample values as "not counted" (sparse
# cross-entropy with `ignore_class` does), and a model's predictions may carry the mask of
# their timesteps: both are Keras masks (`autodiff/masks.py`).


# -- shapes -------------------------------------------------------------------------------
def _expand_last(x):
    return np.expand_dims(x, -1) if isinstance(x, np.ndarray) else ops.expand_dims(x, -1)


def _squeeze_last(x):
    return np.squeeze(x, -1) if isinstance(x, np.ndarray) else ops.squeeze(x, -1)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes two ranks equal when they differ by one trailing dimension of size 1.

    The one with the extra trailing 1 is squeezed, except that a rank-1 partner is expanded
    instead (when `expand_rank_1`). Works on tensors and numpy arrays.

    Example:
        >>> a, b = squeeze_or_expand_to_same_rank(np.zeros((4, 1)), np.zeros(4))
        >>> a.shape, b.shape
        ((4, 1), (4, 1))
    """
    rank1, rank2 = len(x1.shape), len(x2.shape)
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = _expand_last(x2)
        else:
            x1 = _squeeze_last(x1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = _expand_last(x1)
        else:
            x2 = _squeeze_last(x2)
    return x1, x2


# -- reductions ---------------------------------------------------------------------------
def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces (already weighted) `values` to a scalar according to `reduction`."""
    if reduction is None or reduction == "none" or tuple(values.shape) in ((), (0,)):
        return values
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        loss = ops.sum(values)
        divisor = ops.cast(ops.sum(sample_weight), loss.dtype)
        return ops.divide_no_nan(loss, divisor)
    if reduction == "sum" or values.size == 0:
        return ops.sum(values)  # an empty batch sums to 0 (divide-no-nan in Keras)
    # sum / number of values, as one node
    return ops.mean(values)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Folds a boolean mask into the sample weights.

    For the mean reductions, valid entries weigh `total / valid` so that dividing by the
    number of values gives the mean over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = np.asarray(mask.size, dtype=dtype)
        valid = np.sum(mask.astype(dtype))
        weight = total / valid if valid != 0 else np.zeros((), dtype)
        float_mask = np.where(mask.astype(bool), weight, 0).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return ops.convert_to_tensor(float_mask, dtype=dtype)
    sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    try:
        np.broadcast_shapes(tuple(float_mask.shape), tuple(sample_weight.shape))
    except ValueError:
        # Keras fails here too (a broadcasting error): say which arrays and how to fix it.
        raise ValueError(
            f"sample_weight of shape {tuple(sample_weight.shape)} does not broadcast against "
            f"the mask of the predictions, of shape {tuple(mask.shape)} (a padded sequence's "
            "timesteps): give one weight per timestep, shape "
            f"{tuple(mask.shape)}, or per sample with a trailing 1, shape "
            f"{(mask.shape[0], 1)}."
        ) from None
    return ops.multiply(sample_weight, ops.convert_to_tensor(float_mask, dtype=dtype))


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    """Multiplies `values` by `sample_weight` (and mask), then reduces them.

    `sample_weight` may be a scalar, have the batch shape `(batch,)`, or carry an extra (or
    missing) trailing dimension of 1 relative to `values`; it then broadcasts.
    """
    reduction = standardize_reduction(reduction)
    dtype = dtype or config.floatx()
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype=values.dtype, reduction=reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        try:
            np.broadcast_shapes(values.shape, sample_weight.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {tuple(sample_weight.shape)} does not broadcast "
                f"against the per-sample loss values of shape {tuple(values.shape)}."
            ) from None
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of losses: subclasses implement `call(y_true, y_pred)`.

    `call` returns one value per sample (or per element); `__call__` applies sample
    weights and the reduction.

    Args:
        name: the loss name (a unique snake_case name of the class by default).
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or None. See the module docstring.
        dtype: the dtype of the computation (`floatx()` by default).

    Example:
        >>> class MeanSquaredError(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ops.mean(ops.square(y_pred - y_true), axis=-1)
        >>> float(MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
        0.5
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = _standardize_loss_dtype(dtype)

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Returns the reduced (by default scalar) loss of a batch.

        Args:
            y_true: targets.
            y_pred: predictions (gradients flow back to them).
            sample_weight: optional weights: a scalar, shape `(batch,)` or broadcastable to
                the per-sample loss values.
        """
        in_mask = get_keras_mask(y_pred) if isinstance(y_pred, Tensor) else None
        y_pred = self._convert(y_pred)
        y_true = self._convert(y_true)
        values = self.call(y_true, y_pred)
        out_mask = get_keras_mask(values) if isinstance(values, Tensor) else None
        if (
            sample_weight is None
            and in_mask is None
            and out_mask is None
            and self.reduction == "sum_over_batch_size"
            and isinstance(values, Tensor)
            and dtype_name(values.data.dtype) == self._dtype
            and values.data.size
        ):
            return ops.mean(values)  # the default reduction, without the general machinery
        if in_mask is not None and out_mask is not None:
            mask = in_mask & out_mask
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(
            values,
            sample_weight=sample_weight,
            mask=mask,
            reduction=self.reduction,
            dtype=self.dtype,
        )

    def _convert(self, value):
        # Dicts (several named targets) keep their structure; anything else, nested lists
        # included, becomes one tensor.
        if type(value) is Tensor and dtype_name(value.data.dtype) == self._dtype:
            return value  # already converted: the predictions, usually
        if isinstance(value, dict):
            return {key: self._convert(item) for key, item in value.items()}
        return ops.convert_to_tensor(value, dtype=self.dtype)

    def call(self, y_true, y_pred):
        """Returns the unreduced loss values; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def _is_replayable(self):
        """Whether this loss always runs the same primitives on `y_true`, `y_pred` and
        `sample_weight`, deciding nothing from their values, so that a compiled train step
        may record it once and replay it (see `trainers/compiled_step.py`). Built-in losses
        vetted for it say so; any other loss runs eagerly.
        """
        return False

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"
