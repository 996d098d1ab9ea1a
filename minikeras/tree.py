"""Nested structures (lists, tuples, dicts of leaves), as `keras.tree` handles them.

Used wherever inputs, outputs or gradients may come as one value, a list, or a dict.
Dicts are walked as Keras walks them: in sorted key order (an `OrderedDict` in its own
order), while the dicts built keep the keys in the order they had. This module imports
nothing from minikeras, so every part of the package may use it.

The containers are Keras's: lists, tuples, named tuples, `collections.deque` and dicts
(`dict`, `OrderedDict`, `defaultdict`); everything else, `None` included, is a leaf.
Unlike Keras (whose `optree` leaves them whole), subclasses of list, tuple and dict count
as their base container, so the lists and dicts a layer tracks are walked.
"""

import collections

_SEQUENCES = (list, tuple, collections.deque)
_CONTAINERS = (dict, list, tuple, collections.deque)


class MAP_TO_NONE:
    """Returned by `traverse`'s function to put `None` in place of a sub-structure."""


def is_nested(structure):
    """Whether `structure` is a container (list, tuple, named tuple, deque, dict).

    Example:
        >>> is_nested({"a": 1}), is_nested(1), is_nested(None)
        (True, False, False)
    """
    return isinstance(structure, _CONTAINERS)


