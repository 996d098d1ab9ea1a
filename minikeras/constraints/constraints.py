"""Weight constraints: projections applied to a weight after each optimizer step.

The norm-based constraints compute, for each slice along `axis`, the L2 norm `n` of the
weights and rescale them by `desired / (epsilon + n)`, as Keras does (the epsilon keeps a
zero slice at zero).
"""

from minikeras import config, ops

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"]


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class of constraints: `constraint(w)` returns the projected weight.

    The base class returns `w` unchanged; subclasses override `__call__`.

    Example:
        >>> class Positive(Constraint):
        ...     def __call__(self, w):
        ...         return ops.maximum(w, 1e-3)
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates a constraint from the output of `get_config()`."""
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class MaxNorm(Constraint):
    """Caps the L2 norm of each slice along `axis` at `max_value`.

    Args:
        max_value: the largest norm allowed.
        axis: the axis (or list of axes) the norm is taken over. For a Dense kernel
            `(inputs, units)`, 0 constrains the incoming weights of each unit; for a Conv2D
            kernel `(rows, cols, in, out)`, use `[0, 1, 2]`.

    Example:
        >>> MaxNorm(1.0)(ops.convert_to_tensor([[3.0], [4.0]])).numpy()   # norm 5 -> 1
        array([[0.6], [0.8]], dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Replaces negative weights by 0."""

    def __call__(self, w):
        return ops.maximum(ops.convert_to_tensor(w), 0)


class UnitNorm(Constraint):
    """Scales each slice along `axis` to unit L2 norm.

    Args:
        axis: the axis (or list of axes) the norm is taken over (see `MaxNorm`).
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps the L2 norm of each slice along `axis` between `min_value` and `max_value`.

    Each slice is rescaled to norm `rate * clip(n, min_value, max_value) + (1 - rate) * n`:
    `rate=1` enforces the bounds at once, a smaller rate moves towards them gradually.

    Args:
        min_value: the smallest norm.
        max_value: the largest norm.
        rate: how strongly to enforce the bounds at each call.
        axis: the axis (or list of axes) the norm is taken over (see `MaxNorm`).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }
