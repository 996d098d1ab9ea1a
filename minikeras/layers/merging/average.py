"""`Average` layer and its functional form `average`: [x1, x2] -> (x1 + x2) / 2."""

from minikeras import ops
from minikeras.layers.merging.base_merge import Merge


class Average(Merge):
    """Averages a list of tensors elementwise.

    Takes a list of tensors of the same shape (or shapes that broadcast) and returns one
    tensor of that shape.

    Example:
        >>> Average()([np.ones((2, 3)), np.full((2, 3), 3.0)]).shape
        (2, 3)
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output / len(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`: `Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)
