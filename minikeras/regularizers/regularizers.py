"""Weight penalties: L1, L2, L1L2 and OrthogonalRegularizer.

A regularizer maps a weight tensor to a scalar tensor built with `minikeras.ops`, so the
penalty is differentiable and can be added to the loss (layers collect it in
`layer.losses`).
"""

import math

import numpy as np

from minikeras import config, ops

__all__ = ["L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer"]


def validate_float_arg(value, name):
    """Returns `value` as a float, or raises if it is not a finite non-negative number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class of regularizers: `regularizer(weight)` returns a scalar penalty.

    Any function `fn(weight) -> scalar tensor` also works where a regularizer is expected;
    subclass this to make one serializable (implement `get_config`).

    Example:
        >>> class Sparse(Regularizer):
        ...     def __init__(self, strength=0.1):
        ...         self.strength = strength
        ...     def __call__(self, x):
        ...         return self.strength * ops.sum(ops.abs(x))
        ...     def get_config(self):
        ...         return {"strength": self.strength}
    """

    def __call__(self, x):
        return 0.0

    @classmethod
    def from_config(cls, config):
        """Creates a regularizer from the output of `get_config()`."""
        return cls(**config)

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    def __repr__(self):
        try:
            arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`; a zero factor leaves its term out.

    Args:
        l1: L1 factor (0 by default).
        l2: L2 factor (0 by default).

    Example:
        >>> float(L1L2(l1=0.1, l2=0.5)(ops.convert_to_tensor([1.0, -2.0])))
        2.8
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        penalty = ops.convert_to_tensor(0.0, dtype=x.dtype)
        if self.l1:
            penalty = penalty + self.l1 * ops.sum(ops.absolute(x))
        if self.l2:
            penalty = penalty + self.l2 * ops.sum(ops.square(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(|x|)`.

    Args:
        l1: the factor (0.01 by default, also when passed as the string "l1").
    """

    def __init__(self, l1=0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x):
        return self.l1 * ops.sum(ops.absolute(ops.convert_to_tensor(x)))

    def get_config(self):
        # Keras 3 keeps this factor as a float32 tensor, so its config holds the float32
        # value (0.01 -> 0.009999999776482582); L2 and L1L2 keep the Python float.
        return {"l1": _as_float32(self.l1)}


class L2(Regularizer):
    """`l2 * sum(x ** 2)` (no factor 1/2).

    Args:
        l2: the factor (0.01 by default, also when passed as the string "l2").
    """

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x):
        return self.l2 * ops.sum(ops.square(ops.convert_to_tensor(x)))

    def get_config(self):
        return {"l2": self.l2}


def _l2_normalize(x, axis):
    # As keras.ops.normalize: x * min(1 / ||x||, 1 / epsilon), so a zero vector stays zero
    # instead of becoming NaN. Flooring the squared norm at epsilon ** 2 is the same cap
    # without ever computing 1 / 0.
    square_norm = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x * ops.rsqrt(ops.maximum(square_norm, config.epsilon() ** 2))


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being orthogonal.

    The penalty is `factor * mean |cos(angle)|` over all pairs of distinct rows (columns):
    the off-diagonal part of the Gram matrix of the L2-normalised rows, summed in absolute
    value, halved (each pair appears twice) and divided by the number of pairs.

    Args:
        factor: the factor (0.01 by default).
        mode: "rows" or "columns".
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = validate_float_arg(factor, name="factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, inputs):
        inputs = ops.convert_to_tensor(inputs)
        if inputs.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. "
                f"Received: inputs.shape={inputs.shape}"
            )
        if self.mode == "rows":
            normalized = _l2_normalize(inputs, axis=1)
            product = ops.matmul(normalized, ops.transpose(normalized))
            size = inputs.shape[0]
        else:
            normalized = _l2_normalize(inputs, axis=0)
            product = ops.matmul(ops.transpose(normalized), normalized)
            size = inputs.shape[1]
        off_diagonal = product * (1.0 - ops.eye(size, dtype=inputs.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * ops.sum(ops.absolute(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": _as_float32(self.factor), "mode": self.mode}  # as Keras (see L1)


def _as_float32(value):
    """`value` rounded to float32, as a Python float."""
    return float(np.float32(value))
