"""`train_on_batch`, `test_on_batch`, `predict_on_batch`: one step on one batch, outside
the loops of `fit`, `evaluate` and `predict`.

`OnBatchMethods` is mixed into `Trainer` (trainer.py); each method runs the model's own
`train_step`, `test_step` or `predict_step`.
"""

from minikeras.autodiff import no_grad
from minikeras.trainers import data_adapters, loop_helpers
from minikeras.trainers.logs import pythonify
from minikeras.utils.packing import pack_x_y_sample_weight


class OnBatchMethods:
    """The single-batch part of the training API (see the module docstring)."""

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss and metrics of that batch alone
        (the metrics are reset first, as in Keras 3)."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` together.")
            sample_weight = data_adapters.class_weight_to_sample_weights(y, class_weight)
        self.reset_metrics()
        logs = pythonify(self.train_step(pack_x_y_sample_weight(x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates one batch; returns the loss and metrics of that batch alone (the
        metrics are reset first, as in Keras 3)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        with no_grad():
            logs = pythonify(self.test_step(pack_x_y_sample_weight(x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as numpy arrays."""
        with no_grad():
            outputs = self.predict_step(pack_x_y_sample_weight(x))
        return loop_helpers.numpy_outputs(self, outputs)
