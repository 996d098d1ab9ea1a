"""The config of a Functional model, in Keras 3's format: its graph as a list of layers.

`get_config(model)` returns

    {"name": ..., "trainable": ...,
     "layers": [{<layer config>, "name": ..., "inbound_nodes": [{"args": [...],
                 "kwargs": {...}}, ...]}, ...],
     "input_layers": [[layer name, node index, tensor index], ...],
     "output_layers": [...]}

Each inbound node records the arguments of one call of the layer; a symbolic tensor among
them is written as `{"class_name": "__keras_tensor__", "config": {..., "keras_history":
[layer name, node index, tensor index]}}`, naming the call (node) of the layer that made it.
`from_config` creates every layer, then replays the calls, each as soon as its inputs exist.

The layers are listed in Keras's order (`keras_layer_order`): by decreasing depth (the
number of calls between a layer and the outputs), ties broken by the order a depth-first
walk from the outputs first meets them. `.weights.h5` files number the layers of a Functional
model in this order, so it must match Keras's exactly.

An op applied directly to symbolic tensors (`x + 2`, `ops.mean(x, axis=1)`, the `not_equal`
of an `Embedding(mask_zero=True)` mask passed on explicitly) is listed among the layers as
Keras lists it: each call is an operation of its own, with one node (`operation_config.py`).
"""

from minikeras.layers.input_layer import InputLayer
from minikeras.layers.layer import Layer
from minikeras.models import operation_config
from minikeras.ops.symbolic import KerasTensor, Node, OpCall, map_structure
from minikeras.tree import flatten


def _is_input_node(node):
    return isinstance(node.operation, InputLayer)


def _operation_of(node):
    """The operation a node stands for in Keras's graph: its layer, or for a plain op the
    node itself (Keras makes one operation object per op call)."""
    return node if type(node.operation) is OpCall else node.operation


def map_graph(inputs, outputs):
    """Orders the graph between `inputs` and `outputs` the way Keras 3 does.

    Args:
        inputs, outputs: the model's input and output structures, walked as
            `tree.flatten` walks them (a dict in sorted key order, an OrderedDict in its
            own), as Keras does.

    Returns:
        `(operations, nodes)`: the operations in Keras's order (layers, and for each call
        of a plain op its `Node`), and the graph's nodes in an order where each comes
        after the nodes it depends on.
    """
    inputs, outputs = flatten(inputs), flatten(outputs)
    input_ids = {id(t) for t in inputs}
    finished, in_progress = set(), set()
    ordered_nodes = []  # from the inputs to the outputs
    first_seen = {}  # operation id -> rank in the depth-first walk
    operations = {}

    # Keras walks recursively; this is the same post-order walk with an explicit stack.
    for output in outputs:
        stack = [(output, None)]
        while stack:
            tensor, pending = stack.pop()
            node = tensor.node
            if pending is None:
                if node is None or id(node) in finished:
                    continue
                if not _is_input_node(node) and id(tensor) in input_ids:
                    finished.add(id(node))
                    continue
                if id(node) in in_progress:
                    raise ValueError(
                        f"Tensor {tensor!r} from operation "
                        f"{getattr(node.operation, 'name', '?')!r} is part of a cycle."
                    )
                operation = _operation_of(node)
                if id(operation) not in first_seen:
                    first_seen[id(operation)] = len(first_seen)
                    operations[id(operation)] = operation
                in_progress.add(id(node))
                parents = [] if _is_input_node(node) else list(node.inputs)
                stack.append((tensor, iter(parents)))
                continue
            child = next(pending, None)
            if child is not None:
                stack.append((tensor, pending))
                stack.append((child, None))
                continue
            if id(node) not in finished:
                finished.add(id(node))
                in_progress.discard(id(node))
                ordered_nodes.append(node)

    node_ids = {id(node) for node in ordered_nodes}
    node_depth, operation_depth = {}, {}
    for node in reversed(ordered_nodes):
        operation = _operation_of(node)
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, operation_depth.get(id(operation), 0))
        operation_depth[id(operation)] = depth
        node_depth[id(node)] = depth
        for tensor in node.inputs:
            parent = tensor.node
            if parent is None or id(parent) not in node_ids:
                continue
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))

    # Inputs that no output depends on still belong to the model.
    for tensor in inputs:
        node = tensor.node
        if node is not None and _is_input_node(node) and id(node.operation) not in operation_depth:
            operation_depth[id(node.operation)] = 0
            first_seen[id(node.operation)] = -1
            operations[id(node.operation)] = node.operation
            ordered_nodes.insert(0, node)

    ordered = sorted(operations, key=lambda key: (-operation_depth[key], first_seen[key]))
    return [operations[key] for key in ordered], ordered_nodes


