"""Confusion-matrix bookkeeping shared by Precision, Recall, AUC and friends (numpy).

For every threshold `t`, a prediction counts as positive when `y_pred > t`; the true/false
positive/negative counts (weighted by sample weights) are added to the metric's variables.
"""

import enum

import numpy as np

from minikeras import config
from minikeras.losses import squeeze_or_expand_to_same_rank
from minikeras.metrics.metric import to_numpy

# Score given to entries outside the top k, so that no threshold counts them as positive.
NEG_INF = -1e10

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"
CONFUSION_KEYS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


class AUCCurve(str, enum.Enum):
    """The curve an `AUC` integrates; members equal their value, so `curve == "PR"` holds."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        """The member named by `key` ("ROC"/"roc", "PR"/"pr", "PRGAIN"/"prgain" or a member)."""
        key = getattr(key, "value", key)
        if not isinstance(key, str) or key not in ("ROC", "roc", "PR", "pr", "PRGAIN", "prgain"):
            raise ValueError(
                f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        return AUCCurve(key.upper())


class AUCSummationMethod(str, enum.Enum):
    """How an `AUC` sums the areas between thresholds (members equal their value)."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        """The member named by `key` (lower or capitalised name, or a member)."""
        key = getattr(key, "value", key)
        names = ("interpolation", "majoring", "minoring")
        if not isinstance(key, str) or key not in names + tuple(n.capitalize() for n in names):
            raise ValueError(
                f'Invalid AUC summation method value: "{key}". Expected values are '
                '["interpolation", "majoring", "minoring"]'
            )
        return AUCSummationMethod(key.lower())


def to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return list(x.reshape(-1))
    return [x]


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """Returns the thresholds as a list, checking they lie in [0, 1]."""
    if thresholds is not None:
        invalid = [t for t in to_list(thresholds) if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds):
    """True for at least 3 thresholds spaced evenly from 0 to 1 (allows a faster update)."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def filter_top_k(x, k):
    """Keeps the `k` largest entries of the last axis and sets the others to NEG_INF."""
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros_like(x)
    np.put_along_axis(mask, order, 1.0, axis=-1)
    return x * mask + NEG_INF * (1 - mask)


