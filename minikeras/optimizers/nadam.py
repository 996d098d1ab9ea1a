"""Nadam: Adam with Nesterov momentum."""

import numpy as np

from minikeras.autodiff import Variable
from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam (Dozat, 2016), as Keras computes it.

    The momentum coefficient follows the schedule `u_t = beta_1 * (1 - 0.5 * 0.96**t)`
    and the optimizer keeps the running product of the `u_t` (the `u_product` variable).
    With `t = iterations + 1`:
    `m_hat = u_{t+1} * m / (1 - prod_{t+1}) + (1 - u_t) * g / (1 - prod_t)`,
    `v_hat = v / (1 - beta_2**t)`, `w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)`.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        beta_1: first-moment decay (0.9).
        beta_2: second-moment decay (0.999).
        epsilon: small constant for numerical stability (1e-7).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Nadam(learning_rate=0.002)
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
        var_list = list(var_list)
        dtype = var_list[0].data.dtype if var_list else None
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"]
        )
        # Keras creates this one unnamed, last; assigning it tracks it.
        self._u_product = Variable(1.0, dtype=dtype, trainable=False, name="u_product")
        self._u_product.path = f"{self.name}/u_product"

    def _momentum_schedule(self, step, float_type):
        return float_type(self.beta_1) * (1 - float_type(0.5) * float_type(0.96) ** step)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # The product of the momentum coefficients advances once per step, before the
        # variables are updated.
        u_product = self._u_product.data
        float_type = u_product.dtype.type
        step = float_type(self._iteration_count() + 1)
        u_product[...] = (
            u_product * float_type(self.beta_1) * (1 - float_type(0.5) * float_type(0.96) ** step)
        )
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        count = self._iteration_count()
        u_t = self._momentum_schedule(float_type(count + 1), float_type)
        u_t_1 = self._momentum_schedule(float_type(count + 2), float_type)
        u_product_t = float_type(self._u_product.data)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = float_type(self.beta_2) ** float_type(count + 1)
        index = self._get_variable_index(variable)
        m = self._momentums[index].data
        v = self._velocities[index].data
        m_hat, scratch = self._scratch(variable, 2)[:2]

        np.subtract(gradient, m, out=scratch)
        # Nadam's (1 - beta) are float32 differences (Adam's are rounded Python ones).
        scratch *= 1 - float_type(self.beta_1)
        m += scratch
        np.square(gradient, out=scratch)
        scratch -= v
        scratch *= 1 - float_type(self.beta_2)
        v += scratch
        one = float_type(1)
        # Dividing by a scalar multiplies by its reciprocal, as XLA compiles Keras's code.
        np.multiply(m, u_t_1, out=m_hat)
        m_hat *= one / (1 - u_product_t_1)
        np.multiply(gradient, 1 - u_t, out=scratch)
        scratch *= one / (1 - u_product_t)
        m_hat += scratch
        # scratch = sqrt(v_hat) + epsilon
        np.multiply(v, one / (1 - beta_2_power), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += float_type(self.epsilon)
        m_hat *= float_type(learning_rate)
        m_hat /= scratch
        variable.data -= m_hat

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
