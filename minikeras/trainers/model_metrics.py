"""The model's metrics: which they are, their values as logs, and their reset.

`ModelMetrics` is mixed into `Trainer` (trainer.py): `model.metrics`, `metrics_names`,
`reset_metrics`, `get_metrics_result` (what the default steps return, through
`compute_metrics`), and the forms of the logs that `fit`, `evaluate` and the `*_on_batch`
methods hand back.
"""

from minikeras.trainers.compile_utils import CompileMetrics
from minikeras.trainers.logs import pythonify


class ModelMetrics:
    """The metrics part of the training API (see the module docstring)."""

    @property
    def metrics(self):
        """The model's metrics, in Keras's order: once compiled, the loss tracker (a `Mean`
        named "loss"), the compiled metrics (one `CompileMetrics` object named
        "compile_metrics", whose `result()` is a dict), the per-output loss trackers (made
        on the first batch); then the metrics the model and its layers hold as attributes.
        A nested model's own metrics (its loss tracker, its compiled metrics) are left out.
        """
        # Cached until the model's structure changes, it is compiled, or its first batch
        # builds the per-output loss trackers.
        compile_loss = self._compile_loss
        key = (
            "trainer_metrics",
            id(self._loss_tracker),
            id(self._compile_metrics),
            id(compile_loss),
            compile_loss is not None and compile_loss.built,
        )
        return list(self._cached(key, self._collect_metrics))

    def _collect_metrics(self):
        from minikeras.metrics import Metric

        result = []
        if self.compiled:
            result.append(self._loss_tracker)
            if self._compile_metrics is not None:
                result.append(self._compile_metrics)
            if self._compile_loss is not None:
                result.extend(self._compile_loss.metrics)
        seen = {id(metric) for metric in result}
        seen.update((id(self._loss_tracker), id(self._compile_metrics)))
        for layer in self._flatten_layers():
            if layer is not self and isinstance(layer, ModelMetrics):
                # A nested model (every Trainer is a ModelMetrics): its metrics belong to
                # its own compile (its layers are visited).
                continue
            for metric in layer._tracked(Metric):
                if id(metric) not in seen:
                    seen.add(id(metric))
                    result.append(metric)
        return result

    @property
    def metrics_names(self):
        """The names of `model.metrics` (`["loss", "compile_metrics"]` after
        `compile(loss=..., metrics=[...])`), as in Keras 3."""
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        """Resets the state of every metric."""
        for metric in self.metrics:
            metric.reset_state()

    def _metrics_result_or_logs(self, logs):
        """The metrics' values, or the last step's logs when a custom step returned other
        keys (as Keras does for overridden train_step/test_step)."""
        results = pythonify(self.get_metrics_result())
        compile_metrics = self._compile_metrics
        # Unbuilt compiled metrics (a custom step that never updated them) have names that
        # Keras, which builds them before the first step, counts among the results' keys.
        unbuilt = compile_metrics is not None and not compile_metrics.built
        if isinstance(logs, dict) and (unbuilt or set(logs) != set(results)):
            return dict(logs)
        return results

    def get_metrics_result(self):
        """`{name: value}` for every metric in `model.metrics`, each value as its `result()`
        gives it (a tensor), as Keras returns them; a metric whose result is a dict (the
        compiled metrics) adds its entries instead of itself.

        The default `train_step` returns this for every batch. The loops turn it into
        Python floats with sorted keys (what the callbacks receive) only where it is read:
        a batch's logs when a callback listens to the batch's end, the epoch's logs, and
        what `evaluate` and the `*_on_batch` methods return; so a batch nobody watches
        pays for no conversion.
        """
        results = {}
        for metric in self.metrics:
            if metric is self._compile_metrics and not metric.built:
                continue  # no batch has reached them yet (Keras builds them before the first)
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    def _flatten_metrics_in_order(self, logs):
        """The list form of `logs` that `evaluate` and the `*_on_batch` methods return, as
        Keras orders it: the values named in `model.metrics` order, then the other keys
        sorted; a single value is returned alone."""
        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                # The inner metrics' own names: with several outputs these are not the log
                # keys ("mse" logs as "out_a_mse"), which then come with the sorted rest.
                names.extend(inner.name for inner in metric.metrics)
            else:
                names.append(metric.name)
        values = [logs[name] for name in names if name in logs]
        values.extend(logs[key] for key in sorted(logs) if key not in names)
        return values[0] if len(values) == 1 else values
