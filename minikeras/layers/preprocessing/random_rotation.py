"""`RandomRotation`: rotates images by a random angle about their centre during training."""

import math

import numpy as np

from minikeras.layers.preprocessing.image_augmentation import (
    AffineAugmentationLayer,
)


def rotation_matrices(angles, height, width):
    """One `affine_transform` row per angle (radians), rotating about the image centre.

    The row maps an output pixel to the input pixel it reads: `x = cos * j - sin * i + a2`,
    `y = sin * j + cos * i + b2`, with the offsets keeping the centre `((width - 1) / 2,
    (height - 1) / 2)` in place; computed in float32, as Keras does.
    """
    angles = np.asarray(angles, np.float32)
    cx = np.float32(0.5) * (np.float32(width) - 1)
    cy = np.float32(0.5) * (np.float32(height) - 1)
    cos, sin = np.cos(angles), np.sin(angles)
    zeros = np.zeros_like(angles)
    a2 = cx - cx * cos - cy * -sin
    b2 = cy - cx * sin - cy * cos
    return np.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1).astype(np.float32)


class RandomRotation(AffineAugmentationLayer):
    """Rotates each image by a random angle about its centre during training.

    The angle of each image is drawn uniformly from `[lower * 2π, upper * 2π]`. Identity at
    inference; integer images come out float32.

    Args:
        factor: a number `f` in [-1, 1] (angles in `[-f * 2π, f * 2π]`) or two numbers
            `(lower, upper)`, fractions of a full turn.
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int seed.
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomRotation(0.1, seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self._set_factor(factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        height, width = self._image_size(data)
        batch = data.shape[0] if len(data.shape) == 4 else 1
        lower, upper = self.factor
        angle = self._uniform((batch,), lower * 360.0, upper * 360.0, seed)
        radians = angle * np.float32(math.pi / 180.0)
        return {
            "angle": angle,
            "rotation_matrix": rotation_matrices(radians, height, width),
            "image_height": height,
            "image_width": width,
            "batch_size": batch,
        }

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        matrices = np.asarray(transformation["rotation_matrix"], np.float32).reshape(-1, 8)
        return self._affine(images, matrices)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config
