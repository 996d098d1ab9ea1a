"""Adamax: Adam with the infinity norm in place of the second moment."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, section 7).

    With `t = iterations + 1`: `m += (g - m) * (1 - beta_1)`,
    `u = max(beta_2 * u, |g|)`, `w -= learning_rate * m / ((1 - beta_1**t) * (u + epsilon))`.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1: decay of the first moment (0.9).
        beta_2: decay of the infinity norm (0.999).
        epsilon: small constant for numerical stability (1e-7).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Adamax(learning_rate=0.002)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        local_step = float_type(self._iteration_count() + 1)
        beta_1_power = float_type(self.beta_1) ** local_step
        index = self._get_variable_index(variable)
        m = self._m[index].data
        u = self._u[index].data
        first, second = self._scratch(variable, 2)[:2]

        np.subtract(gradient, m, out=first)
        first *= float_type(1 - self.beta_1)
        m += first
        u *= float_type(self.beta_2)
        np.abs(gradient, out=first)
        np.maximum(u, first, out=u)
        np.add(u, float_type(self.epsilon), out=first)
        first *= 1 - beta_1_power
        np.multiply(m, float_type(learning_rate), out=second)
        second /= first
        variable.data -= second

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
