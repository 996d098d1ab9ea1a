"""`RandomErasing`: fills a random box of some images with a constant or with noise."""

import numpy as np

from minikeras import ops, random
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    _is_number,
    check_factor,
    check_value_range,
)
from minikeras.layers.preprocessing.image_geometry import box_masks, crop_bounds


class RandomErasing(ImageAugmentationLayer):
    """Random Erasing (Zhong et al. 2017): during training, a random box of each chosen
    image is replaced by `fill_value` (or by noise).

    Per image, a probability `p` is drawn uniformly from `factor` and the image is erased
    when a uniform draw falls below it (so the default `factor=1.0`, `p` from `[0, 1]`,
    erases about half the images, as in Keras). The box's width and height are
    `sqrt(s) * ` the image's, one `s` each drawn uniformly from `scale`, at a uniformly drawn
    position. The fill is clipped to `value_range`. Identity at inference; images come out
    float32.

    Args:
        factor: a number in [0, 1] (`p` drawn from `[0, factor]`) or two numbers
            `(lower, upper)`; default 1.0.
        scale: two numbers in [0, 1] (or one, giving `[0, scale]`): the range of each
            side's squared share of the image; default `(0.02, 0.33)`.
        fill_value: a number, three numbers (one per channel, channels last), or None
            (default): normal noise times `value_range[1]`.
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomErasing(seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _DICT_INPUTS = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = check_factor(scale, (0, 1), "RandomErasing", "scale")
        valid_fill = fill_value is None or _is_number(fill_value)
        if isinstance(fill_value, (tuple, list)):
            valid_fill = len(fill_value) == 3 and all(_is_number(v) for v in fill_value)
        if not valid_fill:
            raise ValueError(
                "RandomErasing: The `fill_value` argument should be a number (or a list of "
                f"three numbers) or None. Received: fill_value={fill_value!r}"
            )
        self.fill_value = fill_value
        self.value_range = check_value_range(value_range, "RandomErasing")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images, seed, batch = self._draw_inputs(data, seed)
        height_axis, width_axis = self._spatial_axes(len(images.shape))
        height, width = images.shape[height_axis], images.shape[width_axis]
        sides = np.sqrt(self._uniform((batch, 2), self.scale[0], self.scale[1], seed))
        x0, x1 = crop_bounds(self._uniform((batch,), 0.0, 1.0, seed), width, sides[:, 0])
        y0, y1 = crop_bounds(self._uniform((batch,), 0.0, 1.0, seed), height, sides[:, 1])
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        threshold = self._uniform((batch,), 0.0, 1.0, seed)
        return {
            "apply_erasing": threshold < probability,
            "batch_masks": box_masks(images.shape, x0, x1, y0, y1, self.data_format),
            "fill_value": self._fill(tuple(images.shape), seed),
        }

    def _fill(self, shape, seed):
        """The values of the erased pixels, `shape` (or broadcastable to it), clipped."""
        if self.fill_value is None:
            noise = random.normal(shape, dtype="float32", seed=seed).numpy()
            fill = noise * np.float32(self.value_range[1])
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, np.float32), shape)
        return np.clip(fill, self.value_range[0], self.value_range[1]).astype(np.float32)

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        single = images.ndim == 3
        batch = images[None] if single else images
        fill = np.asarray(transformation["fill_value"], np.float32)
        erased = ops.where(np.asarray(transformation["batch_masks"]), fill, batch)
        apply = np.asarray(transformation["apply_erasing"]).reshape(-1, 1, 1, 1)
        batch = ops.where(apply, erased, batch)
        return batch[0] if single else batch

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "scale": self.scale,
                "fill_value": self.fill_value,
                "value_range": self.value_range,
            }
        )
        return config
