"""`RandomSaturation`: scales the saturation of each image by a random factor."""

import numpy as np

from minikeras import config, ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    sorted_value_range,
)


class RandomSaturation(ColorAugmentationLayer):
    """Scales each image's saturation by a random factor during training.

    Per image, `f` is drawn uniformly from `factor`'s `(lower, upper)` and the saturation
    channel of `ops.image.rgb_to_hsv` is multiplied by `f / (1 - f + epsilon)`: 0.5 keeps
    the image, 0 makes it grey, 1 saturates it fully. As in Keras 3.15, the pixel values
    go to `rgb_to_hsv` unscaled and the new saturation is clipped to `value_range` (not to
    `[0, 1]`), and a single number `f` gives `(-f, f)`. Identity at inference; integer
    images come out float32.

    Args:
        factor: a number in [-1, 1] or two numbers in [-1, 1] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> RandomSaturation((0.0, 0.0))(np.array([[[[200.0, 100.0, 50.0]]]])).numpy()
        array([[[[200., 200., 200.]]]], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted_value_range(value_range, "RandomSaturation")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        draws = self._uniform((self._batch_size(data),), self.factor[0], self.factor[1], seed)
        return {"factor": draws / (np.float32(1) - draws + np.float32(config.epsilon()))}

    def transform_batch(self, images, transformation):
        factor = np.asarray(transformation["factor"], images.dtype)[:, None, None]
        hsv = ops.image.rgb_to_hsv(images, data_format=self.data_format)
        axis = self._channel_axis()
        hue, saturation, value = (ops.take(hsv, i, axis=axis) for i in range(3))
        saturation = ops.clip(saturation * factor, self.value_range[0], self.value_range[1])
        hsv = ops.stack([hue, saturation, value], axis=axis)
        return ops.image.hsv_to_rgb(hsv, data_format=self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
