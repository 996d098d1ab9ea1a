"""`MaxPooling3D`: maximum pooling over volumes."""

from minikeras.layers.pooling.base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """Downsamples inputs `(batch, depth, height, width, channels)` by the maximum of each
    window.

    Args:
        pool_size: window size (int or 3-tuple; (2, 2, 2) by default).
        strides: step between windows (`pool_size` when None).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
        >>> MaxPooling3D()(np.ones((2, 4, 4, 4, 3))).shape
        (2, 2, 2, 2, 3)
    """

    def __init__(
        self,
        pool_size=(2, 2, 2),
        strides=None,
        padding="valid",
        data_format=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=3,
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )
