"""`RandomPosterization`: keeps only the high bits of each pixel."""

import numpy as np

from minikeras import ops, random
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    sorted_value_range,
    to_range,
)


class RandomPosterization(ColorAugmentationLayer):
    """Reduces each image to `b` bits per channel during training.

    In the `(0, 255)` scale each pixel is truncated to an 8-bit integer and its lowest
    `8 - b` bits are cleared. Per image, `b` is drawn as an integer in `[lower, upper)`
    (Keras 3.15's draw: the upper end is never drawn), or is `lower` when both ends are
    equal; a single number `f` gives `(1, f)`. The output is piecewise constant in the
    input, so no gradient flows through it. Identity at inference; integer images come out
    float32.

    Args:
        factor: a number in [1, 8] or two numbers in [1, 8] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> RandomPosterization((2, 2))(np.array([[[[200.0]]]])).numpy()
        array([[[[192.]]]], dtype=float32)
    """

    _FACTOR_BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted_value_range(value_range, "RandomPosterization")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = (self._batch_size(data),)
        lower, upper = self.factor
        if lower != upper:
            seed = self.generator if seed is None else seed
            bits = random.randint(batch, lower, upper, dtype="uint8", seed=seed).numpy()
        else:
            bits = np.full(batch, lower, np.uint8)
        return {"shift_factor": (8 - bits).astype(np.uint8)}

    def transform_batch(self, images, transformation):
        shift = np.asarray(transformation["shift_factor"], np.uint8)[:, None, None, None]
        scaled = ops.convert_to_numpy(to_range(images, self.value_range, (0, 255)))
        pixels = _to_uint8(scaled)
        posterized = ops.convert_to_tensor(((pixels >> shift) << shift).astype(np.float32))
        return to_range(posterized, (0, 255), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config


def _to_uint8(values):
    """float32 values cast to uint8 as XLA casts them: truncated, clamped to [0, 255]."""
    return np.clip(np.trunc(np.nan_to_num(values)), 0, 255).astype(np.uint8)
