"""`RandomInvert`: inverts some images."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import ColorAugmentationLayer
from minikeras.layers.preprocessing.image_augmentation import check_value_range


class RandomInvert(ColorAugmentationLayer):
    """Replaces each pixel `x` by `high - x` in some images during training.

    Per image a probability `p` is drawn uniformly from `factor`'s `(lower, upper)` and the
    image is inverted if a second uniform draw in `[0, 1)` is below it, so the default
    `factor=1.0`, i.e. `(0, 1)`, inverts half the images and `factor=0` none. As in Keras
    3.15, an inverted pixel is `value_range[1] - x` (not `high + low - x`) and
    `value_range` is kept as given. Identity at inference; integer images come out float32.

    Args:
        factor: a number `f` in [0, 1] (giving `(0, f)`) or two numbers in [0, 1];
            default 1.0.
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> layer = RandomInvert()
        >>> layer.transform_images(np.array([[[[5.0]]]]), {"apply_inversion": [True]}).numpy()
        array([[[[250.]]]], dtype=float32)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range, "RandomInvert")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = (self._batch_size(data),)
        probability = self._uniform(batch, self.factor[0], self.factor[1], seed)
        return {"apply_inversion": self._uniform(batch, 0.0, 1.0, seed) < probability}

    def transform_batch(self, images, transformation):
        invert = np.asarray(transformation["apply_inversion"], bool)[:, None, None, None]
        return ops.where(invert, np.float32(self.value_range[1]) - images, images)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
