"""Adagrad: per-parameter learning rates scaled by the sum of past squared gradients."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: `acc += g**2; w -= learning_rate * g / sqrt(acc + epsilon)`.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        initial_accumulator_value: starting value of `acc` (0.1).
        epsilon: small constant for numerical stability (1e-7).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Adagrad(learning_rate=0.01)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=float(self.initial_accumulator_value)
        )

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        accumulator = self._accumulators[self._get_variable_index(variable)].data
        denominator, step = self._scratch(variable, 2)[:2]
        np.square(gradient, out=denominator)
        accumulator += denominator
        np.add(accumulator, float_type(self.epsilon), out=denominator)
        np.sqrt(denominator, out=denominator)
        np.multiply(gradient, float_type(learning_rate), out=step)
        step /= denominator
        variable.data -= step

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
