"""Activations (`keras.activations`): elementwise (and softmax-like) functions for layers.

Layers take an activation as a function or as its name (`Dense(10, activation="relu")`),
resolved by `get`; `serialize` turns a built-in activation back into its name.

Example:
    >>> from minikeras import activations
    >>> activations.get("relu")([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
"""

import inspect
import types

from minikeras.activations import activations as _definitions
from minikeras.activations.activations import (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)

__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]

# Names accepted by `get`/`deserialize` (as in Keras, lowercase only): every activation
# exported above, the aliases `swish` (of `silu`) and `hard_swish` (of `hard_silu`) too.
ALL_OBJECTS_DICT = {
    name: getattr(_definitions, name)
    for name in __all__
    if name not in ("deserialize", "get", "serialize")
}
# The activation functions themselves, without the aliases.
_FUNCTIONS = tuple(fn for name, fn in ALL_OBJECTS_DICT.items() if fn.__name__ == name)


def is_builtin(activation):
    """True for the activation functions defined by minikeras (not a user's function)."""
    return any(activation is fn for fn in _FUNCTIONS)


def serialize(activation):
    """Returns the name of a built-in activation (`"relu"`; `swish` gives `"silu"`).

    A user function gives Keras's function config, naming it as registered
    (`{"module": "builtins", "class_name": "function", "config": "my_package>fn",
    "registered_name": "function"}`); an object with `get_config` gives its class config dict.
    """
    if is_builtin(activation):
        return activation.__name__
    if isinstance(activation, types.FunctionType) and activation.__name__ == "<lambda>":
        raise ValueError(
            "Cannot serialize a lambda activation: define it as a named function and "
            "pass it in `custom_objects` when loading."
        )
    if isinstance(activation, types.FunctionType) or hasattr(activation, "get_config"):
        from minikeras.saving.serialization import serialize_keras_object

        return serialize_keras_object(activation)
    raise ValueError(
        f"Unknown activation function {activation!r} cannot be serialized: use a built-in "
        f"activation ({sorted(ALL_OBJECTS_DICT)}), a named function, or an object with "
        "get_config()."
    )


def _lookup(name, custom_objects):
    from minikeras.saving.object_registration import get_registered_object

    # `custom_objects`, the active `custom_object_scope` and the registered objects.
    found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if name in ALL_OBJECTS_DICT:
        return ALL_OBJECTS_DICT[name]
    raise ValueError(
        f"Unknown activation function: {name!r}. Valid names are {sorted(ALL_OBJECTS_DICT)}, "
        "or pass the function in `custom_objects`."
    )


def deserialize(config, custom_objects=None):
    """Returns the activation for a name or for a config dict from `serialize`."""
    if config is None:
        return None
    if isinstance(config, str):
        return _lookup(config, custom_objects)
    if isinstance(config, dict):
        if "class_name" not in config:
            raise ValueError(f"An activation config needs a 'class_name'. Received: {config}")
        if config["class_name"] == "function":
            name = config.get("registered_name") or config["config"]
            if not (custom_objects and name in custom_objects):
                name = config["config"]
            return _lookup(name, custom_objects)
        from minikeras.saving.object_registration import get_registered_object

        name = config["class_name"]
        if config.get("module") == "keras.layers":
            # A layer used as the activation (`Dense(activation=layers.LeakyReLU(0.1))`).
            from minikeras.saving.serialization import deserialize_keras_object

            return deserialize_keras_object(config, custom_objects)
        registered = config.get("registered_name")
        if isinstance(registered, str) and get_registered_object(registered, custom_objects):
            name = registered
        found = _lookup(name, custom_objects)
        if inspect.isclass(found):
            return found.from_config(config.get("config") or {})
        return found
    raise ValueError(f"Could not interpret activation config: {config!r}")


def get(identifier):
    """Returns the activation function for `identifier`.

    Args:
        identifier: None (gives `linear`), a name ("relu", "softmax", "swish", ...), a
            config dict, or any callable (returned as is).
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict | str):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")
