"""`BackupAndRestore`: lets an interrupted `fit` resume where it stopped."""

import json
import os
import shutil

from minikeras.callbacks.callback import Callback, batch_save_due

__all__ = ["BackupAndRestore"]


def _write_json_atomically(path, data):
    # Write then rename: a crash mid-write leaves the previous file whole.
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(json.dumps(data))
    os.replace(temporary, path)


class BackupAndRestore(Callback):
    """Backs up the weights and the epoch number during `fit`, and restores them at the
    start of the next `fit` with the same callback, which then resumes at that epoch.

    Files in `backup_dir`: `latest.weights.h5` (the model's weights, with the optimizer
    state, through `model.save_weights`) and `training_metadata.json` (`{"epoch": next
    epoch to run, "batch": last batch seen}`).

    Args:
        backup_dir: the directory for the backup (use it for nothing else).
        save_freq: `"epoch"`, or an int: back up after every that many batches (a resumed
            fit then restarts the interrupted epoch with the weights of that batch).
        double_checkpoint: also keep the previous backup (`*.bkp`), used when the latest
            cannot be read.
        delete_checkpoint: delete the backup when `fit` completes.

    Example:
        >>> backup = keras.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
        >>> model.fit(x, y, epochs=10, callbacks=[backup])  # interrupted at epoch 4
        >>> model.fit(x, y, epochs=10, callbacks=[backup])  # runs epochs 5 to 10
    """

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"

    def on_train_begin(self, logs=None):
        # A finished or unrelated earlier fit must not decide where this one starts.
        self.model._initial_epoch = None
        try:
            self._load_model()
        except OSError:
            # The latest backup is unreadable: fall back on the previous one, if kept.
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        if not getattr(self.model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you "
                f"call `fit()`. Model {self.model} is unbuilt. You can build it beforehand "
                "by calling it on a batch of data."
            )
        if os.path.exists(self._weights_path):
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and not getattr(optimizer, "built", True):
                # The backup holds the optimizer's variables: they must exist to be loaded.
                optimizer.build(self.model.trainable_variables)
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path, encoding="utf-8") as file:
                metadata = json.loads(file.read())
            self.model._initial_epoch = metadata["epoch"]

    def on_epoch_begin(self, epoch, logs=None):
        # A backup taken by batch inside this epoch resumes this epoch.
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch, logs=None):
        if batch_save_due(self, batch):
            self._save_model()

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            if os.path.exists(self._weights_path):
                shutil.copyfile(self._weights_path, self._prev_weights_path)
            if os.path.exists(self._training_metadata_path):
                shutil.copyfile(self._training_metadata_path, self._prev_training_metadata_path)
        self.model.save_weights(self._weights_path, overwrite=True)
        _write_json_atomically(
            self._training_metadata_path,
            {"epoch": self._current_epoch, "batch": self._last_batch_seen},
        )

    def on_train_end(self, logs=None):
        # The run completed: later fits start from their own `initial_epoch`.
        self.model._initial_epoch = None
        if self.delete_checkpoint:
            self._delete_backup()

    def _delete_backup(self):
        """Removes the backup files, then the directory if nothing else is in it."""
        for path in (
            self._weights_path,
            self._training_metadata_path,
            self._prev_weights_path,
            self._prev_training_metadata_path,
        ):
            if os.path.exists(path):
                os.remove(path)
        if os.path.isdir(self.backup_dir) and not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
