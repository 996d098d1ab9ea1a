"""`GlobalAveragePooling1D`: the mean over the steps of a sequence, per channel."""

from minikeras.layers.pooling.base_global_pooling import BaseGlobalPooling
from minikeras.ops import core
from minikeras.ops import numpy as np_ops


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Averages inputs `(batch, steps, features)` over the steps.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the steps axis with size 1.

    Call arguments:
        inputs: 3D tensor.
        mask: optional `(batch, steps)` booleans; masked steps are left out of the mean.

    Example:
        >>> GlobalAveragePooling1D()(np.ones((2, 3, 4))).shape
        (2, 4)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = self.spatial_axes[0]
        if mask is None:
            return np_ops.mean(inputs, axis=axis, keepdims=self.keepdims)
        weights = core.cast(mask, inputs.dtype)
        weights = np_ops.expand_dims(weights, 2 if self.data_format == "channels_last" else 1)
        total = np_ops.sum(inputs * weights, axis=axis, keepdims=self.keepdims)
        return total / np_ops.sum(weights, axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None
