"""`ReduceLROnPlateau`: lowers the learning rate when a monitored value stops improving."""

import warnings

import numpy as np

from minikeras.callbacks._optimizers import inner_optimizers
from minikeras.callbacks.monitor_callback import MonitorCallback
from minikeras.utils.progbar import write_text

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` after `patience` epochs without improvement.

    Also logs the current learning rate as `learning_rate` at each epoch end (so it lands
    in `History`). With a `MultiOptimizer`, as in Keras, a plateau reduces each inner
    optimizer's rate, each logged as `learning_rate_<optimizer name>`.

    Args:
        monitor: the logged value to watch (`"val_loss"` by default).
        factor: the multiplier, below 1: `new_lr = max(lr * factor, min_lr)`.
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.

    Example:
        >>> reduce_lr = keras.callbacks.ReduceLROnPlateau(factor=0.2, patience=5, min_lr=1e-3)
        >>> model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        if kwargs:
            # Keras 3 accepts and ignores extra arguments (Keras 2's `epsilon`, ...).
            warnings.warn(
                f"ReduceLROnPlateau ignores the arguments {sorted(kwargs)}.", stacklevel=2
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()
        # Setting the rate to its own value lets the optimizer's setter refuse a rate driven
        # by a schedule (TypeError) now, before any weight changes, instead of at the first
        # plateau, epochs into training.
        if getattr(self.model, "optimizer", None) is not None:
            for optimizer in self._optimizers()[0]:
                optimizer.learning_rate = float(optimizer.learning_rate)

    def _optimizers(self):
        """`(optimizers, named)`: the optimizers whose rates this callback reads and reduces,
        and whether they are a MultiOptimizer's inner ones (then logged and printed by name,
        as Keras does)."""
        optimizer = self.model.optimizer
        inner = inner_optimizers(optimizer, self.model)
        return ([optimizer], False) if inner is None else (inner, True)

    def _reduce_learning_rate(self, epoch):
        """Reduces each optimizer's rate not yet at `min_lr`; whether any was reduced."""
        optimizers, named = self._optimizers()
        reduced = False
        for optimizer in optimizers:
            old_lr = float(optimizer.learning_rate)
            # Compared in float32, as the optimizer stores it: once at min_lr, stay quiet.
            if old_lr > np.float32(self.min_lr):
                new_lr = max(old_lr * self.factor, self.min_lr)
                optimizer.learning_rate = new_lr
                reduced = True
                if self.verbose > 0:
                    which = f"{optimizer.name} " if named else ""
                    write_text(
                        f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing {which}learning rate "
                        f"to {new_lr}.\n"
                    )
        return reduced

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op(logs or {})
        logs = logs if logs is not None else {}
        optimizers, named = self._optimizers()
        for optimizer in optimizers:
            key = f"learning_rate_{optimizer.name}" if named else "learning_rate"
            logs[key] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_learning_rate(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
