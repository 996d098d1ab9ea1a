"""`Model.summary()`: the layer table Keras prints, in its layout.

Keras draws the table with the `rich` library; minikeras draws the same text itself: the
same columns and widths (Keras's `positions` of a default line of 88 characters, 108 with a
"Connected to" column for a graph that is not a chain, 12 more for "Trainable", never wider
than the terminal less 4), cells wrapped at spaces, a word too long for its column cut with
"…", then the parameter totals, optimizer variables included once the optimizer is built.
"""

import re
import shutil

import numpy as np

from minikeras.layers.input_layer import InputLayer
from minikeras.layers.operation import Operation, shapes_of
from minikeras.ops.symbolic import Node
from minikeras.tree import flatten, map_shape_structure
from minikeras.utils.io_utils import is_interactive_logging_enabled, print_msg


def _shape_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _structure_text(shapes):
    """One shape as `(None, 4)`; several as Keras writes their structure (`[(1, 2), (3,)]`
    becomes `[(1, 2), (3)]`, a dict `{head: (1, 10)}`)."""
    texts = map_shape_structure(_shape_text, shapes)
    flat = flatten(texts)
    if len(flat) == 1:
        return flat[0]
    return str(texts).replace("'", "")


def _output_shape_text(layer):
    """The output shape of the layer's last call on symbolic tensors, or, for a layer only
    built (in a subclassed model), `compute_output_shape` of the shapes it was built on;
    `?` when neither is known."""
    if isinstance(layer, Node):
        return _structure_text(shapes_of(layer.outputs))
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if nodes:
        return _structure_text(shapes_of(nodes[-1].outputs))
    if not getattr(layer, "built", False):
        return "?"
    # Keras finds this shape with the layer's own `compute_output_shape`, which a user's
    # layer often lacks (Keras's layers have one): then it shows `?`.
    own_rule = type(layer).compute_output_shape is not Operation.compute_output_shape
    if not own_rule and not type(layer).__module__.startswith("minikeras."):
        return "?"
    shapes_dict = layer.__dict__.get("_build_shapes_dict")
    shape = layer.__dict__.get("_build_shapes")
    try:
        if shapes_dict:
            shapes = layer.compute_output_shape(**shapes_dict)
        elif shape is not None:
            shapes = layer.compute_output_shape(shape)
        else:
            return "?"
    except NotImplementedError:
        return "?"
    return _structure_text(shapes)


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _memory(weights):
    """Bytes of the distinct `weights`, each at its dtype's size."""
    distinct = {id(w): w for w in weights}.values()
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in distinct)


def _format_bytes(size):
    size = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _operations(model):
    """The rows of the table (layers, and op calls of a Functional graph) and, for a
    Functional model, its graph's nodes (None otherwise)."""
    from minikeras.models.functional import Functional
    from minikeras.models.functional_config import map_graph

    if not isinstance(model, Functional):
        return model.layers, None
    operations, nodes = map_graph(model._inputs_struct, model._outputs_struct)
    return operations, nodes


def _is_chain(model, nodes):
    """Keras's test for a "sequential-like" graph: one input and one output, each call
    fed by one tensor, and no layer called twice inside the model."""
    if len(flatten(model._inputs_struct)) > 1 or len(flatten(model._outputs_struct)) > 1:
        return False
    calls = {}
    for node in nodes:
        if isinstance(node.operation, InputLayer):
            continue
        if len(node.inputs) > 1:
            return False
        calls[id(node.operation)] = calls.get(id(node.operation), 0) + 1
    return all(count == 1 for count in calls.values())


def _names(operations):
    """Row names: a layer's name, or the name an op call has in the model's config."""
    from minikeras.models.functional_config import _op_node_names

    return _op_node_names(operations)


def _class_name(operation):
    from minikeras.models.operation_config import _CLASS_OF_OPERATION

    if isinstance(operation, Node):
        known = _CLASS_OF_OPERATION.get(operation.operation)
        if known is not None:
            return known
        return "".join(part.capitalize() for part in operation.operation.name.split("_"))
    return type(operation).__name__


def _connections(operation, nodes, op_names):
    """`dense[0][0], input_layer[0][0]`: the call and output index of each input tensor."""
    own_nodes = [operation] if isinstance(operation, Node) else operation._inbound_nodes
    model_nodes = {id(node) for node in nodes}
    parts = []
    for node in own_nodes:
        if id(node) not in model_nodes:
            continue
        for tensor in node.inputs:
            parent = tensor.node
            if type(parent.operation).__name__ == "OpCall":
                name, call = op_names[id(parent)], 0
            else:
                name = parent.operation.name
                calls = parent.operation._inbound_nodes
                call = next((i for i, n in enumerate(calls) if n is parent), 0)
            parts.append(f"{name}[{call}][{tensor.index}]")
    return ", ".join(parts) or "-"


def _wrap(text, width):
    """Lines of `text` at most `width` long, broken before a word (a word keeps the spaces
    before it unless it starts a line); a word longer than `width` ends in `…`."""
    lines = []
    for paragraph in str(text).split("\n"):
        line = None
        for token in re.findall(r"\s*\S+", paragraph) or [""]:
            if line is not None and len(line) + len(token) <= width:
                line += token
                continue
            if line is not None:
                lines.append(line)
                token = token.lstrip()
            line = token if len(token) <= width else token[: width - 1] + "…"
        lines.append(line)
    return lines


