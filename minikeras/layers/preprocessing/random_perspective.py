"""`RandomPerspective`: moves image corners at random and warps the image to follow."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    _is_number,
    check_choice,
)
from minikeras.ops.image_warps import homographies, projective_coordinates, resample


class RandomPerspective(ImageAugmentationLayer):
    """Applies a random perspective warp to each chosen image during training.

    Per image, a probability `p` is drawn uniformly from `factor` and the image is warped
    when a uniform draw falls below it. The corners `(0, 0)`, `(w-1, 0)`, `(0, h-1)`,
    `(w-1, h-1)` move to `corner * (1 + d)`, each coordinate's `d` drawn uniformly from
    `[-scale / 2, scale / 2]` (so the top-left corner stays, as in Keras); the image is
    resampled through the homography between them, with `fill_value` outside. Identity at
    inference; images come out float32.

    Args:
        factor: a number in [0, 1] (`p` drawn from `[0, factor]`) or two numbers; default 1.
        scale: a number in [0, 1], how far the corners move; default 1.0.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value of points outside the image; default 0.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomPerspective(scale=0.2, seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _DICT_INPUTS = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        if not _is_number(scale) or not 0 <= scale <= 1:
            raise ValueError(
                "RandomPerspective: The `scale` argument should be a number in the range "
                f"[0,1]. Received: scale={scale!r}"
            )
        self.scale = scale
        # Keras raises NotImplementedError here; a ValueError names the choices.
        self.interpolation = check_choice(
            interpolation, ("nearest", "bilinear"), "interpolation", "RandomPerspective"
        )
        if not _is_number(fill_value):
            raise ValueError(
                f"RandomPerspective: `fill_value` must be a number. Received: {fill_value!r}"
            )
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images, seed, batch = self._draw_inputs(data, seed)
        height_axis, width_axis = self._spatial_axes(len(images.shape))
        height, width = images.shape[height_axis], images.shape[width_axis]
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        threshold = self._uniform((batch,), 0.0, 1.0, seed)
        half = 0.5 * self.scale
        shift = self._uniform((batch, 4, 2), -half, half, seed)
        corners = [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]
        start = np.repeat(np.array([corners], np.float32), batch, axis=0)
        return {
            "apply_perspective": threshold < probability,
            "start_points": start,
            "end_points": start + start * shift,
            "input_shape": tuple(images.shape),
        }

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        single = images.ndim == 3
        batch = images[None] if single else images
        height_axis, width_axis = self._spatial_axes(4)
        transforms = homographies(transformation["start_points"], transformation["end_points"])
        y, x = projective_coordinates(transforms, batch.shape[height_axis], batch.shape[width_axis])
        warped = resample(
            batch, y, x, self.interpolation, "constant", self.fill_value, self.data_format
        )
        apply = np.asarray(transformation["apply_perspective"]).reshape(-1, 1, 1, 1)
        batch = ops.where(apply, warped, batch)
        return batch[0] if single else batch

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_value": self.fill_value,
            }
        )
        return config
