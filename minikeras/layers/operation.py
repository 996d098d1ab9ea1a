"""The part of a layer that makes it an operation of a symbolic graph (Keras's `Operation`).

Called on symbolic tensors (from `keras.Input`), a layer computes nothing: `Layer.__call__`
hands the call to `_symbolic_call` here, which builds the layer, finds the outputs' shapes
and dtypes (`compute_output_spec`) and records a graph `Node` (see `ops/symbolic.py`). The
first node recorded gives the layer its `input`, `output` and their shapes.

`Layer` inherits `Operation`; it is not used on its own.
"""

import contextlib
import numbers

import numpy as np

from minikeras import random
from minikeras.autodiff.name_scope import enter_layer_scope, leave_layer_scope
from minikeras.autodiff.tensor import creation_logs
from minikeras.layers.call_arguments import _call_signature_flags
from minikeras.layers.input_spec import assert_input_compatibility
from minikeras.layers.mask_propagation import _call_masks, _first_argument, _set_output_masks
from minikeras.ops import symbolic as _symbolic
from minikeras.ops.symbolic import KerasTensor, Node, map_structure, symbolic_call
from minikeras.tree import flatten


def shapes_of(structure):
    """The shapes (tuples) of the tensors or arrays in a structure, in the same structure."""
    return map_structure(lambda t: tuple(t.shape) if hasattr(t, "shape") else t, structure)


