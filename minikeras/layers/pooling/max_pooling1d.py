"""`MaxPooling1D`: maximum pooling over temporal data."""

from minikeras.layers.pooling.base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    """Downsamples inputs `(batch, steps, channels)` by taking the maximum of each window.

    Args:
        pool_size: window size (int or 1-tuple; 2 by default).
        strides: step between windows (`pool_size` when None).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> MaxPooling1D()(np.ones((2, 10, 3))).shape
        (2, 5, 3)
    """

    def __init__(
        self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=1,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )
