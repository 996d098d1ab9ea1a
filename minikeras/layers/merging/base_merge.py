"""`Merge`: the base of the layers that combine a list of tensors elementwise."""

import numpy as np

from minikeras import ops
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.layers.layer import Layer


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


class Merge(Layer):
    """Base class of Add, Subtract, Multiply, Average, Maximum, Minimum.

    The inputs (a list) must have the same batch size; their other dimensions broadcast
    (sizes 1 stretch). Inputs of lower rank get size-1 axes inserted after the batch axis,
    as in Keras. Subclasses implement `_merge_function(inputs)`.
    """

    _replayable = True  # see Layer._replayable

    _min_inputs = 1
    _max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # as Keras

    def compute_mask(self, inputs, mask=None):
        """A timestep counts when it counts in any input (the masks ORed); no mask when
        some input has none."""
        if mask is None:
            return None
        self._check_masks(inputs, mask)
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask

    def _check_masks(self, inputs, mask):
        if not isinstance(mask, (list, tuple)) or not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}": `inputs` and `mask` must be lists. Received: mask={mask!r}.'
            )
        if len(mask) != len(inputs):
            raise ValueError(
                f'Layer "{self.name}": `inputs` and `mask` must have the same length. '
                f"Received {len(inputs)} inputs and {len(mask)} masks."
            )

    def _merge_skipping_masked(self, op, inputs):
        """Merges with `op` pairwise, where a masked entry of one input takes the other's
        value (Maximum and Minimum have no neutral value); the output carries the ORed mask
        when every input has one."""
        output = output_mask = None
        for x in inputs:
            mask = get_keras_mask(x)
            if mask is not None:
                mask = np.broadcast_to(np.expand_dims(mask, -1), x.shape)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            output_mask = None if mask is None or output_mask is None else output_mask | mask
            output = op(output, x)
        if output_mask is not None:
            set_keras_mask(output, output_mask.any(axis=-1))
        return output

    def _check_shapes(self, shapes):
        """Validates a list of input shapes and returns the output shape."""
        kind = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or not shapes or not _is_shape(shapes[0]):
            raise ValueError(
                f'Layer "{self.name}": a {kind} layer must be called on a list of tensors. '
                f"Received input shape: {shapes}."
            )
        count = len(shapes)
        if count < self._min_inputs or (self._max_inputs and count > self._max_inputs):
            expected = (
                f"exactly {self._min_inputs}"
                if self._min_inputs == self._max_inputs
                else f"at least {self._min_inputs}"
            )
            raise ValueError(
                f'Layer "{self.name}": a {kind} layer must be called on {expected} inputs. '
                f"Received {count} inputs with shapes {list(shapes)}."
            )
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f'Layer "{self.name}": cannot merge tensors with different batch sizes. '
                f"Received shapes {list(shapes)}."
            )
        output = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            output = self._broadcast_shapes(output, tuple(shape[1:]), shapes)
        return (batch_sizes.pop() if batch_sizes else None, *output)

    def _broadcast_shapes(self, shape1, shape2, all_shapes):
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        # A lower-rank input gets size-1 axes right after the batch axis.
        shape2 = (1,) * (len(shape1) - len(shape2)) + shape2
        result = []
        for a, b in zip(shape1, shape2):
            if a == 1:
                result.append(b)
            elif b == 1:
                result.append(a)
            elif a is None or b is None:
                result.append(a if b is None else b)
            elif a != b:
                raise ValueError(
                    f'Layer "{self.name}": inputs have incompatible shapes. Received shapes '
                    f"{list(all_shapes)}."
                )
            else:
                result.append(a)
        return tuple(result)

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}": a {type(self).__name__} layer must be called on a list '
                f"of tensors. Received a single input of shape {tuple(inputs.shape)}."
            )
        self._check_shapes([tuple(x.shape) for x in inputs])
        ndim = max(x.ndim for x in inputs)
        inputs = [
            x
            if x.ndim == ndim
            else ops.reshape(x, (x.shape[0],) + (1,) * (ndim - x.ndim) + x.shape[1:])
            for x in inputs
        ]
        return self._merge_function(inputs)

    def _merge_function(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)
