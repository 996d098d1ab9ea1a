"""Correlation metrics: running means of per-sample Pearson and concordance correlations."""

import numpy as np

from minikeras import config
from minikeras.autodiff import convert_to_tensor
from minikeras.losses import squeeze_or_expand_to_same_rank
from minikeras.metrics.metric import to_numpy
from minikeras.metrics.reduction_metrics import MeanMetricWrapper


def _pair(y_true, y_pred):
    y_pred = to_numpy(y_pred, config.floatx())
    y_true = to_numpy(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient between `y_true` and `y_pred` along `axis`."""
    y_true, y_pred = _pair(y_true, y_pred)
    true_centered = y_true - np.mean(y_true, axis=axis, keepdims=True)
    pred_centered = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        true_centered = true_centered / np.std(true_centered, axis=axis, keepdims=True)
        pred_centered = pred_centered / np.std(pred_centered, axis=axis, keepdims=True)
    return convert_to_tensor(np.mean(true_centered * pred_centered, axis=axis))


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient along `axis`, computed as Keras does."""
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = np.mean(y_true, axis=axis, keepdims=True)
    pred_mean = np.mean(y_pred, axis=axis, keepdims=True)
    true_var = np.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = np.var(y_pred - pred_mean, axis=axis, keepdims=True)
    # Keras centres y_true on the *prediction* mean here; kept for identical numbers.
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + np.square(true_mean - pred_mean)
    eps = y_pred.dtype.type(config.epsilon())
    return convert_to_tensor(np.mean(2 * covariance / (norm + eps), axis=axis))


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample Pearson correlation along `axis`."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of the per-sample concordance correlation along `axis`."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
