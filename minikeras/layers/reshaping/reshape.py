"""`Reshape`: gives each sample a new shape."""

import math

from minikeras import ops
from minikeras.layers._validation import is_integer
from minikeras.layers.layer import Layer


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept).

    Args:
        target_shape: the new sample shape; one entry may be -1 (inferred).

    Example:
        >>> Reshape((3, 4))(np.ones((2, 12))).shape
        (2, 3, 4)
        >>> Reshape((-1, 2, 2))(np.ones((2, 12))).shape
        (2, 3, 2, 2)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.built = True  # no weights: built at construction, as in Keras
        try:
            target_shape = tuple(target_shape)
        except TypeError:
            raise TypeError(
                "Reshape: `target_shape` must be a tuple of integers (the sample shape, "
                f"without the batch axis). Received target_shape={target_shape!r}."
            ) from None
        if not all(is_integer(d) and d >= -1 for d in target_shape) or target_shape.count(-1) > 1:
            raise ValueError(
                "Reshape: `target_shape` must be a tuple of non-negative integers with at "
                f"most one -1. Received target_shape={target_shape!r}."
            )
        self.target_shape = tuple(int(d) for d in target_shape)

    def _resolve(self, sample_shape):
        """`target_shape` with the -1 worked out (None when the input size is unknown)."""
        target = self.target_shape
        if None in sample_shape:
            return tuple(None if d == -1 else d for d in target)
        size = math.prod(sample_shape)
        known = math.prod(d for d in target if d != -1)
        if -1 in target:
            if known == 0 or size % known:
                self._mismatch(sample_shape)
            return tuple(size // known if d == -1 else d for d in target)
        if known != size:
            self._mismatch(sample_shape)
        return target

    def _mismatch(self, sample_shape):
        raise ValueError(
            f'Layer "{self.name}": cannot reshape samples of shape {tuple(sample_shape)} '
            f"({math.prod(sample_shape)} values) into target_shape {self.target_shape}."
        )

    def call(self, inputs):
        shape = self._resolve(tuple(inputs.shape[1:]))
        return ops.reshape(inputs, (inputs.shape[0], *shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolve(tuple(input_shape[1:])))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config
