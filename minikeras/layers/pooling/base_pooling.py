"""`BasePooling`: windowed max or average pooling over 1, 2 or 3 spatial axes."""

from minikeras.layers.convolutional import conv_utils
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.ops.convolution import average_pool, max_pool

_POOL_MODES = ("max", "average")


class BasePooling(Layer):
    """Slides a `pool_size` window over the spatial axes and keeps its max or mean.

    Args:
        pool_size: int or tuple of `pool_dimensions` ints, the window size.
        strides: int or tuple, the step between windows (`pool_size` when None).
        pool_dimensions: number of spatial axes (1, 2 or 3).
        pool_mode: `"max"` or `"average"`.
        padding: `"valid"` (windows inside the input) or `"same"` (output size
            `ceil(input / strides)`; padded positions never win a max and are left out of
            an average).
        data_format: `"channels_last"` (default) or `"channels_first"`.
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        pool_size,
        strides,
        pool_dimensions,
        pool_mode="max",
        padding="valid",
        data_format=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.built = True  # no weights: built at construction, as in Keras
        if pool_mode not in _POOL_MODES:
            raise ValueError(
                f"`pool_mode` must be one of {list(_POOL_MODES)}. Received pool_mode={pool_mode!r}."
            )
        self.rank = pool_dimensions
        self.pool_size = conv_utils.standardize_tuple(pool_size, pool_dimensions, "pool_size")
        strides = pool_size if strides is None else strides
        self.strides = conv_utils.standardize_tuple(strides, pool_dimensions, "strides")
        self.pool_mode = pool_mode
        self.padding = conv_utils.standardize_padding(padding)
        self.data_format = conv_utils.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def call(self, inputs):
        if inputs.shape != self.__dict__.get("_window_checked_shape"):
            # Fails early, naming this layer, when the input is smaller than the window
            # (once per input shape; the layer is built at construction, so not in build).
            self.compute_output_shape(inputs.shape)
            object.__setattr__(self, "_window_checked_shape", inputs.shape)
        pool = max_pool if self.pool_mode == "max" else average_pool
        return pool(
            inputs,
            pool_size=self.pool_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape):
        channels = tuple(input_shape)[conv_utils.channel_axis(self.data_format)]
        return conv_utils.conv_output_shape(
            input_shape,
            channels,
            self.pool_size,
            self.strides,
            self.padding,
            self.data_format,
            (1,) * self.rank,
            self.name,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return config
