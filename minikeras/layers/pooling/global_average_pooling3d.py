"""`GlobalAveragePooling3D`: the mean over the three spatial axes, per channel."""

from minikeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from minikeras.ops import numpy as np_ops


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Averages inputs `(batch, dim1, dim2, dim3, channels)` over the spatial axes.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1.

    Example:
        >>> GlobalAveragePooling3D()(np.ones((2, 3, 4, 5, 8))).shape
        (2, 8)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return np_ops.mean(inputs, axis=self.spatial_axes, keepdims=self.keepdims)
