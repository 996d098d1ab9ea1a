"""Ops applied directly to symbolic tensors, in a Functional config the way Keras 3 writes them.

`x + 2` or `ops.mean(x, axis=1)` on an `Input` records a graph node whose operation is a
plain op (`ops/symbolic.py`). Keras makes an `Operation` object for each such call and
writes it as one entry of the config's `"layers"`:

    {"module": "keras.src.ops.numpy", "class_name": "Mean", "registered_name": "Mean",
     "config": {"name": "mean", "axis": 1, "keepdims": false},
     "name": "mean", "inbound_nodes": [{"args": [<x>], "kwargs": {}}]}

The op's arguments are split in two: the constructor's (`axis`, `keepdims`) go into
`"config"`, the call's (the tensors, mostly) into the node's `"args"`/`"kwargs"`.
`KERAS_OPERATIONS` lists, for each Keras operation class minikeras reads and writes, the
minikeras op it stands for and how its arguments split. A class that is not listed raises
a ValueError naming it, both ways: minikeras never guesses what an unknown op computes.
"""

import inspect

import numpy as np

from minikeras import ops
from minikeras.config import floatx
from minikeras.tree import flatten


class OperationSpec:
    """How one Keras operation class maps to a minikeras op.

    Args:
        module: the Keras module Keras writes (`"keras.src.ops.numpy"`, ...).
        function: the name of the minikeras op (in `minikeras.ops`).
        constructor: the Keras constructor's arguments (besides `name`), in its order;
            they are written into the entry's `"config"`.
        call: the arguments the call node gets as positional `"args"`, in order
            (`"*operands"` for a variable number).
        call_keywords: the arguments the call node gets as `"kwargs"`.
        dtype_default: a function giving the dtype Keras writes for `dtype=None` (its op
            function resolves it before making the operation); None: it writes None.
    """

    def __init__(
        self, module, function, constructor=(), call=("x",), call_keywords=(), dtype_default=None
    ):
        self.module = module
        self.function = function
        self.constructor = tuple(constructor)
        self.call = tuple(call)
        self.call_keywords = tuple(call_keywords)
        self.dtype_default = dtype_default

    @property
    def op(self):
        return getattr(ops, self.function)


def _numpy(function, constructor=(), call=("x",), call_keywords=()):
    return OperationSpec("keras.src.ops.numpy", function, constructor, call, call_keywords)


_BINARY = ("x1", "x2")
_REDUCTION = ("axis", "keepdims")

