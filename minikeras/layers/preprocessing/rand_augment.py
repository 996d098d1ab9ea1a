"""`RandAugment`: a few random operations out of eleven, chosen per batch, at one strength.

The eleven operations are the image layers of this package, built once with the layer's
`factor` (RandomShear, RandomTranslation, RandomRotation, RandomBrightness,
RandomColorDegeneration, RandomContrast, RandomSharpness, RandomPosterization,
Solarization, AutoContrast, Equalization). `augment_layers` below builds them; AugMix
(aug_mix.py) builds the same ones.
"""

import numbers

from minikeras import random
from minikeras.layers.preprocessing.auto_contrast import AutoContrast
from minikeras.layers.preprocessing.equalization import Equalization
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    check_choice,
    check_factor,
    check_value_range,
)
from minikeras.layers.preprocessing.random_brightness import RandomBrightness
from minikeras.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from minikeras.layers.preprocessing.random_contrast import RandomContrast
from minikeras.layers.preprocessing.random_posterization import RandomPosterization
from minikeras.layers.preprocessing.random_rotation import RandomRotation
from minikeras.layers.preprocessing.random_sharpness import RandomSharpness
from minikeras.layers.preprocessing.random_shear import RandomShear
from minikeras.layers.preprocessing.random_translation import RandomTranslation
from minikeras.layers.preprocessing.solarization import Solarization


def check_count(value, argument, layer_name, low=0):
    """`value`, if it is an integer `>= low`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(
            f"{layer_name}: `{argument}` must be an integer >= {low}. "
            f"Received: {argument}={value!r}"
        )
    return int(value)


def augment_layers(names, factor, value_range, interpolation, seed, data_format, dtype):
    """`{name: layer}` of the operations `names`, each at strength `factor = (lower, upper)`.

    Keras's settings: the geometric ones take `factor` for both axes (fill mode "reflect"),
    the colour ones take `factor` and `value_range`, Solarization takes it for its addition
    and its threshold, and RandomPosterization keeps `max(1, int(8 * upper))` bits at most.
    """
    common = {"data_format": data_format, "dtype": dtype}
    seeded = {"seed": seed, **common}
    makers = {
        "random_shear": lambda: RandomShear(
            x_factor=factor, y_factor=factor, interpolation=interpolation, **seeded
        ),
        "random_translation": lambda: RandomTranslation(
            height_factor=factor, width_factor=factor, interpolation=interpolation, **seeded
        ),
        "random_rotation": lambda: RandomRotation(
            factor=factor, interpolation=interpolation, **seeded
        ),
        "random_brightness": lambda: RandomBrightness(
            factor=factor, value_range=value_range, **seeded
        ),
        "random_color_degeneration": lambda: RandomColorDegeneration(
            factor=factor, value_range=value_range, **seeded
        ),
        "random_contrast": lambda: RandomContrast(factor=factor, value_range=value_range, **seeded),
        "random_sharpness": lambda: RandomSharpness(
            factor=factor, value_range=value_range, **seeded
        ),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * factor[1])), value_range=value_range, **seeded
        ),
        "solarization": lambda: Solarization(
            addition_factor=factor, threshold_factor=factor, value_range=value_range, **seeded
        ),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, **common),
        "equalization": lambda: Equalization(value_range=value_range, **common),
    }
    return {name: makers[name]() for name in names}


class RandAugment(ImageAugmentationLayer):
    """Applies `num_ops` operations chosen at random to each batch during training.

    Per call, `num_ops` operation indices are drawn uniformly (with repeats) from the
    eleven of `RandAugment.OPERATIONS`, for the whole batch, and the parameters of every
    operation are drawn per image; the chosen operations then run in turn (an operation
    chosen twice runs twice with the same parameters), as in Keras. Identity at inference;
    images come out float32.

    Args:
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        num_ops: how many operations run per call; default 2.
        factor: the strength, a number `f` in [0, 1] (meaning `(0, f)`) or two numbers
            `(lower, upper)` in [0, 1]; default 0.5. Each operation draws its own amount in
            this range (RandomPosterization keeps `max(1, int(8 * upper))` bits at most).
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> RandAugment(num_ops=3, seed=1)(np.random.uniform(0, 255, (2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    OPERATIONS = (
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_brightness",
        "random_color_degeneration",
        "random_contrast",
        "random_sharpness",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    )
    _FACTOR_BOUNDS = (0, 1)
    _DICT_INPUTS = True

    def __init__(
        self,
        value_range=(0, 255),
        num_ops=2,
        factor=0.5,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(value_range, "RandAugment")
        self.num_ops = check_count(num_ops, "num_ops", "RandAugment")
        self.factor = check_factor(factor, self._FACTOR_BOUNDS, "RandAugment")
        self.interpolation = check_choice(
            interpolation, ("nearest", "bilinear"), "interpolation", "RandAugment"
        )
        operations = augment_layers(
            self.OPERATIONS,
            self.factor,
            value_range,
            interpolation,
            seed,
            self.data_format,
            self.dtype,
        )
        for name, layer in operations.items():
            # Keras's attribute names, so `.weights.h5` files hold Keras's layout.
            setattr(self, name, layer)

    def get_random_transformation(self, data, training=True, seed=None):
        """`{"layer_idxes": (num_ops,) ints, "transforms": {operation: its draw}}`, or None
        when not training. The indices are drawn first, then each operation's parameters in
        the order of `OPERATIONS`, all from `seed` (default: the layer's generator)."""
        if not training:
            return None
        images, seed, _ = self._draw_inputs(data, seed)
        indices = random.randint((self.num_ops,), 0, len(self.OPERATIONS), seed=seed).numpy()
        transforms = {
            name: getattr(self, name).get_random_transformation(images, training=True, seed=seed)
            for name in self.OPERATIONS
        }
        return {"transforms": transforms, "layer_idxes": indices}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        for index in transformation["layer_idxes"]:
            name = self.OPERATIONS[int(index)]
            images = getattr(self, name).transform_images(
                images, transformation["transforms"][name]
            )
        return images

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "num_ops": self.num_ops,
                "factor": self.factor,
                "interpolation": self.interpolation,
            }
        )
        return config
