"""`keras.utils.model_to_dot` and `keras.utils.plot_model`: a model's layer graph as a picture.

One box per layer (a layer shared by several calls is one box with several edges in and
out), one arrow per tensor passed from a layer to the next. Sequential models draw their
layers in a chain without the input; Functional models draw their `InputLayer`s and every
call between inputs and outputs; a subclassed model is one box, since its graph is Python
code. With `expand_nested=True` a nested Functional or Sequential model is drawn as a dashed
cluster of its own layers, and the arrows go to the layers inside.

The DOT text is written here (see `utils/dot.py`); images need the Graphviz `dot` program.
"""

import itertools

from minikeras.utils import dot as _dot


def _is_graph_model(layer):
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    return isinstance(layer, (Functional, Sequential))


def _activation_name(layer):
    activation = layer.activation
    for attribute in ("name", "__name__"):
        name = getattr(activation, attribute, None)
        if isinstance(name, str):
            return name
    return str(activation)


def _format_shape(structure):
    if isinstance(structure, dict):
        return ", ".join(f"{key}: {_format_shape(value)}" for key, value in structure.items())
    if isinstance(structure, list):
        return "[" + ", ".join(_format_shape(item) for item in structure) + "]"
    return str(tuple(structure.shape))


def _format_dtype(structure):
    if isinstance(structure, dict):
        return ", ".join(f"{key}: {_format_dtype(value)}" for key, value in structure.items())
    if isinstance(structure, (list, tuple)):
        return "[" + ", ".join(_format_dtype(item) for item in structure) + "]"
    return str(structure.dtype)


def _node_inputs(node):
    """The symbolic inputs of a call, as the layer received them (a tensor, list or dict)."""
    if len(node.args) == 1 and not node.kwargs:
        return node.args[0]
    return node.inputs if len(node.inputs) != 1 else node.inputs[0]


def _label(operation, node, options):
    """The HTML-like label of one box: name and class, then the rows the options ask for."""
    from minikeras.layers.input_layer import InputLayer
    from minikeras.layers.layer import Layer

    if isinstance(operation, Layer):
        class_name = type(operation).__name__
        calls = operation._inbound_nodes
        node = calls[0] if calls else node
    else:  # an `ops` function called on symbolic tensors
        class_name = f"ops.{operation.name}"
    name = _dot.escape_html(getattr(operation, "name", class_name))
    class_name = _dot.escape_html(class_name)
    header = (
        f"<b>{name}</b> ({class_name})" if options["show_layer_names"] else f"<b>{class_name}</b>"
    )

    rows = [header]
    activation = getattr(operation, "activation", None)
    if options["show_layer_activations"] and activation is not None:
        rows.append(f"Activation: <b>{_dot.escape_html(_activation_name(operation))}</b>")
    cells = []
    if options["show_shapes"]:
        inputs = outputs = "?"
        if node is not None:
            inputs = _format_shape(_node_inputs(node)) if node.inputs else "?"
            outputs = _format_shape(node.outputs)
        if not isinstance(operation, InputLayer):
            cells.append(f"Input shape: <b>{_dot.escape_html(inputs)}</b>")
        cells.append(f"Output shape: <b>{_dot.escape_html(outputs)}</b>")
    if options["show_dtype"]:
        dtype = _format_dtype(node.outputs) if node is not None else "?"
        cells.append(f"Output dtype: <b>{_dot.escape_html(dtype)}</b>")
    trainable_cell = None
    if options["show_trainable"] and getattr(operation, "weights", None):
        trainable_cell = (
            '<td bgcolor="forestgreen"><font color="white"><b>Trainable</b></font></td>'
            if operation.trainable
            else '<td bgcolor="firebrick"><font color="white"><b>Non-trainable</b></font></td>'
        )

    span = max(1, len(cells) + (trainable_cell is not None))
    lines = ['<<table border="0" cellborder="1" cellpadding="8">']
    lines.append(
        f'<tr><td colspan="{span}" bgcolor="black"><font color="white">{rows[0]}</font></td></tr>'
    )
    for row in rows[1:]:
        lines.append(f'<tr><td colspan="{span}">{row}</td></tr>')
    cells = [f"<td>{cell}</td>" for cell in cells]
    if trainable_cell is not None:
        cells.append(trainable_cell)
    if cells:
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>>")
    return "".join(lines)


