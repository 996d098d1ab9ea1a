"""`RandomColorJitter`: random brightness, contrast, saturation and hue, in that order."""

from minikeras.layers.preprocessing.color_augmentation import ColorAugmentationLayer
from minikeras.layers.preprocessing.image_augmentation import check_value_range
from minikeras.layers.preprocessing.random_brightness import RandomBrightness
from minikeras.layers.preprocessing.random_contrast import RandomContrast
from minikeras.layers.preprocessing.random_hue import RandomHue
from minikeras.layers.preprocessing.random_saturation import RandomSaturation


class RandomColorJitter(ColorAugmentationLayer):
    """Applies RandomBrightness, RandomContrast, RandomSaturation and RandomHue in turn.

    Each of the four runs when its factor is given (not None), with that factor and the
    layer's `value_range`; all their draws come from this layer's seed generator. Identity
    at inference; integer images come out float32. The four layers get this layer's
    `data_format` (Keras 3.15 leaves them channels last).

    Args:
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the `factor` of
            RandomBrightness, RandomContrast, RandomSaturation, RandomHue; default None
            (that step is skipped).
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> layer = RandomColorJitter(brightness_factor=(0.1, 0.1))
        >>> layer(np.full((1, 2, 2, 3), 100.0)).numpy()[0, 0, 0]
        array([125.5, 125.5, 125.5], dtype=float32)
    """

    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(value_range, "RandomColorJitter")
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        steps = []
        for cls, factor in (
            (RandomBrightness, brightness_factor),
            (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor),
            (RandomHue, hue_factor),
        ):
            if factor is not None:
                steps.append(
                    cls(
                        factor=factor,
                        value_range=value_range,
                        seed=seed,
                        data_format=self.data_format,
                        dtype=self.dtype,
                    )
                )
        self.steps = steps

    def get_random_transformation(self, data, training=True, seed=None):
        return None  # each step draws its own, in turn

    def transform_batch(self, images, transformation):
        for step in self.steps:
            drawn = step.get_random_transformation(images, seed=self.generator)
            images = step.transform_images(images, drawn)
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor,
            }
        )
        return config
