"""`RandomFlip`: flips images left-right and/or upside down during training."""

from minikeras import ops
from minikeras.layers.preprocessing.image_augmentation import ImageAugmentationLayer, check_choice

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


class RandomFlip(ImageAugmentationLayer):
    """Flips each image with probability 0.5 during training.

    One draw per image decides: with "horizontal_and_vertical" an image is flipped both ways
    or not at all (Keras 3.15's rule: a half-turn with probability 0.5, never one flip
    alone). Identity at inference; integer images come out float32.

    Args:
        mode: "horizontal" (left-right), "vertical" (upside down) or
            "horizontal_and_vertical" (default). Keras accepts any other string and then
            never flips; minikeras raises a ValueError.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomFlip("horizontal", seed=1)(np.ones((2, 4, 4, 3))).shape
        (2, 4, 4, 3)
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice(mode, _MODES, "mode", "RandomFlip")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._per_image_shape(data)
        flips = self._uniform(shape, 0.0, 1.0, seed) <= 0.5
        return {"flips": flips, "input_shape": tuple(data.shape)}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        flips = transformation["flips"]
        flips = flips.numpy() if hasattr(flips, "numpy") else flips
        height_axis, width_axis = self._spatial_axes(images.ndim)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=width_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=height_axis), images)
        return images

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config
