"""The logs the callbacks receive: Python floats under sorted keys, as Keras gives them.

A step returns its metrics' values as tensors (`get_metrics_result`); the loops turn them
into these logs only where they are read (see `Trainer.fit`).
"""

import numpy as np

from minikeras.autodiff import Tensor


def pythonify(logs):
    """Logs with float values and sorted keys; a dict value (such as the compiled metrics'
    result in `{m.name: m.result() for m in self.metrics}`) is merged in, as Keras does."""
    if not isinstance(logs, dict):
        return logs
    result = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(pythonify(value))
        else:
            result[key] = to_float(value)
    return result


def to_float(value):
    """A logged value as a Python float (a 0-d tensor or array, a numpy scalar)."""
    if type(value) is float:
        return value
    if isinstance(value, dict):
        return {k: to_float(v) for k, v in value.items()}
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    # A metric of shape (1,) (F1Score on one class) stays an array, as in Keras.
    return float(array) if array.ndim == 0 else array
