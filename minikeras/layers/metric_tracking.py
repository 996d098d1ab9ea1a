"""The metrics a layer tracks.

A metric assigned to a layer's attribute is tracked like a sublayer (`Layer.__setattr__`);
`add_metric` (the Keras 2 API) makes one from inside `call`. `metrics` lists them all, from
this layer and the layers below it; `fit` and `evaluate` report them.

`Layer` inherits `MetricTracking`; it is not used on its own.
"""

from minikeras.layers.tracking import structure_changed


class MetricTracking:
    """`add_metric`, `metrics` and `metrics_variables`."""

    def add_metric(self, value, name=None, aggregation="mean"):
        """Tracks `value` with a metric named `name` that `fit`/`evaluate` report (Keras 2).

        Args:
            value: tensor whose (weighted) mean is reported.
            name: the log key (required).
            aggregation: `"mean"` (default) or `"sum"`.
        """
        from minikeras import metrics as metrics_module

        if name is None:
            raise ValueError("add_metric needs a name: it becomes the key in the logs.")
        if aggregation not in ("mean", "sum"):
            raise ValueError(f"aggregation must be 'mean' or 'sum', got {aggregation!r}.")
        metric = self._added_metrics.get(name)
        if metric is None:
            cls = metrics_module.Mean if aggregation == "mean" else metrics_module.Sum
            metric = self._added_metrics[name] = cls(name=name)
            structure_changed()
        metric.update_state(value)

    @property
    def metrics(self):
        """Metrics tracked by this layer and the layers below it."""
        from minikeras.metrics import Metric

        result, seen = [], set()
        for layer in self._flatten_layers():
            for metric in layer._tracked(Metric):
                if id(metric) not in seen:
                    seen.add(id(metric))
                    result.append(metric)
        return result

    @property
    def metrics_variables(self):
        """The state variables of `metrics`, metric by metric."""
        return [variable for metric in self.metrics for variable in metric.variables]
