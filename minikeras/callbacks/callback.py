"""`Callback`: the base class of everything `fit`, `evaluate` and `predict` call back."""

__all__ = ["Callback"]


class Callback:
    """Base class for callbacks: override the hooks you need.

    `fit` calls `on_train_begin`, then for each epoch `on_epoch_begin`, for each batch
    `on_train_batch_begin` / `on_train_batch_end`, validation (`on_test_*`), and
    `on_epoch_end`; finally `on_train_end`. `evaluate` calls the `on_test_*` hooks and
    `predict` the `on_predict_*` hooks. Every hook does nothing by default; the training loop
    skips the hooks no callback overrides, so an unused batch hook costs nothing.

    Attributes:
        model: the model being trained (set by the loop through `set_model`).
        params: a dict of training parameters: `verbose`, `epochs`, `steps`.

    The `logs` dicts hold Python floats: running metric values in batch hooks
    (`{"loss": 0.21, "accuracy": 0.9}`), epoch results in `on_epoch_end` with the
    validation values prefixed `val_`.

    Example:
        >>> class StopAtLoss(keras.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if logs["loss"] < 0.1:
        ...             self.model.stop_training = True
        >>> model.fit(x, y, epochs=100, callbacks=[StopAtLoss()])
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return self._model

    # The batch hooks take `logs` as a keyword and the others positionally: user code
    # (e.g. lambdas in LambdaCallback) relies on Keras calling them exactly this way.
    def on_batch_begin(self, batch, logs=None):
        """Older name of `on_train_batch_begin`, still called by it."""

    def on_batch_end(self, batch, logs=None):
        """Older name of `on_train_batch_end`, still called by it."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based) of `fit`."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch of `fit`, with the epoch's results (and `val_*`)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch `batch` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch, with the running metric values of the epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of `evaluate` (or of validation inside `fit`)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of `evaluate`, with the running metric values."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of `predict`."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of `predict`; `logs["outputs"]` holds its outputs."""

    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit`, with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` (and of each validation in `fit`)."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate`, with its results."""

    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""


def batch_save_due(callback, batch):
    """Whether a callback that saves every `callback.save_freq` batches saves after `batch`.

    Counts the batches seen since the last save in `callback._batches_seen_since_last_saving`
    (batch numbers restart at 0 each epoch; `callback._last_batch_seen` is the previous one,
    None before the first) and restarts the count when it says yes. Always False for
    `save_freq="epoch"`.
    """
    if callback.save_freq == "epoch":
        return False
    previous = callback._last_batch_seen
    if previous is None or batch <= previous:
        # A new epoch started: batch numbers count from 0 again.
        added = batch + 1
    else:
        added = batch - previous
    callback._batches_seen_since_last_saving += added
    callback._last_batch_seen = batch
    if callback._batches_seen_since_last_saving >= callback.save_freq:
        callback._batches_seen_since_last_saving = 0
        return True
    return False
