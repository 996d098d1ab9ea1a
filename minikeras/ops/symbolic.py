"""Symbolic tensors: placeholders that record a graph instead of computing values.

`Input(...)` returns a `KerasTensor`. Calling a layer or any `minikeras.ops` function on
KerasTensors does not compute anything: it records a `Node` (the operation, its arguments,
its outputs) and returns new KerasTensors with the right shape and dtype. A Functional model
later replays those nodes on real tensors.

The output shape of an operation comes from its `compute_output_spec` when it has one (the
ops whose inputs' unknown sizes must be matched against each other, such as broadcasting or
matmul, have a rule in `shape_inference.py`); otherwise the operation runs twice on small
arrays of ones, with different sizes for each unknown (None) dimension, and the output
dimensions that change between the two runs are unknown too.
"""

import functools
import threading

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor, Variable, no_grad
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.tree import flatten, map_structure
from minikeras.utils import naming

# Sizes substituted for unknown dimensions in the two probe runs: (batch, other axes).
_PROBE_SIZES = ((2, 16), (3, 17))

_symbolic_in_use = False


class _CallContext(threading.local):
    """The layer calls running in this thread; each thread has its own (as Keras's global
    state is per thread), so two models called in two threads do not see each other's.

    Attributes:
        eager_depth: how many eager (concrete) layer calls are running. Inside one, every
            argument is concrete, so ops skip looking for symbolic tensors (the layer that
            started the call already did).
        training: the `training` flag of each running layer call, innermost last; nested
            calls inherit it.
    """

    def __init__(self):
        self.eager_depth = 0
        self.training = [None]


call_context = _CallContext()


class Node:
    """One recorded call: `outputs = operation(*args, **kwargs)`.

    `args`/`kwargs` keep KerasTensors in place; `inputs` lists them in order. A call of a
    plain op gets a `name` (`add`, `add_1`, ...), as Keras names the operation object it
    makes for each such call: a model's config lists it under that name.
    """

    def __init__(self, operation, args, kwargs, outputs, name=None):
        self.operation = operation
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.inputs = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.outputs = outputs

    @property
    def parent_nodes(self):
        return [t.node for t in self.inputs if t.node is not None]


class KerasTensor:
    """A symbolic tensor: a shape (with None for unknown sizes), a dtype and its history.

    Args:
        shape: tuple of ints or None.
        dtype: dtype name (`floatx()` by default).
        name: optional name (Input names become input keys of a Functional model).
    """

    _is_symbolic = True
    ragged = False  # as Keras's attribute; minikeras has no ragged tensors
    __array_ufunc__ = None
    __array_priority__ = 200

    def __init__(self, shape, dtype=None, name=None, node=None, index=0, sparse=False):
        global _symbolic_in_use
        _symbolic_in_use = True
        self.shape = tuple(None if d is None else int(d) for d in shape)
        # "string": the inputs of the text layers, which run on numpy strings (as in Keras).
        self.dtype = "string" if dtype == "string" else np.dtype(dtype or config.floatx()).name
        self.name = name
        self.node = node
        self.index = index
        self.sparse = sparse

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_history(self):
        return (self.node, self.index)

    @property
    def _keras_mask(self):
        """The symbolic mask of this tensor (a boolean KerasTensor), or None."""
        return get_keras_mask(self)

    @_keras_mask.setter
    def _keras_mask(self, mask):
        set_keras_mask(self, mask)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A symbolic tensor (from keras.Input or a layer called on one) has no value; it "
            "only describes the model. Call the model on data to get numbers."
        )

    def __bool__(self):
        raise TypeError("A symbolic tensor has no truth value: it has no data yet.")

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(
                f"len() of a symbolic tensor with unknown first dimension {self.shape}."
            )
        return self.shape[0]

    def __iter__(self):
        # Without it Python would iterate through `__getitem__`, which records a new
        # indexing op for every index and never runs out: `list(x)` would never end.
        raise NotImplementedError("Iterating over a symbolic KerasTensor is not supported.")

    __hash__ = object.__hash__

    # The operators (+ - * / ** @, comparisons, unary -, abs, []) record the ops of
    # ops/numpy.py; they are installed by ops/_keras_tensor_operators.py.


def _contains_symbolic(value):
    if type(value) is KerasTensor:
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_symbolic(item) for item in value)
    if isinstance(value, dict):
        return any(_contains_symbolic(item) for item in value.values())
    return isinstance(value, KerasTensor)


# Argument types that can never hold a KerasTensor: checked first, as they are most common.
_CONCRETE_TYPES = frozenset([Tensor, Variable, np.ndarray, bool, int, float, str, type(None)])


def any_symbolic(args, kwargs=None):
    """True when some (nested) argument is a KerasTensor."""
    if not _symbolic_in_use:
        return False
    for values in (args, kwargs.values()) if kwargs else (args,):
        for value in values:
            if type(value) not in _CONCRETE_TYPES and _contains_symbolic(value):
                return True
    return False


