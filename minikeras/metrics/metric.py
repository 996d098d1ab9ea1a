"""The `Metric` base class: state variables, `update_state`, `result`, `reset_state`.

A metric accumulates statistics over batches in non-trainable float32 `Variable`s that it
updates in place; `result()` turns them into the reported value. Metrics are not
differentiated, so the built-in ones do their arithmetic in plain numpy.
"""

import numpy as np

from minikeras import config, initializers
from minikeras.autodiff import Tensor, Variable, convert_to_tensor
from minikeras.utils.naming import auto_name


class Metric:
    """Base class of metrics.

    Subclasses create their state with `add_variable` in `__init__` and implement
    `update_state(...)` and `result()`.

    Args:
        dtype: dtype of the state and result (`floatx()` by default).
        name: the metric name (a unique snake_case name of the class by default).

    Example:
        >>> class Total(Metric):
        ...     def __init__(self, name="total", dtype=None):
        ...         super().__init__(name=name, dtype=dtype)
        ...         self.total = self.add_variable((), "zeros", name="total")
        ...     def update_state(self, values):
        ...         self.total.assign_add(np.sum(np.asarray(values, self.dtype)))
        ...     def result(self):
        ...         return ops.convert_to_tensor(self.total.numpy())
        >>> metric = Total()
        >>> float(metric([1.0, 2.0]))
        3.0
    """

    def __init__(self, dtype=None, name=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        object.__setattr__(self, "_initial_values", {})
        self.name = name or auto_name(type(self).__name__)
        self._dtype = _dtype_name(dtype)

    def __setattr__(self, name, value):
        # Sub-metrics and variables assigned as attributes are tracked, in order, also inside
        # lists, tuples and dicts (as Keras does), so `variables` and `reset_state` reach them.
        # Items added to such a container after the assignment are not tracked.
        if "_variables" in self.__dict__:
            for item in _tracked_items(value):
                if isinstance(item, Metric):
                    if item is not self and not any(m is item for m in self._metrics):
                        self._metrics.append(item)
                elif not any(v is item for v in self._variables):
                    self._track_variable(item)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before creating "
                "state variables."
            )

    def _track_variable(self, variable):
        self._variables.append(variable)
        self._initial_values[id(variable)] = np.array(variable.data, copy=True)

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable, tracked in `variables`.

        Args:
            shape: tuple of ints.
            initializer: an initializer name ("zeros"), object or callable.
            dtype: defaults to the metric's dtype.
            aggregation: accepted for Keras compatibility (there is no distribution).
            name: the variable name.
        """
        self._check_super_called()
        initializer = initializers.get(initializer if initializer is not None else "zeros")
        variable = Variable(
            initializer,
            shape=tuple(shape),
            dtype=dtype or self.dtype,
            trainable=False,
            aggregation=aggregation,
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._track_variable(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` (Keras 2 spelling)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        """Every state variable: own first, then those of sub-metrics."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def update_state(self, *args, **kwargs):
        """Accumulates statistics from one batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """Returns the metric value from the accumulated state (a float32 tensor)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Puts every state variable back to the value it was created with."""
        for variable in self._variables:
            initial = self._initial_values.get(id(variable))
            if initial is None or initial.shape != variable.data.shape:
                initial = np.zeros(variable.data.shape, dtype=variable.data.dtype)
            variable.assign(initial)
        for metric in self._metrics:
            metric.reset_state()

    def reset_states(self):
        """Alias of `reset_state` (Keras 2 spelling)."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Updates the state with one batch and returns the new result."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _result_tensor(self, value):
        """Wraps a numpy result as a tensor of the metric's dtype.

        Always a copy: a result must not change when the state is updated later.
        """
        return convert_to_tensor(np.array(value, dtype=self.dtype, copy=True), dtype=self.dtype)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _tracked_items(value):
    """The metrics and variables in `value`, looking inside nested lists, tuples and dicts."""
    if isinstance(value, Metric | Variable):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, list | tuple):
        return []
    items = []
    for element in value:
        items.extend(_tracked_items(element))
    return items


def _dtype_name(dtype):
    if dtype is None:
        return config.floatx()
    if dtype == "int":
        return "int32"
    return np.dtype(dtype).name


def to_numpy(value, dtype=None):
    """The values of a tensor, array or nested list as a numpy array (optionally cast)."""
    if isinstance(value, Tensor):
        value = value.data
    array = np.asarray(value)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array
