"""`Flatten`: reshapes each sample to one dimension."""

import math

from minikeras import ops
from minikeras.layers._validation import standardize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch axis: `(batch, ...)` -> `(batch, product)`.

    Args:
        data_format: "channels_last" (default from `config.image_data_format()`) or
            "channels_first"; with "channels_first" the channels axis is moved last before
            flattening, so the feature order matches a channels-last model.

    Example:
        >>> Flatten()(np.ones((2, 3, 4))).shape
        (2, 12)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "Flatten")
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        size = None if None in rest else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
