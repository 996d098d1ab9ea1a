"""LossScaleOptimizer: dynamic loss scaling around another optimizer."""

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.optimizers.optimizer import Optimizer

__all__ = ["LossScaleOptimizer"]

_BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Multiplies the loss by a scale that adapts, and divides the gradients by it again.

    Meant for float16 training (where small gradients underflow); minikeras trains in
    float32, where it changes nothing but the bookkeeping, and it is here so Keras scripts
    run. Each `apply`: if every gradient is finite, the inner optimizer takes a step with
    `gradient / scale`, and after `dynamic_growth_steps` such steps in a row the scale
    doubles; otherwise the step is skipped and the scale halves.

    Args:
        inner_optimizer: the optimizer that updates the variables.
        initial_scale: the first scale (2**15).
        dynamic_growth_steps: finite steps before the scale doubles (2000).
        name: a name.

    Example:
        >>> optimizer = LossScaleOptimizer(keras.optimizers.Adam())
    """

    # The inner optimizer does the update; this class never runs a flat update itself.
    _elementwise_update_step = False

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        for argument, default in _BASE_DEFAULTS.items():
            if argument in kwargs and kwargs.pop(argument) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{argument}`. Instead, set "
                    f"`{argument}` on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                f"`inner_optimizer` must be an Optimizer, got {type(inner_optimizer).__name__}."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        """Creates `step_counter` (finite steps in a row) and `dynamic_scale`, then builds
        the inner optimizer."""
        self.step_counter = self.add_variable(
            (), initializer="zeros", dtype="int32", name="step_counter"
        )
        self.dynamic_scale = self.add_variable(
            (), initializer=self.initial_scale, dtype="float32", name="dynamic_scale"
        )
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            self.build(trainable_variables)
        arrays = [
            None if g is None else (g.data if isinstance(g, Tensor) else np.asarray(g))
            for g in grads
        ]
        finite = all(bool(np.all(np.isfinite(g))) for g in arrays if g is not None)
        counter, scale = self.step_counter.data, self.dynamic_scale.data
        if not finite:
            counter[()] = 0
            scale[()] = scale * np.float32(0.5)
            return
        variables = trainable_variables or self._trainable_variables
        # As in Keras, a variable overwritten by its gradient gets the gradient as it came.
        unscaled = [
            g
            if g is None or getattr(v, "overwrite_with_gradient", False)
            else g / g.dtype.type(scale)
            for g, v in zip(arrays, variables)
        ]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        if int(counter) == self.dynamic_growth_steps - 1:
            counter[()] = 0
            scale[()] = scale * np.float32(2.0)
        else:
            counter[()] = int(counter) + 1

    def scale_loss(self, loss):
        """The loss times the current scale (`initial_scale` before the first step)."""
        scale = self.dynamic_scale.data[()] if self.built else self.initial_scale
        return loss * float(scale)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def set_weights(self, weights):
        own = len(self._variables)
        super().set_weights(weights[:own])
        self.inner_optimizer.set_weights(weights[own:])

    def get_config(self):
        from minikeras.optimizers import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.optimizers import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
