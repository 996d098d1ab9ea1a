"""`AutoContrast`: stretches each channel of each image over the whole value range."""

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    refuse_seed,
    sorted_value_range,
    to_range,
)


class AutoContrast(ColorAugmentationLayer):
    """Maps each channel's lowest value to the range's low end and its highest to the high end.

    Each channel of each image is scaled linearly so its minimum and maximum become
    `value_range`'s bounds. A constant channel is left as it is (Keras's formula gives NaN
    there and then keeps the input). Applied in training and at inference alike; integer
    images come out float32.

    With "channels_first" the minimum and maximum are taken over each channel's height and
    width; Keras 3.15 takes them over the axes 1 and 2 whatever the data format, which for
    channels first images mixes the channels.

    Args:
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AutoContrast()(np.array([[[[10.0], [20.0]]]])).numpy().ravel()
        array([  0., 255.], dtype=float32)
    """

    def __init__(self, value_range=(0, 255), **kwargs):
        refuse_seed("AutoContrast", kwargs)
        super().__init__(**kwargs)
        self.value_range = sorted_value_range(value_range, "AutoContrast")

    def call(self, inputs, training=True):
        # Applied whatever `training` says, as in Keras.
        return super().call(inputs, training=True)

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_batch(self, images, transformation):
        scaled = to_range(images, self.value_range, (0, 255))
        axes = (1, 2) if self.data_format == "channels_last" else (2, 3)
        low = ops.min(scaled, axis=axes, keepdims=True)
        high = ops.max(scaled, axis=axes, keepdims=True)
        constant = ops.equal(high, low)
        scale = 255.0 / ops.where(constant, 1.0, high - low)
        stretched = ops.clip(scaled * scale + -low * scale, 0.0, 255.0)
        outputs = to_range(stretched, (0, 255), self.value_range)
        keep = ops.logical_or(constant, ops.isnan(outputs))
        return ops.where(keep, images, outputs)

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        config["value_range"] = self.value_range
        return config
