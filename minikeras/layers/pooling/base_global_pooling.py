"""`BaseGlobalPooling`: reduces every spatial axis to one value per channel."""

from minikeras.layers.convolutional import conv_utils
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class BaseGlobalPooling(Layer):
    """Shared arguments, shape and config of the global pooling layers.

    Args:
        pool_dimensions: number of spatial axes (1 or 2).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1 (False by default).
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.built = True  # no weights: built at construction, as in Keras
        self.rank = pool_dimensions
        self.data_format = conv_utils.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    @property
    def spatial_axes(self):
        """The axes reduced by the pooling, for this layer's data format."""
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise ValueError(
                f'Layer "{self.name}" expects inputs of rank {self.rank + 2}, but received '
                f"input shape {shape}."
            )
        channels = shape[conv_utils.channel_axis(self.data_format)]
        if not self.keepdims:
            return (shape[0], channels)
        return conv_utils.with_spatial(shape, (1,) * self.rank, channels, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config
