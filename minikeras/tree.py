"""Nested structures (lists, tuples, dicts of leaves), as `keras.tree` handles them.

Used wherever inputs, outputs or gradients may come as one value, a list, or a dict.
Dicts are walked in insertion order. This module imports nothing from minikeras, so every
part of the package may use it.
"""


def flatten(structure):
    """The leaves of `structure`, in order.

    Example:
        >>> flatten({"a": 1, "b": [2, (3, 4)]})
        [1, 2, 3, 4]
    """
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """Applies `fn` to every leaf, keeping the nesting (named tuples included, as in Keras)."""
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [map_structure(fn, item) for item in structure]
        if type(structure) in (list, tuple):
            return type(structure)(items)
        return type(structure)(*items) if hasattr(structure, "_fields") else items
    return fn(structure)


def pack_sequence_as(structure, flat):
    """Rebuilds `structure` with its leaves replaced, in order, by the values of `flat`."""
    iterator = iter(flat)

    def build(node):
        if isinstance(node, dict):
            return {key: build(value) for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            return type(node)(items) if type(node) in (list, tuple) else type(node)(*items)
        return next(iterator)

    return build(structure)
