"""`Bidirectional`: runs a recurrent layer forwards and a copy of it backwards, then merges."""

from minikeras import ops
from minikeras.layers.layer import Layer

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _without_prefix(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Bidirectional wrapper for recurrent layers.

    The wrapper makes two new layers from `layer`'s config (so it never shares the weights
    of `layer` itself): `forward_layer`, named `forward_<name>`, and `backward_layer`, named
    `backward_<name>` with `go_backwards=True` (or the given `backward_layer`). Both read
    the same input; the backward output sequence is flipped back to input order before the
    two are merged.

    Args:
        layer: a recurrent layer (`RNN`, `LSTM`, `GRU`, `SimpleRNN`, or any layer with
            `go_backwards`, `return_sequences`, `return_state` and a config).
        merge_mode: how to combine the two outputs: "concat" (default, along the last
            axis), "sum", "mul", "ave", or None to return both as a tuple.
        weights: initial weights, the forward layer's then the backward layer's, set when
            the layers are built. (Keras 3 accepts this argument and ignores it; minikeras
            applies it, as Keras 2 did.)
        backward_layer: the layer for the backward direction; it must differ from `layer`
            in `go_backwards` and agree in `stateful`, `return_sequences`, `return_state`.

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: a list of states; the first half goes to the forward layer, the
            second half to the backward layer.
        training: passed on to both layers.

    Returns:
        The merged output (or `(forward, backward)` for `merge_mode=None`), followed by
        the forward layer's final states and then the backward layer's when
        `return_state=True`.

    Example:
        >>> Bidirectional(LSTM(10, return_sequences=True))(np.ones((2, 5, 3))).shape
        (2, 5, 20)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        from minikeras.saving.serialization import deserialize_keras_object, serialize_keras_object

        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` need to be a `keras.layers.Layer` instance. Received: "
                f"{backward_layer!r}"
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        # Rebuilt from the config, so the wrapper carries over no weights or states of `layer`.
        config = serialize_keras_object(layer)
        config["config"]["name"] = f"forward_{_without_prefix(layer.name, 'forward_')}"
        self.forward_layer = deserialize_keras_object(config)
        if backward_layer is None:
            config = serialize_keras_object(layer)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = f"backward_{_without_prefix(layer.name, 'backward_')}"
            self.backward_layer = deserialize_keras_object(config)
        else:
            self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):  # not in the config: carried over as Keras does
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()
        for direction in (self.forward_layer, self.backward_layer):
            # As Keras: a returned sequence is zero at masked timesteps, whatever the layer said.
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        object.__setattr__(self, "_initial_weights", list(weights) if weights else None)
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` "
                f"value. Received: forward_layer.go_backwards {forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for name in ("stateful", "return_sequences", "return_state"):
            forward_value, backward_value = getattr(forward, name), getattr(backward, name)
            if forward_value != backward_value:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value "
                    f'for attribute "{name}", got "{forward_value}" for forward layer and '
                    f'"{backward_value}" for backward layer'
                )

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = (*output_shape[:-1], output_shape[-1] * 2)
        if self.merge_mode is None:
            return (tuple(output_shape), tuple(output_shape), *state_shapes, *state_shapes)
        if self.return_state:
            return (tuple(output_shape), *state_shapes, *state_shapes)
        return tuple(output_shape)

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(tuple(sequences_shape))
                direction.built = True
        if self._initial_weights is not None:
            weights, half = self._initial_weights, len(self._initial_weights) // 2
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])
            object.__setattr__(self, "_initial_weights", None)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs = {} if training is None else {"training": training}
        if mask is not None:
            kwargs["mask"] = mask  # as Keras: both directions skip the masked timesteps
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            return (y, y_rev, *states)
        if self.return_state:
            return (output, *states)
        return output

    def compute_mask(self, inputs, mask):
        """The timesteps' mask on a returned sequence (on each one without merge_mode)."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            return [mask, mask] if self.merge_mode is None else mask
        return [None, None] if self.merge_mode is None else None

    def reset_state(self):
        """Zeroes both layers' states (stateful layers only)."""
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        """Alias of `reset_state` (the Keras 2 name)."""
        self.reset_state()

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return tuple(forward + backward)
        return None

    def get_config(self):
        from minikeras.saving.serialization import serialize_keras_object

        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        config["layer"] = serialize_keras_object(self.forward_layer)
        config["backward_layer"] = serialize_keras_object(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_keras_object(
                backward, custom_objects=custom_objects
            )
        return cls(**config)
