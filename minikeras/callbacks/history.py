"""`History`: records every epoch's logs; `fit` returns it."""

from minikeras.callbacks.callback import Callback

__all__ = ["History"]


class History(Callback):
    """Records the logs of each epoch. `fit` adds one and returns it (also `model.history`).

    Attributes:
        history: a dict `{name: [value of epoch 1, value of epoch 2, ...]}`.
        epoch: the list of epoch indices recorded (0-based).
        epochs_of: `{name: [epoch index of each value]}`: validation values exist only for
            the epochs that ran validation (`validation_freq`).
        params: `{"verbose": ..., "epochs": ..., "steps": ...}`.

    Example:
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.history["loss"]
        [0.693, 0.512, 0.401]
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        self.epochs_of = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
            self.epochs_of.setdefault(key, []).append(epoch)
        # Point the model at this object again: the latest fit's History wins.
        self.model.history = self

    def plot(self, metrics=None, to_file=None):
        """Draws the loss and metric curves with matplotlib (see `utils.plot_history`)."""
        from minikeras.utils.history_plot import plot_history

        return plot_history(self, metrics=metrics, to_file=to_file)
