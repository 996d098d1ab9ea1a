"""`UnitNormalization`: scales each sample to unit L2 norm over some axes."""

from minikeras import ops
from minikeras.layers.layer import Layer


def _axes_list(axis, layer_name):
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise TypeError(
                f"{layer_name}: `axis` must be an int or a list of ints. Received axis={axis!r}."
            )
        return list(axis)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(
            f"{layer_name}: `axis` must be an int or a list of ints. Received axis={axis!r}."
        )
    return axis


def check_axes_in_range(layer, input_shape):
    """Raises a ValueError naming the layer when an entry of `layer.axis` is out of range."""
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    rank = len(input_shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f'Layer "{layer.name}": axis {axis} is out of bounds for input shape '
                f"{tuple(input_shape)}. Received axis={layer.axis}."
            )


class UnitNormalization(Layer):
    """Divides each sample by its L2 norm over `axis`: `x / sqrt(sum(x ** 2))`.

    A zero vector stays zero (the inverse norm is capped at 1e12, as in Keras).

    Args:
        axis: int or list of ints, the axes the norm is taken over (-1 by default).

    Example:
        >>> UnitNormalization()(np.array([[3.0, 4.0]])).numpy()
        array([[0.6, 0.8]], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.axis = _axes_list(axis, "UnitNormalization")
        self.built = True  # no weights: built at construction, as in Keras

    def call(self, inputs):
        check_axes_in_range(self, inputs.shape)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(ops.square(inputs), axis=axis, keepdims=True)
        # Capping the inverse norm at 1e12 (as Keras does) is flooring the squared norm at
        # 1e-24, which keeps a zero vector zero without dividing by zero.
        return inputs * ops.rsqrt(ops.maximum(square_sum, 1e-24))

    def compute_output_shape(self, input_shape):
        check_axes_in_range(self, input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
