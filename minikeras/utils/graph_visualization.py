"""`plot_graph`: a picture of the autodiff graph behind a tensor (no Keras has this).

Every tensor computed while gradients are recorded remembers the primitive `Function` that
made it (`tensor.creator`), and every recorded function remembers its input tensors
(`function.inputs`, see `autodiff/function.py`). Following those links back from a tensor
gives the graph that `backward` walks. `graph_to_dot` draws it:

- a box per function call: the primitive's class name and the shape and dtype of what it
  returned (`MatMul`, `Add`, `Mean`... or a fused `Dense`);
- an ellipse per leaf: variables with their path (orange when they get a gradient, grey
  when they are not trainable), tensors that need a gradient (watched), and constants;
- an arrow per input; a dashed grey arrow marks an input that needs no gradient, so
  `backward` skips it;
- a green ellipse for each tensor the graph was drawn from.

A backward pass without `retain_graph` (or a non-persistent `GradientTape`) frees each
function's inputs as it goes, so draw the graph before computing gradients; a freed function
is drawn with "(freed)" and nothing behind it.
"""

from minikeras.utils import dot as _dot

_COLORS = {
    "function": "lightblue",
    "variable": "orange",
    "frozen": "lightgrey",
    "watched": "gold",
    "constant": "white",
    "output": "palegreen",
}


def _shape_text(shape, dtype, show_shapes, show_dtype):
    parts = []
    if show_shapes:
        parts.append(str(tuple(shape)))
    if show_dtype:
        parts.append(str(dtype))
    return " ".join(parts)


def _leaf_kind_and_name(tensor):
    from minikeras.autodiff import Variable

    if isinstance(tensor, Variable):
        name = getattr(tensor, "path", None) or tensor.name
        return ("variable" if tensor.requires_grad else "frozen"), name
    if tensor.requires_grad:
        return "watched", "tensor (watched)"
    return "constant", "constant"


def _html(lines):
    return "<" + "<br/>".join(_dot.escape_html(line) for line in lines if line) + ">"


