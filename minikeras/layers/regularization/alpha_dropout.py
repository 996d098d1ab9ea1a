"""`AlphaDropout`: dropout that keeps the mean and variance of SELU activations."""

import numpy as np

from minikeras import random
from minikeras.autodiff import Function
from minikeras.layers.layer import Layer
from minikeras.layers.regularization.dropout import _check_noise_shape

# The SELU constants (`activations.selu`): a dropped unit is set to SELU's negative
# saturation value `-scale * alpha`.
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946
_SATURATION = -_ALPHA * _SCALE


class SeededAlphaDropout(Function):
    """`a * (x * keep + saturation * (1 - keep)) + b`, the keep mask drawn from a
    SeedGenerator's state (the second input), which it advances.

    As `random.SeededDropout`, drawing inside the primitive lets a replayed step draw a new
    mask each time. The state gets no gradient; `x` gets `a * keep`.
    """

    def __init__(self, rate, shape):
        self.rate, self.shape = rate, shape

    def forward(self, x, state):
        generator = random._next_generator(state)
        keep = generator.random(self.shape, dtype=np.float32) >= np.float32(self.rate)
        dtype = x.dtype.type
        rate = self.rate
        a = ((1 - rate) * (1 + rate * _SATURATION**2)) ** -0.5
        b = -a * _SATURATION * rate
        self.keep = keep.astype(x.dtype)
        self.a = dtype(a)
        dropped = x * self.keep + dtype(_SATURATION) * (1 - self.keep)
        return self.a * dropped + dtype(b)

    def backward(self, gy):
        return gy * (self.a * self.keep), None


class AlphaDropout(Layer):
    """Dropout for self-normalizing networks (SELU): keeps the inputs' mean and variance.

    In training, each entry is dropped with probability `rate` and set to SELU's negative
    saturation value `-scale * alpha` (about -1.7581); then the whole tensor is scaled and
    shifted, `a * x + b` with `a = ((1 - rate) * (1 + rate * saturation**2)) ** -0.5` and
    `b = -a * saturation * rate`, so inputs of mean 0 and variance 1 keep them. Identity
    unless called with `training=True` (as `fit` does).

    Args:
        rate: fraction of the inputs to drop, in [0, 1) (Keras accepts 1 and then fails
            at its first training call with a division by zero).
        noise_shape: shape of the keep/drop mask, broadcast against the input; None entries
            take the input's size.
        seed: int seed for reproducible masks (each call still draws a new mask).

    Example:
        >>> AlphaDropout(0.1, seed=0)(np.zeros((2, 3)), training=True).shape
        (2, 3)
    """

    # Its mask is drawn inside a primitive from the seed generator's state: replayable.
    _replayable = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                "AlphaDropout: Invalid value received for argument `rate`. Expected a float "
                f"value between 0 and 1. Received: rate={rate!r}"
            )
        if rate == 1:
            raise ValueError(
                "AlphaDropout: `rate` must be below 1 (its scale `a` would divide by zero). "
                f"Received: rate={rate!r}"
            )
        self.rate = rate
        self.seed = seed
        self.noise_shape = _check_noise_shape(noise_shape)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def _concrete_noise_shape(self, inputs):
        if self.noise_shape is None:
            return tuple(inputs.shape)
        if len(self.noise_shape) != inputs.ndim:
            raise ValueError(
                f'Layer "{self.name}": noise_shape {self.noise_shape} does not have the rank of '
                f"the input of shape {tuple(inputs.shape)}."
            )
        return tuple(
            size if wanted is None else wanted
            for size, wanted in zip(inputs.shape, self.noise_shape, strict=True)
        )

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = self._concrete_noise_shape(inputs)
        return SeededAlphaDropout(float(self.rate), shape)(inputs, self.seed_generator.state)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
