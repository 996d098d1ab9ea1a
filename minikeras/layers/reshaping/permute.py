"""`Permute`: reorders the non-batch axes of each sample."""

from minikeras import ops
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class Permute(Layer):
    """Permutes the axes of each sample (axis numbering starts at 1; the batch is 0).

    Args:
        dims: a permutation of `1..n`, e.g. `(2, 1)` swaps the two axes of a rank-3 input.

    Example:
        >>> Permute((2, 1))(np.ones((4, 10, 64))).shape
        (4, 64, 10)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Permute: `dims` must be a permutation of the axes 1..n (the batch axis 0 "
                f"stays in place). Received dims={dims}."
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config
