"""`Activation`: applies an activation function (by name or as a function)."""

from minikeras import activations
from minikeras.layers.layer import Layer


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a function, or the name of one in `keras.activations` ("relu", ...).

    Example:
        >>> Activation("relu")(np.array([-3.0, -1.0, 0.0, 2.0])).numpy()
        array([0., 0., 0., 2.], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras
        if activation is None:
            raise ValueError("Activation layer needs an activation, got None.")
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
