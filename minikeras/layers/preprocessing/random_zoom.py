"""`RandomZoom`: zooms images in or out by a random factor during training."""

import numpy as np

from minikeras.layers.preprocessing.image_augmentation import (
    AffineAugmentationLayer,
    check_factor,
)


def zoom_matrices(zooms, height, width):
    """One `affine_transform` row per `(zoom_x, zoom_y)`: an output pixel reads the input
    at its distance from the image centre times the zoom (above 1 shows more of the image,
    smaller; below 1 enlarges it). Computed in float32, as Keras does."""
    zooms = np.asarray(zooms, np.float32)
    zx, zy = zooms[:, 0], zooms[:, 1]
    zeros = np.zeros(len(zooms), np.float32)
    x_offset = ((np.float32(width) - 1) / 2) * (1 - zx)
    y_offset = ((np.float32(height) - 1) / 2) * (1 - zy)
    return np.stack([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], axis=1)


class RandomZoom(AffineAugmentationLayer):
    """Zooms each image by a random factor during training.

    The zoom of each image is `1 + z`, `z` drawn uniformly from `[lower, upper]`: a positive
    `z` zooms out (the image gets smaller, the border filled by `fill_mode`), a negative
    one zooms in. Without `width_factor` both axes take the same zoom (the aspect ratio is
    kept). Identity at inference; integer images come out float32.

    Args:
        height_factor: a number `f` in (-1, 1] (`z` in `[-f, f]`) or two numbers
            `(lower, upper)`.
        width_factor: the same for the width, or None (default) for the height's zoom.
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int seed.
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomZoom(0.2, seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        name = "RandomZoom"
        self.height_factor = height_factor
        self.height_lower, self.height_upper = check_factor(
            height_factor, (-1.0, 1.0), name, "height_factor", open_low=True
        )
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = check_factor(
                width_factor, (-1.0, 1.0), name, "width_factor", open_low=True
            )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = (data.shape[0], 1) if len(data.shape) == 4 else (1, 1)
        lower, upper = self.height_lower, self.height_upper
        height_zoom = self._uniform(shape, 1.0 + lower, 1.0 + upper, seed)
        if self.width_factor is None:
            width_zoom = height_zoom
        else:
            lower, upper = self.width_lower, self.width_upper
            width_zoom = self._uniform(shape, 1.0 + lower, 1.0 + upper, seed)
        return {
            "height_zoom": height_zoom,
            "width_zoom": width_zoom,
            "input_shape": tuple(data.shape),
        }

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        zooms = np.concatenate(
            [np.asarray(transformation["width_zoom"]), np.asarray(transformation["height_zoom"])],
            axis=1,
        )
        height, width = self._image_size(images)
        return self._affine(images, zoom_matrices(zooms, height, width))

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor})
        return config
