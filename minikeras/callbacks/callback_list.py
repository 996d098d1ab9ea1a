"""`CallbackList`: calls every callback's hook, in order, from one place."""

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.callbacks.callback import Callback
from minikeras.callbacks.history import History
from minikeras.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList"]

HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)

# Callback's default train-batch hooks forward to these older names, so overriding the
# older name is listening to the newer hook.
_FORWARDED = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def overrides(callback, hook):
    """Whether `callback` replaces `Callback`'s do-nothing `hook` (in its class, or as an
    instance attribute as `LambdaCallback` does)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", method) is not getattr(Callback, hook)


def _listens(callback, hook):
    forwarded = _FORWARDED.get(hook)
    return overrides(callback, hook) or (forwarded is not None and overrides(callback, forwarded))


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            "`callbacks` must be a list of keras.callbacks.Callback instances, got "
            f"{type(callbacks).__name__}: {callbacks!r}."
        )
    flat = []
    for item in callbacks:
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            raise TypeError(
                "Every callback must be a keras.callbacks.Callback instance (subclass "
                f"Callback to write your own); got {type(item).__name__}: {item!r}."
            )
    return flat


def _to_python(value):
    if type(value) is float:
        return value
    if isinstance(value, Tensor):
        # A step's metric results: 0-d ones become floats below; a metric of shape (1,)
        # (F1Score on one class) stays an array, as in Keras.
        value = value.data
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    # 0-d arrays and tensors become floats; anything bigger (predict's outputs) stays.
    if getattr(value, "shape", None) == ():
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def python_logs(logs):
    """A fresh dict of `logs`, keys sorted, nested dicts flattened, numbers as Python floats.

    Each hook call gets its own copy, shared by the callbacks of that call: a callback that
    adds a key (as `LearningRateScheduler` adds `learning_rate`) is seen by the ones after
    it (`History`, the progress bar), and the training loop's own dict is left alone.
    """
    result = {}
    if not logs:
        return result
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            result.update(python_logs(value))
        else:
            result[key] = _to_python(value)
    return result


class CallbackList(Callback):
    """Holds the callbacks of one `fit`/`evaluate`/`predict` call and calls them in order.

    `History` and `ProgbarLogger` are added after the user's callbacks (unless the list
    already has one), so they see what user callbacks add to the logs.

    For each hook, the list keeps only the callbacks that override it (recomputed by
    `append` and at each `on_*_begin`), so a batch hook nobody overrides costs one
    attribute lookup.

    Args:
        callbacks: a list of `Callback` instances (nested lists are flattened).
        add_history: add a `History` if there is none.
        add_progbar: add a `ProgbarLogger` if there is none.
        model: the model; given to every callback with `set_model`.
        **params: given to every callback with `set_params` (`verbose`, `epochs`, `steps`).

    Example:
        >>> callbacks = CallbackList([EarlyStopping()], add_history=True, model=model,
        ...                          verbose=0, epochs=10, steps=100)
        >>> callbacks.on_train_begin()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        self.callbacks = _flatten(callbacks)
        self.params = None
        self._model = None
        self._add_default_callbacks(add_history, add_progbar)
        self._listeners = {}
        self._update_listeners()
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _update_listeners(self):
        self._listeners = {
            hook: tuple(cb for cb in self.callbacks if _listens(cb, hook)) for hook in HOOKS
        }

    def listens(self, hook):
        """Whether a callback overrides `hook` (the loops skip preparing logs nobody reads)."""
        return bool(self._listeners[hook])

    def append(self, callback):
        """Adds a callback at the end (after `History` and the progress bar, if present)."""
        for new in _flatten(callback):
            self.callbacks.append(new)
            if self._model is not None:
                new.set_model(self._model)
            if self.params:
                new.set_params(self.params)
        self._update_listeners()

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    # -- batch hooks: `logs` is passed as a keyword, as Keras does ----------------------------
    def on_batch_begin(self, batch, logs=None):
        listeners = self._listeners["on_batch_begin"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        listeners = self._listeners["on_batch_end"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_batch_end(batch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        listeners = self._listeners["on_train_batch_begin"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        listeners = self._listeners["on_train_batch_end"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        listeners = self._listeners["on_test_batch_begin"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        listeners = self._listeners["on_test_batch_end"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        listeners = self._listeners["on_predict_batch_begin"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        listeners = self._listeners["on_predict_batch_end"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_predict_batch_end(batch, logs=logs)

    # -- epoch hooks ------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        listeners = self._listeners["on_epoch_begin"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_epoch_begin(epoch, logs)
            self._update_listeners()  # as in `_begin`: hooks set during this one count

    def on_epoch_end(self, epoch, logs=None):
        listeners = self._listeners["on_epoch_end"]
        if listeners:
            logs = python_logs(logs)
            for callback in listeners:
                callback.on_epoch_end(epoch, logs)

    # -- begin / end of fit, evaluate, predict ----------------------------------------------
    def _begin(self, hook, logs):
        # The list may have been changed since the last run: look at the overrides again.
        self._update_listeners()
        logs = python_logs(logs)
        for callback in self._listeners[hook]:
            getattr(callback, hook)(logs)
        # A callback may set its batch hooks on itself only now (`self.on_train_batch_end =
        # ...` in `on_train_begin`): they must be called too.
        self._update_listeners()

    def _end(self, hook, logs):
        logs = python_logs(logs)
        for callback in self._listeners[hook]:
            getattr(callback, hook)(logs)

    def on_train_begin(self, logs=None):
        self._begin("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._end("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._begin("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._end("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._begin("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._end("on_predict_end", logs)
