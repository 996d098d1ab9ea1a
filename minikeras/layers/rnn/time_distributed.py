"""`TimeDistributed`: applies one layer to every timestep of a sequence, sharing its weights."""

from minikeras import ops
from minikeras.layers.layer import Layer, _call_signature_flags
from minikeras.layers.rnn.bidirectional import _nest_paths


class TimeDistributed(Layer):
    """Applies `layer` to every temporal slice of the input (axis 1 is time).

    The timesteps are folded into the batch: an input `(batch, time, ...)` becomes
    `(batch * time, ...)`, the layer runs once, and its output is unfolded to
    `(batch, time, ...)`. That is one layer call instead of one per timestep, with the
    numbers of Keras's per-timestep loop for every layer that treats samples independently.
    A layer with non-trainable weights (BatchNormalization's moving statistics) is called
    once per timestep instead, as Keras does, since its statistics depend on the batch.
    As in Keras, the wrapped layer's `call` runs directly: its activity regularizer, if
    any, adds no loss.

    Args:
        layer: the layer to apply; its weights are shared by every timestep.

    Call arguments:
        inputs: `(batch, time, ...)`, at least 3-D.
        training: passed on to the layer.

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
        super().__init__(**kwargs)
        self.layer = layer

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
        if not self.layer.built:
            self.layer.build(self._child_input_shape(input_shape))
            self.layer.built = True
        _nest_paths(self.layer, self.name)

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            raise NotImplementedError(
                f'Layer "{self.name}": masking is not supported by minikeras wrappers.'
            )
        self._child_input_shape(tuple(inputs.shape))
        # As Keras, the layer's `call` runs directly (built already by `build`), so an
        # activity regularizer of the wrapped layer adds no loss.
        kwargs = {}
        if _call_signature_flags(type(self.layer))[0]:  # cached per class
            kwargs["training"] = training
        batch, steps = inputs.shape[0], inputs.shape[1]
        if self.layer.non_trainable_weights:
            outputs = [self.layer.call(inputs[:, t], **kwargs) for t in range(steps)]
            return ops.stack(outputs, axis=1)
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        outputs = self.layer.call(folded, **kwargs)
        return ops.reshape(outputs, (batch, steps, *outputs.shape[1:]))

    def get_config(self):
        from minikeras.saving.serialization import serialize_keras_object

        config = super().get_config()
        config["layer"] = serialize_keras_object(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
