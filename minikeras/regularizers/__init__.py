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


def serialize(regularizer):
    """Returns the regularizer as a Keras config dict; None stays None."""
    if regularizer is None:
        return None
    if not hasattr(regularizer, "get_config"):
        raise ValueError(
            f"Cannot serialize regularizer {regularizer!r}: it has no get_config(). "
            "Subclass keras.regularizers.Regularizer to make it serializable."
        )
    cls = type(regularizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__) is cls
    return {
        "module": "keras.regularizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": regularizer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def _lookup(name, custom_objects):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[name]
    raise ValueError(
        f"Unknown regularizer: {name!r}. Valid names are "
        f"{sorted([*ALL_OBJECTS_DICT, *_GET_ONLY])}, or pass the class in `custom_objects`."
    )


def deserialize(config, custom_objects=None):
    """Creates a regularizer from a name or a config dict (the output of `serialize`)."""
    if config is None:
        return None
    if isinstance(config, str):
        if config in _GET_ONLY and not (custom_objects and config in custom_objects):
            return _GET_ONLY[config]()
        found = _lookup(config, custom_objects)
        return found() if inspect.isclass(found) else found
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"A regularizer config needs a 'class_name'. Received: {config}")
        name = config["class_name"]
        if custom_objects and config.get("registered_name") in custom_objects:
            name = config["registered_name"]
        cls = _lookup(name, custom_objects)
        if not inspect.isclass(cls):
            return cls
        return cls.from_config(config.get("config") or {})
    raise ValueError(f"Could not interpret regularizer config: {config!r}")


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
