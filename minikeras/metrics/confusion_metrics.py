"""Metrics built on confusion counts at thresholds: TP/FP/TN/FN, Precision, Recall, AUC,
and the "X at fixed Y" family (PrecisionAtRecall, SensitivityAtSpecificity, ...)."""

import numpy as np

from minikeras import config, ops
from minikeras.autodiff import no_grad
from minikeras.metrics import metrics_utils
from minikeras.metrics.metric import Metric, to_numpy
from minikeras.metrics.metrics_utils import (
    FALSE_NEGATIVES,
    FALSE_POSITIVES,
    TRUE_NEGATIVES,
    TRUE_POSITIVES,
)


def _divide_no_nan(x, y):
    x, y = np.asarray(x), np.asarray(y)
    safe = np.where(y == 0, 1, y)
    return np.where(y == 0, 0, x / safe).astype(x.dtype)


class _ConfusionMatrixConditionCount(Metric):
    """Weighted count of one confusion-matrix cell at each threshold."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
            self.thresholds
        )
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's counts (`y_pred > threshold` is a positive prediction)."""
        metrics_utils.update_confusion_matrix_variables(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self):
        value = self.accumulator.data
        return self._result_tensor(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted number of false positives (a scalar, or one per threshold).

    Example:
        >>> float(FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1]))
        2.0
    """

    _condition = FALSE_POSITIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted number of false negatives (a scalar, or one per threshold)."""

    _condition = FALSE_NEGATIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted number of true negatives (a scalar, or one per threshold)."""

    _condition = TRUE_NEGATIVES


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted number of true positives (a scalar, or one per threshold)."""

    _condition = TRUE_POSITIVES


