"""`RandomGrayscale`: turns some images grey."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import ColorAugmentationLayer
from minikeras.layers.preprocessing.image_augmentation import _is_number


class RandomGrayscale(ColorAugmentationLayer):
    """Turns each image grey with probability `factor` during training.

    A grey image keeps its channels, each set to the luma `0.2989 R + 0.5870 G + 0.1140 B`
    (`ops.image.rgb_to_grayscale`); a one-channel image stays as it is. Identity at
    inference; integer images come out float32. As in Keras 3.15, `seed` is not part of the
    config.

    Args:
        factor: the probability, in [0, 1], that an image is turned grey; default 0.5.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> RandomGrayscale(1.0)(np.array([[[[255.0, 0.0, 0.0]]]])).numpy().ravel().round(2)
        array([76.22, 76.22, 76.22], dtype=float32)
    """

    _DICT_INPUTS = False  # Keras 3.15 fails on `{"images", "labels"}` here

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _is_number(factor) or not 0 <= factor <= 1:
            raise ValueError(
                f"RandomGrayscale: `factor` should be a number between 0 and 1. "
                f"Received: factor={factor!r}"
            )
        self.factor = factor

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        draws = self._uniform((self._batch_size(data),), 0.0, 1.0, seed)
        return (draws < self.factor)[:, None, None, None]

    def transform_batch(self, images, transformation):
        if transformation is None:
            transformation = self.get_random_transformation(images)
        grey = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(np.asarray(transformation, bool), grey, images)

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        config["factor"] = self.factor
        return config
