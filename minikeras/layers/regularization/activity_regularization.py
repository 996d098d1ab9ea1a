"""`ActivityRegularization`: adds an L1/L2 penalty on the activations to the losses."""

from minikeras import regularizers
from minikeras.layers.layer import Layer


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds `(l1 * sum|x| + l2 * sum x^2) / batch_size`
    to `layer.losses` (and so to the training loss).

    Args:
        l1, l2: the penalty factors (>= 0).

    Example:
        >>> layer = ActivityRegularization(l2=0.1)
        >>> _ = layer(np.ones((2, 3)))
        >>> round(float(layer.losses[0]), 6)   # 0.1 * 6 / 2
        0.3
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # rebuilt from l1 and l2
        config.update({"l1": self.l1, "l2": self.l2})
        return config
