"""Adam: adaptive moment estimation."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as Keras computes it.

    With `t = iterations + 1`:
    `m += (g - m) * (1 - beta_1)`, `v += (g**2 - v) * (1 - beta_2)`,
    `alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)` and
    `w -= alpha * m / (sqrt(v) + epsilon)` (epsilon outside the square root). With
    `amsgrad=True`, `v` in the last formula is replaced by its running maximum.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1: decay of the first-moment estimate (0.9).
        beta_2: decay of the second-moment estimate (0.999).
        epsilon: small constant for numerical stability (1e-7).
        amsgrad: use the AMSGrad variant.
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Adam(learning_rate=1e-3)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        lr = float_type(learning_rate)
        local_step = float_type(self._iteration_count() + 1)
        beta_1_power = float_type(self.beta_1) ** local_step
        beta_2_power = float_type(self.beta_2) ** local_step
        # The array operands as 0-d arrays: numpy's ufuncs take them faster than scalars.
        alpha = np.asarray(lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power))
        index = self._get_variable_index(variable)
        w = variable.data
        m = self._momentums[index].data
        v = self._velocities[index].data
        first, second = self._scratch(variable, 2)[:2]

        np.subtract(gradient, m, out=first)
        first *= np.asarray(1 - self.beta_1, float_type)
        m += first
        np.square(gradient, out=first)
        first -= v
        first *= np.asarray(1 - self.beta_2, float_type)
        v += first
        if self.amsgrad:
            v_hat = self._velocity_hats[index].data
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=first)
        first += np.asarray(self.epsilon, float_type)
        np.multiply(m, alpha, out=second)
        second /= first
        w -= second

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config
