"""`Masking`: marks the timesteps whose features all equal `mask_value` as masked."""

import numpy as np

from minikeras import ops
from minikeras.autodiff.masks import set_keras_mask
from minikeras.layers.layer import Layer


class Masking(Layer):
    """Masks the timesteps of a sequence whose features all equal `mask_value`.

    For inputs of shape `(batch, steps, features)`, timestep `t` of sample `b` is masked
    (its mask entry is False) when every `inputs[b, t, :]` equals `mask_value`. The output
    is the input with masked timesteps set to 0, and carries the mask of shape
    `(batch, steps)`: later layers that support masking (RNNs skip those steps, pooling
    leaves them out, losses and metrics do not count them) honour it.

    Args:
        mask_value: the padding value (0.0 by default).

    Example:
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]], dtype="float32")
        >>> Masking()(x)._keras_mask
        array([[ True, False]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True  # no weights

    def _step_mask(self, inputs):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        mask = np.asarray(self._step_mask(inputs).data)
        outputs = ops.where(mask[..., None], inputs, np.zeros((), dtype=inputs.dtype))
        set_keras_mask(outputs, mask)  # computed once, for the outputs and their mask
        return outputs

    def compute_mask(self, inputs, mask=None):
        return self._step_mask(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
