"""`Solarization`: inverts the pixels above a threshold."""

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    sorted_value_range,
    to_range,
)
from minikeras.layers.preprocessing.image_augmentation import check_factor


class Solarization(ColorAugmentationLayer):
    """Replaces each pixel `x` at or above a threshold by `255 - x` (in the `(0, 255)` scale).

    Per image, an addition `a` and a threshold `t` are drawn; the pixels become `x + a`
    clipped to `[0, 255]`, and those at or above `t` are inverted. As in Keras 3.15, `a` is
    drawn uniformly from `[lower, 255 * upper]` of `addition_factor` and `t` from
    `[lower, 255 * upper]` of `threshold_factor` (the lower ends are not scaled). With the
    defaults (`a = t = 0`) every pixel is inverted. Identity at inference; integer images
    come out float32.

    Args:
        addition_factor: a number in [0, 1] (giving `(0, f)`) or two numbers in [0, 1];
            default 0.
        threshold_factor: a number in [0, 1] (giving `(0, f)`) or two numbers in [0, 1];
            default 0.
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        seed: optional int seed.

    Example:
        >>> Solarization()(np.array([[[[0.0], [55.0], [255.0]]]])).numpy().ravel()
        array([255., 200.,   0.], dtype=float32)
    """

    def __init__(
        self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs
    ):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._check_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._check_factor(threshold_factor, "threshold_factor")
        self.value_range = sorted_value_range(value_range, "Solarization")

    @staticmethod
    def _check_factor(factor, argument):
        lower, upper = check_factor(factor, (0, 1), "Solarization", argument)
        # One number f means (0, f) here, as in Keras.
        return (lower, upper) if isinstance(factor, (tuple, list)) else (0, factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = self._per_image_shape(data)
        addition, threshold = self.addition_factor, self.threshold_factor
        return {
            "additions": self._uniform(shape, addition[0], addition[1] * 255, seed),
            "thresholds": self._uniform(shape, threshold[0], threshold[1] * 255, seed),
        }

    def transform_batch(self, images, transformation):
        if transformation is None:
            return images
        additions = ops.cast(transformation["additions"], images.dtype)
        thresholds = ops.cast(transformation["thresholds"], images.dtype)
        scaled = to_range(images, self.value_range, (0, 255))
        shifted = ops.clip(scaled + additions, 0.0, 255.0)
        solarized = ops.where(shifted < thresholds, shifted, 255.0 - shifted)
        return to_range(solarized, (0, 255), self.value_range)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor,
            }
        )
        return config
