"""`GaussianNoise` and `GaussianDropout`: random noise applied during training only."""

import math

from minikeras import random
from minikeras.layers.layer import Layer


def _check_fraction(value, name, layer_name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(
            f"{layer_name}: `{name}` must be a number between 0 and 1. Received {name}={value!r}."
        )
    return value


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` during training.

    A regularizer against overfitting (and a form of data augmentation for real-valued
    inputs). Identity unless called with `training=True`.

    Args:
        stddev: standard deviation of the noise, in [0, 1].
        seed: optional int seed.

    Example:
        >>> GaussianNoise(0.1, seed=0)(np.zeros((2, 3)), training=True).shape
        (2, 3)
    """

    # Its noise is drawn inside a primitive (random.SeededNormal): replayable.
    _replayable = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        self.stddev = _check_fraction(stddev, "stddev", "GaussianNoise")
        self.seed = seed
        if stddev > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            noise = random.normal(
                tuple(inputs.shape), stddev=self.stddev, dtype=self.dtype, seed=self.seed_generator
            )
            return inputs + noise
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 during training.

    The noise has standard deviation `sqrt(rate / (1 - rate))`, the variance of inverted
    dropout with the same `rate`. Identity unless called with `training=True`.

    Args:
        rate: drop probability the noise imitates, in [0, 1).
        seed: optional int seed.

    Example:
        >>> GaussianDropout(0.2, seed=0)(np.ones((2, 3)), training=True).shape
        (2, 3)
    """

    # Its noise is drawn inside a primitive (random.SeededNormal): replayable.
    _replayable = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        self.rate = _check_fraction(rate, "rate", "GaussianDropout")
        if rate == 1:
            raise ValueError(
                "GaussianDropout: `rate` must be below 1 (the noise would be infinite)."
            )
        self.seed = seed
        if rate > 0:
            self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = random.normal(
                tuple(inputs.shape),
                mean=1.0,
                stddev=stddev,
                dtype=self.dtype,
                seed=self.seed_generator,
            )
            return inputs * noise
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
