"""`Softmax`: the softmax over one axis (or several), with an optional mask."""

from minikeras import activations, ops
from minikeras.layers.layer import Layer


class Softmax(Layer):
    """Softmax activation layer: `exp(x - max(x)) / sum(exp(x - max(x)))` along `axis`.

    Args:
        axis: the axis (or list of axes) normalised over (-1 by default).

    Call arguments:
        inputs: the logits.
        mask: optional boolean (or 0/1) array broadcastable to `inputs`; masked positions
            get probability 0.

    Example:
        >>> Softmax()(np.array([1.0, 2.0, 1.0])).numpy()
        array([0.21194156, 0.5761169 , 0.21194156], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.built = True  # no weights: built at construction, as in Keras
        self.supports_masking = True  # as Keras: a mask passed in is passed on
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, int) for a in axis):
                raise ValueError(f"Softmax: `axis` must be an int or ints. Received axis={axis!r}.")
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Softmax: `axis` must be an int or ints. Received axis={axis!r}.")
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if mask.dtype != "bool":
                mask = ops.greater(mask, 0.5)
            shape, target = tuple(mask.shape), tuple(inputs.shape)
            if len(shape) > len(target) or any(
                m not in (1, i) for m, i in zip(reversed(shape), reversed(target))
            ):
                raise ValueError(
                    f'Layer "{self.name}": the mask of shape {shape} does not broadcast to '
                    f"the inputs of shape {target}."
                )
            # A large negative logit (not -inf) keeps fully masked rows finite.
            inputs = ops.where(mask, inputs, -1e9)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=self.axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
