"""`Multiply` layer and its functional form `multiply`: [x1, x2] -> x1 * x2."""

import numpy as np

from minikeras import ops
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.layers.merging.base_merge import Merge


class Multiply(Merge):
    """Multiplies a list of tensors elementwise.

    Takes a list of tensors of the same shape (or shapes that broadcast) and returns one
    tensor of that shape.

    Example:
        >>> Multiply()([np.ones((2, 3)), np.full((2, 3), 3.0)]).shape
        (2, 3)
    """

    def _merge_function(self, inputs):
        masks = [get_keras_mask(x) for x in inputs]
        if all(mask is None for mask in masks):
            output = inputs[0]
            for x in inputs[1:]:
                output = ops.multiply(output, x)
            return output
        # As Keras: masked entries count as 1 (the neutral value); when every input is
        # masked, entries masked in all of them are 0 and the output carries the ORed mask.
        every_input_masked = all(mask is not None for mask in masks)
        output = output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = np.broadcast_to(np.expand_dims(mask, -1), x.shape)
                x = ops.where(mask, x, np.ones((), x.dtype))
                output_mask = mask if output_mask is None else output_mask | mask
            output = x if output is None else ops.multiply(output, x)
        if every_input_masked:
            output = ops.where(output_mask, output, np.zeros((), output.dtype))
            set_keras_mask(output, output_mask.any(axis=-1))
        return output


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)
