"""`GlobalMaxPooling1D`: the maximum over the steps of a sequence, per channel."""

from minikeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from minikeras.ops import numpy as np_ops


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Takes the maximum of inputs `(batch, steps, features)` over the steps.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the reduced axes with size 1.

    Example:
        >>> GlobalMaxPooling1D()(np.ones((2, 3, 4))).shape
        (2, 4)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs):
        return np_ops.max(inputs, axis=self.spatial_axes, keepdims=self.keepdims)
