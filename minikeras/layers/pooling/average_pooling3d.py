"""`AveragePooling3D`: average pooling over volumes."""

from minikeras.layers.pooling.base_pooling import BasePooling


class AveragePooling3D(BasePooling):
    """Downsamples inputs `(batch, depth, height, width, channels)` by the average of each
    window.

    Args:
        pool_size: window size (int or 3-tuple; required, as in Keras 3).
        strides: step between windows (`pool_size` when None).
        padding: `"valid"` or `"same"` (a "same" window averages its real elements only).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> AveragePooling3D(2)(np.ones((2, 4, 4, 4, 3))).shape
        (2, 2, 2, 2, 3)
    """

    def __init__(
        self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=3,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )
