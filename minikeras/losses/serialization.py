"""Config dicts for losses and metrics in Keras 3's format (shared by both packages).

A built-in function serializes as Keras writes it,
`{"module": "builtins", "class_name": "function", "config": "<name>", "registered_name":
"function"}`; an object as `{"module", "class_name", "config": obj.get_config(),
"registered_name"}`, with the public Keras module name for built-in classes.
"""

import inspect
import types


def serialize_object(obj, builtin_module, builtins_by_name, kind):
    """Returns the Keras-style config of a loss/metric function or object."""
    if obj is None:
        return None
    if isinstance(obj, types.FunctionType):
        if obj.__name__ == "<lambda>":
            raise ValueError(
                f"Cannot serialize a lambda {kind}: define it as a named function and pass it "
                "in `custom_objects` when loading."
            )
        if builtins_by_name.get(obj.__name__) is not obj:
            return _serialize_user_object(obj)
        return {
            "module": "builtins",
            "class_name": "function",
            "config": obj.__name__,
            "registered_name": "function",
        }
    if hasattr(obj, "get_config"):
        cls = type(obj)
        if builtins_by_name.get(cls.__name__) is not cls:
            return _serialize_user_object(obj)
        return {
            "module": builtin_module,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None,
        }
    raise ValueError(
        f"Cannot serialize {kind} {obj!r}: use a built-in {kind}, a named function, or an "
        "object with get_config()."
    )


def short_names(**targets):
    """Keras's short names in lower and upper case: `short_names(mse=f)` is
    `{"mse": f, "MSE": f}`."""
    return {name: target for short, target in targets.items() for name in (short, short.upper())}


def _serialize_user_object(obj):
    # As Keras writes a user's function or class ("package>name" when registered).
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _registered(name, custom_objects):
    from minikeras.saving.object_registration import get_registered_object

    return get_registered_object(name, custom_objects) if isinstance(name, str) else None


def lookup(name, builtins_by_name, custom_objects, kind):
    """The class or function called `name` (user objects first: `custom_objects`, the active
    `custom_object_scope`, the registered objects).

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    found = _registered(name, custom_objects)
    if found is not None:
        return found
    if name in builtins_by_name:
        return builtins_by_name[name]
    raise ValueError(
        f"Unknown {kind}: {name!r}. Valid names are {sorted(builtins_by_name)}, or pass your "
        "own class or function in `custom_objects`."
    )


def deserialize_object(config, builtins_by_name, custom_objects, kind, functions=None):
    """Creates the function or object that a name or a config dict describes.

    A class name gives a new instance with default arguments; a function name gives the
    function. `functions` (default: `builtins_by_name`) resolves `{"class_name":
    "function"}` configs, including the `fn` nested in a wrapper's config.
    """
    functions = builtins_by_name if functions is None else functions
    if config is None:
        return None
    if isinstance(config, str):
        found = lookup(config, builtins_by_name, custom_objects, kind)
        return found() if inspect.isclass(found) else found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret {kind} config: {config!r}. Expected a name or a dict with "
            "keys 'class_name' and 'config'."
        )
    if config["class_name"] == "function":
        name = config.get("config")
        registered = config.get("registered_name")
        if _registered(registered, custom_objects) is not None:
            name = registered
        return lookup(name, functions, custom_objects, kind)
    name = config["class_name"]
    if _registered(config.get("registered_name"), custom_objects) is not None:
        name = config["registered_name"]
    # A Keras 3 config of a built-in (`registered_name` None): as in Keras, a custom object
    # of the same name does not replace it.
    builtin = config.get("module") and "registered_name" in config
    if builtin and config["registered_name"] is None and name in builtins_by_name:
        found = builtins_by_name[name]
    else:
        found = lookup(name, builtins_by_name, custom_objects, kind)
    if not inspect.isclass(found):
        return found
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"Expected the 'config' of {name} to be a dict. Received: {config!r}")
    if isinstance(inner.get("fn"), dict):
        inner = dict(inner)
        inner["fn"] = deserialize_object(
            inner["fn"], builtins_by_name, custom_objects, kind, functions
        )
    return found.from_config(inner)
