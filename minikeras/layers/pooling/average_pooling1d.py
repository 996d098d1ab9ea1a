"""`AveragePooling1D`: average pooling over temporal data."""

from minikeras.layers.pooling.base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    """Downsamples inputs `(batch, steps, channels)` by taking the average of each window.

    Args:
        pool_size: window size (int or 1-tuple; required, as in Keras 3).
        strides: step between windows (`pool_size` when None).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> AveragePooling1D(2)(np.ones((2, 10, 3))).shape
        (2, 5, 3)
    """

    def __init__(
        self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=1,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )
