"""Stochastic gradient descent, with optional (Nesterov) momentum."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: `w -= learning_rate * g`. With momentum:
    `m = momentum * m - learning_rate * g; w += m`, and with `nesterov=True`,
    `w += momentum * m - learning_rate * g` (using the new `m`).

    Args:
        learning_rate: a float or a schedule (default 0.01).
        momentum: in [0, 1] (default 0: plain gradient descent, no state).
        nesterov: use Nesterov momentum.
        **kwargs: the base `Optimizer` arguments (weight_decay, clipnorm, use_ema, ...).

    Example:
        >>> optimizer = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum}")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.data.dtype
        # The constants as 0-d arrays: numpy's ufuncs take them faster than numpy scalars.
        lr = np.asarray(learning_rate, dtype)
        w = variable.data
        step, nesterov_step = self._scratch(variable, 2)[:2]
        np.multiply(gradient, lr, out=step)
        if self.momentum == 0:
            w -= step
            return
        momentum = np.asarray(self.momentum, dtype)
        m = self.momentums[self._get_variable_index(variable)].data
        m *= momentum
        m -= step
        if self.nesterov:
            np.multiply(m, momentum, out=nesterov_step)
            nesterov_step -= step
            w += nesterov_step
        else:
            w += m

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
