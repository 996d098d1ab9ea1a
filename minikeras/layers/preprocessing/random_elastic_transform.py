"""`RandomElasticTransform`: displaces pixels by a smoothed random field."""

import numpy as np

from minikeras import ops, random
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    _is_number,
    check_choice,
    check_factor,
    check_value_range,
)
from minikeras.ops.image_warps import elastic_warp


def elastic_parameters(height, width, distortion):
    """`(alpha, sigma)`: the displacement's scale and smoothing width, as Keras derives them."""
    distortion = np.float32(distortion)
    alpha = np.float32(max(height, width)) * (np.float32(0.1) * distortion)
    sigma = np.float32(min(height, width)) * (np.float32(0.05) * distortion)
    return alpha, sigma


class RandomElasticTransform(ImageAugmentationLayer):
    """Moves each chosen image's pixels by a smooth random displacement during training.

    Per image, a probability `p` is drawn uniformly from `factor` and the image is
    transformed when a uniform draw falls below it. Per call, a distortion `s` is drawn
    uniformly from `scale`; the displacement is `alpha = 0.1 * s * max(h, w)` times a
    standard normal field per image, scaled by `sigma = 0.05 * s * min(h, w)` and blurred
    with a Gaussian of width `sigma`. Keras draws the row and the column displacement with
    the same seed, so they are the same field (pixels move along the diagonal); minikeras
    does the same. The result is clipped to `value_range`. Identity at inference; images
    come out float32.

    Args:
        factor: a number in [0, 1] (`p` drawn from `[0, factor]`) or two numbers; default 1.
        scale: a number in [0, 1] (`s` drawn from `[0, scale]`) or two numbers; default 1.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "mirror", "wrap", "constant" or "nearest".
        fill_value: the value outside the image with "constant".
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomElasticTransform(seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _DICT_INPUTS = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = "RandomElasticTransform"
        self._set_factor(factor)
        self.scale = check_factor(scale, (0, 1), name, "scale")
        # Keras raises NotImplementedError for these; a ValueError names the choices.
        self.interpolation = check_choice(
            interpolation, ("nearest", "bilinear"), "interpolation", name
        )
        self.fill_mode = check_choice(
            fill_mode, ("reflect", "mirror", "wrap", "constant", "nearest"), "fill_mode", name
        )
        if not _is_number(fill_value):
            raise ValueError(f"{name}: `fill_value` must be a number. Received: {fill_value!r}")
        self.fill_value = fill_value
        self.value_range = check_value_range(value_range, name)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images, seed, batch = self._draw_inputs(data, seed)
        height_axis, width_axis = self._spatial_axes(len(images.shape))
        height, width = images.shape[height_axis], images.shape[width_axis]
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        threshold = self._uniform((batch,), 0.0, 1.0, seed)
        distortion = self._uniform((), self.scale[0], self.scale[1], seed)
        noise = random.normal((batch, height, width), dtype="float32", seed=seed).numpy()
        return {
            "apply_transform": threshold < probability,
            "distortion_factor": distortion,
            "noise": noise,
        }

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        single = images.ndim == 3
        batch = images[None] if single else images
        height_axis, width_axis = self._spatial_axes(4)
        height, width = batch.shape[height_axis], batch.shape[width_axis]
        alpha, sigma = elastic_parameters(height, width, transformation["distortion_factor"])
        noise = transformation.get("noise")
        if noise is None:  # a Keras-style transformation names the seed of the field instead
            shape = (batch.shape[0], height, width)
            noise = random.normal(shape, dtype="float32", seed=transformation["seed"]).numpy()
        moved = elastic_warp(
            batch,
            noise,
            alpha,
            sigma,
            self.interpolation,
            self.fill_mode,
            self.fill_value,
            self.data_format,
        )
        apply = np.asarray(transformation["apply_transform"]).reshape(-1, 1, 1, 1)
        batch = ops.clip(ops.where(apply, moved, batch), *self.value_range)
        return batch[0] if single else batch

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "interpolation": self.interpolation,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
            }
        )
        return config
