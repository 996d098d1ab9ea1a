"""F-beta and F1 scores from accumulated true/false positives and false negatives."""

import numpy as np

from minikeras import config
from minikeras.metrics.metric import Metric, to_numpy


class FBetaScore(Metric):
    """F-beta score `(1 + b^2) P R / (b^2 P + R)`, per class or averaged.

    Inputs are 2D `(batch, num_classes)`: one-hot (or multi-hot) labels and scores.

    Args:
        average: None (one score per class), "micro" (counts pooled over classes),
            "macro" (unweighted mean of the per-class scores) or "weighted" (mean weighted
            by each class's number of true instances).
        beta: weight of recall relative to precision (a float > 0).
        threshold: scores above it are positive predictions; None means the highest score
            of each sample (ties included) is the positive one.

    Example:
        >>> metric = FBetaScore(beta=2.0, threshold=0.5)
        >>> metric([[1, 0], [0, 1]], [[0.9, 0.2], [0.7, 0.6]]).numpy()
        array([0.8333332, 0.9999999], dtype=float32)
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros", name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch's counts; `sample_weight` has shape `(batch,)`."""
        y_true = to_numpy(y_true, self.dtype)
        y_pred = to_numpy(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            highest = np.max(y_pred, axis=-1, keepdims=True)
            y_pred = (y_pred >= highest) & (np.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(self.dtype)
        if sample_weight is not None:
            sample_weight = np.expand_dims(to_numpy(sample_weight, self.dtype), 1)

        def weighted_sum(values):
            if sample_weight is not None:
                values = values * sample_weight
            return np.sum(values, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return self._result_tensor(0.0)
        eps = np.asarray(config.epsilon(), dtype=self.dtype)
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        beta_squared = self.beta**2
        mean = (precision * recall) / ((beta_squared * precision) + recall + eps)
        score = mean * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            score = np.sum(score * (weights / (np.sum(weights) + eps)))
        elif self.average is not None:
            score = np.mean(score)
        return self._result_tensor(score)

    def reset_state(self):
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.data.dtype))

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall (`FBetaScore` with beta = 1).

    Example:
        >>> metric = F1Score(average="macro", threshold=0.5)
        >>> round(float(metric([[1, 0], [0, 1]], [[0.9, 0.2], [0.7, 0.6]])), 4)
        0.8333
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
