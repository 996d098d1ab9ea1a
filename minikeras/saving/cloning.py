"""`clone_model`: the same architecture with new layers (and so new weights).

A Sequential model is rebuilt from clones of its layers. A Functional model is rebuilt by
replaying its graph: new inputs, then every recorded call, in order, on the cloned layers
(a layer called several times is cloned once, so sharing is kept). A subclassed model is
rebuilt with `from_config(get_config())`. As in Keras, a Sequential or Functional copy of a
compiled model is compiled again from the original's compile config (new optimizer and
metric states).
"""

from minikeras.layers.input_layer import Input, InputLayer
from minikeras.ops.symbolic import KerasTensor, OpCall, map_structure, symbolic_call
from minikeras.saving.serialization import (
    ObjectSharingScope,
    deserialize_keras_object,
    serialize_keras_object,
)
from minikeras.tree import assert_same_structure, flatten


def _default_clone(layer):
    with ObjectSharingScope():
        config = serialize_keras_object(layer)
    config.pop("compile_config", None)
    with ObjectSharingScope():
        return deserialize_keras_object(config)


def _wrap(clone_function, call_function, recursive):
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    cache = {}

    def clone(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, (Sequential, Functional)):
            copy = clone_model(
                layer,
                clone_function=clone_function,
                call_function=None if isinstance(layer, Sequential) else call_function,
                recursive=True,
            )
        else:
            copy = (clone_function or _default_clone)(layer)
        cache[id(layer)] = copy
        return copy

    return clone


def _new_input(tensor, name=None):
    layer = tensor.node.operation if tensor.node is not None else None
    if not isinstance(layer, InputLayer):
        return Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=name or tensor.name)
    return Input(
        batch_shape=layer.batch_shape,
        dtype=layer.dtype,
        sparse=layer.sparse,
        name=layer.name,
        optional=layer.optional,
    )


def clone_model(
    model, input_tensors=None, clone_function=None, call_function=None, recursive=False
):
    """See `minikeras.models.clone_model`."""
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` is not supported with Sequential models: their layers are "
                "only listed, not called, when the model is built."
            )
        copy = _clone_sequential(model, _wrap(clone_function, None, recursive), input_tensors)
    elif isinstance(model, Functional):
        copy = _clone_functional(
            model, _wrap(clone_function, call_function, recursive), call_function, input_tensors
        )
    elif clone_function is not None or input_tensors is not None or call_function is not None:
        raise ValueError(
            "A subclassed model can only be cloned from its config: `clone_function`, "
            f"`input_tensors` and `call_function` do not apply. Received a {type(model).__name__}."
        )
    else:
        # Keras hands the model's own class over, so an unregistered subclass clones too.
        with ObjectSharingScope():
            config = serialize_keras_object(model)
        config.pop("compile_config", None)
        with ObjectSharingScope():
            return deserialize_keras_object(
                config, custom_objects={type(model).__name__: type(model)}
            )
    if getattr(model, "compiled", False):
        copy.compile_from_config(model.get_compile_config())
    return copy


def _clone_sequential(model, clone, input_tensors):
    from minikeras.models.sequential import Sequential

    layers = [layer for layer in model._stack if not isinstance(layer, InputLayer)]
    entries = [clone(layer) for layer in layers]
    first = model._stack[0] if model._stack else None
    if input_tensors is not None:
        inputs = input_tensors[0] if isinstance(input_tensors, (list, tuple)) else input_tensors
        if isinstance(inputs, InputLayer):
            inputs = inputs.output
        entries.insert(0, inputs)
    elif isinstance(first, InputLayer):
        entries.insert(0, _new_input(first.output))
    elif getattr(model, "inputs", None):  # an unbuilt Sequential has none
        entries.insert(0, Input(batch_shape=model.inputs[0].shape, dtype=model.inputs[0].dtype))
    return Sequential(entries, name=model.name, trainable=model.trainable)


def _clone_functional(model, clone, call_function, input_tensors):
    from minikeras.models.functional import Functional
    from minikeras.models.functional_config import map_graph

    _, nodes = map_graph(model._inputs_struct, model._outputs_struct)
    if input_tensors is None:
        new_inputs = map_structure(_new_input, model._inputs_struct)
    else:
        _check_input_structure(input_tensors, model._inputs_struct)
        new_inputs = input_tensors
        if isinstance(model._inputs_struct, (list, tuple)) and not isinstance(
            input_tensors, (list, tuple, dict)
        ):
            new_inputs = [input_tensors]
        new_inputs = map_structure(
            lambda x: x.output if isinstance(x, InputLayer) else x, new_inputs
        )
    values = {}
    old_flat = flatten(model._inputs_struct)
    new_flat = flatten(new_inputs)
    if len(old_flat) != len(new_flat):
        raise ValueError(
            f"clone_model: model '{model.name}' has {len(old_flat)} input(s), but "
            f"{len(new_flat)} input tensor(s) were given."
        )
    for old, new in zip(old_flat, new_flat):
        values[id(old)] = new

    def lookup(item):
        return values.get(id(item), item) if isinstance(item, KerasTensor) else item

    for node in nodes:
        if isinstance(node.operation, InputLayer):
            continue
        args = map_structure(lookup, node.args)
        kwargs = map_structure(lookup, node.kwargs)
        if type(node.operation) is OpCall:
            # An op has no state to copy: record the same call on the new tensors.
            outputs = symbolic_call(node.operation, args, kwargs)
            for old, new in zip(flatten(node.outputs), flatten(outputs)):
                values[id(old)] = new
            continue
        operation = clone(node.operation)
        if call_function is not None:
            outputs = call_function(operation, *args, **kwargs)
        else:
            outputs = operation(*args, **kwargs)
        for old, new in zip(flatten(node.outputs), flatten(outputs)):
            values[id(old)] = new
    outputs = map_structure(lookup, model._outputs_struct)
    cls = type(model)
    from minikeras.models.functional_config import functional_like_constructor

    if not functional_like_constructor(cls):
        cls = Functional
    # As Keras: the copy's own `trainable` is not carried over (its layers' flags are).
    return cls(inputs=new_inputs, outputs=outputs, name=model.name)


def _check_input_structure(input_tensors, inputs):
    """`input_tensors` for a Functional copy: the nesting of the model's inputs, as Keras
    asks (one tensor for a single input is taken as it is)."""
    if not isinstance(input_tensors, (list, tuple, dict)) and not isinstance(
        inputs, (list, tuple, dict)
    ):
        return
    if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and len(flatten(input_tensors)) == 1:
        return
    try:
        assert_same_structure(input_tensors, inputs)
    except ValueError as error:
        raise ValueError(
            "`input_tensors` must have the same structure as model.input. "
            f"Reference structure: {inputs}. Received structure: {input_tensors}."
        ) from error
