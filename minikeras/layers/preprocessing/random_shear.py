"""`RandomShear`: shears images along x and/or y by a random amount during training."""

import numpy as np

from minikeras.layers.preprocessing.image_augmentation import (
    AffineAugmentationLayer,
    check_factor,
)


def shear_matrices(shear_factors):
    """One `affine_transform` row `[1, sx, 0, sy, 1, 0, 0, 0]` per `(sx, sy)`: an output
    pixel at column `j`, row `i` reads the input at `(j + sx * i, sy * j + i)` (about the
    top-left corner, as Keras shears)."""
    shear = np.asarray(shear_factors, np.float32).reshape(-1, 2)
    ones, zeros = np.ones(len(shear), np.float32), np.zeros(len(shear), np.float32)
    return np.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], axis=1)


class RandomShear(AffineAugmentationLayer):
    """Shears each image by random amounts along x and y during training.

    Per image, `sx` is drawn uniformly from `x_factor` and `sy` from `y_factor`, and both
    change sign together with probability 0.5. Identity at inference; images come out
    float32.

    Args:
        x_factor: a number `f` in [0, 1] (`sx` in `[-f, f]`) or two numbers
            `(lower, upper)` in [-1, 1]; default 0.
        y_factor: the same for `sy`.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "wrap", "constant" or "nearest".
        fill_value: the value outside the image with "constant".
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> RandomShear(x_factor=0.2, seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _DICT_INPUTS = True

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )
        self.x_factor = self._shear_range(x_factor, "x_factor")
        self.y_factor = self._shear_range(y_factor, "y_factor")

    @staticmethod
    def _shear_range(factor, name):
        if isinstance(factor, (tuple, list)):
            # Keras refuses negative entries here, so it cannot reload the `(-f, f)` its
            # config writes for a single number; minikeras takes pairs in [-1, 1].
            return check_factor(factor, (-1, 1), "RandomShear", name)
        _, upper = check_factor(factor, (0, 1), "RandomShear", name)
        return -upper, upper  # (-0.0, 0.0) for 0, as Keras writes it

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images, seed, batch = self._draw_inputs(data, seed)
        invert = np.where(self._uniform((batch, 1), 0.0, 1.0, seed) > 0.5, -1.0, 1.0)
        shear_y = self._uniform((batch, 1), self.y_factor[0], self.y_factor[1], seed)
        shear_x = self._uniform((batch, 1), self.x_factor[0], self.x_factor[1], seed)
        shear = np.concatenate([shear_x, shear_y], axis=1) * invert.astype(np.float32)
        return {"shear_factor": shear.astype(np.float32), "input_shape": tuple(images.shape)}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        return self._affine(images, shear_matrices(transformation["shear_factor"]))

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor})
        return config