# Keras class name -> spec. Each is checked against Keras 3.15 in
# tests/test_functional_ops_config.py (module, constructor and call arguments, and the entry
# Keras writes for a call).
KERAS_OPERATIONS = {
    # arithmetic and comparisons: two tensors, no constructor arguments
    **{
        name: _numpy(function, call=_BINARY)
        for name, function in {
            "Add": "add",
            "Subtract": "subtract",
            "Multiply": "multiply",
            "Divide": "divide",
            "TrueDivide": "true_divide",
            "FloorDivide": "floor_divide",
            "Mod": "mod",
            "Power": "power",
            "Matmul": "matmul",
            "Dot": "dot",
            "Maximum": "maximum",
            "Minimum": "minimum",
            "Equal": "equal",
            "NotEqual": "not_equal",
            "Greater": "greater",
            "GreaterEqual": "greater_equal",
            "Less": "less",
            "LessEqual": "less_equal",
            "LogicalAnd": "logical_and",
            "LogicalOr": "logical_or",
            "LogicalXor": "logical_xor",
        }.items()
    },
    # element-wise functions of one tensor
    **{
        name: _numpy(function)
        for name, function in {
            "Absolute": "absolute",
            "Negative": "negative",
            "Exp": "exp",
            "Log": "log",
            "Log1p": "log1p",
            "Expm1": "expm1",
            "Sqrt": "sqrt",
            "Square": "square",
            "Reciprocal": "reciprocal",
            "Tanh": "tanh",
            "Sin": "sin",
            "Cos": "cos",
            "Sign": "sign",
            "Floor": "floor",
            "Ceil": "ceil",
            "LogicalNot": "logical_not",
            "Isnan": "isnan",
            "Ravel": "ravel",
        }.items()
    },
    # reductions
    **{
        name: _numpy(function, _REDUCTION)
        for name, function in {
            "Mean": "mean",
            "Sum": "sum",
            "Std": "std",
            "Var": "var",
            "Median": "median",
            "Argmax": "argmax",
            "Argmin": "argmin",
            "All": "all",
            "Any": "any",
        }.items()
    },
    "Max": _numpy("max", (*_REDUCTION, "initial")),
    "Min": _numpy("min", (*_REDUCTION, "initial")),
    "Prod": _numpy("prod", (*_REDUCTION, "dtype")),
    "Cumsum": _numpy("cumsum", ("axis", "dtype")),
    # shapes and selection
    "Concatenate": _numpy("concatenate", ("axis",), call=("xs",)),
    "Stack": _numpy("stack", ("axis",)),
    "Reshape": _numpy("reshape", ("newshape",)),
    "Transpose": _numpy("transpose", ("axes",)),
    "ExpandDims": _numpy("expand_dims", ("axis",)),
    "Squeeze": _numpy("squeeze", ("axis",)),
    "Swapaxes": _numpy("swapaxes", ("axis1", "axis2")),
    "Moveaxis": _numpy("moveaxis", ("source", "destination")),
    "Tile": _numpy("tile", ("repeats",)),
    "Repeat": _numpy("repeat", ("repeats", "axis")),
    "BroadcastTo": _numpy("broadcast_to", ("shape",)),
    "Flip": _numpy("flip", ("axis",)),
    "Split": _numpy("split", ("indices_or_sections", "axis")),
    "Pad": _numpy("pad", ("pad_width", "mode"), call_keywords=("constant_values",)),
    "GetItem": _numpy("get_item", call=("x", "key")),
    "Take": _numpy("take", ("axis",), call=("x", "indices")),
    "Where": _numpy("where", call=("condition", "x1", "x2")),
    "Clip": _numpy("clip", ("x_min", "x_max")),
    "Round": _numpy("round", ("decimals",)),
    "Sort": _numpy("sort", ("axis",)),
    "Argsort": _numpy("argsort", ("axis",)),
    "Einsum": _numpy("einsum", ("subscripts",), call=("*operands",)),
    "Tensordot": _numpy("tensordot", ("axes",), call=_BINARY),
    "ZerosLike": _numpy("zeros_like", ("dtype",)),
    "OnesLike": _numpy("ones_like", ("dtype",)),
    "NanToNum": _numpy("nan_to_num", ("nan", "posinf", "neginf")),
    "Average": _numpy("average", ("axis",), call_keywords=("weights",)),
    # keras.ops core, math, nn, linalg
    "Cast": OperationSpec("keras.src.ops.core", "cast", ("dtype",)),
    "Unstack": OperationSpec("keras.src.ops.core", "unstack", ("num", "axis")),
    "StopGradient": OperationSpec("keras.src.ops.core", "stop_gradient", call=("variable",)),
    "Slice": OperationSpec("keras.src.ops.core", "slice", ("shape",), ("inputs", "start_indices")),
    "Rsqrt": OperationSpec("keras.src.ops.math", "rsqrt"),
    "Erf": OperationSpec("keras.src.ops.math", "erf"),
    "Logsumexp": OperationSpec("keras.src.ops.math", "logsumexp", _REDUCTION),
    "TopK": OperationSpec("keras.src.ops.math", "top_k", ("k", "sorted")),
    "Relu": OperationSpec("keras.src.ops.nn", "relu"),
    "Sigmoid": OperationSpec("keras.src.ops.nn", "sigmoid"),
    "Silu": OperationSpec("keras.src.ops.nn", "silu"),
    "Softplus": OperationSpec("keras.src.ops.nn", "softplus"),
    "Gelu": OperationSpec("keras.src.ops.nn", "gelu", ("approximate",)),
    "Softmax": OperationSpec("keras.src.ops.nn", "softmax", ("axis",)),
    "LogSoftmax": OperationSpec("keras.src.ops.nn", "log_softmax", ("axis",)),
    "OneHot": OperationSpec(
        "keras.src.ops.nn",
        "one_hot",
        ("num_classes", "axis", "dtype", "sparse"),
        dtype_default=floatx,
    ),
    "Normalize": OperationSpec("keras.src.ops.nn", "normalize", ("axis", "order", "epsilon")),
    "Norm": OperationSpec("keras.src.ops.linalg", "norm", ("ord", "axis", "keepdims")),
}

# The op (its graph operation, see `ops.symbolic.op`) -> Keras class name. `ops.abs` is
# Keras's Absolute too.
_CLASS_OF_OPERATION = {spec.op.operation: name for name, spec in KERAS_OPERATIONS.items()}
_CLASS_OF_OPERATION[ops.abs.operation] = "Absolute"


def is_operation_config(layer_data):
    """True for a Functional config entry that Keras wrote for an op (not a layer)."""
    module = layer_data.get("module") if isinstance(layer_data, dict) else None
    return isinstance(module, str) and module.startswith("keras.src.ops.")


