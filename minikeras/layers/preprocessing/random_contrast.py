"""`RandomContrast`: scales each image's deviation from its mean by a random factor."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    check_value_range,
)


class RandomContrast(ImageAugmentationLayer):
    """Adjusts the contrast of each image by a random factor during training.

    Each image (each channel separately) becomes `(x - mean) * c + mean`, `mean` taken over
    its height and width, then is clipped to `value_range`. One factor `c` per image is
    drawn uniformly from `[1 - lower, 1 + upper]`. As in Keras 3.15, a single number `f`
    gives `(lower, upper) = (0, f)`, so the contrast only increases (`[1, 1 + f]`; Keras's
    docstring says `[1 - f, 1 + f]`); pass a pair `(f, f)` for `[1 - f, 1 + f]`. Identity at
    inference; integer images come out float32.

    Args:
        factor: a number in [0, 1], or two numbers in [0, 1] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values, the clipping range; default
            `(0, 255)`.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandomContrast((0.5, 0.5), value_range=(0, 1), seed=1)(np.ones((2, 4, 4, 3))).shape
        (2, 4, 4, 3)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = check_value_range(value_range, "RandomContrast")
        if not value_range[0] < value_range[1]:
            # Keras clips with the bounds as given, which sets every pixel to the lower one.
            raise ValueError(
                "RandomContrast: `value_range` must be (low, high) with low < high. "
                f"Received: value_range={value_range!r}"
            )

    def get_random_transformation(self, data, training=True, seed=None):
        shape = self._per_image_shape(data)
        if not training:
            return {"contrast_factor": np.zeros(shape, np.float32)}
        lower, upper = self.factor
        return {"contrast_factor": self._uniform(shape, 1.0 - lower, 1.0 + upper, seed)}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training:
            return images
        factor = np.asarray(transformation["contrast_factor"], dtype=images.dtype)
        height_axis, width_axis = self._spatial_axes(images.ndim)
        # Two means in turn, as Keras takes them (the float32 sums round alike).
        mean = ops.mean(ops.mean(images, axis=height_axis, keepdims=True), width_axis, True)
        outputs = (images - mean) * factor + mean
        return ops.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
