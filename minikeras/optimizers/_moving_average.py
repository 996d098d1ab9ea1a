"""The moving average of the weights, step 8 of `Optimizer.apply` (`use_ema=True`).

`MovingAverage` is one of `Optimizer`'s base classes. `Optimizer.build` creates one
`average` slot per variable (`_model_variables_moving_average`); after each update
`average = m * average + (1 - m) * weight`, and every `ema_overwrite_frequency` steps (and
in `finalize_variable_values`, which `fit` calls when it ends) the averages are copied into
the weights.
"""

import numpy as np

__all__ = ["MovingAverage", "check_ema_options"]


def check_ema_options(use_ema, ema_momentum, ema_overwrite_frequency):
    """Raises a ValueError for an `ema_momentum` or `ema_overwrite_frequency` out of range
    (only when `use_ema` is set, as Keras checks them)."""
    if use_ema:
        if ema_momentum > 1 or ema_momentum < 0:
            raise ValueError(
                f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
            )
        if ema_overwrite_frequency and (
            not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
        ):
            raise ValueError(
                "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                f"ema_overwrite_frequency={ema_overwrite_frequency}"
            )


class MovingAverage:
    """The exponential moving average of the weights of `Optimizer` (reads `use_ema`,
    `ema_momentum`)."""

    def _update_model_variables_moving_average(self, trainable_variables):
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            float_type = variable.data.dtype.type
            # The first step copies the weights: momentum 0.
            momentum = float_type(self.ema_momentum if self._iteration_count() != 0 else 0)
            (scratch,) = self._scratch(variable, 1)[:1]
            average.data *= momentum
            np.multiply(variable.data, 1 - momentum, out=scratch)
            average.data += scratch

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override "
                "does not match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the "
                "optimizer was called on your model."
            )
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            variable.assign(average)

    def finalize_variable_values(self, var_list):
        """Ends training: with `use_ema`, copies the moving averages into the variables."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))
