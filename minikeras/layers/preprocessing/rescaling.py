"""`Rescaling`: `inputs * scale + offset` (e.g. pixels from [0, 255] to [0, 1])."""

import numpy as np

from minikeras import config, ops
from minikeras.layers.layer import Layer


def _check_number_or_list(value, name):
    values = np.asarray(value)
    if values.dtype.kind not in "iuf" or values.ndim > 1:
        raise ValueError(
            f"Rescaling: `{name}` must be a number or a list of numbers (one per channel). "
            f"Received {name}={value!r}."
        )
    return value.tolist() if isinstance(value, np.ndarray) else value


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`.

    Args:
        scale: a number, or one number per channel (the last axis, or axis -3 when
            `keras.config.image_data_format()` is `"channels_first"`).
        offset: a number, or one number per channel (0 by default).

    Example:
        >>> Rescaling(1.0 / 127.5, offset=-1.0)(np.array([[0.0, 127.5, 255.0]])).numpy()
        array([[-1.,  0.,  1.]], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.scale = _check_number_or_list(scale, "scale")
        self.offset = _check_number_or_list(offset, "offset")

    def call(self, inputs):
        if isinstance(inputs, dict):  # Keras fails here too (a TypeError from float())
            raise TypeError(
                f"{self.name}: Rescaling takes one tensor, not a dict (got keys "
                f"{sorted(inputs)}); rescale the images before putting them in a dict."
            )
        if inputs.dtype != self.dtype:
            inputs = ops.cast(inputs, self.dtype)
        scale = np.asarray(self.scale, dtype=self.dtype)
        offset = np.asarray(self.offset, dtype=self.dtype)
        if scale.ndim and config.image_data_format() == "channels_first":
            # One scale per channel on axis -3 (C, H, W), as Keras does; the offset keeps
            # broadcasting on the last axis, as in Keras.
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return inputs * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "offset": self.offset})
        return config
