"""Registering your own classes and functions so configs can name them.

A config names a class by a string (`"my_package>MyDense"`). Loading turns that string back
into the class by looking, in order, in the innermost `custom_object_scope`, the objects
registered with `register_keras_serializable`, and the `custom_objects` passed to the load.
This module keeps those tables; `serialization.py` consults them when it writes and reads
configs.
"""

import inspect

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
]

# Registration (`register_keras_serializable`): "package>Name" -> object, and back.
_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}

# Objects made visible by `custom_object_scope` (innermost scope wins).
_scope_objects = [{}]


def register_keras_serializable(package="Custom", name=None):
    """Decorator that registers a class or function under `"package>name"` for loading.

    A registered class is found again when a config names it, with no `custom_objects`.
    Classes must define `get_config`.

    Args:
        package: the package part of the key.
        name: the name part (the class or function name by default).

    Example:
        >>> @register_keras_serializable(package="my_package")
        ... class MyDense(keras.layers.Dense):
        ...     pass
        >>> get_registered_name(MyDense)
        'my_package>MyDense'
    """

    def decorator(arg):
        registered_name = f"{package}>{name if name is not None else arg.__name__}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj):
    """The name `obj` is registered under (`"package>Name"`), else its `__name__`."""
    if isinstance(obj, type):
        # A Model subclass called with inputs and outputs runs as a class minikeras derives
        # from it and Functional; that class is named as the user's own.
        obj = vars(obj).get("_declared_class", obj)
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function known as `name`: from the innermost `custom_object_scope`, the
    registered objects, `custom_objects`, then `module_objects`; None when unknown."""
    if name in _scope_objects[-1]:
        return _scope_objects[-1][name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects():
    """The live dict of registered objects (`"package>Name"` -> object); edit it freely."""
    return _GLOBAL_CUSTOM_OBJECTS


def all_custom_objects(custom_objects=None):
    """`custom_objects` merged with the active scope and the registered objects."""
    return {**(custom_objects or {}), **_scope_objects[-1], **_GLOBAL_CUSTOM_OBJECTS}


class CustomObjectScope:
    """Context manager making `custom_objects` visible to every deserialization inside it.

    Args:
        custom_objects: dict mapping names (as configs write them) to classes/functions.

    Example:
        >>> with custom_object_scope({"MyLayer": MyLayer}):
        ...     model = keras.saving.load_model("model.keras")
    """

    def __init__(self, custom_objects=None):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _scope_objects.append({**_scope_objects[-1], **self.custom_objects})
        return self

    def __exit__(self, *exc_info):
        _scope_objects.pop()


custom_object_scope = CustomObjectScope
