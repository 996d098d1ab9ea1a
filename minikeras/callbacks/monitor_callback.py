"""`MonitorCallback`: the base of callbacks that watch one logged value for improvement."""

import operator
import warnings

from minikeras.callbacks.callback import Callback

__all__ = ["MonitorCallback"]

# Used only when the model's metrics do not say which way is better (beyond Keras 3,
# which raises there): names with these words improve upwards, the others downwards.
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2")
_LOWER_IS_BETTER = ("loss", "error", "crossentropy", "hinge", "divergence", "mse", "mae")


def _all_metrics(metrics):
    """Metrics, with containers (objects holding a `metrics` list) opened up."""
    for metric in metrics:
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)) and inner:
            yield from _all_metrics(inner)
        else:
            yield metric


class MonitorCallback(Callback):
    """Watches `logs[monitor]` and decides whether a new value is an improvement.

    Args:
        monitor: the logged value to watch, e.g. `"val_loss"` or `"val_accuracy"`.
        mode: `"min"`, `"max"`, or `"auto"`: `loss` and `val_loss` go down; for a metric,
            the direction the model's metric object declares (`_direction` "up"/"down",
            as Keras 3 metrics do); failing that, for a value the logs hold, a guess from
            the name (`acc`, `auc`, `precision`, ... go up; `loss`, `error`, ... go down;
            beyond Keras 3, which raises). A monitor neither logged nor a model metric
            raises ValueError at the first epoch end, as in Keras.
        baseline: the initial best value (None: the first value seen is the best).
        min_delta: the smallest change that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown (use 'auto', 'min' or "
                "'max'); falling back to 'auto'.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _metric_direction(self, metric_name):
        model_metrics = getattr(self.model, "metrics", None)
        if not isinstance(model_metrics, (list, tuple)):
            return None
        direction = None
        for metric in _all_metrics(model_metrics):
            if getattr(metric, "name", None) == metric_name:
                declared = getattr(metric, "_direction", None)
                if declared is not None:
                    direction = declared
        return direction

    def _set_monitor_op(self, logs=None):
        """Picks `monitor_op` (and the sign of `min_delta`) from `mode`.

        Args:
            logs: the epoch's logs, when known. In `"auto"` mode a direction guessed from
                the name alone is trusted only for a value these logs hold: a monitor that
                is neither logged nor one of the model's metrics (a typo such as `"acc"`
                for `"accuracy"`) raises, as in Keras, instead of training on unwatched.
        """
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            direction = self._metric_direction(metric_name)
            if direction is None and metric_name == "loss":
                direction = "down"
            if direction is None and (logs is None or self.monitor in logs):
                lowered = metric_name.lower()
                if any(word in lowered for word in _HIGHER_IS_BETTER):
                    direction = "up"
                elif any(word in lowered for word in _LOWER_IS_BETTER):
                    direction = "down"
            if direction is None:
                available = "" if logs is None else f" Logged values: {', '.join(logs)}."
                raise ValueError(
                    f"{type(self).__name__} received monitor={self.monitor!r} and cannot "
                    "tell whether it should go up or down. Pass mode='max' to keep the "
                    f"highest value or mode='min' to keep the lowest.{available}"
                )
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value):
        """Whether `monitor_value` beats `reference_value` by more than `min_delta`."""
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
