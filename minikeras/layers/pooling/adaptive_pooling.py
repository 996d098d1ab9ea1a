"""Adaptive pooling layers: pool any spatial size to a fixed `output_size` (Keras 3.15)."""

from minikeras.layers._validation import int_tuple, standardize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool


class _AdaptivePooling(Layer):
    """Shared arguments, shape and config of the adaptive pooling layers.

    Window `i` of an axis of size `n` covers `floor(i * n / out)` to `ceil((i + 1) * n / out)`
    (see `minikeras.ops.adaptive_pooling`).
    """

    _replayable = True  # see Layer._replayable

    rank = None
    pool = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.output_size = int_tuple(output_size, self.rank, "output_size", name)
        self.data_format = standardize_data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        return type(self).pool(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Averages windows of a sequence `(batch, steps, channels)` into `output_size` steps.

    Args:
        output_size: the number of output steps (an int or a 1-tuple).
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AdaptiveAveragePooling1D(4)(np.ones((2, 10, 3))).shape
        (2, 4, 3)
    """

    rank = 1
    pool = staticmethod(adaptive_average_pool)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Takes the maximum of windows of a sequence so it has `output_size` steps.

    Args:
        output_size: the number of output steps (an int or a 1-tuple).
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AdaptiveMaxPooling1D(4)(np.ones((2, 10, 3))).shape
        (2, 4, 3)
    """

    rank = 1
    pool = staticmethod(adaptive_max_pool)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Averages windows of images so they have `output_size` rows and columns.

    Args:
        output_size: an int (square output) or `(height, width)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AdaptiveAveragePooling2D((7, 7))(np.ones((1, 30, 20, 3))).shape
        (1, 7, 7, 3)
    """

    rank = 2
    pool = staticmethod(adaptive_average_pool)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Takes the maximum of windows of images so they have `output_size` rows and columns.

    Args:
        output_size: an int (square output) or `(height, width)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AdaptiveMaxPooling2D(2)(np.ones((1, 5, 5, 3))).shape
        (1, 2, 2, 3)
    """

    rank = 2
    pool = staticmethod(adaptive_max_pool)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Averages windows of volumes so they have the spatial sizes `output_size`.

    Args:
        output_size: an int (every axis) or `(depth, height, width)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AdaptiveAveragePooling3D(2)(np.ones((1, 5, 4, 3, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3
    pool = staticmethod(adaptive_average_pool)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Takes the maximum of windows of volumes so they have the spatial sizes `output_size`.

    Args:
        output_size: an int (every axis) or `(depth, height, width)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> AdaptiveMaxPooling3D(2)(np.ones((1, 5, 4, 3, 2))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3
    pool = staticmethod(adaptive_max_pool)