def graph_to_dot(outputs, show_shapes=True, show_dtype=True, rankdir="TB", dpi=96):
    """Returns the DOT description of the autodiff graph that computed `outputs`.

    Args:
        outputs: an eager `Tensor` (a loss, say), or a list of them.
        show_shapes: write the shape of every function output and leaf.
        show_dtype: write their dtypes.
        rankdir: `"TB"` (inputs at the top), `"LR"`, `"BT"` or `"RL"`.
        dpi: resolution of rendered images.

    Returns:
        A `DotGraph` (`.to_string()` is the DOT text).

    Example:
        >>> w = keras.Variable(np.ones((3, 1)), name="w")
        >>> loss = ops.mean(ops.square(ops.matmul(x, w) - y))
        >>> print(keras.utils.graph_to_dot(loss).to_string())
    """
    from minikeras.autodiff import Tensor
    from minikeras.ops.symbolic import KerasTensor

    caller = "graph_to_dot"
    roots = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    for root in roots:
        if isinstance(root, KerasTensor):
            raise TypeError(
                f"{caller} draws the autodiff graph of an eager Tensor; {root!r} is symbolic. "
                "Use keras.utils.plot_model for a model's layer graph."
            )
        if not isinstance(root, Tensor):
            raise TypeError(
                f"{caller}: `outputs` must be a Tensor or a list of Tensors, got "
                f"{type(root).__name__}."
            )
    if not roots:
        raise ValueError(f"{caller}: `outputs` is empty.")
    _dot.check_rankdir(rankdir, caller)
    _dot.check_dpi(dpi, caller)

    # Walk back from the roots; a function's output specs come from the tensors it made.
    functions, output_specs = {}, {}
    stack = list(roots)
    while stack:
        tensor = stack.pop()
        function = tensor.creator
        if function is None:
            continue
        output_specs.setdefault(id(function), {})[tensor._index] = (tensor.shape, tensor.dtype)
        if id(function) in functions:
            continue
        functions[id(function)] = function
        if function.inputs is not None:
            stack.extend(function.inputs)

    lines = [
        "digraph autodiff {",
        f"  graph {_dot.attributes(rankdir=rankdir, dpi=dpi)};",
        '  node [fontname="Helvetica", style="filled"];',
    ]
    ids, edges = {}, []

    def add_leaf(tensor):
        if id(tensor) not in ids:
            ids[id(tensor)] = f"t{len(ids)}"
            kind, name = _leaf_kind_and_name(tensor)
            label = _html([name, _shape_text(tensor.shape, tensor.dtype, show_shapes, show_dtype)])
            style = "filled,dashed" if kind == "constant" else "filled"
            node = _dot.attributes(
                label=label, shape="ellipse", fillcolor=_COLORS[kind], style=style
            )
            lines.append(f"  {ids[id(tensor)]} {node};")
        return ids[id(tensor)]

    # Recording order: every function comes after the ones that made its inputs.
    for function in sorted(functions.values(), key=lambda f: f.sequence):
        inputs = function.inputs
        sources = []
        for position, tensor in enumerate(inputs or ()):
            if tensor.creator is None:
                sources.append((add_leaf(tensor), position, None))
            else:
                index = tensor._index if tensor.creator.n_outputs > 1 else None
                sources.append((id(tensor.creator), position, index))
        ids[id(function)] = f"f{len(ids)}"
        specs = output_specs.get(id(function), {})
        if function.n_outputs > 1 and getattr(function, "output_specs", None):
            specs = dict(enumerate(function.output_specs))
        outputs_text = [
            _shape_text(shape, dtype, show_shapes, show_dtype)
            for _, (shape, dtype) in sorted(specs.items())
        ]
        if function.n_outputs > 1:
            outputs_text = [f"[{i}] {text}" for i, text in enumerate(outputs_text)]
        title = function.name
        activation = function.__dict__.get("activation")
        if isinstance(activation, str):  # a fused primitive, e.g. Linear with its relu
            title = f"{title} + {activation}"
        if inputs is None:
            title = f"{title} (freed)"
        node = _dot.attributes(
            label=_html([title, *outputs_text]), shape="box", fillcolor=_COLORS["function"]
        )
        lines.append(f"  {ids[id(function)]} {node};")
        for source, position, index in sources:
            edges.append((source, function, position, index))

    for number, root in enumerate(roots):
        name = "output" if len(roots) == 1 else f"output {number}"
        label = _html([name, _shape_text(root.shape, root.dtype, show_shapes, show_dtype)])
        node = _dot.attributes(label=label, shape="ellipse", fillcolor=_COLORS["output"])
        lines.append(f"  out{number} {node};")
        if root.creator is None:
            lines.append(f"  {add_leaf(root)} -> out{number};")
        else:
            index = root._index if root.creator.n_outputs > 1 else None
            edges.append((id(root.creator), f"out{number}", None, index))

    for source, destination, position, index in edges:
        source = source if isinstance(source, str) else ids[source]
        attributes = {}
        if index is not None:
            attributes["label"] = f"[{index}]"
        if position is not None and not destination.needs_grad[position]:
            attributes.update(style="dashed", color="grey")
        if not isinstance(destination, str):
            destination = ids[id(destination)]
        suffix = f" {_dot.attributes(**attributes)}" if attributes else ""
        lines.append(f"  {source} -> {destination}{suffix};")
    lines.append("}")
    return _dot.DotGraph("\n".join(lines) + "\n")


def plot_graph(
    outputs, to_file="graph.png", show_shapes=True, show_dtype=True, rankdir="TB", dpi=96
):
    """Draws the autodiff graph behind `outputs` to a file (see `graph_to_dot`).

    A `.dot` file needs nothing else; images (`.png`, `.svg`, ...) need Graphviz's `dot`
    program. Draw before calling `backward`/`tape.gradient`, which free the graph.

    Args:
        outputs: an eager `Tensor`, or a list of them.
        to_file: the file to write; its extension picks the format.
        show_shapes, show_dtype, rankdir, dpi: as in `graph_to_dot`.

    Returns:
        An `IPython.display.Image` of a PNG when IPython is installed, else None.

    Example:
        >>> with keras.GradientTape() as tape:
        ...     loss = model.compute_loss(x, y, model(x))
        >>> keras.utils.plot_graph(loss, "loss_graph.dot")
    """
    extension = _dot.output_format(to_file, "plot_graph")
    graph = graph_to_dot(
        outputs, show_shapes=show_shapes, show_dtype=show_dtype, rankdir=rankdir, dpi=dpi
    )
    return _dot.render(graph, to_file, extension)
