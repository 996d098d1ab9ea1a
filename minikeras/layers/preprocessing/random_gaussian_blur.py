"""`RandomGaussianBlur`: blurs some images with a Gaussian of random width."""

import numbers

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.image_augmentation import (
    ImageAugmentationLayer,
    check_factor,
    check_value_range,
)
from minikeras.ops.image_warps import blur


def _check_kernel_size(kernel_size):
    """`(kx, ky)` from an odd positive int or two of them."""
    sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    valid = len(sizes) == 2 and all(
        isinstance(k, numbers.Integral) and not isinstance(k, bool) and k > 0 and k % 2 == 1
        for k in sizes
    )
    if not valid:
        raise ValueError(
            "RandomGaussianBlur: `kernel_size` must be an odd positive integer (or two). "
            f"Received: kernel_size={kernel_size!r}"
        )
    return tuple(int(k) for k in sizes)


class RandomGaussianBlur(ImageAugmentationLayer):
    """Blurs each chosen image with a Gaussian kernel during training.

    Per image, a probability `p` is drawn uniformly from `factor` and the image is blurred
    when a uniform draw falls below it. Per call, two standard deviations (along the width,
    then the height) are drawn uniformly from `sigma` (plus 1e-6) for the whole batch. The
    kernel is `kernel_size` taps, zero beyond the border (Keras's "same" convolution, so
    border pixels darken); the result is clipped to `value_range`. Identity at inference;
    images come out float32.

    Args:
        factor: a number in [0, 1] (`p` drawn from `[0, factor]`) or two numbers; default 1.
        kernel_size: an odd positive int (or two: width, height taps); default 3.
        sigma: a number in [0, 1] (drawn from `[0, sigma]`) or two numbers in [0, 1], as
            Keras 3.15 bounds it; default 1.0.
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> RandomGaussianBlur(seed=1)(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
    """

    _DICT_INPUTS = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = _check_kernel_size(kernel_size)
        self.sigma = check_factor(sigma, (0, 1), "RandomGaussianBlur", "sigma")
        self.value_range = check_value_range(value_range, "RandomGaussianBlur")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        _, seed, batch = self._draw_inputs(data, seed)
        probability = self._uniform((batch,), self.factor[0], self.factor[1], seed)
        threshold = self._uniform((batch,), 0.0, 1.0, seed)
        sigma = self._uniform((2,), self.sigma[0], self.sigma[1], seed) + np.float32(1e-6)
        return {"should_apply_blur": threshold < probability, "blur_factor": sigma}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        single = images.ndim == 3
        batch = images[None] if single else images
        sigma = np.asarray(transformation["blur_factor"], np.float32)
        blurred = blur(batch, self.kernel_size, sigma, self.data_format)
        apply = np.asarray(transformation["should_apply_blur"]).reshape(-1, 1, 1, 1)
        batch = ops.clip(ops.where(apply, blurred, batch), *self.value_range)
        return batch[0] if single else batch

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "kernel_size": self.kernel_size,
                "sigma": self.sigma,
                "value_range": self.value_range,
            }
        )
        return config
