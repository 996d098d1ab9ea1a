"""A layer's weight values in and out, as numpy arrays.

`get_weights`/`set_weights` read and write every weight of a layer (its sublayers'
included), in the order of `layer.weights`. `save_own_variables`/`load_own_variables` are
the hooks saving calls for each layer (`saving/saving_lib.py`): they write and read only the
layer's own variables, as Keras files store them. Nothing is assigned until every value has
been checked, so a bad value leaves the layer as it was.

`Layer` inherits `WeightIO`; it is not used on its own.
"""

import numpy as np


class WeightIO:
    """Weight values as arrays: `get_weights`/`set_weights` and the saving hooks."""

    def get_weights(self):
        """Returns the weight values as a list of numpy arrays (copies)."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays, in the order of `weights`."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f'Layer "{self.name}" expects {len(own)} weight(s), but received '
                f"{len(weights)}. Expected shapes: {[tuple(w.shape) for w in own]}."
            )
        # Every value is checked before any is assigned: a bad one leaves the layer as it was.
        for variable, value in zip(own, weights):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f'Layer "{self.name}": weight {variable.path!r} has shape '
                    f"{tuple(variable.shape)}, but the provided value has shape {value.shape}."
                )
            if value.dtype.kind not in "biuf":
                raise ValueError(
                    f'Layer "{self.name}": weight {variable.path!r} needs numbers, but the '
                    f"provided value has dtype {value.dtype}."
                )
        for variable, value in zip(own, weights):
            variable.assign(value)

    def _saved_variables(self):
        # The layer's own variables as Keras saves them: trainable ones first, then the rest.
        own = self._own_variables
        trainable = [v for v in own if getattr(v, "_created_trainable", True)]
        return trainable + [v for v in own if not getattr(v, "_created_trainable", True)]

    def save_own_variables(self, store):
        """Writes this layer's own variables (not its sublayers') into `store` as "0", "1", ...

        `model.save()` and `save_weights()` call it for every layer; override it to save
        something else (and `load_own_variables` to read it back).

        Args:
            store: a dict-like object, key -> numpy array.
        """
        for index, variable in enumerate(self._saved_variables()):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads this layer's own variables from `store` (what `save_own_variables` wrote).

        Every value is checked (count, shape, numbers) before any is assigned.

        Args:
            store: a dict-like object, key -> array.
        """
        variables = self._saved_variables()
        keys = list(store.keys())
        if len(keys) != len(variables):
            raise ValueError(
                f"Layer '{self.name}' expected {len(variables)} variable(s) with shapes "
                f"{[tuple(v.shape) for v in variables]}, but received {len(keys)} during "
                f"loading: {sorted(keys)}."
            )
        values = [np.asarray(store[str(index)]) for index in range(len(variables))]
        for variable, value in zip(variables, values):
            if tuple(value.shape) != tuple(variable.shape) or value.dtype.kind not in "biuf":
                raise ValueError(
                    f"Layer '{self.name}': variable {variable.path!r} has shape "
                    f"{tuple(variable.shape)} and dtype {variable.dtype}, the stored value "
                    f"has shape {value.shape} and dtype {value.dtype}."
                )
        for variable, value in zip(variables, values):
            variable.assign(value.astype(variable.dtype, copy=False))
