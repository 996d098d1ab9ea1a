"""Constraints (`keras.constraints`): projections applied to weights after each update.

Example:
    >>> from minikeras import constraints
    >>> constraints.get("non_neg")(ops.convert_to_tensor([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
"""

import inspect

from minikeras.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from minikeras.utils.object_registry import ObjectRegistry

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


_REGISTRY = ObjectRegistry(
    "constraint", "keras.constraints", ALL_OBJECTS_DICT, "keras.constraints.Constraint"
)


def serialize(constraint):
    """Returns the constraint as a Keras config dict; None stays None."""
    return _REGISTRY.serialize(constraint)


def deserialize(config, custom_objects=None):
    """Creates a constraint from a name or a config dict (the output of `serialize`).

    Args:
        config: a string name or a dict with "class_name" and "config".
        custom_objects: optional dict mapping names to user classes.
    """
    return _REGISTRY.deserialize(config, custom_objects)


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
