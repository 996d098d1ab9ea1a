"""The logs the callbacks receive: Python floats under sorted keys, as Keras gives them.

A step returns its metrics' values as tensors (`get_metrics_result`); the loops turn them
into these logs only where they are read (see `Trainer.fit`).
"""

from minikeras.callbacks.callback_list import python_logs


def pythonify(logs):
    """Logs with float values and sorted keys; a dict value (such as the compiled metrics'
    result in `{m.name: m.result() for m in self.metrics}`) is merged in, as Keras does.

    The conversion the callbacks' hooks make (`python_logs`); what is not a dict (a custom
    step may return anything) is returned as it is.
    """
    return python_logs(logs) if isinstance(logs, dict) else logs
