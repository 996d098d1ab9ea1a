"""ScheduleFreeAdamW: AdamW without a learning-rate schedule (Defazio et al., 2024)."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW, as Keras computes it.

    The `momentum` slot holds the sequence `z` that the Adam steps move (it starts as a copy
    of the weights); the weights are an interpolation between `z` and a running average `x`
    of it. With `t = iterations + 1` (and the learning rate ramped up linearly over
    `warmup_steps`): `v += (g**2 - v) * (1 - beta_2)`,
    `z -= lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)`, then with the previous `z_old`:
    `x = (w - (1 - beta_1) * z_old) / beta_1`, `x = (1 - 1/t) * x + (1/t) * z` and
    `w = (1 - beta_1) * z + beta_1 * x`.

    Args:
        learning_rate: a float or a schedule (default 0.0025).
        beta_1: interpolation between the average and the moving sequence (0.9).
        beta_2: decay of the second-moment estimate (0.999).
        epsilon: small constant for numerical stability (1e-8).
        warmup_steps: steps over which the learning rate grows from 0 (0: none).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = ScheduleFreeAdamW(learning_rate=2.5e-3, warmup_steps=100)
    """

    # Updated variable by variable: its `build` fills the slots from the weights, which
    # the flat layout (see _flat.py) does not expect.
    _elementwise_update_step = False

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        for momentum, variable in zip(self._momentums, var_list):
            momentum.data[...] = variable.data

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        one = float_type(1)
        lr = float_type(learning_rate)
        local_step = float_type(self._iteration_count() + 1)
        beta_1 = float_type(self.beta_1)
        beta_2 = float_type(self.beta_2)
        if self.warmup_steps > 0:
            lr = lr * min(local_step / float_type(self.warmup_steps), one)
        index = self._get_variable_index(variable)
        z = self._momentums[index].data
        v = self._velocities[index].data
        w = variable.data

        z_old = z.copy()
        bias_correction_2 = one - beta_2**local_step
        v += (np.square(gradient) - v) * (one - beta_2)
        denominator = np.sqrt(v / bias_correction_2) + float_type(self.epsilon)
        z -= (lr * gradient) / denominator
        weight = one / local_step
        x_old = (w - (one - beta_1) * z_old) / beta_1
        x_new = (one - weight) * x_old + weight * z
        w[...] = (one - beta_1) * z + beta_1 * x_new

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps,
            }
        )
        return config