class _PrecisionRecallBase(Metric):
    _second = None  # FALSE_POSITIVES for precision, FALSE_NEGATIVES for recall

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default_threshold = 0.5 if top_k is None else metrics_utils.NEG_INF
        self.thresholds = metrics_utils.parse_init_thresholds(
            thresholds, default_threshold=default_threshold
        )
        self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
            self.thresholds
        )
        count = len(self.thresholds)
        self.true_positives = self.add_variable(
            shape=(count,), initializer="zeros", name="true_positives"
        )
        second_name = "false_positives" if self._second == FALSE_POSITIVES else "false_negatives"
        self._second_variable = self.add_variable(
            shape=(count,), initializer="zeros", name=second_name
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's counts.

        Args:
            y_true: 0/1 labels.
            y_pred: scores in [0, 1] (`> threshold` counts as a positive prediction).
            sample_weight: optional weights broadcastable to `y_pred`.
        """
        metrics_utils.update_confusion_matrix_variables(
            {TRUE_POSITIVES: self.true_positives, self._second: self._second_variable},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        tp = self.true_positives.data
        value = _divide_no_nan(tp, tp + self._second_variable.data)
        return self._result_tensor(value[0] if len(self.thresholds) == 1 else value)

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecallBase):
    """`TP / (TP + FP)`: the fraction of positive predictions that are right.

    Args:
        thresholds: a float or list of floats in [0, 1] (0.5 by default); with a list,
            `result()` has one value per threshold.
        top_k: only the `k` highest scores of each sample count as positive predictions.
        class_id: look only at this class (column) of multi-class predictions.

    Example:
        >>> round(float(Precision()([0, 1, 1, 1], [1, 0, 1, 1])), 4)
        0.6667
    """

    _second = FALSE_POSITIVES

    @property
    def false_positives(self):
        return self._second_variable


class Recall(_PrecisionRecallBase):
    """`TP / (TP + FN)`: the fraction of actual positives that are found.

    Arguments as for `Precision`.

    Example:
        >>> round(float(Recall()([0, 1, 1, 1], [1, 0, 1, 1])), 4)
        0.6667
    """

    _second = FALSE_NEGATIVES

    @property
    def false_negatives(self):
        return self._second_variable


class SensitivitySpecificityBase(Metric):
    """Shared state of the "best X subject to Y >= value" metrics: the four confusion counts
    at `num_thresholds` evenly spaced thresholds from 0 to 1."""

    # Set by each subclass: the constructor argument holding `value`, the rate it bounds
    # from below, and the rate that is maximised.
    _argument = _constrained = _objective = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._argument}` must be in the range [0, 1]. "
                f"Received: {self._argument}={value}"
            )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.num_thresholds = num_thresholds
        setattr(self, self._argument, value)
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
            self._thresholds_distributed_evenly = True
        count = len(self.thresholds)
        self.true_positives = self.add_variable((count,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((count,), "zeros", name="false_positives")
        self.true_negatives = self.add_variable((count,), "zeros", name="true_negatives")
        self.false_negatives = self.add_variable((count,), "zeros", name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's confusion counts at every threshold."""
        metrics_utils.update_confusion_matrix_variables(
            {
                TRUE_POSITIVES: self.true_positives,
                TRUE_NEGATIVES: self.true_negatives,
                FALSE_POSITIVES: self.false_positives,
                FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._argument: self.value,
        }

    def result(self):
        rates = self._rates()
        return self._max_under_constraint(rates[self._constrained], rates[self._objective])

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn),
            "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }

    def _max_under_constraint(self, constrained, dependent):
        """The largest `dependent` over thresholds where `constrained >= value` (0 if none)."""
        feasible = constrained >= np.asarray(self.value, dtype=constrained.dtype)
        return self._result_tensor(np.max(np.where(feasible, dependent, 0), initial=0))


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) over thresholds whose specificity is >= `specificity`."""

    _argument, _constrained, _objective = "specificity", "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id=class_id, name=name, dtype=dtype)


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity over thresholds whose sensitivity is >= `sensitivity`."""

    _argument, _constrained, _objective = "sensitivity", "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id=class_id, name=name, dtype=dtype)


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision over thresholds whose recall is >= `recall`."""

    _argument, _constrained, _objective = "recall", "sensitivity", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id=class_id, name=name, dtype=dtype)


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall over thresholds whose precision is >= `precision`."""

    _argument, _constrained, _objective = "precision", "precision", "sensitivity"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id=class_id, name=name, dtype=dtype)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over thresholds.

    Args:
        num_thresholds: number of evenly spaced thresholds (default 200).
        curve: "ROC" (default) or "PR" (or "PRGAIN").
        summation_method: "interpolation" (default; for PR, the Davis & Goadrich
            interpolation), "minoring" or "majoring".
        thresholds: explicit thresholds in (0, 1) instead of evenly spaced ones.
        multi_label: one curve per label (last axis), averaged (or weighted by
            `label_weights`); otherwise all labels are flattened together.
        num_labels: number of labels, to create the state before the first batch.
        label_weights: per-label weights.
        from_logits: apply a sigmoid to `y_pred` first.

    Example:
        >>> float(AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]))
        0.75
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._thresholds_distributed_evenly = metrics_utils.is_evenly_distributed_thresholds(
                np.array([0.0, *thresholds, 1.0])
            )
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        # The outer thresholds sit just outside [0, 1] so predictions of exactly 0 or 1 count.
        eps = config.epsilon()
        self._thresholds = np.array([0.0 - eps, *thresholds, 1.0 + eps])
        self.curve = metrics_utils.AUCCurve.from_str(curve)
        self.summation_method = metrics_utils.AUCSummationMethod.from_str(summation_method)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else np.asarray(label_weights, dtype=self.dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds used, including the two just outside [0, 1]."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {shape}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(variable_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(variable_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's confusion counts at every threshold."""
        y_pred = to_numpy(y_pred, self.dtype)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            with no_grad():
                y_pred = to_numpy(ops.sigmoid(y_pred))
        metrics_utils.update_confusion_matrix_variables(
            {
                TRUE_POSITIVES: self.true_positives,
                TRUE_NEGATIVES: self.true_negatives,
                FALSE_POSITIVES: self.false_positives,
                FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average_labels(self, by_label):
        if self.label_weights is None:
            return np.mean(by_label)
        return _divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights))

    def interpolate_pr_auc(self):
        """PR-AUC with the precision interpolated between thresholds (Davis & Goadrich,
        2006): within each interval precision is a ratio of linear functions of the number
        of positive predictions, and that piece is integrated exactly."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        both_positive = (p[: n - 1] > 0) & (p[1:] > 0)
        safe_p_ratio = np.where(
            both_positive, _divide_no_nan(p[: n - 1], np.maximum(p[1:], 0)), np.ones_like(p[1:])
        )
        log_ratio = np.log(safe_p_ratio)
        increment = _divide_no_nan(
            prec_slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)
        )
        if self.multi_label:
            return self._result_tensor(self._average_labels(np.sum(increment, axis=0)))
        return self._result_tensor(np.sum(increment))

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:
            scaling = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
            recall_gain = np.where(tp == 0, 0.0, recall_gain)
            precision_gain = np.where(tp == 0, 1.0, precision_gain)
            x = np.maximum(recall_gain, 0.0).astype(tp.dtype)
            y = precision_gain.astype(tp.dtype)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[: n - 1], y[1:])
        else:
            heights = np.maximum(y[: n - 1], y[1:])
        riemann_terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._result_tensor(self._average_labels(np.sum(riemann_terms, axis=0)))
        return self._result_tensor(np.sum(riemann_terms))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        label_weights = self.label_weights
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if label_weights is None else label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return {**super().get_config(), **config}
