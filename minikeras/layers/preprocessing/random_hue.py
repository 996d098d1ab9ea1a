"""`RandomHue`: shifts the hue of each image by a random amount."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import ColorAugmentationLayer, to_range
from minikeras.layers.preprocessing.image_augmentation import check_value_range


class RandomHue(ColorAugmentationLayer):
    """Turns each image's colours around the hue circle by a random amount during training.

    Per image, a shift `d` is drawn uniformly from `factor`'s `(lower, upper)`, halved, and
    given a random sign; the hue of `ops.image.rgb_to_hsv` (in `[0, 1]`, the images scaled
    to `[0, 1]` first) moves by `d` and wraps around. So `factor=1` shifts by up to half a
    turn either way and `factor=0` keeps the images. A single number `f` gives `(0, f)`.
    Identity at inference; integer images come out float32.

    Args:
        factor: a number in [0, 1] or two numbers in [0, 1] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> layer = RandomHue(0.5)
        >>> rgb = np.array([[[[255.0, 0.0, 0.0]]]])
        >>> layer.transform_images(rgb, {"factor": [1 / 3]}).numpy().round(3)
        array([[[[  0., 255.,   0.]]]], dtype=float32)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range, "RandomHue")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = (self._batch_size(data),)
        sign = np.where(self._uniform(batch, 0.0, 1.0, seed) > 0.5, -1, 1).astype(np.float32)
        shift = self._uniform(batch, self.factor[0], self.factor[1], seed)
        return {"factor": sign * shift * np.float32(0.5)}

    def transform_batch(self, images, transformation):
        shift = np.asarray(transformation["factor"], images.dtype)[:, None, None]
        images = to_range(images, self.value_range, (0, 1))
        hsv = ops.image.rgb_to_hsv(images, data_format=self.data_format)
        axis = self._channel_axis()
        hue, saturation, value = (ops.take(hsv, i, axis=axis) for i in range(3))
        hue = hue + shift
        hue = ops.where(hue > 1.0, hue - 1.0, hue)
        hue = ops.where(hue < 0.0, hue + 1.0, hue)
        hsv = ops.stack([hue, saturation, value], axis=axis)
        images = ops.clip(ops.image.hsv_to_rgb(hsv, data_format=self.data_format), 0.0, 1.0)
        return to_range(images, (0, 1), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
