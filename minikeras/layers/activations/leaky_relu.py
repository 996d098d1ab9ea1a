"""`LeakyReLU`: `x` for `x >= 0`, `negative_slope * x` otherwise."""

import warnings

from minikeras import activations
from minikeras.layers.layer import Layer


class LeakyReLU(Layer):
    """Leaky rectified linear unit layer.

    Args:
        negative_slope: slope for negative inputs, >= 0 (0.3 by default, as in Keras; note
            that the function `activations.leaky_relu` defaults to 0.2).

    Example:
        >>> LeakyReLU(negative_slope=0.5)(np.array([-10.0, 0.0, 10.0])).numpy()
        array([-5.,  0., 10.], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "LeakyReLU: the argument `alpha` is deprecated (Keras 3); use `negative_slope`.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        if (
            negative_slope is None
            or isinstance(negative_slope, bool)
            or not isinstance(negative_slope, (int, float))
            or negative_slope < 0
        ):
            raise ValueError(
                "LeakyReLU: `negative_slope` must be a number >= 0. "
                f"Received negative_slope={negative_slope!r}."
            )
        self.negative_slope = negative_slope

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
