"""Attribute tracking: how a layer notices that its structure changed.

A layer finds its sublayers, weights and metrics by scanning its attributes (also inside
lists and dicts), and caches what it found. The cache must be dropped whenever any layer's
structure changes: an attribute holding a layer, variable or container is assigned, or a
list or dict attribute is modified in place (`self.blocks.append(Dense(4))`). This module
keeps the scan itself, the counters that record those changes and the list and dict types
that bump them when modified; `Layer.__setattr__` wraps plain lists and dicts in them.
"""

import itertools

_structure_version = [0]
# Changes after every assignment to an attribute of any layer (`dropout.rate = 0.0`): a
# compiled step (`trainers/compiled_step.py`) compares it to see that no layer's settings
# changed. Each value is new (drawn from a counter after the assignment), even with threads.
_attribute_version = [0]
_attribute_versions = itertools.count(1)


def structure_changed():
    """Invalidates every layer's cached lists of sublayers, weights and metrics."""
    _structure_version[0] += 1


def layer_versions():
    """`(structure version, attribute version)`: both change when any layer gains a sublayer
    or weight or has an attribute assigned, so a cache keyed on them (a compiled step) can
    tell that nothing changed."""
    return _structure_version[0], _attribute_version[0]


# Bookkeeping attributes that hold layers or variables without owning them.
_UNTRACKED = frozenset(
    (
        "_inbound_nodes",
        "_losses",
        "_init_args",
        "_own_variables",
        "_functional",
        "_nodes",
        "_checked_input_shapes",
        "_compile_config",  # compile's arguments: its metrics are listed as compiled metrics
    )
)


def attribute_values(layer, kind):
    """The objects of `kind` among `layer`'s attributes (also inside lists, tuples and
    dicts), in first-assignment order, each once, `layer` itself left out."""
    found, seen = [], set()
    stack = [value for key, value in layer.__dict__.items() if key not in _UNTRACKED]
    stack.reverse()
    while stack:
        value = stack.pop()
        if isinstance(value, kind):
            if id(value) not in seen and value is not layer:
                seen.add(id(value))
                found.append(value)
        elif isinstance(value, (list, tuple, dict)):
            # Each container is opened once: a list holding itself would loop forever.
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend(reversed(list(value.values()) if isinstance(value, dict) else value))
    return found


def layers_depth_first(root):
    """`root` and every layer below it, depth first, each once."""
    result, seen, stack = [], set(), [root]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        result.append(layer)
        stack.extend(reversed(layer._sublayers()))
    return result


class TrackedList(list):
    """A list attribute of a layer; changing its contents invalidates the cached structure."""

    def _wrap(name):
        method = getattr(list, name)

        def changed(self, *args):
            structure_changed()
            return method(self, *args)

        changed.__name__ = name
        return changed

    for _name in (
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "sort",
        "reverse",
        "__setitem__",
        "__delitem__",
        "__iadd__",
        "__imul__",
    ):
        locals()[_name] = _wrap(_name)
    del _name, _wrap


class TrackedDict(dict):
    """A dict attribute of a layer; changing its contents invalidates the cached structure."""

    def _wrap(name):
        method = getattr(dict, name)

        def changed(self, *args, **kwargs):
            structure_changed()
            return method(self, *args, **kwargs)

        changed.__name__ = name
        return changed

    for _name in (
        "__setitem__",
        "__delitem__",
        "pop",
        "popitem",
        "clear",
        "update",
        "setdefault",
        "__ior__",
    ):
        locals()[_name] = _wrap(_name)
    del _name, _wrap


def each_once(values):
    """`values` without repeats (the first of each kept, by identity), in order."""
    seen = set()
    return [v for v in values if not (id(v) in seen or seen.add(id(v)))]