class _Writer:
    """Collects the DOT statements of one diagram, naming each box once."""

    def __init__(self, options):
        self.options = options
        self.ids = {}  # key of a box -> its DOT id
        self.edges = []
        self.lines = []

    def box_id(self, key, name):
        if key not in self.ids:
            taken = set(self.ids.values())
            candidate, count = name, 1
            while candidate in taken:
                count += 1
                candidate = f"{name}_{count}"
            self.ids[key] = candidate
        return self.ids[key]

    def add_box(self, operation, node, indent):
        key = _box_key(operation, node)
        if key in self.ids:  # a layer shared between an outer and a nested model
            return
        box = self.box_id(key, getattr(operation, "name", "op"))
        label = _label(operation, node, self.options)
        self.lines.append(f"{indent}{_dot.quote(box)} {_dot.attributes(label=label)};")

    def add_edge(self, source_key, destination_key):
        edge = (self.ids[source_key], self.ids[destination_key])
        if edge not in self.edges:
            self.edges.append(edge)


def _box_key(operation, node):
    """Layers are one box however often they are called; each `ops` call is its own box."""
    from minikeras.layers.layer import Layer

    return id(operation) if isinstance(operation, Layer) or node is None else id(node)


def _graph_nodes(model):
    """The calls (nodes) between a Functional model's inputs and outputs, in graph order."""
    from minikeras.models.functional_config import map_graph

    _, nodes = map_graph(model._inputs_struct, model._outputs_struct)
    return nodes


def _exit_key(operation, node, output_index):
    """The box an arrow leaving `operation` starts from (inside a nested model, expanded)."""
    from minikeras.models.sequential import Sequential

    while _is_graph_model(operation):
        if isinstance(operation, Sequential):
            operation, node = operation.layers[-1], None
            continue
        tensor = operation.outputs[output_index]
        operation, node, output_index = tensor.node.operation, tensor.node, tensor.index
    return _box_key(operation, node)


def _entry_key(operation, node, input_index):
    """The box an arrow into `operation` ends at (inside a nested model, expanded)."""
    from minikeras.models.sequential import Sequential

    while _is_graph_model(operation):
        if isinstance(operation, Sequential):
            operation, node = operation.layers[0], None
        else:
            tensor = operation.inputs[input_index]
            operation, node = tensor.node.operation, tensor.node
    return _box_key(operation, node)


