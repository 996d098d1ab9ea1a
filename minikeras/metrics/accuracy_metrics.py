"""Accuracy metrics: how often predictions match labels (as a running, weighted mean).

The functions return one 0/1 value per sample (float32 tensors) and are what the classes
average; `compile(metrics=["accuracy"])` picks Binary/Sparse/Categorical by shapes.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import convert_to_tensor
from minikeras.losses import squeeze_or_expand_to_same_rank
from minikeras.metrics.metric import to_numpy
from minikeras.metrics.reduction_metrics import MeanMetricWrapper


def _float_result(matches):
    return convert_to_tensor(np.asarray(matches, dtype=config.floatx()))


def _prediction_array(y_pred):
    y_pred = to_numpy(y_pred)
    if y_pred.dtype.kind not in "fc":
        y_pred = y_pred.astype(config.floatx())
    return y_pred


def accuracy(y_true, y_pred):
    """1.0 where `y_true == y_pred` exactly, else 0.0."""
    y_pred = _prediction_array(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _float_result(np.equal(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where `(y_pred > threshold)` equals the 0/1 label, else 0.0 (per element).

    Example:
        >>> binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]]).numpy()
        array([[1.],
               [0.]], dtype=float32)
    """
    y_pred = _prediction_array(y_pred)
    y_true = to_numpy(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > np.asarray(threshold, dtype=y_pred.dtype)).astype(y_true.dtype)
    return _float_result(np.equal(y_true, predicted))


def categorical_accuracy(y_true, y_pred):
    """1.0 where the argmax of one-hot `y_true` equals the argmax of `y_pred`, else 0.0."""
    y_true = np.argmax(to_numpy(y_true), axis=-1)
    y_pred = _prediction_array(y_pred)
    y_true = y_true.astype(y_pred.dtype)
    original_shape = y_true.shape
    reshape_matches = False
    if y_true.ndim == y_pred.ndim:
        y_true = np.squeeze(y_true, -1)
        reshape_matches = True
    predicted = np.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = np.equal(y_true, predicted)
    if reshape_matches:
        matches = np.reshape(matches, original_shape)
    return _float_result(matches)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals the argmax of `y_pred`, else 0.0.

    Labels may have shape `(batch,)` or `(batch, 1)`.
    """
    y_pred = _prediction_array(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    original_shape = y_true.shape
    reshape_matches = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = np.squeeze(y_true, -1)
        reshape_matches = True
    predicted = np.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = np.equal(y_true, predicted)
    if reshape_matches:
        matches = np.reshape(matches, original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = np.squeeze(matches, -1)
    return _float_result(matches)


def _in_top_k(targets, predictions, k):
    """True where fewer than `k` classes score strictly higher than the target class."""
    at_target = np.take_along_axis(predictions, targets[..., None].astype(np.int64), axis=-1)
    at_target = np.where(np.isnan(at_target), -np.inf, at_target)
    rank = 1 + np.sum(predictions > at_target, axis=-1)
    return rank <= k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target class is among the `k` highest predictions.

    Ties count in the target's favour (as in Keras).
    """
    y_pred = _prediction_array(y_pred)
    y_true = np.argmax(to_numpy(y_true, y_pred.dtype), axis=-1)
    original_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = np.reshape(y_pred, (-1, y_pred.shape[-1]))
    reshape_matches = y_true.ndim > 1
    if reshape_matches:
        y_true = np.reshape(y_true, (-1,))
    matches = _in_top_k(y_true.astype(np.int32), y_pred, k)
    if reshape_matches:
        matches = np.reshape(matches, original_shape)
    return _float_result(matches)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the `k` highest predictions.

    With `from_sorted_ids=True`, `y_pred` already holds class ids sorted by score and the
    label is looked up among its first `k` columns.
    """
    y_pred = _prediction_array(y_pred) if not from_sorted_ids else to_numpy(y_pred)
    y_true = to_numpy(y_true)
    y_true = y_true.astype(y_pred.dtype if from_sorted_ids else np.int32)
    original_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = np.reshape(y_pred, (-1, y_pred.shape[-1]))
    reshape_matches = y_true.ndim > 1
    if reshape_matches:
        y_true = np.reshape(y_true, (-1,))
    if from_sorted_ids:
        matches = np.any(np.equal(y_true[:, None], y_pred[:, :k]), axis=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    if reshape_matches:
        matches = np.reshape(matches, original_shape)
    return _float_result(matches)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly (for class ids, not probabilities).

    Example:
        >>> float(Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]]))
        0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches 0/1 labels.

    Args:
        threshold: the probability above which a prediction counts as 1.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the prediction matches the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the `k` highest predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions."""

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        super().__init__(
            fn=sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