def keras_layer_order(model):
    """The layers of a Functional model in the order Keras 3 lists them (`model.layers`)."""
    operations, _ = map_graph(model._inputs_struct, model._outputs_struct)
    return [op for op in operations if isinstance(op, Layer)]


def _is_functional(operation):
    from minikeras.models.functional import Functional

    return isinstance(operation, Functional)


def functional_like_constructor(cls):
    """True when `cls(inputs=..., outputs=..., name=..., trainable=...)` can rebuild an
    instance: its `__init__` takes Functional's arguments, or `*args, **kwargs`."""
    import inspect

    from minikeras.models.functional import Functional

    init = inspect.getfullargspec(cls.__init__)
    if init.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return init.varargs is not None and init.varkw is not None


def is_functional_config(config):
    """True for a dict with the keys of a Functional model config."""
    keys = ("name", "layers", "input_layers", "output_layers")
    return isinstance(config, dict) and all(key in config for key in keys)


def get_config(model):
    """The Keras 3 config of a Functional model (see the module docstring).

    A subclass whose constructor takes other arguments gets the config of a subclassed
    model instead (its constructor arguments), as in Keras.
    """
    from minikeras.saving.serialization import serialize_keras_object

    if not functional_like_constructor(type(model)):
        return Layer.get_config(model)

    if getattr(model, "_symbolic_losses", None) or getattr(model, "_symbolic_metrics", None):
        raise NotImplementedError(
            f'Model "{model.name}" has symbolic losses or metrics (add_loss/add_metric on '
            "symbolic tensors), which Keras 3's config format cannot describe. Save its "
            "weights with save_weights() and rebuild it in code."
        )
    operations, nodes = map_graph(model._inputs_struct, model._outputs_struct)
    node_ids = {id(node) for node in nodes}
    op_names = _op_node_names(operations)

    def node_index(operation, node):
        if isinstance(operation, Node):
            return 0  # an op call is an operation with one node
        # Count only the calls that belong to this model (a shared layer has others).
        index = 0
        for candidate in operation._inbound_nodes:
            if candidate is node:
                return index
            if id(candidate) in node_ids:
                index += 1
        raise RuntimeError(f"Internal error: node of {operation.name!r} not found.")

    def serialize_tensor(value):
        if isinstance(value, KerasTensor):
            node = value.node
            operation = _operation_of(node)
            name = op_names[id(node)] if operation is node else operation.name
            history = [name, node_index(operation, node), value.index]
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": list(value.shape),
                    "dtype": value.dtype,
                    "keras_history": history,
                },
            }
        return serialize_keras_object(value)

    layer_configs = []
    for operation in operations:
        if isinstance(operation, Node):
            name = op_names[id(operation)]
            entry, args, kwargs = operation_config.operation_entry(
                operation, name, lambda value: map_structure(serialize_tensor, value)
            )
            entry["name"] = name
            entry["inbound_nodes"] = [{"args": args, "kwargs": kwargs}]
            layer_configs.append(entry)
            continue
        inbound_nodes = []
        for node in operation._inbound_nodes:
            if id(node) not in node_ids or not node.inputs:
                continue
            inbound_nodes.append(
                {
                    "args": map_structure(serialize_tensor, list(node.args)),
                    "kwargs": map_structure(serialize_tensor, dict(node.kwargs)),
                }
            )
        layer_config = serialize_keras_object(operation)
        layer_config["name"] = operation.name
        layer_config["inbound_nodes"] = inbound_nodes
        layer_configs.append(layer_config)

    def tensor_reference(tensor):
        operation = _operation_of(tensor.node)
        if operation is tensor.node:
            return [op_names[id(operation)], 0, tensor.index]
        # Keras counts a pre-existing node for nested Functional models here.
        offset = 1 if _is_functional(operation) else 0
        return [operation.name, node_index(operation, tensor.node) + offset, tensor.index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": map_structure(tensor_reference, model._inputs_struct),
        "output_layers": map_structure(tensor_reference, model._outputs_struct),
    }


def _op_node_names(operations):
    """Entry names for the op calls among `operations` (node id -> name): the name each
    call got when it was recorded, made unique among the model's layers and calls."""
    taken = {op.name for op in operations if not isinstance(op, Node)}
    names = {}
    for operation in operations:
        if isinstance(operation, Node):
            base = operation.name or operation.operation.name
            name, count = base, 0
            while name in taken:
                count += 1
                name = f"{base}_{count}"
            taken.add(name)
            names[id(operation)] = name
    return names


class _NotReady(Exception):
    """A node's inputs are made by a call that has not been replayed yet."""


