"""Functional models: a graph of layer (and op) calls recorded on symbolic tensors.

Building: starting from the outputs, walk back through the nodes that produced each
symbolic tensor until the model's inputs are reached; the nodes, in an order where every
node comes after the nodes it depends on, are the program. Calling: give each input tensor
its value, run the nodes in that order, read off the outputs.

Inputs are matched as Keras matches them: a dict model by its keys, a list model by
position or by its inputs' names; each value is converted to its Input's dtype, and a
trailing axis of size 1 is squeezed or added when that alone makes the ranks agree.

Beyond Keras 3 (as tf.keras 2 did): `model.add_loss(symbolic_tensor)` and
`model.add_metric(symbolic_tensor, name=...)` add subgraphs computed on every call.
"""

import functools
import warnings

from minikeras.autodiff import convert_to_tensor
from minikeras.autodiff.masks import any_masks, get_keras_mask, set_keras_mask
from minikeras.autodiff.name_scope import scoped_path
from minikeras.layers.input_layer import InputLayer
from minikeras.layers.layer import Layer
from minikeras.layers.operation import flat_shapes
from minikeras.models.model import Model
from minikeras.ops.symbolic import KerasTensor, Node, map_structure
from minikeras.ops.symbolic import describe_tensor as _describe
from minikeras.tree import flatten, keys

# How many symbolic calls of Functional models are running their graph on ones.
_probing = [0]