def _probe_array(tensor, run):
    batch_size, other_size = _PROBE_SIZES[run]
    shape = [
        (batch_size if axis == 0 else other_size) if size is None else size
        for axis, size in enumerate(tensor.shape)
    ]
    return Tensor(np.ones(shape, dtype=tensor.dtype), dtype=tensor.dtype)


def _probe(operation, args, kwargs, run):
    def substitute(value):
        return _probe_array(value, run) if isinstance(value, KerasTensor) else value

    # Arrays of ones may sit on an op's edge (arctanh(1), log10(0) of a zero difference):
    # the probe only wants shapes, so floating-point warnings say nothing here.
    with no_grad(), np.errstate(all="ignore"):
        return operation(*map_structure(substitute, args), **map_structure(substitute, kwargs))


def compute_output_spec(operation, args, kwargs):
    """Returns KerasTensors (no history yet) describing `operation(*args, **kwargs)`."""
    if hasattr(operation, "compute_output_spec"):
        return operation.compute_output_spec(*args, **kwargs)
    return probe_output_spec(operation, args, kwargs)


def probe_output_spec(operation, args, kwargs):
    """The output spec found by running `operation` on arrays of ones (see the module doc)."""
    first = _probe(operation, args, kwargs, 0)
    inputs = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
    if any(None in t.shape for t in inputs):
        second = flatten(_probe(operation, args, kwargs, 1))
    else:
        second = None
    flat_first = flatten(first)
    specs = []
    for i, value in enumerate(flat_first):
        shape = tuple(value.shape)
        if second is not None:
            other = tuple(second[i].shape)
            shape = tuple(a if a == b else None for a, b in zip(shape, other, strict=True))
        specs.append(KerasTensor(shape, dtype=np.dtype(value.dtype).name))
    iterator = iter(specs)
    return map_structure(lambda _: next(iterator), first)


def unit_probe_dtypes(fn, args, kwargs):
    """The output dtype(s) of `fn` run on arrays of ones with every size 1 (ranks kept).

    Size 1 fits every broadcast and every contraction, so this finds the dtypes of ops whose
    shape rule is written out, without knowing their unknown sizes.
    """

    def substitute(value):
        # Concrete operands too (`ops.matmul(x, weights)`): their sizes must meet the 1s.
        if isinstance(value, (KerasTensor, Tensor, np.ndarray)):
            dtype = np.dtype(value.dtype).name
            return Tensor(np.ones((1,) * value.ndim, dtype=dtype), dtype=dtype)
        return value

    with no_grad(), np.errstate(all="ignore"):
        result = fn(*map_structure(substitute, args), **map_structure(substitute, kwargs))
    return map_structure(lambda value: np.dtype(value.dtype).name, result)


def symbolic_call(operation, args, kwargs):
    """Records `operation(*args, **kwargs)` on KerasTensors and returns its symbolic outputs."""
    outputs = compute_output_spec(operation, args, kwargs)
    flat = flatten(outputs)
    # Drawn from the table of layer names, as Keras does: `x + 1` makes `layers.Add()` "add_1".
    name = naming.auto_name(operation.name) if type(operation) is OpCall else None
    node = Node(operation, args, kwargs, outputs, name)
    for index, tensor in enumerate(flat):
        tensor.node = node
        tensor.index = index
    return outputs


class OpCall:
    """Wraps a plain `ops` function as the operation of a graph node.

    Args:
        fn: the op.
        output_spec: optional rule `output_spec(fn, *args, **kwargs)` returning KerasTensors
            that describe the outputs; without one, shapes are found by probe runs.
    """

    def __init__(self, fn, output_spec=None):
        self.fn = fn
        self.name = fn.__name__
        if output_spec is not None:
            self.compute_output_spec = functools.partial(output_spec, fn)

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __repr__(self):
        return f"<op {self.name}>"


def describe_tensor(tensor):
    """`tensor` and the layer (or op) that made it, for error messages."""
    node = tensor.node
    where = getattr(node.operation, "name", "?") if node is not None else "no layer"
    return f"{tensor!r} (made by {where!r})"


def op(fn=None, *, output_spec=None):
    """Decorator for public ops: on KerasTensors, record a node instead of computing.

    Used bare (`@op`) or with a shape rule (`@op(output_spec=rule)`, see `OpCall`).
    """
    if fn is None:
        return functools.partial(op, output_spec=output_spec)
    operation = OpCall(fn, output_spec)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _symbolic_in_use and not call_context.eager_depth and any_symbolic(args, kwargs):
            return symbolic_call(operation, args, kwargs)
        return fn(*args, **kwargs)

    wrapper.operation = operation
    return wrapper
