"""`Model`: a layer with training (compile/fit/...), summary and saving.

`Model(inputs, outputs)` returns a Functional model; a subclass that defines `call` is a
subclassed model; a subclass whose `__init__` calls `super().__init__(inputs=..., outputs=...)`
becomes a Functional model that keeps the subclass's extra methods (as in Keras).
"""

import numpy as np

from minikeras.autodiff import no_grad
from minikeras.layers.layer import Layer, shapes_of
from minikeras.trainers.trainer import Trainer


def _functional_arguments(args, kwargs):
    return (
        (len(args) == 2)
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


_functional_subclasses = {}


def _functional_version_of(cls):
    """A subclass of both `cls` and Functional (made once per class)."""
    from minikeras.models.functional import Functional

    if issubclass(cls, Functional):
        return cls
    made = _functional_subclasses.get(cls)
    if made is None:
        # `_declared_class` lets saving name the user's class (its registered name).
        made = type(
            cls.__name__, (cls, Functional), {"__module__": cls.__module__, "_declared_class": cls}
        )
        _functional_subclasses[cls] = made
    return made


class Model(Trainer, Layer):
    """A model: layers plus `compile`/`fit`/`evaluate`/`predict`, `summary` and saving.

    Three ways to make one:

    >>> inputs = keras.Input(shape=(37,))                      # Functional
    >>> outputs = keras.layers.Dense(5)(keras.layers.Dense(32)(inputs))
    >>> model = keras.Model(inputs=inputs, outputs=outputs)

    >>> model = keras.Sequential([keras.layers.Dense(5)])      # Sequential

    >>> class MyModel(keras.Model):                            # subclassing
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.dense = keras.layers.Dense(5)
    ...     def call(self, inputs, training=False):
    ...         return self.dense(inputs)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from minikeras.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        from minikeras.models.functional import Functional

        if _functional_arguments(args, kwargs) and not isinstance(self, Functional):
            object.__setattr__(self, "__class__", _functional_version_of(type(self)))
            Functional.__init__(self, *args, **kwargs)
            return
        Layer.__init__(self, *args, **kwargs)
        self._init_trainer()

    def build(self, input_shape=None):
        """Builds a subclassed model by calling it once on arrays of that shape."""
        if self.built or input_shape is None:
            self.built = True
            return

        def ones(shape):
            return np.ones([1 if d is None else d for d in shape], dtype=self._dtype)

        is_shape = isinstance(input_shape, tuple) and all(
            d is None or isinstance(d, int) for d in input_shape
        )
        sample = ones(input_shape) if is_shape else map_structure_shapes(ones, input_shape)
        self.built = True
        self._build_shapes = input_shape  # saved as the model's build_config
        # Keras builds by a symbolic call, which writes nothing into any variable.
        with no_grad(), self._writes_undone():
            self(sample)
        for layer in self._flatten_layers():
            layer._losses.clear()
        for metric in self.metrics:
            metric.reset_state()

    def _maybe_build(self, args, kwargs):
        # Keras builds a subclassed model on its first call by tracing that call symbolically,
        # which changes no state. Here the real call that follows builds every sublayer just
        # the same, so `build` running the model once more on ones would update moving
        # statistics, counters and random streams twice on the first batch.
        if not self.built and type(self).build is Model.build:
            from minikeras.ops.symbolic import any_symbolic

            if not any_symbolic(args, kwargs):
                first = args[0] if args else next(iter(kwargs.values()), None)
                self.built = True
                self._build_shapes = shapes_of(first)
                return
        super()._maybe_build(args, kwargs)

    def get_layer(self, name=None, index=None):
        """Returns a sublayer by name or by position in `layers`."""
        if index is not None and name is not None:
            raise ValueError("Provide only one of `name` and `index` to get_layer.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Requested layer at index {index}, but the model has only "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
            )
        raise ValueError("Provide either a layer `name` or an `index` to get_layer.")

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Prints a table of the layers, their output shapes and parameter counts."""
        from minikeras.models.summary import print_summary

        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def get_config(self):
        if type(self).get_config is not Model.get_config:
            return super().get_config()
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a model: a Functional graph from its config, else `cls(**config)`."""
        from minikeras.models import functional_config

        if functional_config.is_functional_config(config):
            return functional_config.from_config(cls, config, custom_objects)
        return cls(**config)

    # -- saving (see minikeras.saving) ------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the architecture, weights and compile state to a `.keras` file."""
        from minikeras.saving import saving_api

        return saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves the weights (and optimizer state) to a `.weights.h5` file, atomically."""
        from minikeras.saving import saving_api

        return saving_api.save_weights(
            self, filepath, overwrite=overwrite, max_shard_size=max_shard_size
        )

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights from a `.weights.h5` (or Keras 2 `.h5`) file; strict by default."""
        from minikeras.saving import saving_api

        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's config as a JSON string (`models.model_from_json` reads it back)."""
        from minikeras.saving import saving_api

        return saving_api.model_to_json(self, **kwargs)


def map_structure_shapes(fn, structure):
    """Applies `fn` to every shape tuple inside a nested structure of shapes."""
    if isinstance(structure, tuple) and all(d is None or isinstance(d, int) for d in structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: map_structure_shapes(fn, v) for k, v in structure.items()}
    return [map_structure_shapes(fn, s) for s in structure]
