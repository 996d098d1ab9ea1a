"""`Sum`, `Mean` and `MeanMetricWrapper` (a `Mean` of a per-sample function's values).

How sample weights meet values of another rank (as Keras does it):

1. A trailing dimension of 1 is squeezed or added so the ranks match when they differ by
   one (`squeeze_or_expand_to_same_rank`).
2. Values of higher rank than the weights are first reduced (mean for `Mean`, sum for `Sum`)
   over their extra trailing axes.
3. The weights are broadcast to the values; `total += sum(values * weights)`.
4. `Mean`'s count grows by the sum of the weights, averaged over their non-batch axes; so a
   scalar weight `w` adds `w` per sample, and the mean is unchanged by it.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor, no_grad
from minikeras.losses import ALL_OBJECTS as _LOSS_OBJECTS
from minikeras.losses import get_keras_mask, squeeze_or_expand_to_same_rank
from minikeras.losses.loss import apply_mask
from minikeras.metrics.metric import Metric, to_numpy


def _float_mask(mask, dtype):
    return np.asarray(mask).astype(dtype)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, mask=None):
    """Weights `values` and reduces them to one value per sample (numpy).

    Returns:
        `(values, sample_weight)`: values of shape `(batch,)` (or a scalar) already multiplied
        by the weights, and the weights reduced the same way (None when not given).
    """
    dtype = dtype or config.floatx()
    values = to_numpy(values, dtype)
    if sample_weight is not None:
        sample_weight = to_numpy(sample_weight, dtype)
        # As in Keras, a mask on the values (sparse cross-entropy's ignore_class) only acts
        # through the sample weights: without weights, masked entries count as zeros.
        if mask is not None:
            float_mask, sample_weight = squeeze_or_expand_to_same_rank(
                _float_mask(mask, dtype), sample_weight
            )
            sample_weight = sample_weight * float_mask
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        try:
            sample_weight = np.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {sample_weight.shape} cannot be broadcast to the "
                f"metric values of shape {values.shape}."
            ) from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen.

    Example:
        >>> metric = Sum()
        >>> metric.update_state([1, 3, 5, 7])
        >>> float(metric.result())
        16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(
            values, sample_weight, reduce_fn=np.sum, dtype=self.dtype
        )
        self.total.assign_add(np.sum(values, dtype=self.dtype))

    def result(self):
        return self._result_tensor(self.total.data)


class Mean(Metric):
    """The (weighted) mean of all values seen: `sum(values * w) / sum(w)`.

    Example:
        >>> metric = Mean()
        >>> metric.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> float(metric.result())
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        self._update(values, sample_weight)

    def _update(self, values, sample_weight, mask=None):
        if mask is None and type(sample_weight) is int and getattr(values, "ndim", None) == 0:
            # The common case in training loops: one scalar (a batch's loss) weighted by the
            # batch size. Same float32 arithmetic as the general path below, done on numpy
            # scalars, which costs a fraction of ufunc calls on 0-d arrays.
            total, count = self.total.data, self.count.data
            weight = count.dtype.type(sample_weight)
            value = to_numpy(values, total.dtype)
            total[()] = total[()] + value * weight
            count[()] = count[()] + weight
            return
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, reduce_fn=np.mean, dtype=self.dtype, mask=mask
        )
        self.total.assign_add(np.sum(values, dtype=self.dtype))
        if sample_weight is not None:
            count = np.sum(sample_weight, dtype=self.dtype)
        elif values.ndim >= 1:
            count = values.shape[0]
        else:
            count = 1
        self.count.assign_add(np.asarray(count, dtype=self.dtype))

    def result(self):
        total, count = self.total.data[()], self.count.data[()]  # numpy scalars: cheaper
        # A new numpy scalar, not a view of the state: it needs no copy (`_result_tensor`).
        mean = total / count if count != 0 else np.zeros((), self.dtype)
        # Wrapped without `convert_to_tensor`'s checks: the training loops read this once
        # per batch (the loss tracker's value in each batch's logs).
        return Tensor._wrap(np.asarray(mean, dtype=self.dtype), None, 0)


class MeanMetricWrapper(Mean):
    """The running mean of a function `fn(y_true, y_pred, **kwargs)` of each batch.

    `fn` returns one value per sample (any loss or metric function does); values are weighted
    by `sample_weight` as described in this module's docstring.

    Args:
        fn: the per-sample function.
        name: the metric name.
        dtype: dtype of the state.
        **kwargs: passed to `fn` on every call.

    Example:
        >>> from minikeras.losses import mean_squared_error
        >>> metric = MeanMetricWrapper(mean_squared_error, name="mse")
        >>> float(metric([[0.0, 1.0]], [[1.0, 1.0]]))
        0.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in _LOSS_OBJECTS or type(fn) in _LOSS_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        # As Keras: masked entries of the predictions (padded timesteps) weigh 0.
        pred_mask = get_keras_mask(y_pred)
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
            if pred_mask is not None:
                sample_weight = np.asarray(
                    apply_mask(sample_weight, pred_mask, dtype=self.dtype, reduction="sum")
                )
        mask = get_keras_mask(values)
        self._update(values, sample_weight, mask=mask)

    def get_config(self):
        from minikeras.metrics import serialize

        config = super().get_config()
        config["fn"] = serialize(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (dict, str)):
            from minikeras.metrics import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)
