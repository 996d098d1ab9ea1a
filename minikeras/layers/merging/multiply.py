"""`Multiply` layer and its functional form `multiply`: [x1, x2] -> x1 * x2."""

from minikeras import ops
from minikeras.layers.merging.base_merge import Merge


class Multiply(Merge):
    """Multiplies a list of tensors elementwise.

    Takes a list of tensors of the same shape (or shapes that broadcast) and returns one
    tensor of that shape.

    Example:
        >>> Multiply()([np.ones((2, 3)), np.full((2, 3), 3.0)]).shape
        (2, 3)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.multiply(output, x)
        return output


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)
