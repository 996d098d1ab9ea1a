"""An optimizer's state in files and its constructor arguments in configs.

`SavingAndConfig` is one of `Optimizer`'s base classes: `save_own_variables` and
`load_own_variables` write and read `variables` in the order `.weights.h5` and `.keras`
files store them (Keras's layout), `set_weights` sets them from arrays, and
`get_config`/`from_config` give and take the constructor arguments (learning-rate
schedules nested as Keras writes them). Subclasses extend `get_config` with their own
arguments.
"""

import warnings

import numpy as np

from minikeras.autodiff import Variable
from minikeras.optimizers.schedules import learning_rate_schedule

__all__ = ["SavingAndConfig"]


class SavingAndConfig:
    """Saving, loading and the config of `Optimizer`."""

    def set_weights(self, weights):
        """Sets the optimizer variables from a list of arrays (in `variables` order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {variable.shape} not "
                    f"compatible with provided weight shape {np.shape(weight)}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Writes the variables into `store` under keys "0", "1", ... (Keras's layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads the variables back from `store`; warns and skips on a count mismatch."""
        if len(store.keys()) != len(self.variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if len(self.variables) == 0:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    # -- config ---------------------------------------------------------------------------
    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict (Keras's keys)."""
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            learning_rate = learning_rate_schedule.serialize(self._learning_rate)
        elif isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate.data)
        else:
            # A plain callable cannot be written to JSON: record its current value.
            learning_rate = float(self._current_learning_rate())
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer (without its state) from `get_config()`'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = learning_rate_schedule.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)
