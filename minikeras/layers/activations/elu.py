"""`ELU`: exponential linear unit, `alpha * (exp(x) - 1)` for `x < 0`, `x` otherwise."""

from minikeras import activations
from minikeras.layers.layer import Layer


class ELU(Layer):
    """Exponential linear unit layer.

    Args:
        alpha: scale of the negative part (1.0 by default).

    Unlike Keras 3.15, whose `ELU.get_config` leaves `alpha` out (so a reloaded layer
    silently gets `alpha=1.0`), the config here includes it.

    Example:
        >>> ELU()(np.array([-1.0, 0.0, 2.0])).numpy()
        array([-0.63212055,  0.        ,  2.        ], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise ValueError(f"ELU: `alpha` must be a number. Received alpha={alpha!r}.")
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
