"""`RepeatVector`: repeats a vector `n` times along a new axis."""

from minikeras import ops
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class RepeatVector(Layer):
    """Repeats the input `n` times: `(batch, features)` -> `(batch, n, features)`.

    Args:
        n: the number of repetitions (a positive integer).

    Example:
        >>> RepeatVector(3)(np.ones((2, 32))).shape
        (2, 3, 32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"RepeatVector: `n` must be an integer, got {type(n).__name__}.")
        if n <= 0:
            raise ValueError(f"RepeatVector: `n` must be a positive integer. Received n={n}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