def _column_widths(positions, line_length):
    """Each column's width (text and its two padding spaces), shrunk as Keras's table
    shrinks them to fit `line_length` with its borders: the excess is taken evenly, the
    first columns first."""
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    # As in Keras's table, a column's given width excludes its padding.
    widths = [width + 2 for width in widths]
    excess = sum(widths) - (line_length - len(widths) - 1)
    if excess > 0:
        remaining_columns = len(widths)
        for i, width in enumerate(widths):
            taken = min(width, round(excess / remaining_columns))
            widths[i] = width - taken
            excess -= taken
            remaining_columns -= 1
    return widths


def _table(header, rows, widths, alignment):
    def border(left, middle, right, fill):
        return left + middle.join(fill * width for width in widths) + right

    def cell_line(text, width, align):
        space = width - 2
        if align == "right":
            text = text.rjust(space)
        elif align == "center":
            left = (space - len(text)) // 2
            text = " " * left + text + " " * (space - len(text) - left)
        else:
            text = text.ljust(space)
        return f" {text} "

    def table_row(cells, separator):
        wrapped = [_wrap(cell, width - 2) for cell, width in zip(cells, widths)]
        height = max(len(lines) for lines in wrapped)
        out = []
        for index in range(height):
            parts = [
                cell_line(lines[index] if index < len(lines) else "", width, align)
                for lines, width, align in zip(wrapped, widths, alignment)
            ]
            out.append(separator + separator.join(parts) + separator)
        return out

    # Header cells are cut, not wrapped.
    header = [
        name if len(name) <= w - 2 else name[: w - 3] + "…" for name, w in zip(header, widths)
    ]
    lines = [border("┏", "┳", "┓", "━")]
    lines += table_row(header, "┃")
    lines.append(border("┡", "╇", "┩", "━"))
    for index, cells in enumerate(rows):
        lines += table_row(cells, "│")
        if index + 1 < len(rows):
            lines.append(border("├", "┼", "┤", "─"))
    lines.append(border("└", "┴", "┘", "─"))
    return lines


def _layer_range_bounds(operations, names, layer_range):
    """Keras's `layer_range`: the first layer matching the first pattern to the last one
    matching the second (patterns are regular expressions), both included."""
    if layer_range is None:
        return 0, len(operations)
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, name in enumerate(names) if re.match(layer_range[0], name)]
    upper = [i for i, name in enumerate(names) if re.match(layer_range[1], name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
):
    """Prints the layer table of `model` (as `keras.Model.summary`).

    Args:
        model: the model.
        line_length: the table's width (by default 88, or 108 with a "Connected to"
            column, 12 more with `show_trainable`, at most the terminal's width less 4).
        positions: where each column ends, as fractions of the line (or in characters).
        print_fn: called once with the whole text; by default it is printed (or logged
            when interactive logging is off).
        expand_nested: whether to list the layers of nested models too.
        show_trainable: whether to add a "Trainable" column (`Y`/`N`, `-` without weights).
        layer_range: `[first, last]` layer name patterns bounding the rows.
    """
    operations, nodes = _operations(model)
    op_names = _names(operations) if nodes is not None else {}
    chain = nodes is None or _is_chain(model, nodes)
    if chain:
        default_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    widths = _column_widths(positions, line_length)

    def name_of(operation):
        return op_names[id(operation)] if isinstance(operation, Node) else operation.name

    def fields(operation, prefix=""):
        if isinstance(operation, Node):
            params = "0"
        elif not operation.built:
            params = "0 (unbuilt)"
        else:
            params = f"{operation.count_params():,}"
        row = [
            f"{prefix}{name_of(operation)} ({_class_name(operation)})",
            _output_shape_text(operation),
            params,
        ]
        if not chain:
            row.append(_connections(operation, nodes, op_names))
        if show_trainable:
            weights = getattr(operation, "weights", None)
            row.append(("Y" if operation.trainable else "N") if weights else "-")
        return row

    def rows_of(operation, depth=0):
        rows = [fields(operation, "   " * depth + "└ " if depth else "")]
        if expand_nested and getattr(operation, "layers", None):
            for layer in operation.layers:
                rows += rows_of(layer, depth + 1)
        return rows

    start, end = _layer_range_bounds(operations, [name_of(op) for op in operations], layer_range)
    rows = [row for operation in operations[start:end] for row in rows_of(operation)]

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    optimizer_built = (
        getattr(model, "compiled", False)
        and optimizer is not None
        and getattr(optimizer, "built", False)
    )
    optimizer_variables = optimizer.variables if optimizer_built else []
    total = _count(trainable) + _count(non_trainable) + _count(optimizer_variables)
    total_memory = _memory(trainable) + _memory(non_trainable) + _memory(optimizer_variables)

    lines = [f'Model: "{model.name}"']
    lines += _table(header, rows, widths, alignment)
    lines.append(f" Total params: {total:,} ({_format_bytes(total_memory)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({_format_bytes(_memory(trainable))})")
    lines.append(
        f" Non-trainable params: {_count(non_trainable):,} "
        f"({_format_bytes(_memory(non_trainable))})"
    )
    if optimizer_built:
        lines.append(
            f" Optimizer params: {_count(optimizer_variables):,} "
            f"({_format_bytes(_memory(optimizer_variables))})"
        )
    text = "\n".join(lines) + "\n"
    # As Keras: `print_fn` gets the whole summary in one call.
    if print_fn is not None:
        print_fn(text)
    elif is_interactive_logging_enabled():
        print(text, end="")
    else:
        print_msg(text, line_break=False)