def flat_shapes(tensors):
    """The shapes of a flat list of tensors, or the one shape alone (as Keras's Functional
    `input_shape` and `output_shape` give them)."""
    shapes = [tuple(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def _specs_from_shapes(shapes, dtype):
    # As Keras's `map_shape_structure`: a tuple or list of sizes is one shape.
    if isinstance(shapes, (tuple, list)) and all(
        d is None or isinstance(d, numbers.Integral) for d in shapes
    ):
        return KerasTensor(tuple(shapes), dtype=dtype)
    if isinstance(shapes, dict):
        return {k: _specs_from_shapes(v, dtype) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_specs_from_shapes(s, dtype) for s in shapes)
    return KerasTensor(tuple(shapes), dtype=dtype)


def _symbolic_call(layer, args, kwargs):
    """`layer(*args, **kwargs)` on symbolic arguments: builds the layer, records the node
    and returns the symbolic outputs (with their masks)."""
    kwargs = dict(kwargs)
    scope = enter_layer_scope(layer)
    try:
        layer._maybe_build(args, kwargs)
    finally:
        leave_layer_scope(scope)
    if layer.input_spec is not None and args:
        assert_input_compatibility(layer.input_spec, args[0], layer.name)
    # A call that takes a mask gets its input's mask when its output shapes are found,
    # but the node does not record it: a model's run finds it again on the values.
    call_kwargs = dict(kwargs)
    previous_mask = _call_masks(layer, args, call_kwargs, _call_signature_flags(type(layer))[1])
    # Sublayers a symbolic call builds live in this layer's name scope, as in an eager call.
    scope = enter_layer_scope(layer)
    try:
        outputs = symbolic_call(layer, args, call_kwargs)
    finally:
        leave_layer_scope(scope)
    if len(call_kwargs) != len(kwargs) and flatten(outputs):
        node = flatten(outputs)[0].node
        node.kwargs = kwargs
        node.inputs = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
    if previous_mask is not None or layer._makes_masks():
        # compute_mask runs ops on symbolic tensors: they must record, also while a
        # Sequential builds its graph inside an eager call.
        context = _symbolic.call_context
        depth = context.eager_depth
        context.eager_depth = 0
        try:
            _set_output_masks(layer, _first_argument(layer, args, kwargs), outputs, previous_mask)
        finally:
            context.eager_depth = depth
    node = flatten(outputs)[0].node if flatten(outputs) else Node(layer, args, kwargs, outputs)
    layer._inbound_nodes.append(node)
    return outputs


class DTypePolicy:
    """A layer's dtype policy, as Keras reports it: minikeras has one dtype per layer, used
    for its weights and its computations (no mixed precision, no quantization)."""

    quantization_mode = None

    def __init__(self, name):
        self.name = name

    @property
    def compute_dtype(self):
        return self.name

    @property
    def variable_dtype(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    __hash__ = None

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


class Operation:
    """Output specs and shapes of a layer, and the graph history of its symbolic calls."""

    # A layer whose numpy arithmetic would turn int inputs and float32 weights into float64
    # sets this: its int inputs are converted to its dtype, the float32 Keras's type
    # promotion gives (see `call_arguments._to_tensors`).
    _promotes_integer_inputs = False
    # Whether `add_weight` refuses new weights once the layer is built (build_config.py).
    _locks_state_after_build = True

    @property
    def dtype_policy(self):
        """The layer's dtype policy (its `dtype` for weights and computations)."""
        return DTypePolicy(self.dtype)

    @dtype_policy.setter
    def dtype_policy(self, policy):
        # Keras switches to mixed precision or quantizes the layer here; minikeras can do
        # neither, so anything but the layer's own dtype raises instead of being ignored.
        name = getattr(policy, "name", policy)
        if name != self.dtype:
            raise NotImplementedError(
                f'Layer "{self.name}": minikeras cannot change a layer\'s dtype policy to '
                f"{name!r} (mixed precision and quantization are not available); the layer "
                f"computes in {self.dtype!r}. Pass `dtype=` when making the layer."
            )

    def compute_output_spec(self, *args, **kwargs):
        """Symbolic outputs for symbolic inputs.

        Uses `compute_output_shape` when the subclass defines it; otherwise runs the layer
        on small arrays (see `ops.symbolic`) and undoes that run's side effects (added
        losses, metric updates).
        """
        if type(self).compute_output_shape is not Operation.compute_output_shape:
            first = args[0] if args else next(iter(kwargs.values()))
            shapes = self.compute_output_shape(shapes_of(first))
            return _specs_from_shapes(shapes, self._dtype)
        from minikeras.ops.symbolic import compute_output_spec

        class _Probe:
            def __init__(self, layer):
                self.layer = layer

            def __call__(self, *a, **k):
                return self.layer(*a, **k)

        try:
            with self._writes_undone():
                specs = compute_output_spec(_Probe(self), args, kwargs)
        finally:
            for layer in self._flatten_layers():
                layer._losses.clear()
            for metric in self.metrics:
                metric.reset_state()
        return specs

    @contextlib.contextmanager
    def _writes_undone(self):
        """Puts back, on leaving, every variable value written inside the block.

        Keras traces symbolic calls, which assign nothing: what a probe run writes (a
        counter, moving statistics, a seed generator's state) into this layer's variables,
        its layers' seed generators, the global seed generator, or variables created inside
        the block (sublayers built by the probe) is undone; new variables end with their
        initial values.
        """
        existing = list(self.variables)  # the layers' seed generators' states among them
        if random._global_generator is not None:
            existing.append(random._global_generator.state)
        saved = [(variable, variable.data.copy()) for variable in existing]
        created = {}
        creation_logs.append(created)
        try:
            yield
        finally:
            creation_logs.pop()  # `created`: the blocks nest
            for variable, value in saved + list(created.values()):
                np.copyto(variable.data, value)

    def compute_output_shape(self, input_shape):
        """Output shape for `input_shape`; by default found by running the layer."""
        spec = self.compute_output_spec(_specs_from_shapes(input_shape, self._dtype))
        return map_structure(lambda t: tuple(t.shape), spec)

    # -- symbolic history -------------------------------------------------------------------
    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f'Layer "{self.name}" has never been called on a symbolic input, so it has no '
                f"defined {what}."
            )
        return self._inbound_nodes[0]

    @property
    def input(self):
        node = self._first_node("input")
        return node.args[0] if node.args else node.outputs

    @property
    def output(self):
        return self._first_node("output").outputs

    @property
    def input_shape(self):
        return shapes_of(self.input)

    @property
    def output_shape(self):
        return shapes_of(self.output)
