"""`SwapEMAWeights`: evaluates (and optionally checkpoints) with the optimizer's moving
averages of the weights instead of the weights themselves."""

from minikeras.callbacks._optimizers import inner_optimizers
from minikeras.callbacks.callback import Callback

__all__ = ["SwapEMAWeights"]


class SwapEMAWeights(Callback):
    """Puts the optimizer's exponential moving averages of the weights (`use_ema=True`) into
    the model while it is evaluated or predicts, and the trained weights back afterwards.

    The swap exchanges values in place (no copies of the model are kept): do not change the
    weights or the averages in other callbacks while they are swapped. With a
    `MultiOptimizer`, as in Keras, the variables of each inner optimizer with `use_ema=True`
    are swapped (at least one must have it); a `LossScaleOptimizer`'s inner optimizer is
    the one looked at.

    Args:
        swap_on_epoch: also hold the averages in the model from each epoch end to the next
            epoch begin, so callbacks placed after this one (e.g. `ModelCheckpoint`) see
            them. On the last epoch, or when a callback before this one has stopped
            training, the averages are kept as the final weights, as `fit` does without the
            callback (Keras 3 forgets this on an early stop and ends on the trained weights).

    Example:
        >>> optimizer = keras.optimizers.SGD(use_ema=True)
        >>> model.compile(optimizer=optimizer, loss="mse")
        >>> model.fit(x, y, validation_split=0.2, callbacks=[
        ...     keras.callbacks.SwapEMAWeights(swap_on_epoch=True),
        ...     keras.callbacks.ModelCheckpoint("ema.weights.h5", save_weights_only=True)])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        """The optimizers whose variables and moving averages are swapped."""
        optimizer = getattr(self.model, "optimizer", None)
        # A LossScaleOptimizer keeps no averages: its inner optimizer does (as Keras reads it).
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        inner = inner_optimizers(optimizer, self.model)
        if inner is None:
            if not getattr(optimizer, "use_ema", False):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                    f"Received: use_ema={getattr(optimizer, 'use_ema', None)}"
                )
            return [optimizer]
        with_ema = [o for o in inner if getattr(o, "use_ema", False)]
        if inner and not with_ema:
            raise ValueError(
                "SwapEMAWeights must be used when at least one inner optimizer has "
                "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                "having `use_ema=False`."
            )
        return with_ema

    def _pairs(self):
        """`(variable, average)` for every variable of the optimizers with averages."""
        pairs = []
        for optimizer in self._ema_optimizers():
            averages = getattr(optimizer, "_model_variables_moving_average", None)
            if averages is None:
                raise ValueError(
                    f"SwapEMAWeights found no moving averages in the optimizer "
                    f"{optimizer.name!r}: it has not taken a training step yet, so there is "
                    "nothing to swap in."
                )
            pairs.extend(zip(optimizer._trainable_variables, averages))
        return pairs

    def _swap_variables(self):
        for variable, average in self._pairs():
            weights = variable.data.copy()
            variable.assign(average.data)
            average.assign(weights)

    def _finalize_ema_values(self):
        # The model holds the averages and the optimizer the trained weights: make both the
        # averages, so the end of `fit` (which copies the averages in) keeps them.
        for variable, average in self._pairs():
            average.assign(variable.data)

    def on_train_begin(self, logs=None):
        # Refuse an optimizer without moving averages before any weight changes.
        self._ema_optimizers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            last_epoch = self.params is not None and epoch == self.params["epochs"] - 1
            if last_epoch or getattr(self.model, "stop_training", False):
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        # Keras 3 tests the flag the wrong way round here and leaves the averages in the
        # model after `predict`; the trained weights are put back, as after `evaluate`.
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
