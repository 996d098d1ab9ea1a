"""`ReLU`: rectified linear unit with an optional cap, leak and threshold."""

from minikeras import activations
from minikeras.layers.layer import Layer


def _non_negative(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"ReLU: `{name}` must be a number >= 0. Received {name}={value!r}.")
    if value < 0:
        raise ValueError(f"ReLU: `{name}` cannot be negative. Received {name}={value!r}.")
    return value


class ReLU(Layer):
    """Rectified linear unit layer.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x < max_value`,
    and `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: the largest output (None: no cap).
        negative_slope: slope below the threshold (0 by default).
        threshold: where the unit switches on (0 by default).

    Example:
        >>> ReLU(max_value=10, negative_slope=0.5)(np.array([-10.0, -5, 0, 5, 10])).numpy()
        array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        self.max_value = _non_negative(max_value, "max_value", allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope")
        self.threshold = _non_negative(threshold, "threshold")

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_value": self.max_value,
                "negative_slope": self.negative_slope,
                "threshold": self.threshold,
            }
        )
        return config
