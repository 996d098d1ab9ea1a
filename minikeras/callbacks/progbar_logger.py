"""`ProgbarLogger`: prints the progress bar and the `Epoch i/N` lines of `fit`."""

import sys

from minikeras.callbacks.callback import Callback
from minikeras.utils.progbar import Progbar, write_text

__all__ = ["ProgbarLogger"]


class ProgbarLogger(Callback):
    """Prints progress to standard output: a bar per epoch (`verbose=1`) or one line per
    epoch (`verbose=2`), preceded by `Epoch i/N` when `fit` runs more than one epoch.

    `fit`, `evaluate` and `predict` add one when `verbose` is not 0. Validation inside `fit`
    prints nothing of its own; its `val_*` values appear on the epoch's line.

    Args:
        count_mode: `"steps"` (the only mode Keras 3 has: the bar counts batches).
    """

    def __init__(self, count_mode="steps"):
        super().__init__()
        if count_mode != "steps":
            raise ValueError(
                f"ProgbarLogger counts steps (batches) only; got count_mode={count_mode!r}."
            )
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        if verbose == "auto":
            # As the training loop resolves it: a live bar on a terminal, else a line.
            verbose = 1 if sys.stdout.isatty() else 2
        self.verbose = verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        # Validation runs inside fit: its batches must not draw a bar of their own.
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            write_text(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        # The outputs are not metrics: leave them off the bar.
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            # The loop's values are already running means: show them as given.
            self.progbar = Progbar(
                target=self.target, verbose=self.verbose, unit_name="step", stateless_metrics=()
            )

    def _update_progbar(self, batch, logs=None):
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs):
        self._maybe_init_progbar()
        if self.target is None:
            # Data of unknown length: now we know how many steps there were.
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
