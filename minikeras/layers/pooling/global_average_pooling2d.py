"""`GlobalAveragePooling2D`: the mean over height and width, per channel."""

from minikeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from minikeras.ops import numpy as np_ops


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Averages inputs `(batch, height, width, channels)` over height and width.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1.

    Example:
        >>> GlobalAveragePooling2D()(np.ones((2, 5, 5, 8))).shape
        (2, 8)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return np_ops.mean(inputs, axis=self.spatial_axes, keepdims=self.keepdims)
