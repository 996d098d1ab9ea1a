"""`Subtract` layer and its functional form `subtract`: [x1, x2] -> x1 - x2."""

from minikeras import ops
from minikeras.layers.merging.base_merge import Merge


class Subtract(Merge):
    """Subtracts two tensors: `inputs[0] - inputs[1]`.

    Takes a list of tensors of the same shape (or shapes that broadcast) and returns one
    tensor of that shape.

    Example:
        >>> Subtract()([np.ones((2, 3)), np.full((2, 3), 3.0)]).shape
        (2, 3)
    """

    _min_inputs = 2
    _max_inputs = 2

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)
