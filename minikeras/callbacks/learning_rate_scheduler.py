"""`LearningRateScheduler`: sets the learning rate at each epoch from a function."""

import inspect
import numbers

from minikeras.callbacks._optimizers import inner_optimizers
from minikeras.callbacks.callback import Callback
from minikeras.utils.progbar import write_text

__all__ = ["LearningRateScheduler"]


def _accepts_two_arguments(function):
    """Whether `function(epoch, lr)` is a valid call; None when the signature is hidden."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of each epoch.

    Also logs the learning rate as `learning_rate` at each epoch end (so it lands in
    `History`). With a `MultiOptimizer`, as in Keras, each inner optimizer's rate is set
    from its own current rate and logged as `learning_rate_<optimizer name>`.

    Args:
        schedule: `schedule(epoch, lr) -> new_lr` with the 0-based epoch and the current
            learning rate, or the older `schedule(epoch) -> new_lr`.
        verbose: 1 prints the learning rate it sets.

    Example:
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> model.fit(x, y, epochs=15, callbacks=[LearningRateScheduler(scheduler)])
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _new_learning_rate(self, epoch, learning_rate):
        two_arguments = _accepts_two_arguments(self.schedule)
        if two_arguments is None:
            # No signature to look at (e.g. a builtin): try both forms, as Keras does.
            try:
                return self.schedule(epoch, learning_rate)
            except TypeError:
                return self.schedule(epoch)
        if two_arguments:
            return self.schedule(epoch, learning_rate)
        return self.schedule(epoch)

    def _scheduled_rate(self, optimizer, epoch):
        """The schedule's learning rate for `optimizer` at `epoch`, checked to be a float."""
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        new_lr = self._new_learning_rate(epoch, float(optimizer.learning_rate))
        # A number or a 0-d tensor (e.g. `lr * ops.exp(-0.1)`).
        if isinstance(new_lr, bool) or not (
            isinstance(new_lr, numbers.Real) or getattr(new_lr, "shape", None) == ()
        ):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {new_lr!r}"
            )
        return float(new_lr)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        inner = inner_optimizers(optimizer, self.model)
        targets = [optimizer] if inner is None else inner
        # Every rate is computed and checked before any is set.
        rates = [self._scheduled_rate(target, epoch) for target in targets]
        for target, new_lr in zip(targets, rates):
            target.learning_rate = new_lr
            if self.verbose > 0:
                # With a MultiOptimizer, Keras names each inner optimizer.
                which = "" if inner is None else f"{target.name} "
                write_text(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which}learning rate "
                    f"to {new_lr}.\n"
                )

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        optimizer = self.model.optimizer
        inner = inner_optimizers(optimizer, self.model)
        if inner is None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        else:
            for inner_optimizer in inner:
                logs[f"learning_rate_{inner_optimizer.name}"] = float(inner_optimizer.learning_rate)
