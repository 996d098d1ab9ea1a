"""`TqdmProgressBar`: `fit`/`evaluate`/`predict` progress drawn by `tqdm.auto`.

`tqdm.auto` draws a widget in Jupyter notebooks and a text bar in terminals. Passing this
callback replaces the default Keras-style progress bar (it is a `ProgbarLogger`, so `fit`
adds no other), and `fit`'s `verbose` still decides how much is shown. With interactive
logging off (`keras.config.disable_interactive_logging()`) it draws no bars: as Keras's
progress bar does then, it sends the text bar's lines to the log (`utils/io_utils.py`).
"""

import numbers

from minikeras.callbacks.progbar_logger import ProgbarLogger
from minikeras.utils import io_utils

__all__ = ["TqdmProgressBar"]


def _postfix(logs):
    """Log values as short strings (`0.4213`), as the Keras bar prints them."""
    shown = {}
    for key, value in (logs or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue  # arrays (e.g. per-class metrics) do not fit on a bar
        shown[key] = f"{number:.4f}" if not isinstance(value, numbers.Integral) else str(value)
    return shown


class TqdmProgressBar(ProgbarLogger):
    """Shows training progress with tqdm: an epoch bar, and a bar per epoch over its batches.

    With `fit(verbose=1)` (a terminal's default) both bars are drawn, the batch bar with
    the running loss and metrics; with `verbose=2` only the epoch bar (with the epoch's
    logs, `val_` ones included); with `verbose=0` nothing. `evaluate` and `predict` draw one
    bar over their batches. While interactive logging is off, each loop logs what the text
    progress bar (`ProgbarLogger`) prints instead, as Keras's bar does.

    Args:
        **tqdm_kwargs: passed to every `tqdm` bar (e.g. `file=`, `ncols=`, `colour=`,
            `disable=`).

    Example:
        >>> model.fit(x, y, epochs=10, callbacks=[keras.callbacks.TqdmProgressBar()])
    """

    def __init__(self, **tqdm_kwargs):
        super().__init__()
        self.tqdm_kwargs = tqdm_kwargs
        self.epoch_bar = None
        self.batch_bar = None
        self._draw_bars = True

    def _start_loop(self):
        # Read once per loop (fit, or evaluate/predict alone), so one loop never mixes both.
        self._draw_bars = io_utils.is_interactive_logging_enabled()

    def _bar(self, **kwargs):
        from tqdm.auto import tqdm

        return tqdm(**{**kwargs, **self.tqdm_kwargs})

    def _close_batch_bar(self):
        if self.batch_bar is not None:
            self.batch_bar.close()
            self.batch_bar = None

    # -- fit -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._start_loop()
        self._called_in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        if not self._draw_bars:
            return super().on_epoch_begin(epoch, logs)
        if not self.verbose:
            return
        if self.epoch_bar is None:
            # `initial` counts the epochs skipped by `fit(initial_epoch=...)`.
            self.epoch_bar = self._bar(
                total=self.epochs, initial=epoch, unit="epoch", desc="Training"
            )
        if self.verbose == 1:
            self.batch_bar = self._bar(
                total=self.target, unit="step", desc=f"Epoch {epoch + 1}/{self.epochs}", leave=False
            )

    def on_train_batch_end(self, batch, logs=None):
        if not self._draw_bars:
            return super().on_train_batch_end(batch, logs)
        if self.batch_bar is not None:
            self.batch_bar.set_postfix(_postfix(logs), refresh=False)
            self.batch_bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if not self._draw_bars:
            return super().on_epoch_end(epoch, logs)
        self._close_batch_bar()
        if self.epoch_bar is not None:
            self.epoch_bar.set_postfix(_postfix(logs), refresh=False)
            self.epoch_bar.update(1)

    def on_train_end(self, logs=None):
        self._called_in_fit = False
        self._close_batch_bar()
        if self.epoch_bar is not None:
            self.epoch_bar.close()
            self.epoch_bar = None

    # -- evaluate and predict (validation inside fit draws nothing) -------------------------
    def _begin_alone(self, description):
        if not self._called_in_fit:
            self._start_loop()
        if self._draw_bars and self.verbose and not self._called_in_fit:
            self.batch_bar = self._bar(total=self.target, unit="step", desc=description)

    def on_test_begin(self, logs=None):
        self._begin_alone("Evaluate")
        if not self._draw_bars:
            super().on_test_begin(logs)

    def on_predict_begin(self, logs=None):
        self._begin_alone("Predict")
        if not self._draw_bars:
            super().on_predict_begin(logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._draw_bars:
            return super().on_test_batch_end(batch, logs)
        if not self._called_in_fit:
            self.on_train_batch_end(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        if not self._draw_bars:
            return super().on_predict_batch_end(batch, logs)
        if self.batch_bar is not None:
            self.batch_bar.update(1)

    def on_test_end(self, logs=None):
        if not self._draw_bars:
            return super().on_test_end(logs)
        if not self._called_in_fit and self.batch_bar is not None:
            self.batch_bar.set_postfix(_postfix(logs), refresh=False)
            self._close_batch_bar()

    def on_predict_end(self, logs=None):
        if not self._draw_bars:
            return super().on_predict_end(logs)
        self._close_batch_bar()
