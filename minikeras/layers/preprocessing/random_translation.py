"""`RandomTranslation`: shifts images by a random offset during training."""

import numpy as np

from minikeras.layers.preprocessing.image_augmentation import (
    AffineAugmentationLayer,
    check_factor,
)


def translation_matrices(translations):
    """One `affine_transform` row per `(dx, dy)` shift in pixels (an output pixel reads the
    input `(dx, dy)` before it)."""
    translations = np.asarray(translations, np.float32)
    ones = np.ones(len(translations), np.float32)
    zeros = np.zeros(len(translations), np.float32)
    dx, dy = translations[:, 0], translations[:, 1]
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)


class RandomTranslation(AffineAugmentationLayer):
    """Shifts each image by a random fraction of its height and width during training.

    The shifts are drawn uniformly, `height_factor` and `width_factor` fractions of the
    image's height and width (a positive shift moves the content down or right). Identity
    at inference; integer images come out float32.

    Args:
        height_factor: a number `f` in [-1, 1] (shifts in `[-f, f]`) or two numbers
            `(lower, upper)`.
        width_factor: the same for the width.
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int seed.
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomTranslation(0.1, 0.1, seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        name = "RandomTranslation"
        self.height_factor = height_factor
        self.height_lower, self.height_upper = check_factor(
            height_factor, (-1.0, 1.0), name, "height_factor"
        )
        self.width_factor = width_factor
        self.width_lower, self.width_upper = check_factor(
            width_factor, (-1.0, 1.0), name, "width_factor"
        )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        height, width = self._image_size(data)
        batch = data.shape[0] if len(data.shape) == 4 else 1
        # Keras draws the height shifts first, then the width shifts.
        dy = self._uniform((batch, 1), self.height_lower, self.height_upper, seed)
        dx = self._uniform((batch, 1), self.width_lower, self.width_upper, seed)
        translations = np.concatenate([dx * np.float32(width), dy * np.float32(height)], axis=1)
        return {"translations": translations, "input_shape": tuple(data.shape)}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        return self._affine(images, translation_matrices(transformation["translations"]))

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config
