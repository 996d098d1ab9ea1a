"""`Pipeline`: a plain layer that applies a list of layers in turn (as `keras.layers.Pipeline`).

Unlike a `Sequential` model it is not a model (no `fit`, no input layer): it is meant for a
chain of preprocessing or augmentation layers. Its `training` argument defaults to True, as
in Keras, so a pipeline called on its own augments; inside a model called with
`training=False` (as `predict` does) it does not.
"""

from minikeras.layers.call_arguments import _call_signature_flags
from minikeras.layers.layer import Layer


class Pipeline(Layer):
    """Applies `layers` one after the other, passing on `training` and masks.

    Args:
        layers: a list of layers.
        name: the layer's name.

    Example:
        >>> pipeline = Pipeline([Rescaling(1 / 255), CenterCrop(24, 24)])
        >>> pipeline(np.zeros((2, 32, 32, 3))).shape
        (2, 24, 24, 3)
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        """The layers, in order (weights files hold them under `layers/`, as Keras's)."""
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        for layer in self._pipeline_layers:
            takes_training, takes_mask = _call_signature_flags(type(layer))
            kwargs = {}
            if takes_mask:
                kwargs["mask"] = mask
            if takes_training and training is not None:
                kwargs["training"] = training
            inputs = layer(inputs, **kwargs)
            mask = getattr(inputs, "_keras_mask", None)
        return inputs

    def get_config(self):
        from minikeras.saving.serialization import serialize_keras_object

        # Keras writes exactly these keys.
        return {
            "layers": [serialize_keras_object(layer) for layer in self._pipeline_layers],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.saving.serialization import deserialize_keras_object

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of "
                f"serialized layers. Received config with layers={layers!r}."
            )
        config = {**config}
        config["layers"] = [
            deserialize_keras_object(layer, custom_objects=custom_objects) for layer in layers
        ]
        return cls(**config)
