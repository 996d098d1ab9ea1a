"""`Minimum` layer and its functional form `minimum`: [x1, x2] -> min(x1, x2)."""

from minikeras import ops
from minikeras.layers.merging.base_merge import Merge


class Minimum(Merge):
    """Elementwise minimum of a list of tensors.

    Takes a list of tensors of the same shape (or shapes that broadcast) and returns one
    tensor of that shape.

    Example:
        >>> Minimum()([np.ones((2, 3)), np.full((2, 3), 3.0)]).shape
        (2, 3)
    """

    def _merge_function(self, inputs):
        return self._merge_skipping_masked(ops.minimum, inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: `Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)