class Functional(Model):
    """A model defined by its input and output symbolic tensors.

    Args:
        inputs: a KerasTensor, or a list/dict/nested structure of them.
        outputs: a KerasTensor, or a list/dict/nested structure of them.
        name: model name.
    """

    _locks_state_after_build = False  # as Keras: layers may be attached after build

    # The inputs are one structure; a second positional value fills `training` (an error).
    _allow_non_tensor_positional_args = True
    # Whether a call checks the inputs' sizes (beyond the batch) against the graph's.
    _checks_input_sizes = True

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_trainer()
        for what, structure in (("inputs", inputs), ("outputs", outputs)):
            for tensor in flatten(structure):
                if not isinstance(tensor, KerasTensor):
                    raise ValueError(
                        f"All `{what}` values must be KerasTensors (from keras.Input and the "
                        f"layers called on it). Received {tensor!r} of type "
                        f"{type(tensor).__name__} in {what}={structure!r}."
                    )
        if isinstance(inputs, dict):
            for key, tensor in inputs.items():
                if isinstance(tensor, KerasTensor) and tensor.name is None:
                    tensor.name = key
                elif isinstance(tensor, KerasTensor) and tensor.name != key:
                    warnings.warn(
                        "When providing `inputs` as a dict, all keys in the dict must match "
                        f"the names of the corresponding tensors. Received key '{key}' "
                        f"mapping to a tensor named '{tensor.name}'. Change the tensor name "
                        f"to '{key}' (via `Input(..., name='{key}')`).",
                        stacklevel=3,
                    )
        inputs, outputs = self._clone_cut_graph(inputs, outputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._symbolic_losses = []
        self._symbolic_metrics = []
        self._build_graph()
        self.built = True
        object.__setattr__(self, "_path", scoped_path(self.name))  # as Keras's build records

    # -- graph ------------------------------------------------------------------------------
    def _clone_cut_graph(self, inputs, outputs):
        """As Keras: an input that is not an `Input`'s tensor (a sub-model cut from an
        intermediate tensor) is replaced by the tensor of a new InputLayer, and the calls
        between it and the outputs are recorded again on the new tensors. The layers, and so
        the weights, stay shared; the model's config and `layers` start from its own inputs.
        """
        replaced = {}  # id(old tensor) -> (old tensor, its replacement)

        def own_input(tensor):
            node = tensor.node
            if node is not None and isinstance(node.operation, InputLayer):
                return tensor
            layer = InputLayer(batch_shape=tensor.shape, dtype=tensor.dtype, name=tensor.name)
            replaced[id(tensor)] = (tensor, layer.output)
            return layer.output

        inputs = map_structure(own_input, inputs)
        self._replaced_tensors = replaced
        if not replaced:
            return inputs, outputs
        return inputs, map_structure(self._relink, outputs)

    def _relink(self, tensor):
        """`tensor` as computed from this model's own inputs (see `_clone_cut_graph`): the
        calls it depends on that read a replaced tensor are recorded again, once each."""
        replaced = self.__dict__.get("_replaced_tensors")
        if not replaced or not isinstance(tensor, KerasTensor):
            return tensor

        def swap(value):
            if isinstance(value, KerasTensor) and id(value) in replaced:
                return replaced[id(value)][1]
            return value

        stack = [(tensor.node, False)]
        while stack:
            node, expanded = stack.pop()
            if node is None or isinstance(node.operation, InputLayer):
                continue
            if all(id(t) in replaced for t in flatten(node.outputs)):
                continue  # already recorded again
            if not expanded:
                stack.append((node, True))
                stack.extend((t.node, False) for t in node.inputs if id(t) not in replaced)
                continue
            if not any(id(t) in replaced for t in node.inputs):
                continue  # does not depend on a replaced tensor: kept as it is
            outputs = map_structure(
                lambda t: KerasTensor(t.shape, dtype=t.dtype, name=t.name, sparse=t.sparse),
                node.outputs,
            )
            clone = Node(
                node.operation,
                map_structure(swap, node.args),
                map_structure(swap, node.kwargs),
                outputs,
            )
            for old, new in zip(flatten(node.outputs), flatten(outputs)):
                new.node, new.index = clone, old.index
                replaced[id(old)] = (old, new)
            if isinstance(node.operation, Layer):
                node.operation._inbound_nodes.append(clone)
        return swap(tensor)

    def _build_graph(self):
        """Orders the nodes between the inputs and the outputs (and symbolic losses)."""
        input_ids = {id(t) for t in self.inputs}
        targets = (
            self.outputs
            + self._symbolic_losses
            + [tensor for tensor, _, _ in self._symbolic_metrics]
        )
        order, done = [], set()
        for target in targets:
            if id(target) in input_ids:
                continue
            stack = [(target.node, False)]
            while stack:
                node, expanded = stack.pop()
                if node is None or id(node) in done:
                    continue
                if expanded:
                    done.add(id(node))
                    order.append(node)
                    continue
                if isinstance(node.operation, InputLayer):
                    raise ValueError(
                        f"Graph disconnected: the outputs depend on the input "
                        f"{node.outputs!r} of layer {node.operation.name!r}, which is not one "
                        f"of the model's inputs {[t.name for t in self.inputs]}."
                    )
                stack.append((node, True))
                for tensor in node.inputs:
                    if id(tensor) in input_ids:
                        continue
                    if tensor.node is None:
                        raise ValueError(
                            f"Graph disconnected: cannot compute {_describe(tensor)} from the "
                            "model's inputs."
                        )
                    stack.append((tensor.node, False))
        self._nodes = order
        # `layers` (and so the order of `weights` and of the optimizer's slots) follows Keras:
        # by depth from the outputs, then layers used only by symbolic losses and metrics.
        from minikeras.models.functional_config import keras_layer_order

        layers = keras_layer_order(self)
        for node in order:
            if isinstance(node.operation, Layer) and not any(
                node.operation is layer for layer in layers
            ):
                layers.append(node.operation)
        self._layers = layers

    @property
    def layers(self):
        return list(self._layers)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        return flat_shapes(self.inputs)

    @property
    def output_shape(self):
        return flat_shapes(self.outputs)

    @property
    def input_names(self):
        return [t.name for t in self.inputs]

    @property
    def output_names(self):
        """The names of the layers making the outputs, in `outputs` order (dicts too)."""
        return [
            getattr(t.node.operation, "name", f"output_{i}") if t.node else f"output_{i}"
            for i, t in enumerate(self.outputs)
        ]

    def _output_names_for_compile(self):  # a dict's keys key its losses, as in Keras
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return super()._output_names_for_compile()

    # -- calling ----------------------------------------------------------------------------
    def _match_inputs(self, inputs):
        """Returns the input values in the order of `self.inputs`, checked and with their
        ranks standardised as Keras does (see `_check_input_shape`)."""
        expected = self.inputs
        struct = self._inputs_struct
        if isinstance(inputs, dict) and isinstance(struct, dict):
            # A dict model is fed by its own keys (nested dicts key by key).
            values = self._values_by_key(struct, inputs, inputs)
        elif isinstance(inputs, dict):
            # Other models are fed a dict by their inputs' names.
            names = [t.name for t in expected]
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(
                    f'Model "{self.name}" is missing input(s) {missing}: it expects the keys '
                    f"{names}, received {list(inputs)}."
                )
            values = [inputs[name] for name in names]
        elif isinstance(struct, dict) and len(expected) == 1:
            self._warn_inputs_structure(inputs)
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                inputs = inputs[0]
            values = [inputs]
        elif len(expected) == 1:
            if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
                inputs = inputs[0]
            elif isinstance(inputs, (list, tuple)) and not isinstance(struct, (list, tuple)):
                raise ValueError(
                    f'Model "{self.name}" expects 1 input {[t.name for t in expected]}, but it '
                    f"received {len(inputs)} inputs."
                )
            values = [inputs]
        else:
            if isinstance(struct, dict) and list(struct) != sorted(struct):
                # Keras lines a list up with a dict model's keys in sorted order: refuse
                # rather than guess when that differs from the order the keys were given.
                raise ValueError(
                    "The structure of `inputs` doesn't match the expected structure: model "
                    f'"{self.name}" takes a dict of inputs with keys {list(struct)}, which '
                    "are not in sorted order, so a list cannot be matched to them: pass a dict."
                )
            if isinstance(struct, dict):
                self._warn_inputs_structure(inputs)
            flat = flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            if len(flat) != len(expected):
                raise ValueError(
                    f'Model "{self.name}" expects {len(expected)} inputs '
                    f"{[t.name for t in expected]}, but it received {len(flat)} input(s)."
                )
            values = flat
        converted = []
        checked = self.__dict__.setdefault("_checked_input_shapes", {})
        for tensor, value in zip(expected, values):
            if value is None:
                layer = getattr(tensor.node, "operation", None)
                if not (isinstance(layer, InputLayer) and layer.optional):
                    raise ValueError(
                        f"The input '{tensor.name}' of model \"{self.name}\" is not optional, "
                        "but None was passed. Provide an array, or create the input with "
                        "keras.Input(..., optional=True)."
                    )
                converted.append(None)
                continue
            original = value
            value = convert_to_tensor(value, tensor.dtype)  # as Keras: the Input's dtype
            shape = value.data.shape
            known = checked.get(id(tensor))
            if known is None or known[0] != shape:  # each input shape is checked once
                known = (shape, self._check_input_shape(tensor, shape))
                checked[id(tensor)] = known
            if known[1] is not None:
                value = known[1](value)
            if value is not original and any_masks():
                set_keras_mask(value, get_keras_mask(original))  # a converted copy keeps it
            converted.append(value)
        return converted

    def _values_by_key(self, struct, given, inputs):
        """The values in `given` for the input tensors of `struct`, matched key by key in
        nested dicts and position by position in nested lists, in flattened order."""
        if isinstance(struct, dict):
            if not isinstance(given, dict):
                raise ValueError(
                    f'Model "{self.name}" expects a dict with the keys {list(struct)} where '
                    f"it received {type(given).__name__}."
                )
            missing = [key for key in struct if key not in given]
            if missing:
                raise ValueError(
                    f'Model "{self.name}" is missing input(s) {missing}: it expects the keys '
                    f"{list(struct)}, received {list(given)}."
                )
            if len(given) != len(struct):
                self._warn_inputs_structure(inputs)
            return [  # in flattened order: sorted keys, as `tree.flatten` walks a dict
                v
                for key in keys(struct)
                for v in self._values_by_key(struct[key], given[key], inputs)
            ]
        if isinstance(struct, (list, tuple)):
            if not isinstance(given, (list, tuple)) or len(given) != len(struct):
                raise ValueError(
                    f'Model "{self.name}" expects a list of {len(struct)} inputs where it '
                    f"received {type(given).__name__}."
                )
            return [v for s, g in zip(struct, given) for v in self._values_by_key(s, g, inputs)]
        return [given]

    def _warn_inputs_structure(self, inputs):
        """Warns, as Keras does, that `inputs` is not shaped like the model's inputs."""
        if _probing[0]:
            return  # Keras warns on calls with data only, never while building a graph
        expected = map_structure(lambda t: t.name, self._inputs_struct)
        received = map_structure(
            lambda v: "None" if v is None else f"Tensor(shape={tuple(getattr(v, 'shape', ()))})",
            inputs,
        )
        warnings.warn(
            "The structure of `inputs` doesn't match the expected structure.\n"
            f"Expected: {expected}\nReceived: inputs={received}",
            stacklevel=5,  # the user's call of the model
        )

    def _check_input_shape(self, tensor, shape):
        """Checks a value's shape against an input; returns the rank adjustment (a function
        of the value) it needs, or None.

        As Keras: a value with one dimension more than the input, of size 1 and last, is
        squeezed; one with a dimension less is given a last dimension of size 1 when the
        input's last dimension is 1. The batch size is not checked (a Sequential built by
        its first batch keeps that size in its input shape, and takes any other); nor is any
        other size in a Sequential's graph (`_checks_input_sizes` False), whose calls Keras
        checks for the rank only.
        """
        from minikeras import ops

        received = shape = tuple(shape)
        adjust = None
        rank = len(tensor.shape)
        if len(shape) == rank + 1 and shape[-1] == 1:
            adjust, shape = functools.partial(ops.squeeze, axis=-1), shape[:-1]
        elif len(shape) == rank - 1 and rank > 0 and tensor.shape[-1] == 1:
            adjust, shape = functools.partial(ops.expand_dims, axis=-1), (*shape, 1)
        compatible = len(shape) == rank and (
            not self._checks_input_sizes
            or all(e is None or e == r for e, r in zip(tensor.shape[1:], shape[1:]))
        )
        if not compatible:
            raise ValueError(
                f'Input "{tensor.name}" of model "{self.name}" is incompatible: expected '
                f"shape {tensor.shape}, but received input with shape {received}."
            )
        return adjust

    def call(self, inputs, training=None, mask=None):
        given = self._match_inputs(inputs)
        if mask is not None:
            # As Keras: a mask passed to the model is attached to its inputs, in order.
            for value, input_mask in zip(given, flatten(mask)):
                if input_mask is not None and value is not None:
                    set_keras_mask(value, input_mask)
        values = {}
        for tensor, value in zip(self.inputs, given):
            values[id(tensor)] = value

        def lookup(item):
            return values[id(item)] if isinstance(item, KerasTensor) else item

        for node in self._nodes:
            args, kwargs, outputs = node.args, node.kwargs, node.outputs
            if not kwargs and len(args) == 1 and type(args[0]) is KerasTensor:
                result = node.operation(values[id(args[0])])  # the common case, fast
            else:
                result = node.operation(
                    *map_structure(lookup, args), **map_structure(lookup, kwargs)
                )
            if type(outputs) is KerasTensor:
                values[id(outputs)] = result
            else:
                for tensor, value in zip(flatten(outputs), flatten(result)):
                    values[id(tensor)] = value
        for tensor in self._symbolic_losses:
            Layer.add_loss(self, values[id(tensor)])
        for tensor, name, aggregation in self._symbolic_metrics:
            Layer.add_metric(self, values[id(tensor)], name=name, aggregation=aggregation)
        outputs = map_structure(lookup, self._outputs_struct)
        # As Keras: one output in a list or tuple comes back alone (but not symbolically).
        single = not _probing[0] and isinstance(outputs, list | tuple) and len(outputs) == 1
        return outputs[0] if single else outputs

    def _is_replayable(self):
        # A graph of replayable layers, run by this class's own call.
        return (
            self._runs_call_of(Functional)
            and not self._symbolic_losses
            and not self._symbolic_metrics
            and all(_replayable(node.operation) for node in self._nodes)
        )

    def compute_output_spec(self, inputs, training=None, mask=None):
        _probing[0] += 1
        try:
            return Layer.compute_output_spec(self, inputs)
        finally:
            _probing[0] -= 1

    # -- symbolic losses and metrics (beyond Keras 3) -------------------------------------
    @property
    def losses(self):
        """As `Layer.losses`; a symbolic loss added with `add_loss` appears as its symbolic
        tensor until a forward pass computes it (as in tf.keras 2), then as that value."""
        result = super().losses
        owners = self._cached(
            "symbolic_loss_owners",
            lambda: [
                layer
                for layer in self._flatten_layers()
                if isinstance(layer, Functional) and layer._symbolic_losses
            ],
        )
        # An owner's own losses hold its computed terms once it has run.
        pending = [t for layer in owners if not layer._losses for t in layer._symbolic_losses]
        return pending + result if pending else result

    def add_loss(self, loss):
        """Adds a loss: a tensor for this forward pass, or a symbolic scalar for every call.

        A symbolic loss is built with `minikeras.ops` from the model's intermediate tensors;
        it is computed on every forward pass and enters `model.losses`.
        """
        flat = flatten(loss) if isinstance(loss, (list, tuple)) else [loss]
        if any(isinstance(item, KerasTensor) for item in flat):
            self._symbolic_losses.extend(self._relink(item) for item in flat)
            self._build_graph()
            return
        Layer.add_loss(self, loss)

    def add_metric(self, value, name=None, aggregation="mean"):
        """Like `Layer.add_metric`; a symbolic value is computed on every forward pass."""
        if isinstance(value, KerasTensor):
            if name is None:
                raise ValueError("add_metric needs a name: it becomes the key in the logs.")
            self._symbolic_metrics.append((self._relink(value), name, aggregation))
            self._build_graph()
            return
        Layer.add_metric(self, value, name=name, aggregation=aggregation)

    def get_config(self):
        from minikeras.models import functional_config

        return functional_config.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.models import functional_config

        return functional_config.from_config(cls, config, custom_objects)


def _replayable(operation):
    check = getattr(operation, "_is_replayable", None)  # layers; a graph's ops say nothing
    return check is not None and check()
