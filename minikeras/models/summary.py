"""`Model.summary()`: the layer table Keras prints."""

import shutil

import numpy as np

from minikeras.utils.io_utils import is_interactive_logging_enabled, print_msg

_LINE_LENGTH = 98


def _format_shape(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError):
        return "?"
    return str(shape).replace("'", "")


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _format_bytes(count, itemsize=4):
    size = float(count * itemsize)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def _rows(model, expand_nested, depth=0):
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    rows = []
    layers = model.layers
    if isinstance(model, Functional) and not isinstance(model, Sequential):
        layers = model.layers
    for layer in layers:
        name = f"{'   ' * depth}{layer.name} ({type(layer).__name__})"
        params = _count(layer.weights) if layer.built else 0
        trainable = "Y" if layer.trainable else "N"
        rows.append((name, _format_shape(layer), f"{params:,}", trainable))
        if expand_nested and hasattr(layer, "layers") and layer.layers:
            rows.extend(_rows(layer, expand_nested, depth + 1))
    return rows


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
):
    """Prints the layer table of `model` (name (type), output shape, parameter count)."""
    print_fn = print_fn or (print if is_interactive_logging_enabled() else print_msg)
    width = line_length or min(_LINE_LENGTH, shutil.get_terminal_size((_LINE_LENGTH, 20)).columns)
    rows = _rows(model, expand_nested)
    if layer_range is not None:
        names = [layer.name for layer in model.layers]
        start, end = (names.index(n) for n in layer_range)
        rows = rows[start : end + 1]
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if show_trainable:
        headers.append("Trainable")
    fractions = positions or ([0.45, 0.84, 1.0] if not show_trainable else [0.4, 0.7, 0.87, 1.0])
    if all(p <= 1 for p in fractions):
        fractions = [int(width * p) for p in fractions]
    widths = [b - a - 1 for a, b in zip([0, *fractions[:-1]], fractions)]
    widths = [max(w, 8) for w in widths]

    def line(left, middle, right, fill):
        return left + middle.join(fill * (w + 2) for w in widths) + right

    def row(cells, sep="│"):
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            cell = str(cell)
            if len(cell) > w:
                cell = cell[: w - 1] + "…"
            parts.append(f" {cell.rjust(w) if i == 2 else cell.ljust(w)} ")
        return sep + sep.join(parts) + sep

    print_fn(f'Model: "{model.name}"')
    print_fn(line("┏", "┳", "┓", "━"))
    print_fn(row(headers, "┃"))
    print_fn(line("┡", "╇", "┩", "━"))
    for i, cells in enumerate(rows):
        print_fn(row(cells[: len(headers)]))
        if i + 1 < len(rows):
            print_fn(line("├", "┼", "┤", "─"))
    print_fn(line("└", "┴", "┘", "─"))
    total = _count(model.weights) if model.built else 0
    trainable = _count(model.trainable_weights) if model.built else 0
    print_fn(f" Total params: {total:,} ({_format_bytes(total)})")
    print_fn(f" Trainable params: {trainable:,} ({_format_bytes(trainable)})")
    print_fn(f" Non-trainable params: {total - trainable:,} ({_format_bytes(total - trainable)})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        count = _count(optimizer.variables)
        print_fn(f" Optimizer params: {count:,} ({_format_bytes(count)})")
