"""Creating optimizer variables: the slots a subclass's `build` makes (momentums,
velocities, ...), as Keras names and orders them.

`OptimizerVariables` is one of `Optimizer`'s base classes. Each new variable is made and
tracked by `Optimizer._make_variable` and `Optimizer._track_variable`, so it joins
`optimizer.variables` (and the files it is saved in) in creation order.
"""

import numbers

import numpy as np

from minikeras import config

__all__ = ["OptimizerVariables"]


def _initial_value(initializer, shape, dtype):
    if isinstance(initializer, str):
        if initializer == "zeros":
            return np.zeros(shape, dtype)
        if initializer == "ones":
            return np.ones(shape, dtype)
        raise ValueError(
            f"Unknown optimizer variable initializer {initializer!r}. Expected 'zeros', "
            "'ones', a number or a callable initializer(shape, dtype)."
        )
    if isinstance(initializer, numbers.Number):
        return np.full(shape, initializer, dtype)
    if callable(initializer):
        return initializer(shape, dtype=dtype.name)
    return np.broadcast_to(np.asarray(initializer, dtype), shape)


class OptimizerVariables:
    """`add_variable`, `add_variable_from_reference` and `add_optimizer_variables`."""

    def add_variable(
        self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None
    ):
        """Creates a non-trainable optimizer variable and tracks it.

        Args:
            shape: its shape.
            initializer: "zeros", "ones", a number, or a callable `initializer(shape, dtype)`.
            dtype: defaults to `floatx()`.
            name: its name (the path is `<optimizer name>/<name>`).
        """
        dtype = np.dtype(dtype or config.floatx())
        value = np.asarray(_initial_value(initializer, tuple(shape), dtype), dtype)
        variable = self._make_variable(value, name or "variable")
        self._track_variable(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Creates an optimizer variable shaped like `reference_variable`.

        It is named `<reference path with / replaced by _>_<name>`, e.g.
        `dense_kernel_momentum`, as in Keras.
        """
        prefix = getattr(reference_variable, "path", None) or reference_variable.name
        return self.add_variable(
            shape=reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{prefix.replace('/', '_').replace(':', '_')}_{name or 'var'}",
        )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Creates one optimizer variable per trainable variable and name.

        Args:
            trainable_variables: the model variables.
            name: a name, or a list of names (the variables are then created interleaved:
                for each model variable, one per name, as Keras orders them).
            initializer: an initializer, or one per name.

        Returns:
            A list of variables for one name; a tuple of lists for a list of names.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(initializer, (list, tuple)):
            initializers = list(initializer)
        else:
            initializers = [initializer] * len(names)
        if len(names) != len(initializers):
            raise ValueError(
                "The number of provided names must match the number of provided "
                f"initializers. Received name='{name}', initializer='{initializer}'"
            )
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, slot_initializer) in enumerate(zip(names, initializers)):
                slots[i].append(
                    self.add_variable_from_reference(
                        variable, name=slot_name, initializer=slot_initializer
                    )
                )
        return slots[0] if isinstance(name, str) else slots
