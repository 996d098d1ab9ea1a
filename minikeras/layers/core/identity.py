"""`Identity`: returns its input unchanged (a placeholder layer)."""

from minikeras.layers.layer import Layer


class Identity(Layer):
    """A layer that returns its inputs as they are (any structure of tensors).

    Example:
        >>> Identity()(np.ones((2, 3))).shape
        (2, 3)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