def flatten(structure):
    """The leaves of `structure`, in order.

    Example:
        >>> flatten({"a": 1, "b": [2, (3, 4)]})
        [1, 2, 3, 4]
    """
    if isinstance(structure, dict):
        return [leaf for key in keys(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, _SEQUENCES):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def keys(mapping):
    """A dict's keys in the order Keras walks them: sorted, except an `OrderedDict`'s,
    which keep their order."""
    if isinstance(mapping, collections.OrderedDict):
        return list(mapping)
    return sorted(mapping)


def flatten_with_path(structure):
    """`(path, leaf)` pairs in `flatten`'s order; a path is the tuple of indices and keys
    that leads from `structure` to the leaf.

    Example:
        >>> flatten_with_path([{"foo": 42}, 7])
        [((0, 'foo'), 42), ((1,), 7)]
    """
    pairs = []

    def visit(node, path):
        if isinstance(node, dict):
            for key in keys(node):
                visit(node[key], path + (key,))
        elif isinstance(node, _SEQUENCES):
            for index, item in enumerate(node):
                visit(item, path + (index,))
        else:
            pairs.append((path, node))

    visit(structure, ())
    return pairs


def _children(node):
    """A container's children in walk order."""
    if isinstance(node, dict):
        return [node[key] for key in keys(node)]
    return list(node)


def _rebuild(node, children):
    """A container like `node` holding `children` (given in walk order). Subclasses of
    list and dict (a layer's tracked lists) come back as plain lists and dicts."""
    if isinstance(node, dict):
        by_key = dict(zip(keys(node), children))
        pairs = [(key, by_key[key]) for key in node]
        if isinstance(node, collections.defaultdict):
            return type(node)(node.default_factory, pairs)
        if isinstance(node, collections.OrderedDict):
            return type(node)(pairs)
        return dict(pairs)
    if type(node) in (list, tuple):
        return type(node)(children)
    if isinstance(node, collections.deque):
        return type(node)(children, maxlen=node.maxlen)
    if hasattr(node, "_fields"):
        return type(node)(*children)
    if hasattr(node, "n_fields"):  # a struct sequence such as time.struct_time
        return type(node)(children)
    return tuple(children) if isinstance(node, tuple) else list(children)


def _kind(node):
    """The container kind that structures must share: any dict matches any dict."""
    if isinstance(node, dict):
        return "dict, collections.OrderedDict, or collections.defaultdict"
    if isinstance(node, collections.deque):
        return "collections.deque"
    if hasattr(node, "_fields") or hasattr(node, "n_fields"):
        return type(node)
    return "tuple" if isinstance(node, tuple) else "list"


def _check_same_container(first, other):
    """Raises ValueError unless `other` is the same kind of container as `first` with the
    same keys or length."""
    kind = _kind(first)
    if not is_nested(other) or _kind(other) != kind:
        if isinstance(kind, type) and is_nested(other) and isinstance(_kind(other), type):
            raise ValueError(
                f"namedtuple type mismatch; expected type: {kind}, "
                f"got type: {type(other)}; tuple: {other!r}."
            )
        name = "collections.namedtuple" if isinstance(kind, type) else kind
        raise ValueError(f"Expected an instance of {name}, got {other!r}.")
    if isinstance(first, dict):
        if set(first) != set(other):
            missing = sorted(set(first) - set(other), key=repr)
            extra = sorted(set(other) - set(first), key=repr)
            raise ValueError(
                "dictionary key mismatch; expected key(s): "
                f"{keys(first)}, got key(s): {keys(other)}, missing key(s): {missing}, "
                f"extra key(s): {extra}; dict: {other!r}."
            )
    elif len(other) != len(first):
        name = kind if isinstance(kind, str) else "tuple"
        raise ValueError(
            f"{name} arity mismatch; expected: {len(first)}, got: {len(other)}; {name}: {other!r}."
        )


def _values_at(first, other):
    """`other`'s children in the order of `first`'s (dicts are matched by key)."""
    if isinstance(first, dict):
        return [other[key] for key in keys(first)]
    return list(other)


_MISMATCH = "Structures don't have the same nested structure."


def map_structure(func, *structures, none_is_leaf=True):
    """Applies `func` to every leaf (to the leaves at the same place of several structures
    of the same layout), keeping the nesting (named tuples included, as in Keras).

    Args:
        func: called with one leaf of each structure.
        *structures: one or more structures of the same layout.
        none_is_leaf: if False, `None` is not passed to `func` but kept as it is (the
            other structures must have `None` there too).

    Returns:
        A structure with the layout of the first one.

    Raises:
        ValueError: if no structure is given or the structures differ.

    Example:
        >>> map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)])
        [11, (22, 33)]
    """
    if len(structures) == 1 and none_is_leaf:
        structure = structures[0]
        if isinstance(structure, _CONTAINERS):
            return _map_one(func, structure)
        return func(structure)
    if not structures:
        raise ValueError("Must provide at least one structure")
    return _map_many(func, structures, none_is_leaf)


def _map_one(func, structure):
    """`map_structure` of one container, None a leaf: the hot-path case, with no structure
    checks to make; leaves are mapped in place rather than by another call."""
    if isinstance(structure, dict):
        values = {}
        for key in keys(structure):
            value = structure[key]
            values[key] = _map_one(func, value) if isinstance(value, _CONTAINERS) else func(value)
        if type(structure) is dict:
            return {key: values[key] for key in structure}
        return _rebuild(structure, [values[key] for key in keys(structure)])
    items = [
        _map_one(func, item) if isinstance(item, _CONTAINERS) else func(item) for item in structure
    ]
    if type(structure) in (list, tuple):
        return type(structure)(items)
    return _rebuild(structure, items)


def _map_many(func, structures, none_is_leaf):
    first = structures[0]
    if first is None and not none_is_leaf:
        for other in structures[1:]:
            if other is not None:
                raise ValueError(f"Expected None, got {other!r}.")
        return None
    if not is_nested(first):
        for other in structures[1:]:
            if is_nested(other) or (other is None and not none_is_leaf):
                raise ValueError(_MISMATCH)
        return func(*structures)
    for other in structures[1:]:
        _check_same_container(first, other)
    columns = zip(*[_values_at(first, structure) for structure in structures])
    return _rebuild(first, [_map_many(func, column, none_is_leaf) for column in columns])


def map_structure_up_to(shallow_structure, func, *structures):
    """Maps `func` over `structures` down to the leaves of `shallow_structure` only: what
    lies below them is passed to `func` whole.

    As in Keras, a `None` leaf in `shallow_structure` raises (use any other placeholder).

    Args:
        shallow_structure: the layout to map over; each structure must have it at the top.
        func: called with the sub-structure of each of `structures` at each leaf.
        *structures: one or more structures at least as deep as `shallow_structure`.

    Returns:
        A structure with the layout of `shallow_structure`.

    Example:
        >>> map_structure_up_to([0, 0], len, [[1, 1], [2, 2, 2]])
        [2, 3]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")

    def walk(shallow, values):
        if shallow is None:
            raise ValueError(_MISMATCH)
        if not is_nested(shallow):
            return func(*values)
        for value in values:
            _check_same_container(shallow, value)
        columns = zip(*[_values_at(shallow, value) for value in values])
        return _rebuild(
            shallow, [walk(child, column) for child, column in zip(_children(shallow), columns)]
        )

    return walk(shallow_structure, structures)


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError unless `a` and `b` are nested the same way: the same container
    types (any two kinds of dict with the same keys match; a list and a tuple, or two
    named tuple classes, do not) and lengths.

    Args:
        a: a structure.
        b: a structure.
        check_types: deprecated, without effect (as in Keras); warns when given.
    """
    import warnings

    if check_types is not None:
        advice = (
            " please remove."
            if check_types
            else " For a looser check, use `keras.tree.assert_same_paths()`, which considers"
            " `list`, `tuple`, `namedtuple` and `deque` as matching"
        )
        warnings.warn(
            "The `check_types` argument is deprecated and no longer has any effect," + advice,
            DeprecationWarning,
            stacklevel=2,
        )
    _map_many(lambda *leaves: None, (a, b), True)


def assert_same_paths(a, b):
    """Raises ValueError unless `a` and `b` have the same paths to their leaves, whatever
    their container types (a list and a tuple of two leaves match).

    Example:
        >>> assert_same_paths([0, 1], (2, 3))
    """
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def traverse(func, structure, top_down=True):
    """Calls `func` on every sub-structure, depth first, and returns the structure with
    each part for which `func` returned something other than None replaced by it.

    Top down (the default), a parent is visited before its children, and a replaced parent's
    children are not visited; bottom up, children come first and `func` sees the parent
    already rebuilt. Return `MAP_TO_NONE` to put `None` in a part's place.

    Example:
        >>> visited = []
        >>> traverse(visited.append, [(1, 2), {"a": 3}])
        [(1, 2), {'a': 3}]
        >>> visited
        [[(1, 2), {'a': 3}], (1, 2), 1, 2, {'a': 3}, 3]
    """

    def children_traversed():
        if not is_nested(structure):
            return structure
        return _rebuild(
            structure, [traverse(func, child, top_down) for child in _children(structure)]
        )

    if top_down:
        result = func(structure)
        if result is None:
            return children_traversed()
    else:
        rebuilt = children_traversed()
        result = func(rebuilt)
        if result is None:
            return rebuilt
    return None if result is MAP_TO_NONE else result


def lists_to_tuples(structure):
    """`structure` with every list turned into a tuple.

    Example:
        >>> lists_to_tuples([1, [2, {"a": [3]}]])
        (1, (2, {'a': (3,)}))
    """
    return traverse(lambda node: tuple(node) if isinstance(node, list) else None, structure, False)


def _is_shape(value):
    return isinstance(value, (list, tuple)) and all(
        isinstance(item, (int, type(None))) for item in value
    )


def map_shape_structure(func, structure):
    """`map_structure` for shapes: a list or tuple of ints and Nones is passed to `func`
    whole, as one leaf.

    Example:
        >>> map_shape_structure(len, [(None, 3), {"a": (2, 4, 5)}])
        [2, {'a': 3}]
    """
    if _is_shape(structure):
        return func(structure)
    if not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, child) for child in _children(structure)])


def pack_sequence_as(structure, flat):
    """Rebuilds `structure` with its leaves replaced, in order, by the values of `flat`."""
    iterator = iter(flat)

    def build(node):
        if isinstance(node, dict):
            return _rebuild(node, [build(node[key]) for key in keys(node)])
        if isinstance(node, _SEQUENCES):
            items = [build(item) for item in node]
            return type(node)(items) if type(node) in (list, tuple) else _rebuild(node, items)
        return next(iterator)

    return build(structure)
