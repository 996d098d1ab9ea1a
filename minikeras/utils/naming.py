"""Unique, readable object names: `dense`, `dense_1`, `dense_2`, ...

Layers, models, metrics, losses and optimizers all count their names in one table, by
snake_case prefix, as Keras does: `clear_session()` empties it.
"""

import re

_counts = {}


def to_snake_case(name):
    """`"Conv2DTranspose"` -> `"conv2d_transpose"`, as Keras names layers."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def uniquify(base):
    """Returns `base` the first time, then `base_1`, `base_2`, ..."""
    count = _counts.get(base, 0)
    _counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def auto_name(class_name):
    """A fresh unique snake_case name for an instance of `class_name`."""
    return uniquify(to_snake_case(class_name))


def get_uid(prefix=""):
    """Counts the calls for `prefix` (from 1), in the same table as the names.

    Example:
        >>> get_uid("block"), get_uid("block")
        (1, 2)
    """
    _counts[prefix] = _counts.get(prefix, 0) + 1
    return _counts[prefix]


def reset_names():
    """Forgets every name handed out (used by `clear_session`)."""
    _counts.clear()


# Keras keeps the counts of `get_uid` apart from the names; minikeras has one table.
reset_uids = reset_names


def get_object_name(obj):
    """`obj.name`, else the snake_case name of the function or of the object's class."""
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)
