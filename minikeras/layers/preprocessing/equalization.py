"""`Equalization`: histogram equalization of each channel."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    reciprocal,
    refuse_seed,
    sorted_value_range,
)


class Equalization(ColorAugmentationLayer):
    """Spreads each channel's values so their histogram is as flat as it can be.

    Each channel, in the `(0, 255)` scale, is binned into `bins` equal bins; each value is
    replaced by its bin's share of the cumulative histogram, times 255. As in Keras 3.15 the
    histogram of a channel is taken over the whole batch, a channel whose values all fall
    in one bin is left unchanged, and the layer works when `training` is true only (at
    inference the images come back unchanged). The output is piecewise constant in the
    input, so no gradient flows through it. Integer images come out float32.

    Args:
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        bins: the number of histogram bins; default 256.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> Equalization()(np.array([[[[0.0], [10.0], [20.0], [20.0]]]])).numpy().ravel()
        array([  0.,  85., 255., 255.], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        refuse_seed("Equalization", kwargs)
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise ValueError(f"Equalization: `bins` must be a positive integer. Received: {bins!r}")
        self.bins = int(bins)
        self.value_range = sorted_value_range(value_range, "Equalization")

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_batch(self, images, transformation):
        axis = images.ndim - 1 if self.data_format == "channels_last" else images.ndim - 3
        values = np.moveaxis(ops.convert_to_numpy(images), axis, 0)
        low, high = self.value_range
        # Keras's float64 scale factors, used in float32.
        to_255 = (np.float32(255 / (high - low)), np.float32(0 - low * (255 / (high - low))))
        back = (np.float32((high - low) / 255), np.float32(low - 0 * ((high - low) / 255)))
        channels = []
        for channel in values:
            channel = channel * to_255[0] + to_255[1]
            channel = self._equalize(channel)
            channels.append(channel * back[0] + back[1])
        outputs = np.moveaxis(np.stack(channels), 0, axis)
        return ops.convert_to_tensor(outputs.astype(self.dtype))

    def _equalize(self, channel):
        """One channel (in the `(0, 255)` scale, across the batch) equalized."""
        last = self.bins - 1
        positions = channel * np.float32(last) * reciprocal(255)
        histogram = np.bincount(
            np.clip(_truncate(positions), 0, last).ravel(), minlength=self.bins
        ).astype(np.int32)
        if np.count_nonzero(histogram) <= 1:
            return channel
        cumulative = np.cumsum(histogram, dtype=np.int32)
        lowest = cumulative[np.argmax(cumulative > 0)]
        denominator = cumulative[-1] - lowest
        denominator = np.int32(1) if denominator == 0 else denominator
        table = ((cumulative - lowest) * 255).astype(np.float32) * reciprocal(denominator)
        table = np.clip(np.round(table), 0, 255)
        indices = np.clip(channel * reciprocal(255) * np.float32(last), 0, last)
        return table[_truncate(indices)]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        config.update({"bins": self.bins, "value_range": self.value_range})
        return config


def _truncate(values):
    """float32 values to int32, rounding toward zero as a cast does."""
    return np.trunc(values).astype(np.int32)