def _prepare(y_true, y_pred, sample_weight, dtype, top_k, class_id):
    y_true = to_numpy(y_true, dtype)
    y_pred = to_numpy(y_pred, dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = np.expand_dims(to_numpy(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    return y_true, y_pred, sample_weight


def _broadcast_weights(sample_weight, label_weights, shape, dtype):
    weights = np.ones(shape, dtype=dtype)
    if sample_weight is not None:
        try:
            weights = weights * np.broadcast_to(sample_weight, shape)
        except ValueError:
            raise ValueError(
                f"sample_weight of shape {np.shape(sample_weight)} cannot be broadcast to the "
                f"predictions of shape {shape}."
            ) from None
    if label_weights is not None:
        weights = weights * np.broadcast_to(np.asarray(label_weights, dtype)[None], shape)
    return weights.astype(dtype, copy=False)


def _evenly_spaced_counts(y_true, y_pred, weights, num_thresholds, multi_label, with_epsilon):
    """Counts by bucketing: prediction p falls in bucket `ceil(p (n - 1)) - 1` and counts as
    positive for every threshold up to its bucket (a reversed cumulative sum)."""
    dtype = y_pred.dtype
    y_pred = np.clip(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).astype(dtype)
    if not multi_label:
        y_true, y_pred, weights = y_true.reshape(-1), y_pred.reshape(-1), weights.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    buckets = np.ceil(y_pred * dtype.type(num_thresholds - 1)) - 1
    if with_epsilon:
        buckets = np.maximum(buckets, 0)
    buckets = buckets.astype(np.int64)
    # A bucket of -1 (a prediction of exactly 0 without the epsilon thresholds) is positive
    # for no threshold: drop it, as a segment sum drops out-of-range ids.
    valid = buckets >= 0

    def bucket_sums(labels):
        if not multi_label:
            return np.bincount(
                buckets[valid], weights=labels[valid], minlength=num_thresholds
            ).astype(dtype)
        sums = np.zeros((num_thresholds, labels.shape[1]), dtype=np.float64)
        columns = np.broadcast_to(np.arange(labels.shape[1]), labels.shape)
        np.add.at(sums, (buckets[valid], columns[valid]), labels[valid])
        return sums.astype(dtype)

    tp = np.cumsum(bucket_sums(true_labels)[::-1], axis=0)[::-1]
    fp = np.cumsum(bucket_sums(false_labels)[::-1], axis=0)[::-1]
    axis = 0 if multi_label else None
    total_true = np.sum(true_labels, axis=axis)
    total_false = np.sum(false_labels, axis=axis)
    return {
        TRUE_POSITIVES: tp,
        FALSE_POSITIVES: fp,
        TRUE_NEGATIVES: total_false - fp,
        FALSE_NEGATIVES: total_true - tp,
    }


def _threshold_counts(y_true, y_pred, weights, thresholds, multi_label):
    """Counts by comparing every prediction with every threshold."""
    if multi_label:
        # (thresholds, batch, labels) -> sum over the batch
        pred_pos = y_pred[None] > thresholds.reshape(-1, 1, 1)
        label_pos = (y_true != 0)[None]
        axis = 1
        weights = weights[None]
    else:
        pred_pos = y_pred.reshape(1, -1) > thresholds.reshape(-1, 1)
        label_pos = (y_true != 0).reshape(1, -1)
        weights = weights.reshape(1, -1)
        axis = 1
    pred_neg, label_neg = ~pred_pos, ~label_pos

    def count(label, pred):
        return np.sum(np.where(label & pred, weights, 0), axis=axis).astype(y_pred.dtype)

    return {
        TRUE_POSITIVES: lambda: count(label_pos, pred_pos),
        FALSE_POSITIVES: lambda: count(label_neg, pred_pos),
        TRUE_NEGATIVES: lambda: count(label_neg, pred_neg),
        FALSE_NEGATIVES: lambda: count(label_pos, pred_neg),
    }


def update_confusion_matrix_variables(
    variables_to_update,
    y_true,
    y_pred,
    thresholds,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
    thresholds_distributed_evenly=False,
):
    """Adds one batch's weighted confusion counts to the given variables.

    Args:
        variables_to_update: dict from "tp"/"fp"/"tn"/"fn" to Variables of shape
            `(num_thresholds,)` (or `(num_thresholds, num_labels)` when `multi_label`).
        y_true: 0/1 labels (any non-zero counts as 1).
        y_pred: scores in [0, 1].
        thresholds: list of thresholds.
        top_k: only the top-k predictions of each sample count as positive.
        class_id: look only at this column of the last axis.
        sample_weight: weights broadcastable to `y_pred`.
        multi_label: keep one count per label (last axis) instead of flattening.
        label_weights: per-label weights (not with `multi_label`).
        thresholds_distributed_evenly: use the bucketing shortcut (same counts, faster).
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multilabel data should be handled outside of "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    if not variables_to_update:
        return
    invalid = [key for key in variables_to_update if key not in CONFUSION_KEYS]
    if invalid:
        raise ValueError(f"Invalid keys: {invalid}. Valid variable keys are {CONFUSION_KEYS}.")
    dtype = next(iter(variables_to_update.values())).data.dtype
    y_true, y_pred, sample_weight = _prepare(y_true, y_pred, sample_weight, dtype, top_k, class_id)
    weights = _broadcast_weights(sample_weight, label_weights, y_pred.shape, dtype)
    if thresholds_distributed_evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        counts = _evenly_spaced_counts(
            y_true, y_pred, weights, len(thresholds), multi_label, with_epsilon
        )
        for key, variable in variables_to_update.items():
            variable.assign_add(counts[key])
        return
    thresholds = np.asarray(thresholds, dtype=dtype)
    counts = _threshold_counts(y_true, y_pred, weights, thresholds, multi_label)
    for key, variable in variables_to_update.items():
        variable.assign_add(counts[key]())


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int32"):
    """The `(num_classes, num_classes)` matrix of weighted counts, rows = labels."""
    labels = to_numpy(labels).astype(np.int64).reshape(-1)
    predictions = to_numpy(predictions).astype(np.int64).reshape(-1)
    values = np.ones(labels.shape, dtype) if weights is None else to_numpy(weights, dtype)
    values = np.broadcast_to(values.reshape(-1) if values.ndim else values, labels.shape)
    matrix = np.zeros((num_classes, num_classes), dtype=dtype)
    np.add.at(matrix, (labels, predictions), values)
    return matrix
