"""`RandomColorDegeneration`: blends each image with its grey version."""

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    sorted_value_range,
)


class RandomColorDegeneration(ColorAugmentationLayer):
    """Moves each image toward its grey version by a random amount during training.

    Each image becomes `x + f * (grey - x)`, clipped to `value_range`, with `f` drawn per
    image uniformly from `factor`'s `(lower, upper)`: 0 keeps the image, 1 makes it grey,
    a negative `f` makes the colours stronger. A single number `f` gives `(-f, f)`.
    Identity at inference; integer images come out float32.

    Args:
        factor: a number in [-1, 1] or two numbers in [-1, 1] `(lower, upper)`.
        value_range: `(low, high)` of the pixel values (sorted, as Keras does); default
            `(0, 255)`.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> layer = RandomColorDegeneration((1.0, 1.0))
        >>> layer(np.array([[[[255.0, 0.0, 0.0]]]])).numpy().ravel().round(2)
        array([76.22, 76.22, 76.22], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted_value_range(value_range, "RandomColorDegeneration")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        shape = (self._batch_size(data), 1, 1, 1)
        return {"factor": self._uniform(shape, self.factor[0], self.factor[1], seed)}

    def transform_batch(self, images, transformation):
        factor = ops.cast(transformation["factor"], images.dtype)
        grey = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        images = images + factor * (grey - images)
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        channels = shape[self._channel_axis()]
        if channels is not None and channels != 3:
            raise ValueError(
                "RandomColorDegeneration: the images must have 3 channels. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range})
        return config
