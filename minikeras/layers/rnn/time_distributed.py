"""`TimeDistributed`: applies one layer to every timestep of a sequence, sharing its weights."""

import numpy as np

from minikeras import ops
from minikeras.layers.core.wrapper import Wrapper
from minikeras.layers.layer import Layer, _call_signature_flags


class TimeDistributed(Wrapper):
    """Applies `layer` to every temporal slice of the input (axis 1 is time).

    The timesteps are folded into the batch: an input `(batch, time, ...)` becomes
    `(batch * time, ...)`, the layer runs once, and its output is unfolded to
    `(batch, time, ...)`. That is one layer call instead of one per timestep, with the
    numbers of Keras's per-timestep loop for every layer that treats samples independently.
    A layer with non-trainable weights (BatchNormalization's moving statistics) is called
    once per timestep instead, as Keras does, since its statistics depend on the batch.
    As in Keras, the wrapped layer's `call` runs directly: its activity regularizer, if
    any, adds no loss. A mask `(batch, time, ...)` is folded the same way and given to the
    layer when its `call` takes one; the output carries the input's mask unchanged (as
    Keras, the layer's own `compute_mask` is not consulted).

    Args:
        layer: the layer to apply; its weights are shared by every timestep.

    Call arguments:
        inputs: `(batch, time, ...)`, at least 3-D.
        training: passed on to the layer.
        mask: booleans `(batch, time, ...)`, passed on per timestep to a layer whose
            `call` takes a mask.

    Example:
        >>> TimeDistributed(Dense(8))(np.ones((32, 10, 16))).shape
        (32, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True  # as Keras: the input's mask passes on to the output

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        return (child[0], input_shape[1], *child[1:])

    def build(self, input_shape):
        # The wrapped layer's weight paths are nested under this layer's name only when it
        # is built here: a layer built before (by hand, or from its config as a saved model
        # loads) keeps its own paths, as in Keras.
        super().build(self._child_input_shape(input_shape))

    def call(self, inputs, training=None, mask=None):
        self._child_input_shape(tuple(inputs.shape))
        # As Keras, the layer's `call` runs directly (built already by `build`), so an
        # activity regularizer of the wrapped layer adds no loss.
        takes_training, takes_mask = _call_signature_flags(type(self.layer))  # cached per class
        kwargs = {}
        if takes_training:
            kwargs["training"] = training
        if mask is not None:
            mask = self._checked_mask(mask, inputs.shape)
            if not takes_mask:
                mask = None
        batch, steps = inputs.shape[0], inputs.shape[1]
        if self.layer.non_trainable_weights:
            outputs = []
            for t in range(steps):
                if mask is not None:
                    kwargs["mask"] = mask[:, t]
                outputs.append(self.layer.call(inputs[:, t], **kwargs))
            return ops.stack(outputs, axis=1)
        if mask is not None:
            kwargs["mask"] = mask.reshape((batch * steps, *mask.shape[2:]))
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        outputs = self.layer.call(folded, **kwargs)
        return ops.reshape(outputs, (batch, steps, *outputs.shape[1:]))

    def _checked_mask(self, mask, input_shape):
        """`mask` as a numpy bool array, after checking it covers the batch and time axes."""
        mask = np.asarray(getattr(mask, "data", mask), dtype=bool)
        if mask.ndim < 2:
            raise ValueError(
                f'Layer "{self.name}": the `mask` passed to `TimeDistributed` must be at least '
                f"2-D `(batch_size, timesteps)`; received shape {mask.shape}."
            )
        if mask.shape[:2] != tuple(input_shape[:2]):
            # Keras's wording (its tests match the first sentence).
            raise ValueError(
                f'Layer "{self.name}": The `mask` passed to the `TimeDistributed` layer has a '
                f"shape {mask.shape} that is incompatible with the input shape "
                f"{tuple(input_shape)}: its first two dimensions must be "
                f"{tuple(input_shape[:2])} (batch size and timesteps)."
            )
        return mask
