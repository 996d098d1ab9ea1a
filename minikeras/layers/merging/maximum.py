"""`Maximum` layer and its functional form `maximum`: [x1, x2] -> max(x1, x2)."""

from minikeras import ops
from minikeras.layers.merging.base_merge import Merge


class Maximum(Merge):
    """Elementwise maximum of a list of tensors.

    Takes a list of tensors of the same shape (or shapes that broadcast) and returns one
    tensor of that shape.

    Example:
        >>> Maximum()([np.ones((2, 3)), np.full((2, 3), 3.0)]).shape
        (2, 3)
    """

    def _merge_function(self, inputs):
        return self._merge_skipping_masked(ops.maximum, inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: `Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)