def _spec(class_name, entry_name, module=None):
    spec = KERAS_OPERATIONS.get(class_name)
    if spec is None:
        where = f" (module {module!r})" if module else ""
        raise ValueError(
            f"The Functional config entry {entry_name!r} is the Keras operation "
            f"{class_name!r}{where}, which minikeras cannot read. Operations it reads: "
            f"{sorted(KERAS_OPERATIONS)}."
        )
    return spec


class KerasOperation:
    """An op entry of a Keras Functional config, ready to be called on symbolic tensors.

    Calling it calls the minikeras op with the node's arguments and the entry's
    constructor arguments; the graph node it records is named after the entry, so the
    model's config names it the same way again.

    Args:
        class_name: the Keras operation class (a key of `KERAS_OPERATIONS`).
        config: the entry's `"config"` (`name` and the constructor's arguments).
    """

    def __init__(self, class_name, config):
        config = dict(config)
        self.class_name = class_name
        self.name = config.pop("name", None) or class_name
        self.spec = _spec(class_name, self.name)
        unknown = sorted(set(config) - set(self.spec.constructor))
        if unknown:
            raise ValueError(
                f"The config of the Keras operation {class_name!r} ({self.name!r}) has "
                f"arguments minikeras does not know: {unknown}. Known: "
                f"{list(self.spec.constructor)}."
            )
        self.constructor_arguments = config
        self._inbound_nodes = []

    def __call__(self, *args, **kwargs):
        arguments = dict(self.constructor_arguments)
        if self.class_name == "GetItem" and len(args) > 1 and isinstance(args[1], list):
            # JSON has no tuples: a multi-axis index comes back as a list (Keras's GetItem
            # turns it back into a tuple too).
            args = (args[0], tuple(args[1]), *args[2:])
        if self.spec.call == ("*operands",):
            outputs = self.spec.op(*(arguments.pop(p) for p in self.spec.constructor), *args)
        else:
            outputs = self.spec.op(*args, **kwargs, **arguments)
        node = flatten(outputs)[0].node
        node.name = self.name
        self._inbound_nodes.append(node)
        return outputs

    def __repr__(self):
        return f"<KerasOperation {self.class_name} {self.name!r}>"


def operation_from_config(layer_data):
    """The `KerasOperation` for a config entry where `is_operation_config` is true."""
    class_name = layer_data.get("class_name")
    _spec(class_name, layer_data.get("name"), layer_data.get("module"))
    config = layer_data.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(
            f"The config of the Keras operation {class_name!r} must be a dict; got {config!r}."
        )
    config = dict(config)
    config.setdefault("name", layer_data.get("name"))
    return KerasOperation(class_name, config)


def operation_entry(node, name, serialize):
    """The config entry (without `"name"`/`"inbound_nodes"`) and the call's arguments for an
    op node, as Keras writes them.

    Args:
        node: a graph node whose operation is a plain op.
        name: the entry's name.
        serialize: turns an argument value (tensors included) into its config form.

    Returns:
        `(entry, args, kwargs)`.

    Raises:
        NotImplementedError: for an op Keras has no operation class for here.
    """
    class_name = _CLASS_OF_OPERATION.get(node.operation)
    if class_name is None:
        raise NotImplementedError(
            f"The op {node.operation.name!r} is applied directly to symbolic tensors, and "
            "minikeras cannot write it in Keras's config format (the ops it writes are those "
            "of minikeras.models.operation_config.KERAS_OPERATIONS). Wrap the computation in a "
            "layer (e.g. a Lambda or a Layer subclass)."
        )
    spec = KERAS_OPERATIONS[class_name]
    bound = inspect.signature(node.operation.fn).bind(*node.args, **node.kwargs)
    bound.apply_defaults()
    values = bound.arguments
    config = {"name": name}
    for parameter in spec.constructor:
        value = values[parameter]
        if parameter == "dtype" and value is None and spec.dtype_default is not None:
            value = spec.dtype_default()
        if parameter == "dtype" and value is not None:
            value = _dtype_name(value)
        config[parameter] = serialize(value)
    if spec.call == ("*operands",):
        args = [serialize(value) for value in values["operands"]]
    else:
        args = [serialize(values[parameter]) for parameter in spec.call]
    kwargs = {parameter: serialize(values[parameter]) for parameter in spec.call_keywords}
    entry = {
        "module": spec.module,
        "class_name": class_name,
        "config": config,
        "registered_name": class_name,
    }
    return entry, args, kwargs


def _dtype_name(value):
    return np.dtype(value).name
