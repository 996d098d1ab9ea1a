"""`RandomBrightness`: adds a random offset to each image's pixels."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    check_value_range,
)


class RandomBrightness(ImageAugmentationLayer):
    """Shifts the brightness of each image by a random offset during training.

    One offset per image, `d * (high - low)` with `d` drawn uniformly from
    `[lower, upper]`, is added to every pixel, and the result is clipped to `value_range`
    `(low, high)`. A single number `f` gives `(lower, upper) = (-f, f)`. Identity at
    inference. Integer images come out float32 (Keras keeps int32 and truncates the
    offset to an integer).

    Args:
        factor: a number in [-1, 1], or two numbers in [-1, 1] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomBrightness(0.2, seed=1)(np.full((2, 4, 4, 3), 100.0)).shape
        (2, 4, 4, 3)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted(check_value_range(value_range, "RandomBrightness"))

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._per_image_shape(data)
        if not training:
            return {"rgb_delta": np.zeros(shape, np.float32)}
        delta = self._uniform(shape, self.factor[0], self.factor[1], seed)
        width = np.float32(self.value_range[1] - self.value_range[0])
        return {"rgb_delta": delta * width}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training:
            return images
        delta = np.asarray(transformation["rgb_delta"], dtype=images.dtype)
        return ops.clip(images + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
