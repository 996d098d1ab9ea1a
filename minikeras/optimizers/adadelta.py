"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as Keras computes it.

    `acc_g = rho * acc_g + (1 - rho) * g**2`;
    `delta = -sqrt(acc_delta + epsilon) * g / sqrt(acc_g + epsilon)`;
    `acc_delta = rho * acc_delta + (1 - rho) * delta**2`; `w += learning_rate * delta`.

    Args:
        learning_rate: a float or a schedule (default 0.001; the original paper uses 1.0).
        rho: decay rate of the running averages (0.95).
        epsilon: small constant for numerical stability (1e-7).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Adadelta(learning_rate=1.0)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, grad, variable, learning_rate):
        float_type = variable.data.dtype.type
        rho = float_type(self.rho)
        one_minus_rho = float_type(1 - self.rho)
        epsilon = float_type(self.epsilon)
        index = self._get_variable_index(variable)
        accumulated_grad = self._accumulated_grads[index].data
        accumulated_delta = self._accumulated_delta_vars[index].data
        delta, scratch = self._scratch(variable, 2)[:2]

        accumulated_grad *= rho
        np.square(grad, out=scratch)
        scratch *= one_minus_rho
        accumulated_grad += scratch
        # delta = -(rms(accumulated_delta) * grad) / rms(accumulated_grad)
        np.add(accumulated_delta, epsilon, out=delta)
        np.sqrt(delta, out=delta)
        delta *= grad
        np.add(accumulated_grad, epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        delta /= scratch
        np.negative(delta, out=delta)
        accumulated_delta *= rho
        np.square(delta, out=scratch)
        scratch *= one_minus_rho
        accumulated_delta += scratch
        delta *= float_type(learning_rate)
        variable.data += delta

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
