"""Adafactor: Adam-like steps with factored second moments (Shazeer & Stern, 2018)."""

import numpy as np

from minikeras.autodiff import Variable
from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Adafactor"]


def _rms(array):
    return np.sqrt(np.mean(np.square(array)))


class Adafactor(Optimizer):
    """Adafactor, as Keras computes it.

    For a matrix (or a stack of matrices) the second moment is not stored in full: a row
    average `r` and a column average `c` are kept, and `v = (r / mean(r)) outer c`.
    Vectors keep a full `v`. With `t = iterations + 1`:
    `rho = min(learning_rate, 1 / sqrt(t))` (the learning rate itself is first capped the
    same way when `relative_step` and it is a number), `alpha = max(epsilon_2, rms(w)) * rho`,
    `beta = 1 - t**beta_2_decay`, `r, c, v` move to `g**2 + epsilon_1` at rate `1 - beta`,
    `u = g / sqrt(v)` and `w -= alpha * u / max(1, rms(u) / clip_threshold)`. The rms of
    whole variables makes the update per variable.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_2_decay: exponent of the second-moment decay schedule (-0.8).
        epsilon_1: added to the squared gradients (1e-30).
        epsilon_2: lower bound of the variable's rms in the step size (1e-3).
        clip_threshold: limit of the rms of the unscaled update (1.0).
        relative_step: cap a fixed learning rate at `1 / sqrt(t)` (True).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Adafactor(learning_rate=1e-2)
    """

    # Its rule reads whole variables, so it never runs on a flat buffer (see _flat.py).
    _elementwise_update_step = False

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        """Creates, per variable, the row and column averages `r` and `c` (named after the
        variable, as Keras names them; vectors get two unused int32 zeros in their place,
        kept so `.weights.h5` files line up with Keras's) and the second moment `velocity`."""
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for variable in var_list:
            shape = tuple(variable.shape)
            if len(shape) < 2:
                for factors in (self._r, self._c):
                    placeholder = Variable(
                        np.zeros((), np.int32), dtype="int32", trainable=False, name=variable.name
                    )
                    placeholder.path = variable.name
                    self._track_variable(placeholder)
                    factors.append(placeholder)
            else:
                self._r.append(
                    self.add_variable(shape[:-1], dtype=variable.dtype, name=variable.name)
                )
                self._c.append(
                    self.add_variable(
                        shape[:-2] + shape[-1:], dtype=variable.dtype, name=variable.name
                    )
                )
            self._v.append(self.add_variable_from_reference(variable, name="velocity"))

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        one = float_type(1)
        lr = float_type(learning_rate)
        local_step = float_type(self._iteration_count() + 1)
        step_cap = one / np.sqrt(local_step)
        if isinstance(self._learning_rate, Variable) and self.relative_step:
            lr = min(lr, step_cap)
        index = self._get_variable_index(variable)
        w = variable.data
        v = self._v[index].data

        rho = min(lr, step_cap)
        alpha = max(float_type(self.epsilon_2), _rms(w)) * rho
        squared = np.square(gradient) + float_type(self.epsilon_1)
        beta = one - local_step ** float_type(self.beta_2_decay)
        if w.ndim >= 2:
            r = self._r[index].data
            c = self._c[index].data
            r[...] = beta * r + (one - beta) * np.mean(squared, axis=-1)
            c[...] = beta * c + (one - beta) * np.mean(squared, axis=-2)
            row_share = r / np.mean(r, axis=-1, keepdims=True)
            v[...] = row_share[..., :, None] * c[..., None, :]
        else:
            v[...] = beta * v + (one - beta) * squared
        u = gradient / np.sqrt(v)
        u_hat = u / max(one, _rms(u) / float_type(self.clip_threshold))
        w -= alpha * u_hat

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config
