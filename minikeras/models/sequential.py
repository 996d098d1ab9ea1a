"""`Sequential`: a plain stack of layers, each feeding the next."""

import inspect

from minikeras.autodiff import convert_to_tensor
from minikeras.autodiff.masks import set_keras_mask
from minikeras.layers.input_layer import Input, InputLayer
from minikeras.layers.layer import Layer
from minikeras.models.functional import Functional
from minikeras.models.model import Model
from minikeras.ops.symbolic import KerasTensor
from minikeras.tree import flatten


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


def _check_single_input(layer):
    """Raises Keras's error for a layer whose call needs more than the one input tensor."""
    parameters = inspect.signature(layer.call).parameters.values()
    required = [
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(required) > 1:
        raise ValueError(
            "Layers added to a Sequential model can only have a single required positional "
            f"argument, the input tensor. Layer {type(layer).__name__} has multiple required "
            f"positional arguments: {required}"
        )


class Sequential(Model):
    """A model that is a linear stack of layers.

    The input shape comes from a leading `keras.Input(...)`, from `input_shape=` on the first
    layer (Keras 2 style), from `build(input_shape)`, or from the first batch it is called
    on; a model as first layer lends its own. Once known, the model is a Functional graph of
    its layers. Called on a dict or a list, or with a layer that cannot infer its output
    shape, it runs the layers one after another instead (as Keras does).

    Example:
        >>> model = keras.Sequential([
        ...     keras.Input(shape=(784,)),
        ...     keras.layers.Dense(64, activation="relu"),
        ...     keras.layers.Dense(10, activation="softmax"),
        ... ])
    """

    _locks_state_after_build = False  # as Keras: layers may be attached after build

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._functional = None
        self._eager_only = False
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Appends a layer (or a `keras.Input`) to the stack."""
        if isinstance(layer, KerasTensor) and isinstance(
            getattr(layer.node, "operation", None), InputLayer
        ):
            layer = layer.node.operation
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Only layers can be added to a Sequential model, got {layer!r} "
                f"of type {type(layer).__name__}."
            )
        if isinstance(layer, InputLayer) and self._stack:
            configured = self._input_batch_shape()
            reason = (
                f"has already been configured to use input shape {configured}"
                if configured is not None
                else "already has layers"
            )
            raise ValueError(
                f"Sequential model '{self.name}' {reason}: an Input can only be its first entry."
            )
        if any(layer is existing for existing in self._stack):
            raise ValueError(f'Layer "{layer.name}" is already in this Sequential model.')
        names = [existing.name for existing in self._stack]
        if layer.name in names:
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name "
                f'"{layer.name}" is already the name of a layer in this model.'
            )
        self._stack.append(layer)
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        layers = self.layers
        if not layers:
            raise IndexError("There are no layers in this Sequential model to pop.")
        layer = self._stack.pop()
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self):
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def _sublayers(self):
        return self.layers

    def _input_batch_shape(self):
        if not self._stack:
            return None
        first = self._stack[0]
        if isinstance(first, InputLayer):
            return first.batch_shape
        if first._batch_input_shape is not None:
            return first._batch_input_shape
        # A model (or a layer already called on a symbolic input) knows its input shape.
        try:
            shape = first.input_shape
        except AttributeError:
            return None
        return tuple(shape) if _is_shape(shape) and len(self._stack) > 1 else None

    def _maybe_rebuild(self):
        # Keras keeps the input layer its build made, so a model built from its first batch
        # stays built after `add` and `pop`; here the graph's input remembers that shape.
        built_shape = None if self._functional is None else self._functional.inputs[0].shape
        self._functional = None
        self._eager_only = False
        self.built = False
        shape = self._input_batch_shape() or built_shape
        if (
            shape is not None
            and self._stack
            and len(self._stack) > (1 if isinstance(self._stack[0], InputLayer) else 0)
        ):
            self.build(shape)

    def build(self, input_shape=None):
        """Builds the layer graph for inputs of `input_shape` (batch dimension included)."""
        if input_shape is None:
            input_shape = self._input_batch_shape()
        if input_shape is None:
            raise ValueError(
                "Sequential.build needs an input shape, e.g. model.build((None, 784))."
            )
        if not _is_shape(input_shape):
            # A dict or list of inputs: no graph; `call` runs the layers one after another
            # (as Keras does).
            return
        if not self.layers:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built because it has no layers. "
                "Call `model.add(layer)`."
            )
        input_shape = tuple(input_shape)
        first = self._stack[0]
        if isinstance(first, InputLayer):
            if input_shape != first.batch_shape:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use "
                    f"input shape {first.batch_shape}. You cannot build it with input_shape "
                    f"{input_shape}."
                )
            inputs = first.output
        else:
            # As Keras keeps the input layer its first build made, a rebuild (after `add`
            # or `pop`) starts from the same input, and makes no new `input_layer` name.
            kept = self.__dict__.get("_built_input")
            if kept is not None and tuple(kept.shape) == input_shape:
                inputs = kept
            else:
                inputs = Input(batch_shape=input_shape, dtype=self._dtype)
                self.__dict__["_built_input"] = inputs
        outputs = inputs
        for layer in self.layers:
            try:
                outputs = layer(outputs)
            except NotImplementedError:
                # This layer cannot infer its output shape: no graph; `call` runs the
                # layers one after another (as Keras does).
                self._eager_only = True
                return
            except TypeError:
                _check_single_input(layer)
                raise
        # Unnamed, as in Keras: each graph a Sequential builds uses up a "functional" name.
        self._functional = Functional(inputs, outputs)
        # Its layers set their own masks; the Sequential warns about masks, not its graph.
        self._functional._warns_of_dropped_masks = False
        # As Keras, a Sequential takes inputs of the graph's rank whatever their sizes (a
        # Sequential built by its first batch runs on sequences of other lengths).
        self._functional._checks_input_sizes = False
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            # As Keras: the mask passed to the model is the mask of its input.
            if not isinstance(inputs, (list, tuple, dict)):
                inputs = convert_to_tensor(inputs)
            for value, input_mask in zip(flatten(inputs), flatten(mask)):
                set_keras_mask(value, input_mask)
        if self._functional is None and not self._eager_only and hasattr(inputs, "shape"):
            self.build((None, *tuple(inputs.shape)[1:]))
        if self._functional is not None:
            return self._functional(inputs)
        # Nested inputs (a dict or a list): no graph, the layers run one after another.
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs)
        return outputs

    def _is_replayable(self):
        functional = self._functional
        return (
            self._runs_call_of(Sequential)
            and functional is not None
            and functional._is_replayable()
        )

    def _graph(self, what):
        # As Keras: an unbuilt Sequential has no such attribute (hasattr() is False).
        if self._functional is None:
            raise AttributeError(
                f"Sequential model '{self.name}' has no {what} yet: it is not built (give it "
                "an Input, call it on data or call build(input_shape))."
            )
        return self._functional

    @property
    def inputs(self):
        return self._graph("inputs").inputs

    @property
    def outputs(self):
        return self._graph("outputs").outputs

    @property
    def input(self):
        return self._graph("input").input

    @property
    def output(self):
        return self._graph("output").output

    @property
    def input_shape(self):
        return self._graph("input_shape").input_shape

    @property
    def output_shape(self):
        return self._graph("output_shape").output_shape

    def get_config(self):
        """Keras 3's Sequential config: the layers (an InputLayer first once the input shape
        is known) and `build_input_shape`."""
        from minikeras.saving.serialization import serialize_keras_object

        stack = list(self._stack)
        if self._functional is not None and not (stack and isinstance(stack[0], InputLayer)):
            stack.insert(0, self._functional.inputs[0].node.operation)
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self._dtype,
            "layers": [serialize_keras_object(layer) for layer in stack],
        }
        if self._functional is not None:
            config["build_input_shape"] = tuple(self._functional.inputs[0].shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.saving.serialization import deserialize_keras_object

        layers = [
            deserialize_keras_object(item, custom_objects=custom_objects)
            for item in config["layers"]
        ]
        model = cls(layers=layers, name=config.get("name"), trainable=config.get("trainable", True))
        shape = config.get("build_input_shape")
        if not model.built and shape is not None and model.layers:
            model.build(tuple(shape))
        return model
