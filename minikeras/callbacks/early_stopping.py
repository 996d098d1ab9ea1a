"""`EarlyStopping`: stops `fit` when a monitored value stops improving."""

import warnings

from minikeras.callbacks.monitor_callback import MonitorCallback
from minikeras.utils.progbar import write_text

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stops training when `monitor` has not improved for `patience` epochs.

    At each epoch end, a value better than the best so far by more than `min_delta` resets
    the wait; otherwise the wait grows, and when it reaches `patience` (from the second
    epoch on) `model.stop_training` is set.

    Args:
        monitor: the logged value to watch (`"val_loss"` by default).
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        baseline: a value to beat: while no epoch beats it, the wait is not reset (even if
            the value improves), so training stops after `patience` epochs.
        restore_best_weights: at the end of training, put back the weights of the best
            epoch (the best among those seen, even if none beat `baseline`).
        start_from_epoch: epochs to ignore at the start (a warm-up).

    Example:
        >>> stop = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> history = model.fit(x, y, epochs=100, callbacks=[stop], verbose=0)
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # The same instance may serve several fit calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Deferred to here: the model's metrics exist only after the first batch.
            self._set_monitor_op(logs or {})
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing better seen yet: the current weights are the best so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Restart the wait only once the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            write_text(f"Epoch {self.stopped_epoch + 1}: early stopping\n")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                write_text(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}.\n"
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """`logs[monitor]`, or None with a warning naming the available keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}",
                stacklevel=2,
            )
        return value
