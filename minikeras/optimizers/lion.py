"""Lion: sign of an interpolated momentum (Chen et al., 2023)."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Lion"]


class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum).

    `w -= learning_rate * sign(beta_1 * m + (1 - beta_1) * g)`, then
    `m = beta_2 * m + (1 - beta_2) * g`. Every element moves by exactly the learning rate,
    so Lion usually wants a learning rate 3-10x smaller than Adam's.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1: interpolation for the update direction, in (0, 1] (0.9).
        beta_2: decay of the momentum (0.99).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Lion(learning_rate=1e-4)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}."
            )

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        beta_1 = float_type(self.beta_1)
        beta_2 = float_type(self.beta_2)
        m = self._momentums[self._get_variable_index(variable)].data
        direction, scratch = self._scratch(variable, 2)[:2]

        np.multiply(m, beta_1, out=direction)
        np.multiply(gradient, 1 - beta_1, out=scratch)
        direction += scratch
        np.sign(direction, out=direction)
        direction *= float_type(learning_rate)
        variable.data -= direction
        m *= beta_2
        np.multiply(gradient, 1 - beta_2, out=scratch)
        m += scratch

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
