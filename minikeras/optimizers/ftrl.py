"""FTRL-Proximal ("Follow The Regularized Leader"), as used for large sparse linear models."""

import numpy as np

from minikeras.optimizers.optimizer import Optimizer

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), as Keras computes it.

    Per element, with `p = -learning_rate_power` (0.5 by default):
    `n_new = n + g**2`;
    `z += g + 2*l2_shrinkage*w - (n_new**p - n**p) / learning_rate * w`;
    `w = (clip(z, -l1, l1) - z) / (n_new**p / learning_rate + 2*l2)`, with
    `l2 = l2_regularization_strength + beta / (2 * learning_rate)`.

    Args:
        learning_rate: a float or a schedule (default 0.001).
        learning_rate_power: <= 0 (-0.5).
        initial_accumulator_value: starting value of `n`, >= 0 (0.1).
        l1_regularization_strength: >= 0.
        l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: >= 0, a magnitude penalty on the gradient.
        beta: as in the paper (0.0).
        **kwargs: the base `Optimizer` arguments.

    Example:
        >>> optimizer = Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    """

    # Its update rule is element-wise: the flat update may run it (see _flat.py).
    _elementwise_update_step = True

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        for arg, value in [
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ]:
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list,
            ["accumulator", "linear"],
            initializer=[float(self.initial_accumulator_value), "zeros"],
        )

    def update_step(self, gradient, variable, learning_rate):
        float_type = variable.data.dtype.type
        lr = float_type(learning_rate)
        power = float_type(-self.learning_rate_power)
        l2 = float_type(self.l2_regularization_strength) + float_type(self.beta) / (
            float_type(2.0) * lr
        )
        index = self._get_variable_index(variable)
        w = variable.data
        accumulator = self._accumulators[index].data
        linear = self._linears[index].data
        step, new_accumulator, new_power, scratch = self._scratch(variable, 4)[:4]

        # step = g + 2 * l2_shrinkage * w
        np.multiply(w, float_type(2 * self.l2_shrinkage_regularization_strength), out=step)
        step += gradient
        np.square(gradient, out=new_accumulator)
        new_accumulator += accumulator
        # linear += step - (new_accumulator**p - accumulator**p) / lr * w
        np.power(new_accumulator, power, out=new_power)
        np.power(accumulator, power, out=scratch)
        np.subtract(new_power, scratch, out=scratch)
        # Dividing by a scalar multiplies by its reciprocal, as XLA compiles Keras's code.
        inverse_lr = float_type(1) / lr
        scratch *= inverse_lr
        scratch *= w
        step -= scratch
        linear += step
        # w = (clip(linear, -l1, l1) - linear) / (new_accumulator**p / lr + 2 * l2)
        new_power *= inverse_lr
        new_power += float_type(2) * l2
        l1 = float_type(self.l1_regularization_strength)
        np.clip(linear, -l1, l1, out=scratch)
        scratch -= linear
        np.divide(scratch, new_power, out=w)
        accumulator[...] = new_accumulator

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": (self.l2_shrinkage_regularization_strength),
                "beta": self.beta,
            }
        )
        return config
