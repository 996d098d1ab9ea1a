"""The configuration of a user's layer that does not write `get_config`.

`Layer.__new__` keeps the arguments each layer's constructor was called with. A subclass
whose constructor takes plain Python values (numbers, strings, booleans, None, and lists and
dicts of them) gets a `get_config` for free: those arguments, bound to their parameter names
(as Keras's automatic config does). Anything else needs the subclass's own `get_config`.
"""

import inspect


def _serializable(value):
    if isinstance(value, (list, tuple)):
        return all(_serializable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _serializable(v) for k, v in value.items())
    return isinstance(value, (int, float, str, bool, type(None)))


def _constructor_arguments(layer):
    """The arguments `layer`'s constructor received, bound to their parameter names."""
    args, kwargs = layer._init_args
    signature = inspect.signature(type(layer).__init__)
    try:
        bound = signature.bind(layer, *args, **kwargs)
    except TypeError:
        bound = None
    arguments = {}
    if bound is not None:
        for name, value in list(bound.arguments.items())[1:]:
            if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(value)
            elif signature.parameters[name].kind is not inspect.Parameter.VAR_POSITIONAL:
                arguments[name] = value
    if bound is None or not _serializable(arguments):
        raise NotImplementedError(
            f"Layer {type(layer).__name__} was created with arguments that are not plain "
            "Python values: implement get_config() to return what from_config() needs."
        )
    return arguments


def activity_regularizer_entry(layer):
    """`{"activity_regularizer": ...}` for a layer that has one, else `{}`: Keras's base
    config names it only when it is set (layers that always list it write it themselves)."""
    if layer.activity_regularizer is None:
        return {}
    from minikeras import regularizers

    return {"activity_regularizer": regularizers.serialize(layer.activity_regularizer)}
