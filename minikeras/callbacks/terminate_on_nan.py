"""`TerminateOnNaN`: stops training as soon as the loss becomes NaN or infinite."""

import math

from minikeras.callbacks.callback import Callback
from minikeras.utils.progbar import write_text

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose `loss` is NaN or infinite.

    Args:
        raise_error: False (default) sets `model.stop_training`, so `fit` ends normally
            (and `on_train_end` runs); True raises a `RuntimeError` at once.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isnan(loss) or math.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            write_text(f"Batch {batch}: Invalid loss, terminating training\n")
            self.model.stop_training = True
