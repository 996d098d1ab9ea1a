"""Nested structures (lists, tuples, dicts of leaves), as `keras.tree` handles them.

Used wherever inputs, outputs or gradients may come as one value, a list, or a dict.
Dicts are walked as Keras walks them: in sorted key order (an `OrderedDict` in its own
order), while the dicts built keep the keys in the order they had. This module imports
nothing from minikeras, so every part of the package may use it.
"""

import collections


def flatten(structure):
    """The leaves of `structure`, in order.

    Example:
        >>> flatten({"a": 1, "b": [2, (3, 4)]})
        [1, 2, 3, 4]
    """
    if isinstance(structure, dict):
        return [leaf for key in keys(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def keys(mapping):
    """A dict's keys in the order Keras walks them: sorted, except an `OrderedDict`'s,
    which keep their order."""
    if isinstance(mapping, collections.OrderedDict):
        return list(mapping)
    return sorted(mapping)


def assert_same_structure(a, b):
    """Raises ValueError unless `a` and `b` nest the same way (same container types, lengths
    and dict keys; leaves may differ).

    Example:
        >>> assert_same_structure({"x": 1, "y": [2]}, {"x": "a", "y": ["b"]})
    """

    def kind(node):
        if isinstance(node, dict):
            return dict
        if isinstance(node, (list, tuple)):
            return type(node)
        return None

    if kind(a) is not kind(b):
        raise ValueError(f"The two structures differ: {a!r} is not nested as {b!r}.")
    if isinstance(a, dict):
        if set(a) != set(b):
            raise ValueError(f"The two structures have other keys: {list(a)} and {list(b)}.")
        for key in a:
            assert_same_structure(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise ValueError(f"The two structures have other lengths: {len(a)} and {len(b)}.")
        for x, y in zip(a, b):
            assert_same_structure(x, y)


def map_structure(fn, structure):
    """Applies `fn` to every leaf, keeping the nesting (named tuples included, as in Keras)."""
    if isinstance(structure, dict):
        values = {key: map_structure(fn, structure[key]) for key in keys(structure)}
        return {key: values[key] for key in structure}
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
            values = {key: build(node[key]) for key in keys(node)}
            return {key: values[key] for key in node}
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            return type(node)(items) if type(node) in (list, tuple) else type(node)(*items)
        return next(iterator)

    return build(structure)
