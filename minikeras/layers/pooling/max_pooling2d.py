"""`MaxPooling2D`: maximum pooling over spatial data."""

from minikeras.layers.pooling.base_pooling import BasePooling


class MaxPooling2D(BasePooling):
    """Downsamples inputs `(batch, height, width, channels)` by taking the maximum of each window.

    Args:
        pool_size: window size (int or 2-tuple; (2, 2) by default).
        strides: step between windows (`pool_size` when None).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> MaxPooling2D()(np.ones((2, 8, 8, 3))).shape
        (2, 4, 4, 3)
    """

    def __init__(
        self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=2,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )
