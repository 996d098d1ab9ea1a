"""Lamb: Adam with a per-layer trust ratio (You et al., 2019)."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments), as Keras computes it.

    With `t = iterations + 1`, Adam's moments `m += (g - m) * (1 - beta_1)` and
    `v += (g**2 - v) * (1 - beta_2)` give the step
    `u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)`. Each variable then
    moves by `learning_rate * ratio * u`, where `ratio = ||w|| / ||u||` (1 when either norm
    is 0): the step is as large, relative to the variable, for every layer. The norms are
    over a whole variable, so the update is per variable, never over a flat buffer.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1: decay of the first-moment estimate (0.9).
        beta_2: decay of the second-moment estimate (0.999).
        epsilon: small constant added to the root of the second moment (1e-7).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Lamb(learning_rate=1e-3)
    """

    # Its rule reads whole variables, so it never runs on a flat buffer (see _flat.py).
    _elementwise_update_step = False

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        lr = float_type(learning_rate)
        local_step = float_type(self._iteration_count() + 1)
        beta_1_power = float_type(self.beta_1) ** local_step
        beta_2_power = float_type(self.beta_2) ** local_step
        index = self._get_variable_index(variable)
        m = self._momentums[index].data
        v = self._velocities[index].data
        w = variable.data

        m += (gradient - m) * float_type(1 - self.beta_1)
        v += (np.square(gradient) - v) * float_type(1 - self.beta_2)
        m_hat = m / (float_type(1) - beta_1_power)
        v_root = np.sqrt(v / (float_type(1) - beta_2_power)) + float_type(self.epsilon)
        update = m_hat / v_root
        w_norm = np.sqrt(np.sum(np.square(w)))
        update_norm = np.sqrt(np.sum(np.square(update)))
        ratio = w_norm / update_norm if w_norm > 0 and update_norm > 0 else float_type(1)
        w -= ratio * lr * update

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
