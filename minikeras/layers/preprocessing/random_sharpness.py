"""`RandomSharpness`: sharpens or blurs each image by a random amount."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    sorted_value_range,
)


class RandomSharpness(ColorAugmentationLayer):
    """Blends each image with a smoothed copy by a random amount during training.

    The smoothed copy is each channel convolved with the 3x3 kernel
    `[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13` (zero padding at the borders, as Keras). Per
    image, `f` is drawn uniformly from `factor`'s `(lower, upper)`, and the image becomes
    `x + (1 - 2 f) * (smoothed - x)`, clipped to `value_range`: 0 gives the smoothed image,
    0.5 keeps the image, 1 sharpens it. A single number `f` gives `(0, f)`. Identity at
    inference; integer images come out float32.

    Args:
        factor: a number in [0, 1] or two numbers in [0, 1] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> RandomSharpness((0.5, 0.5))(np.full((1, 3, 3, 1), 9.0)).numpy().ravel()
        array([9., 9., 9., 9., 9., 9., 9., 9., 9.], dtype=float32)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted_value_range(value_range, "RandomSharpness")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = (self._batch_size(data),)
        return {"factor": self._uniform(batch, self.factor[0], self.factor[1], seed)}

    def transform_batch(self, images, transformation):
        if self.data_format == "channels_first":
            images = ops.swapaxes(images, -3, -1)
        sharpness = (np.asarray(transformation["factor"], images.dtype) * 2).reshape(-1, 1, 1, 1)
        edge, centre = 1.0 / 13.0, 5.0 / 13.0
        kernel = np.array([[edge] * 3, [edge, centre, edge], [edge] * 3], images.dtype)
        kernel = np.tile(kernel[:, :, None, None], (1, 1, images.shape[-1], 1))
        smoothed = ops.depthwise_conv(
            images, kernel, strides=1, padding="same", data_format="channels_last"
        )
        images = images + (np.float32(1) - sharpness) * (smoothed - images)
        images = ops.clip(images, self.value_range[0], self.value_range[1])
        if self.data_format == "channels_first":
            images = ops.swapaxes(images, -3, -1)
        return images

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
