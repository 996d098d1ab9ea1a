"""What the colour and intensity layers share (AutoContrast, RandomHue, ...).

They are `ImageAugmentationLayer`s (the random draw, then the transform; identity when not
training) whose transforms work on a batch: one image is given a batch axis of one and
loses it again, as Keras does. Most of them compute in a `(0, 255)` scale: `to_range`
maps the images' `value_range` onto it and back with Keras's float32 steps.

A division by one number is a multiplication by its float32 reciprocal here, because that
is what XLA computes for it (so Keras on JAX's last bits come out the same).
"""

import numpy as np

from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    check_value_range,
)


def reciprocal(number):
    """`1 / number` in float32: dividing by one number is multiplying by this (see above)."""
    return np.float32(1) / np.float32(number)


def to_range(images, source, target):
    """`images` mapped linearly from the `source` `(low, high)` range onto `target`.

    The steps of Keras's `_transform_value_range` in float32: to `[0, 1]`, then scaled.
    """
    if source[0] == target[0] and source[1] == target[1]:
        return images
    source_low, source_high = np.float32(source[0]), np.float32(source[1])
    target_low, target_high = np.float32(target[0]), np.float32(target[1])
    unit = (images - source_low) * reciprocal(source_high - source_low)
    return unit * (target_high - target_low) + target_low


def sorted_value_range(value_range, layer_name):
    """`value_range` checked (two numbers) and sorted, as most of Keras's colour layers keep it."""
    return sorted(check_value_range(value_range, layer_name))


def refuse_seed(layer_name, kwargs):
    """Keras's deterministic colour layers take no `seed`: refuse it as Keras does."""
    if "seed" in kwargs:
        raise TypeError(f"Unrecognized keyword arguments passed to {layer_name}: ['seed']")


class ColorAugmentationLayer(ImageAugmentationLayer):
    """Base of the colour layers: `transform_batch` gets a batch of float images.

    Args:
        seed, data_format: as in `ImageAugmentationLayer`.
    """

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training:
            return images
        if images.ndim == 3:
            return self.transform_batch(images[None], transformation)[0]
        return self.transform_batch(images, transformation)

    def transform_batch(self, images, transformation):
        """The transform of a batch `(batch, height, width, channels)` (or channels first)."""
        raise NotImplementedError

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else -3
