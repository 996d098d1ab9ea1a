"""`ModelCheckpoint`: saves the model or its weights during training."""

import os
import warnings

from minikeras.callbacks.callback import batch_save_due
from minikeras.callbacks.monitor_callback import MonitorCallback
from minikeras.utils.progbar import write_text

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Saves the model (`model.save`) or its weights (`model.save_weights`) every epoch, or
    every `save_freq` batches, optionally only when `monitor` improves.

    Args:
        filepath: where to save. It may hold `str.format` fields filled with `epoch`
            (1-based), `batch` (1-based, when saving by batch) and the logged values, e.g.
            `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`. It must end in `.weights.h5` when
            `save_weights_only=True`, else in `.keras` (Keras 3 also accepts the legacy
            `.h5`, which minikeras can read but not write: it raises ValueError).
        monitor: the logged value compared when `save_best_only=True`.
        verbose: 1 prints a message at each save (or skipped save).
        save_best_only: save only when `monitor` improves on the best so far; with a fixed
            `filepath` the file always holds the best model.
        save_weights_only: save the weights only.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        save_freq: `"epoch"`, or an int: save after every that many batches.
        initial_value_threshold: the best value to beat at the start (`save_best_only`).

    Example:
        >>> checkpoint = keras.callbacks.ModelCheckpoint(
        ...     "best.weights.h5", save_weights_only=True, save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                "integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith(".keras"):
            # Keras 3 also takes a legacy `.h5` here; `model.save` cannot write one, so the
            # name is refused now rather than after the first epoch has trained.
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format): minikeras "
                "writes whole models only as `.keras` files (legacy `.h5` models can be "
                "loaded, not written). To save only the weights, pass "
                "`save_weights_only=True` with a name ending in `.weights.h5`. Received: "
                f"filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if batch_save_due(self, batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op(logs or {})
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                write_text(f"\nEpoch {epoch + 1}: saving model to {filepath}\n")
            return True
        if self.monitor_op is None:
            # Saving by batch before the first epoch end.
            self._set_monitor_op()
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if len(getattr(current, "shape", ())) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                write_text(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                    f"{current:.5f}, saving model to {filepath}\n"
                )
            self.best = current
            return True
        if self.verbose > 0:
            write_text(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}\n")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used "
                f"is an existing directory: {filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            write_text(f"\nEpoch {epoch + 1}: finished saving model to {filepath}\n")

    def _get_file_path(self, epoch, batch, logs):
        """`filepath` with its fields filled: epoch and batch 1-based, and the logs."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}'
            ) from None
