"""Regularizers (`keras.regularizers`): penalties on weights added to the training loss.

Example:
    >>> from minikeras import regularizers
    >>> penalty = regularizers.get("l2")(weights)   # 0.01 * sum(weights ** 2)
"""

import inspect

from minikeras.regularizers.regularizers import (
    L1,
    L1L2,
    L2,
    OrthogonalRegularizer,
    Regularizer,
    validate_float_arg,
)
from minikeras.utils.object_registry import ObjectRegistry

# Keras exports the classes under snake_case names too.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
    "validate_float_arg",
]

# Names accepted by `get`/`deserialize`: class names and their snake_case forms (Keras
# spells L1L2's "l1l2").
ALL_OBJECTS_DICT = {
    "Regularizer": Regularizer,
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "regularizer": Regularizer,
    "l1": L1,
    "l2": L2,
    "l1l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def _l1_l2_default():
    # Keras documents `kernel_regularizer="l1_l2"` as L1L2(l1=0.01, l2=0.01) (the Keras 2
    # function); Keras 3's `get` rejects that spelling. minikeras follows the documentation.
    return L1L2(l1=0.01, l2=0.01)


_GET_ONLY = {"l1_l2": _l1_l2_default}


_REGISTRY = ObjectRegistry(
    "regularizer",
    "keras.regularizers",
    ALL_OBJECTS_DICT,
    "keras.regularizers.Regularizer",
    extra_names=_GET_ONLY,
)


def serialize(regularizer):
    """Returns the regularizer as a Keras config dict; None stays None."""
    return _REGISTRY.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Creates a regularizer from a name or a config dict (the output of `serialize`).

    Args:
        config: a string name or a dict with "class_name" and "config".
        custom_objects: optional dict mapping names to user classes.
    """
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """Returns a regularizer for `identifier`.

    Args:
        identifier: None (returns None), a name ("l1", "l2", "l1_l2",
            "orthogonal_regularizer", ...), a config dict, a Regularizer instance or class,
            or any callable `fn(weight) -> scalar`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict | str):
        return deserialize(identifier)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
