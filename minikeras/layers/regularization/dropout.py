"""`Dropout`: randomly zeroes inputs during training (inverted dropout)."""

from minikeras import ops, random
from minikeras.layers.layer import Layer


def _check_rate(rate, layer_name):
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(
            f"{layer_name}: Invalid value received for argument `rate`. Expected a float "
            f"value between 0 and 1. Received: rate={rate}"
        )
    return rate


def _noise_shape_error(expected, received):
    return ValueError(
        f"Dropout: Invalid value received for argument `noise_shape`. Expected {expected}. "
        f"Received{received}"
    )


def _check_noise_shape(noise_shape):
    """`noise_shape` as a tuple, checked with Keras's messages."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise _noise_shape_error("a tuple or list of integers", f": noise_shape={noise_shape}")
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise _noise_shape_error(
            "an iterable of integers (e.g., a tuple or list)", f": noise_shape={noise_shape}"
        ) from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise _noise_shape_error(
                "all elements to be integers or None",
                f" element at index {i}: {dim} (type: {type(dim).__name__})",
            )
        if dim <= 0:
            raise _noise_shape_error(
                "all dimensions to be positive integers or None",
                f" negative or zero value at index {i}: {dim}",
            )
    return noise_shape


class Dropout(Layer):
    """Sets inputs to 0 with probability `rate` during training and scales the others up.

    The kept values are multiplied by `1 / (1 - rate)`, so the expected sum is unchanged
    and inference needs no rescaling. Active only when the layer is called with
    `training=True` (as `fit` does); otherwise it returns its input unchanged.

    Args:
        rate: fraction of the inputs to drop, in [0, 1].
        noise_shape: shape of the keep/drop mask, broadcast against the input; None entries
            take the input's size. E.g. `(batch, 1, features)` drops the same features at
            every timestep.
        seed: int seed for reproducible masks (each call still draws a new mask).

    Example:
        >>> layer = Dropout(0.5, seed=1)
        >>> layer(np.ones((1, 4)), training=True).numpy()   # some zeros, the rest 2.0
    """

    # Its mask is drawn inside a primitive from the layer's seed generator state
    # (random.SeededDropout), so a replayed step draws a new one each time.
    _replayable = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        self.rate = _check_rate(rate, type(self).__name__)
        self.seed = seed
        self.noise_shape = _check_noise_shape(noise_shape)
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        if len(self.noise_shape) != inputs.ndim:
            raise ValueError(
                f'Layer "{self.name}": noise_shape {self.noise_shape} does not have the rank of '
                f"the input of shape {tuple(inputs.shape)}."
            )
        return self.noise_shape

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ops.zeros_like(inputs)
        return random.dropout(
            inputs, self.rate, noise_shape=self._noise_shape(inputs), seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
