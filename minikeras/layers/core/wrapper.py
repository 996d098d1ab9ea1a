"""`Wrapper`: the base class of layers that wrap another layer (TimeDistributed, ...)."""

from minikeras.layers.layer import Layer


class Wrapper(Layer):
    """Abstract base of the layers that wrap another layer and change what it does.

    The wrapped layer is the `layer` attribute, so its weights are the wrapper's weights
    (and are saved under `layer` in weight files). `build` builds it when it is not built
    yet (inside the wrapper's name scope, so its weight paths start with the wrapper's
    name, as in Keras); the config nests the layer's config. Subclasses write `call`;
    `TimeDistributed` and `SpectralNormalization` are wrappers.

    Args:
        layer: the layer to wrap (a `Layer` instance).
        **kwargs: the base layer's arguments (`name`, `trainable`, `dtype`, ...).

    Example:
        >>> class Doubled(Wrapper):
        ...     def call(self, inputs):
        ...         return 2 * self.layer(inputs)
        >>> Doubled(Dense(3))(np.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer!r} supplied to Wrapper isn't a supported layer type. Please "
                "ensure wrapped layer is a valid Keras layer (a `keras.layers.Layer` instance)."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        """Builds the wrapped layer on `input_shape` unless it is built already."""
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
            # Recorded as a call would, so the layer's config carries its build shape.
            object.__setattr__(self.layer, "_build_shapes", input_shape)

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