def _add_model(writer, model, expand_nested, indent):
    """Adds the boxes and arrows of `model`'s own graph (recursing into nested models)."""
    from minikeras.models.sequential import Sequential

    if isinstance(model, Sequential):
        steps = [(layer, None) for layer in model.layers]
    elif _is_graph_model(model):
        seen, steps = set(), []
        for node in _graph_nodes(model):
            key = _box_key(node.operation, node)
            if key not in seen:
                seen.add(key)
                steps.append((node.operation, node))
    else:  # a subclassed model: its graph is Python code
        writer.add_box(model, None, indent)
        return

    for operation, node in steps:
        if expand_nested and _is_graph_model(operation):
            writer.lines.append(f"{indent}subgraph {_dot.quote('cluster_' + operation.name)} {{")
            inner = indent + "  "
            for key, value in (("label", operation.name), ("labeljust", "l"), ("style", "dashed")):
                writer.lines.append(f"{inner}{key}={_dot.quote(value)};")
            _add_model(writer, operation, expand_nested, inner)
            writer.lines.append(f"{indent}}}")
        else:
            writer.add_box(operation, node, indent)

    def key_of(operation, node, output_index=0):
        if expand_nested:
            return _exit_key(operation, node, output_index)
        return _box_key(operation, node)

    if isinstance(model, Sequential):
        for (source, _), (destination, _) in itertools.pairwise(steps):
            destination_key = (
                _entry_key(destination, None, 0) if expand_nested else _box_key(destination, None)
            )
            writer.add_edge(key_of(source, None), destination_key)
        return
    for node in _graph_nodes(model):
        for input_index, tensor in enumerate(node.inputs):
            parent = tensor.node
            if parent is None:
                continue
            source = key_of(parent.operation, parent, tensor.index)
            if expand_nested:
                destination = _entry_key(node.operation, node, input_index)
            else:
                destination = _box_key(node.operation, node)
            writer.add_edge(source, destination)


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Returns the DOT description of a model's layer graph (as `keras.utils.model_to_dot`).

    Args:
        model: a built Keras model (Sequential, Functional or subclassed).
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: head each box with the layer's name as well as its class.
        rankdir: `"TB"` (top to bottom), `"LR"` (left to right), `"BT"` or `"RL"`.
        expand_nested: draw nested Functional/Sequential models as clusters of their layers.
        dpi: resolution of rendered images.
        subgraph: return the graph as a dashed cluster (for nesting in another diagram).
        show_layer_activations: add the activation of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        splines: how Graphviz draws edges (`"ortho"`, `"curved"`, `"polyline"`,
            `"spline"`, `"line"`, ...).

    Returns:
        A `DotGraph`: `.to_string()` is the DOT text; `.create(format="svg")` renders it
        with Graphviz, as a `pydot.Dot` does.

    Example:
        >>> print(keras.utils.model_to_dot(model, show_shapes=True).to_string())
    """
    caller = "model_to_dot"
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"{caller}: unrecognized keyword arguments: {sorted(kwargs)}.")
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` "
            "or by calling the model on a batch of data."
        )
    _dot.check_rankdir(rankdir, caller)
    _dot.check_dpi(dpi, caller)
    if splines not in _dot.SPLINES:
        raise ValueError(
            f"{caller}: `splines` must be one of {list(_dot.SPLINES)}, got {splines!r}."
        )
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    writer = _Writer(options)
    if subgraph:
        header = [
            f"subgraph {_dot.quote('cluster_' + model.name)} {{",
            f"  label={_dot.quote(model.name)};",
            '  labeljust="l";',
            '  style="dashed";',
        ]
    else:
        header = [
            f"digraph {_dot.quote(model.name)} {{",
            f"  graph {_dot.attributes(rankdir=rankdir, dpi=dpi, splines=splines)};",
            '  node [shape="plaintext", fontname="Helvetica"];',
            '  edge [penwidth="2"];',
        ]
    _add_model(writer, model, expand_nested, "  ")
    edges = [f"  {_dot.quote(a)} -> {_dot.quote(b)};" for a, b in writer.edges]
    return _dot.DotGraph("\n".join(header + writer.lines + edges + ["}"]) + "\n")


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Draws a model's layer graph to a file (as `keras.utils.plot_model`).

    A `.dot` or `.gv` file name writes the DOT text and needs nothing else; an image
    (`.png`, the default, `.svg`, `.pdf`, `.jpg`...) is rendered by the Graphviz `dot`
    program, and an ImportError says how to install it when it is missing.

    Args:
        model: a built Keras model.
        to_file: the file to write; its extension picks the format.
        (the other arguments are those of `model_to_dot`)

    Returns:
        An `IPython.display.Image` of a PNG/JPEG/GIF when IPython is installed (so a
        notebook shows it), else None.

    Example:
        >>> keras.utils.plot_model(model, "model.dot", show_shapes=True)
    """
    extension = _dot.output_format(to_file, "plot_model")
    graph = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
        **kwargs,
    )
    return _dot.render(graph, to_file, extension)
