"""`TensorBoard`: writes the logs of `fit` as TensorBoard event files (with tensorboardX).

The files are laid out as Keras writes them, so TensorBoard shows the same charts:
`log_dir/train` holds `epoch_<metric>` (step = epoch), `epoch_learning_rate` and, with
`update_freq`, `batch_<metric>` (step = batch number over the whole fit);
`log_dir/validation` holds the `val_` values as `epoch_<metric>` and, after each
evaluation, `evaluation_<metric>_vs_iterations` (step = optimizer iterations).

The writer is tensorboardX, an optional extra (`pip install minikeras[tensorboard]`).
"""

import os
import time

import numpy as np

from minikeras.callbacks._optimizers import inner_optimizers
from minikeras.callbacks.callback import Callback

__all__ = ["TensorBoard"]


def _import_tensorboardx():
    try:
        import tensorboardX
    except ImportError:
        raise ImportError(
            "The TensorBoard callback writes event files with tensorboardX, an optional extra "
            "of minikeras: `pip install minikeras[tensorboard]` (or `pip install tensorboardX`)."
        ) from None
    return tensorboardX


def _scalar(value):
    """A log value as a float, or None for values that are not one number."""
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return None
    return float(array) if array.size == 1 else None


class TensorBoard(Callback):
    """Writes loss, metrics and learning rate for TensorBoard (`tensorboard --logdir logs`).

    Args:
        log_dir: folder of the event files (`train/` and `validation/` inside).
        histogram_freq: every how many epochs to write a histogram of each weight (0: never).
        write_graph: accepted for Keras scripts; there is no TensorFlow graph to write (draw
            the model with `keras.utils.plot_model`).
        write_images, profile_batch, embeddings_freq, embeddings_metadata: not supported;
            anything but their defaults raises a ValueError.
        write_steps_per_second: also write the training speed (`epoch_steps_per_second`, and
            `batch_steps_per_second` with `update_freq`).
        update_freq: `"epoch"`; `"batch"` (every batch) or an integer N (every N-th batch)
            also writes `batch_<metric>` values.

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[keras.callbacks.TensorBoard("logs")])
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        unsupported = {
            "write_images": (write_images, False),
            "profile_batch": (profile_batch, 0),
            "embeddings_freq": (embeddings_freq, 0),
            "embeddings_metadata": (embeddings_metadata, None),
        }
        for name, (value, default) in unsupported.items():
            if value != default:
                raise ValueError(
                    f"TensorBoard: `{name}` is not supported by minikeras (got {value!r}); "
                    f"leave it at {default!r}."
                )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                "TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive integer, got "
                f"{update_freq!r}."
            )
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int):
            raise ValueError(
                f"TensorBoard: `histogram_freq` must be an int, got {histogram_freq!r}."
            )
        if histogram_freq < 0:
            raise ValueError(f"TensorBoard: `histogram_freq` must be >= 0, got {histogram_freq}.")
        self._writer_module = _import_tensorboardx()  # fail before training, not after it
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0

    def _writer(self, which):
        """The event file writer of `log_dir/train` or `log_dir/validation`, made on first use."""
        if which not in self._writers:
            self._writers[which] = self._writer_module.SummaryWriter(
                os.path.join(self.log_dir, which)
            )
        return self._writers[which]

    def _write(self, which, logs, prefix, step):
        writer = self._writer(which)
        for name, value in logs.items():
            number = _scalar(value)
            if number is not None:
                writer.add_scalar(f"{prefix}{name}", number, global_step=int(step))

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(np.asarray(optimizer.iterations)) if optimizer is not None else 0

    def _collect_learning_rate(self, logs):
        """`logs` with the learning rate added as `learning_rate`; with a MultiOptimizer (also
        inside a LossScaleOptimizer), each inner optimizer's as `learning_rate_<name>`."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return logs
        inner = inner_optimizers(getattr(optimizer, "inner_optimizer", optimizer), self.model)
        if inner is not None:
            for inner_optimizer in inner:
                logs[f"learning_rate_{inner_optimizer.name}"] = float(inner_optimizer.learning_rate)
        elif "learning_rate" not in logs:
            logs["learning_rate"] = optimizer.learning_rate
        return logs

    # -- fit -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start_time = time.perf_counter()
        self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        values = dict(logs or {})
        if self.write_steps_per_second:
            values["steps_per_second"] = 1.0 / max(
                time.perf_counter() - self._batch_start_time, 1e-9
            )
        self._write("train", values, "batch_", self._global_train_batch)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {key: value for key, value in logs.items() if not key.startswith("val_")}
        validation = {key[4:]: value for key, value in logs.items() if key.startswith("val_")}
        train = self._collect_learning_rate(train)
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._epoch_start_time, 1e-9)
            train["steps_per_second"] = (
                self._iterations() - self._epoch_start_iterations
            ) / seconds
        self._write("train", train, "epoch_", epoch)
        if validation:
            self._write("validation", validation, "epoch_", epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            for weight in self.model.weights:
                name = getattr(weight, "path", None) or weight.name
                writer.add_histogram(f"{name}/histogram", np.asarray(weight), global_step=epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        if logs and getattr(self.model, "optimizer", None) is not None:
            writer = self._writer("validation")
            step = self._iterations()
            for name, value in logs.items():
                number = _scalar(value)
                if number is not None:
                    writer.add_scalar(f"evaluation_{name}_vs_iterations", number, global_step=step)
            writer.flush()  # `evaluate` alone has no on_train_end to close it

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
