"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as Keras computes it.

    `v = rho * v + (1 - rho) * g**2`; the increment is
    `learning_rate * g / sqrt(v + epsilon)` (epsilon inside the square root). With
    `centered=True`, a running mean `a` of the gradients is kept too and the denominator is
    `sqrt(v - a**2 + epsilon)`. With `momentum > 0`, `mo = momentum * mo + increment` and
    `w -= mo`; otherwise `w -= increment`.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        rho: decay of the running average of squared gradients (0.9).
        momentum: momentum (default 0).
        epsilon: small constant for numerical stability (1e-7).
        centered: normalise by the estimated variance instead of the second moment.
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = RMSprop(learning_rate=0.001, centered=True)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.data.dtype
        # The constants as 0-d arrays: numpy's ufuncs take them faster than numpy scalars.
        lr = np.asarray(learning_rate, dtype)
        rho = np.asarray(self.rho, dtype)
        one_minus_rho = np.asarray(1 - self.rho, dtype)
        index = self._get_variable_index(variable)
        w = variable.data
        v = self._velocities[index].data
        denominator, increment = self._scratch(variable, 2)[:2]

        v *= rho
        np.square(gradient, out=denominator)
        denominator *= one_minus_rho
        v += denominator
        if self.centered:
            average = self._average_gradients[index].data
            average *= rho
            np.multiply(gradient, one_minus_rho, out=denominator)
            average += denominator
            np.square(average, out=denominator)
            np.subtract(v, denominator, out=denominator)
            denominator += np.asarray(self.epsilon, dtype)
        else:
            np.add(v, np.asarray(self.epsilon, dtype), out=denominator)
        np.sqrt(denominator, out=denominator)
        np.multiply(gradient, lr, out=increment)
        increment /= denominator
        if self.momentum > 0:
            momentum = self._momentums[index].data
            momentum *= np.asarray(self.momentum, dtype)
            momentum += increment
            w -= momentum
        else:
            w -= increment

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