def from_config(cls, config, custom_objects=None):
    """Rebuilds a Functional model (of class `cls`) from `get_config`'s dict.

    Also reads the Keras 2 form of inbound nodes (`[[layer name, node index, tensor index,
    kwargs], ...]`). A config that is not a graph (a subclass's constructor arguments) is
    passed to `cls(**config)`.
    """
    from minikeras.models.functional import Functional
    from minikeras.models.model import Model
    from minikeras.saving.serialization import deserialize_keras_object

    revivable = cls in (Functional, Model) or functional_like_constructor(cls)
    if not (is_functional_config(config) and revivable):
        return cls(**config)
    config = dict(config)
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(
                f"A Functional model config needs {key!r}. Received keys: {list(config)}"
            )
    layers_data = config.pop("layers")
    input_refs = config.pop("input_layers")
    output_refs = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)
    for key in ("dtype",):
        config.pop(key, None)

    created = {}
    pending = {}
    for layer_data in layers_data:
        layer_name = layer_data["name"]
        if operation_config.is_operation_config(layer_data):
            created[layer_name] = operation_config.operation_from_config(layer_data)
            pending[layer_name] = list(layer_data.get("inbound_nodes") or [])
            continue
        layer = deserialize_keras_object(layer_data, custom_objects=custom_objects)
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Functional config entry {layer_name!r} is not a layer: got "
                f"{type(layer).__name__}."
            )
        created[layer_name] = layer
        pending[layer_name] = list(layer_data.get("inbound_nodes") or [])

    def output_tensor(layer_name, node_index, tensor_index):
        layer = created.get(layer_name)
        if layer is None:
            raise ValueError(f"Invalid Functional config: unknown layer {layer_name!r}.")
        if node_index >= len(layer._inbound_nodes):
            raise _NotReady
        return flatten(layer._inbound_nodes[node_index].outputs)[tensor_index]

    def revive(value):
        history = getattr(value, "_pre_serialization_keras_history", None)
        if isinstance(value, KerasTensor) and history is not None:
            return output_tensor(*history)
        return value

    def call_arguments(node_data):
        if isinstance(node_data, list):  # Keras 2: [[name, node, tensor(, kwargs)], ...]
            tensors, kwargs = [], {}
            for entry in node_data:
                tensors.append(output_tensor(entry[0], entry[1], entry[2]))
                if len(entry) == 4:
                    kwargs = entry[3] or {}
            return [tensors[0] if len(tensors) == 1 else tensors], dict(kwargs)
        args = deserialize_keras_object(node_data.get("args", []), custom_objects=custom_objects)
        kwargs = deserialize_keras_object(
            node_data.get("kwargs", {}), custom_objects=custom_objects
        )
        args = map_structure(revive, list(args))
        kwargs = map_structure(revive, dict(kwargs))
        if kwargs.get("mask", 0) is None:
            kwargs.pop("mask")
        # Keras writes `training: false` into every node of a layer that takes `training`
        # and was called without it, and lets the outer call decide at run time: read as
        # no argument, so `fit` trains a loaded model with its dropout on, as Keras does.
        if kwargs.get("training", None) is False:
            kwargs.pop("training")
        return args, kwargs

    # Replay the calls layer by layer; a call whose inputs do not exist yet waits for the
    # next pass (a layer shared at different depths, e.g. A(B(A(B(x))))).
    while any(pending.values()):
        progressed = False
        for layer_data in layers_data:
            layer_name = layer_data["name"]
            queue = pending[layer_name]
            while queue:
                try:
                    args, kwargs = call_arguments(queue[0])
                except _NotReady:
                    break
                created[layer_name](*args, **kwargs)
                queue.pop(0)
                progressed = True
        if not progressed:
            stuck = sorted(name for name, queue in pending.items() if queue)
            raise ValueError(
                "Invalid Functional model configuration: the graph has loops or disconnected "
                f"nodes. The calls of these layers could not be replayed: {stuck}"
            )

    def reference_tensor(reference):
        layer_name, node_index, tensor_index = reference[:3]
        if _is_functional(created.get(layer_name)):
            node_index -= 1
        try:
            return output_tensor(layer_name, node_index, tensor_index)
        except _NotReady:
            raise ValueError(
                f"Invalid Functional config: layer {layer_name!r} has no call {node_index}."
            ) from None

    def map_references(refs):
        if (
            isinstance(refs, (list, tuple))
            and len(refs) == 3
            and isinstance(refs[0], str)
            and isinstance(refs[1], int)
        ):
            return reference_tensor(refs)
        if isinstance(refs, dict):
            return {key: map_references(value) for key, value in refs.items()}
        mapped = [map_references(value) for value in refs]
        return tuple(mapped) if isinstance(refs, tuple) else mapped  # a tuple stays a tuple

    inputs = map_references(input_refs)
    outputs = map_references(output_refs)
    return cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable, **config)
