"""`AugMix`: a random blend of the images with a few chains of random operations of them."""

import numbers

import numpy as np

from minikeras import ops, random
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    check_choice,
    check_factor,
    check_value_range,
)
from minikeras.layers.preprocessing.rand_augment import augment_layers, check_count

# The geometric and histogram operations; `all_ops=True` adds the four colour ones.
_SOME_OPERATIONS = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)
_ALL_OPERATIONS = _SOME_OPERATIONS + (
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
)


class AugMix(ImageAugmentationLayer):
    """Mixes each batch with `num_chains` augmented copies of it during training.

    Per call (one draw for the whole batch, as in Keras): chain weights `w` from a
    Dirichlet(`alpha`, ..., `alpha`) distribution, a weight `m` from Beta(`alpha`, `alpha`),
    and for each chain `chain_depth` picks, each one of the operations or nothing with equal
    chance; each picked operation draws its parameters per image. Each chain applies its
    operations in turn to a copy of the images, and the output is
    `clip(m * images + (1 - m) * sum_k w[k] * chain_k, *value_range)`. Identity at
    inference; images come out float32.

    Keras picks the operations with Python's unseeded `random.choice`; here they come from
    the layer's seed generator, so a seeded AugMix repeats its calls.

    Args:
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        num_chains: the number of augmented copies mixed; default 3.
        chain_depth: the number of picks per chain (each may pick nothing); default 3.
        factor: the strength, a number `f` in [0, 1] (meaning `(0, f)`) or two numbers
            `(lower, upper)` in [0, 1]; default 0.3.
        alpha: the parameter of the Dirichlet and Beta draws, > 0; default 1.0.
        all_ops: whether the operations include RandomBrightness, RandomColorDegeneration,
            RandomContrast and RandomSharpness (default True) besides RandomShear,
            RandomTranslation, RandomRotation, RandomPosterization, Solarization,
            AutoContrast and Equalization.
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AugMix(seed=1)(np.random.uniform(0, 255, (2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _FACTOR_BOUNDS = (0, 1)
    _DICT_INPUTS = True

    def __init__(
        self,
        value_range=(0, 255),
        num_chains=3,
        chain_depth=3,
        factor=0.3,
        alpha=1.0,
        all_ops=True,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(value_range, "AugMix")
        self.num_chains = check_count(num_chains, "num_chains", "AugMix", low=1)
        self.chain_depth = check_count(chain_depth, "chain_depth", "AugMix")
        self.factor = check_factor(factor, self._FACTOR_BOUNDS, "AugMix")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha > 0:
            raise ValueError(f"AugMix: `alpha` must be a number > 0. Received: alpha={alpha!r}")
        self.alpha = alpha
        if not isinstance(all_ops, bool):
            raise ValueError(f"AugMix: `all_ops` must be True or False. Received: {all_ops!r}")
        self.all_ops = all_ops
        self.interpolation = check_choice(
            interpolation, ("nearest", "bilinear"), "interpolation", "AugMix"
        )
        self.operation_names = _ALL_OPERATIONS if all_ops else _SOME_OPERATIONS
        operations = augment_layers(
            self.operation_names,
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
        """`{"chain_mixing_weights": (num_chains,), "weight_sample": (),
        "chain_transforms": [[{"layer_name", "transformation"}, ...] per chain]}`, or None
        when not training."""
        if not training:
            return None
        images, seed, _ = self._draw_inputs(data, seed)
        gammas = random.gamma((self.num_chains,), self.alpha, seed=seed).numpy()
        weights = gammas / np.sum(gammas, axis=-1, keepdims=True)
        weight_sample = random.beta((), self.alpha, self.alpha, seed=seed).numpy()
        choices = len(self.operation_names) + 1  # the last one: no operation
        chains = []
        for _ in range(self.num_chains):
            chain = []
            for _ in range(self.chain_depth):
                pick = int(random.randint((), 0, choices, seed=seed).numpy())
                if pick == choices - 1:
                    continue
                name = self.operation_names[pick]
                drawn = getattr(self, name).get_random_transformation(images, seed=seed)
                chain.append({"layer_name": name, "transformation": drawn})
            chains.append(chain)
        return {
            "chain_mixing_weights": weights.astype(np.float32),
            "weight_sample": np.float32(weight_sample),
            "chain_transforms": chains,
        }

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        weights = np.asarray(transformation["chain_mixing_weights"], np.float32)
        weight_sample = np.float32(transformation["weight_sample"])
        mixed = ops.zeros_like(images)
        for weight, chain in zip(weights, transformation["chain_transforms"]):
            augmented = images
            for step in chain:
                layer = getattr(self, step["layer_name"])
                augmented = layer.transform_images(augmented, step["transformation"])
            mixed = mixed + augmented * weight
        images = images * weight_sample + mixed * (np.float32(1) - weight_sample)
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "num_chains": self.num_chains,
                "chain_depth": self.chain_depth,
                "factor": self.factor,
                "alpha": self.alpha,
                "all_ops": self.all_ops,
                "interpolation": self.interpolation,
            }
        )
        return config
