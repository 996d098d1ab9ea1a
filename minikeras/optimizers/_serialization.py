"""Config dicts in Keras 3's format, shared by optimizers and learning-rate schedules.

`serialize_object` gives `{"module", "class_name", "config", "registered_name"}` as
`keras.saving.serialize_keras_object` does, so configs written by minikeras read in Keras
and the other way round.
"""


def serialize_object(obj, builtin_module, builtin_classes):
    """Returns the Keras-style config dict of `obj` (an optimizer or a schedule).

    Built-in classes are recorded under Keras's public module name; user classes as
    `keras.saving.serialize_keras_object` writes them (`registered_name` "package>Name"
    when registered, else the class name).
    """
    cls = type(obj)
    if cls not in builtin_classes:
        from minikeras.saving.serialization import serialize_keras_object

        return serialize_keras_object(obj)
    return {
        "module": builtin_module,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": None,
    }


def find_class(config, kind, builtin_classes, custom_objects=None, case_sensitive=True):
    """Returns the class a config dict names, from `custom_objects` or the built-ins.

    Raises:
        ValueError: for something that is not a config dict or names an unknown class
            (the message lists the valid names).
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret {kind} config: {config!r}. Expected a dict with keys "
            "'class_name' and 'config'."
        )
    from minikeras.saving.object_registration import get_registered_object

    # `custom_objects`, the active `custom_object_scope`, the registered classes; not for
    # a Keras 3 config of a built-in (`registered_name` None), which Keras never replaces.
    keys = (config.get("registered_name"), config["class_name"])
    if config.get("module") and "registered_name" in config and config["registered_name"] is None:
        keys = ()
    for key in keys:
        found = get_registered_object(key, custom_objects) if isinstance(key, str) else None
        if found is not None:
            return found
    class_name = config["class_name"]
    lookup = {c.__name__ if case_sensitive else c.__name__.lower(): c for c in builtin_classes}
    cls = lookup.get(class_name if case_sensitive else str(class_name).lower())
    if cls is None:
        raise ValueError(
            f"Unknown {kind}: {class_name!r}. Valid names: {sorted(lookup)}. A class of your "
            "own must be passed in `custom_objects`."
        )
    return cls
