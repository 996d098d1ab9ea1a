"""Constraints (`keras.constraints`): projections applied to weights after each update.

Example:
    >>> from minikeras import constraints
    >>> constraints.get("non_neg")(ops.convert_to_tensor([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
"""

import inspect

from minikeras.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm

# Keras exports the classes under snake_case names too.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]

ALL_OBJECTS_DICT = {
    "Constraint": Constraint,
    "MaxNorm": MaxNorm,
    "MinMaxNorm": MinMaxNorm,
    "NonNeg": NonNeg,
    "UnitNorm": UnitNorm,
    "constraint": Constraint,
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}


def serialize(constraint):
    """Returns the constraint as a Keras config dict; None stays None."""
    if constraint is None:
        return None
    if not hasattr(constraint, "get_config"):
        raise ValueError(
            f"Cannot serialize constraint {constraint!r}: it has no get_config(). "
            "Subclass keras.constraints.Constraint to make it serializable."
        )
    cls = type(constraint)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__) is cls
    return {
        "module": "keras.constraints" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": constraint.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def _lookup(name, custom_objects):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[name]
    raise ValueError(
        f"Unknown constraint: {name!r}. Valid names are {sorted(ALL_OBJECTS_DICT)}, "
        "or pass the class in `custom_objects`."
    )


def deserialize(config, custom_objects=None):
    """Creates a constraint from a name or a config dict (the output of `serialize`)."""
    if config is None:
        return None
    if isinstance(config, str):
        found = _lookup(config, custom_objects)
        return found() if inspect.isclass(found) else found
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"A constraint config needs a 'class_name'. Received: {config}")
        name = config["class_name"]
        if custom_objects and config.get("registered_name") in custom_objects:
            name = config["registered_name"]
        cls = _lookup(name, custom_objects)
        if not inspect.isclass(cls):
            return cls
        return cls.from_config(config.get("config") or {})
    raise ValueError(f"Could not interpret constraint config: {config!r}")


def get(identifier):
    """Returns a constraint for `identifier`.

    Args:
        identifier: None (returns None), a name ("max_norm", "non_neg", "unit_norm",
            "min_max_norm", ...), a config dict, a Constraint instance or class, or any
            callable `fn(weight) -> weight`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict | str):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
