"""Config dicts in Keras 3's format: `serialize_keras_object` / `deserialize_keras_object`.

An object becomes `{"module", "class_name", "config", "registered_name"}` (plus
`"build_config"` and `"compile_config"` for layers and models), exactly the dicts Keras 3
writes, so a config written by one library is read by the other:

- built-in classes are recorded under their public Keras module (`"keras.layers"`,
  `"keras.optimizers"`, ...) with `registered_name` None;
- your own classes under their Python module, with `registered_name` `"package>Name"` when
  registered with `register_keras_serializable`, else the class name;
- functions as `{"module": "builtins", "class_name": "function", "config": name}`;
- numpy arrays, tensors, bytes, slices and symbolic tensors in Keras's special forms.

Loading is safe: a class is found only among minikeras's public classes, the registered
classes and the `custom_objects` you pass; no module named in a config is ever imported,
nothing is unpickled. The one exception is a Python `lambda`, stored as bytecode (as Keras
stores it): it is restored only with `safe_mode=False`. The tables of registered classes
and `custom_object_scope` live in `object_registration.py`.
"""

import base64
import inspect
import marshal
import types

import numpy as np

from minikeras.saving.object_registration import (
    CustomObjectScope,
    all_custom_objects,
    get_registered_name,
)

__all__ = [
    "SafeModeScope",
    "deserialize_keras_object",
    "enable_unsafe_deserialization",
    "serialize_keras_object",
]

PLAIN_TYPES = (str, int, float, bool)

# None: not set by a scope, so the `safe_mode` argument decides.
_safe_mode = [None]
# Set while a whole model is (de)serialized, so shared objects are written and built once.
_sharing = [None]


class SafeModeScope:
    """Context manager setting safe mode (no lambda bytecode is loaded) for nested loads."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        _safe_mode.append(self.safe_mode)
        return self

    def __exit__(self, *exc_info):
        _safe_mode.pop()


def in_safe_mode():
    """The safe mode set by the enclosing `SafeModeScope` (None when none is active)."""
    return _safe_mode[-1]


def enable_unsafe_deserialization():
    """Allows lambdas stored as bytecode to be loaded everywhere (as `safe_mode=False`)."""
    _safe_mode[0] = False


class ObjectSharingScope:
    """While active, an object met twice is written once and rebuilt once (Keras's
    `shared_object_id`)."""

    def __enter__(self):
        self._previous = _sharing[0]
        _sharing[0] = {"configs": {}, "written": {}, "objects": {}}
        return self

    def __exit__(self, *exc_info):
        _sharing[0] = self._previous


# -- public classes ---------------------------------------------------------------------------
# Keras module names of minikeras's public packages, in the order searched. The first module
# exporting a class gives its name in configs (as Keras's export names do).
_PACKAGES = (
    ("keras.layers", "minikeras.layers"),
    ("keras.optimizers.schedules", "minikeras.optimizers.schedules"),
    ("keras.optimizers", "minikeras.optimizers"),
    ("keras.losses", "minikeras.losses"),
    ("keras.metrics", "minikeras.metrics"),
    ("keras.initializers", "minikeras.initializers"),
    ("keras.regularizers", "minikeras.regularizers"),
    ("keras.constraints", "minikeras.constraints"),
    ("keras.activations", "minikeras.activations"),
    ("keras.models", "minikeras.models"),
    ("keras", "minikeras"),
)
# Modules whose plain functions a `{"class_name": "function"}` config may name.
_FUNCTION_PACKAGES = (
    "minikeras.activations",
    "minikeras.losses",
    "minikeras.metrics",
    "minikeras.initializers",
    "minikeras.regularizers",
    "minikeras.constraints",
)
# Keras exports these at the top level first (`keras.Sequential`, `keras.Model`).
_TOP_LEVEL = ("Sequential", "Model")
# Classes Keras writes under their exported name, which is not the class's own name (Keras
# cannot read them back under the class's name).
_EXPORTED_CLASS_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}
_FUNCTIONAL_MODULE = "keras.src.models.functional"


def _package(name):
    import importlib

    return importlib.import_module(name)


def _public_module(cls):
    """The Keras module name under which `cls` is public, or None for other classes."""
    if not cls.__module__.startswith("minikeras"):
        return None
    if cls.__name__ == "Functional" and _is_builtin_functional(cls):
        return _FUNCTIONAL_MODULE
    if cls.__name__ in _TOP_LEVEL and getattr(_package("minikeras"), cls.__name__, None) is cls:
        return "keras"
    for keras_name, package_name in _PACKAGES:
        if getattr(_package(package_name), cls.__name__, None) is cls:
            return keras_name
    return None


def _is_builtin_functional(cls):
    from minikeras.models.functional import Functional

    return cls is Functional


def _find_public_class(module, class_name):
    """A minikeras public class for a Keras `module` + `class_name`, or None."""
    if not isinstance(class_name, str) or not class_name.isidentifier():
        return None
    packages = [p for k, p in _PACKAGES if k == module]
    packages += [p for _, p in _PACKAGES if p not in packages]
    for package_name in packages:
        found = getattr(_package(package_name), class_name, None)
        if isinstance(found, type) and hasattr(found, "from_config"):
            return found
    return None


def _find_builtin_function(name):
    if not isinstance(name, str) or not name.isidentifier():
        return None
    for package_name in _FUNCTION_PACKAGES:
        found = getattr(_package(package_name), name, None)
        if isinstance(found, types.FunctionType):
            return found
    return None


# -- serialization ----------------------------------------------------------------------------
def serialize_keras_object(obj):
    """Returns the Keras 3 config dict of `obj` (plain values are returned as they are).

    Args:
        obj: a layer, model, optimizer, loss, metric, initializer, ... (anything with
            `get_config`), a function, or a nested structure of those and plain values.

    Returns:
        A JSON-friendly structure that `deserialize_keras_object` turns back into `obj`.

    Example:
        >>> serialize_keras_object(keras.layers.Dense(3))["class_name"]
        'Dense'
    """
    from minikeras.autodiff import Tensor
    from minikeras.ops.symbolic import KerasTensor

    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(item) for item in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        sharing = _sharing[0]
        if sharing is not None and id(obj) in sharing["written"]:
            # A config written earlier in this scope: keep the very same dict, so a mark
            # added to it later (`shared_object_id`) reaches the output.
            return obj
        return serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, KerasTensor):
        return _serialize_keras_tensor(obj, None)
    if isinstance(obj, Tensor):
        return {
            "class_name": "__tensor__",
            "config": {"value": obj.data.tolist(), "dtype": obj.data.dtype.name},
        }
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {
            "class_name": "__numpy__",
            "config": {"value": obj.tolist(), "dtype": obj.dtype.name},
        }
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.item()
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, types.FunctionType):
        if obj.__name__ == "<lambda>":
            return {"class_name": "__lambda__", "config": {"value": function_dump(obj)}}
        return {
            "module": "builtins",
            "class_name": "function",
            "config": get_registered_name(obj),
            "registered_name": "function",
        }
    return _serialize_instance(obj)


def serialize_dict(obj):
    """Serializes each value of a dict (keys are kept)."""
    return {key: serialize_keras_object(value) for key, value in obj.items()}


def _serialize_instance(obj):
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r} of type {type(obj).__name__}: to be serializable, a "
            "class must implement get_config()."
        )
    sharing = _sharing[0]
    if sharing is not None and id(obj) in sharing["configs"]:
        # Written already: repeat its config, and mark both copies as one object.
        first = sharing["configs"][id(obj)][1]
        first["shared_object_id"] = id(obj)
        copy = dict(first)
        sharing["written"][id(copy)] = copy
        return copy
    inner = _get_config(obj)
    if not isinstance(inner, dict):
        raise TypeError(f"get_config() of {obj!r} should return a dict. It returned {inner!r}.")
    cls = type(obj)
    inner = serialize_dict(inner)
    _adapt_for_saving(obj, inner)
    module = _public_module(cls)
    if module is not None:
        config = {
            "module": module,
            "class_name": _EXPORTED_CLASS_NAMES.get(cls.__name__, cls.__name__),
            "config": inner,
            "registered_name": "Functional" if module == _FUNCTIONAL_MODULE else None,
        }
    else:
        config = {
            "module": None if cls.__module__ == "__main__" else cls.__module__,
            "class_name": cls.__name__,
            "config": inner,
            "registered_name": get_registered_name(cls),
        }
    build_config = _get_build_config(obj)
    if build_config is not None:
        config["build_config"] = serialize_dict(build_config)
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = serialize_dict(compile_config)
    if sharing is not None:
        # Keep the object alive while the scope lasts, so its id is not reused.
        sharing["configs"][id(obj)] = (obj, config)
        sharing["written"][id(config)] = config
    return config


def _get_config(obj):
    from minikeras.layers.layer import Layer
    from minikeras.models.functional import Functional
    from minikeras.models.model import Model

    method = type(obj).get_config
    if isinstance(obj, Functional) and method in (Model.get_config, Layer.get_config):
        # A Functional model whose class does not define its config: the graph.
        from minikeras.models import functional_config

        return functional_config.get_config(obj)
    return obj.get_config()


def _serialize_keras_tensor(tensor, node_index):
    node = tensor.node
    history = None
    if node is not None:
        operation = node.operation
        if node_index is None:
            nodes = getattr(operation, "_inbound_nodes", [])
            node_index = next((i for i, n in enumerate(nodes) if n is node), 0)
        history = [getattr(operation, "name", None), node_index, tensor.index]
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": list(tensor.shape), "dtype": tensor.dtype, "keras_history": history},
    }


def _get_build_config(obj):
    """`{"input_shape": ...}` recorded when a layer was built (Keras's `build_config`)."""
    from minikeras.layers.layer import Layer
    from minikeras.models.functional import Functional
    from minikeras.models.sequential import Sequential

    if isinstance(obj, Layer) and not obj.built:
        return None
    if isinstance(obj, Functional):
        return None
    if isinstance(obj, Sequential):
        inputs = getattr(obj, "inputs", None)  # none when run layer by layer (dict inputs)
        return {"input_shape": list(inputs[0].shape)} if inputs else None
    if hasattr(obj, "get_build_config"):  # every layer's (see layers/build_config.py)
        return obj.get_build_config()
    return None


def _shape_lists(shapes):
    if isinstance(shapes, dict):
        return {key: _shape_lists(value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return list(shapes)
    return [_shape_lists(s) for s in shapes]


def _adapt_for_saving(obj, inner):
    """Keras's forms for what minikeras keeps differently (lambda functions of Lambda)."""
    from minikeras.layers import Lambda

    if isinstance(obj, Lambda):
        for key, value in (("function", obj.function), ("output_shape", obj._output_shape)):
            if isinstance(value, types.FunctionType) and value.__name__ == "<lambda>":
                code, defaults, closure = function_dump(value)
                inner[key] = {
                    "class_name": "__lambda__",
                    "config": {"code": code, "defaults": defaults, "closure": closure},
                }


def function_dump(fn):
    """`(code, defaults, closure)` of a Python function, code as base64 bytecode (Keras)."""
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
    return code, fn.__defaults__, closure


def function_load(code, defaults=None, closure=None):
    """Rebuilds a function from `function_dump`'s output. Runs code from the file: only
    call it when the user asked for `safe_mode=False`."""
    if isinstance(code, (list, tuple)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(value) for value in closure)
    compiled = marshal.loads(base64.b64decode(code.encode("ascii")))
    return types.FunctionType(
        compiled, {"__builtins__": __builtins__}, compiled.co_name, defaults, cells
    )


# -- deserialization --------------------------------------------------------------------------
_LAMBDA_ERROR = (
    "Requested the deserialization of a Python lambda, stored in the file as bytecode. "
    "Loading it would run code from the file (arbitrary code execution), so it is disallowed "
    "by default. If you trust the source of the file, pass `safe_mode=False` to the loading "
    "function (or call `minikeras.saving.enable_unsafe_deserialization()`); better, define "
    "the function with `def` and pass it in `custom_objects`."
)

# Arguments Keras 3 writes into layer configs that minikeras layers do not take. Each is
# dropped when it has this value (the feature is off); any other value is an error.
_NEUTRAL_KERAS_ARGUMENTS = {
    "quantization_config": None,
    "ragged": False,
    "lora_rank": None,
    "lora_alpha": None,
    "optional": False,
    "sparse": False,
    "synchronized": False,
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuilds the object a config dict describes (the inverse of `serialize_keras_object`).

    Args:
        config: the dict (or a plain value, list, ...) from `serialize_keras_object` or from
            a Keras 3 `config.json`.
        custom_objects: dict mapping names to your own classes and functions.
        safe_mode: refuse to load Python lambdas stored as bytecode (default True).

    Returns:
        The object. Layers come back built when the config records how (`build_config`),
        models compiled when it records a `compile_config`.

    Raises:
        ValueError: for a lambda in safe mode.
        TypeError: for a class or function that cannot be found (the message says how to
            register it or pass it in `custom_objects`).
    """
    module_objects = kwargs.pop("module_objects", None)
    if kwargs:
        raise TypeError(f"Unexpected arguments: {sorted(kwargs)}")
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    custom_objects = all_custom_objects(custom_objects)
    if module_objects:
        custom_objects = {**module_objects, **custom_objects}
    with SafeModeScope(safe_mode):
        return _deserialize(config, custom_objects, safe_mode)


def _deserialize(config, custom_objects, safe_mode):
    if config is None:
        return None
    if isinstance(config, str) and config in custom_objects:
        return custom_objects[config]
    if isinstance(config, (list, tuple)):
        return [_deserialize(item, custom_objects, safe_mode) for item in config]
    if isinstance(config, PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {
            key: _deserialize(value, custom_objects, safe_mode) for key, value in config.items()
        }

    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _deserialize_special(class_name, inner, custom_objects, safe_mode)
    if special is not _NOT_SPECIAL:
        return special
    module = config.get("module")
    if class_name == "function":
        return _retrieve_function(inner, config, custom_objects)
    if class_name in ("DTypePolicy", "FloatDTypePolicy") and (module or "keras").startswith(
        "keras"
    ):
        return _dtype_from_policy(inner)
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}. Full config: {config}")

    sharing = _sharing[0]
    shared_id = config.get("shared_object_id")
    if sharing is not None and shared_id is not None and shared_id in sharing["objects"]:
        return sharing["objects"][shared_id]

    cls = _retrieve_class(class_name, config.get("registered_name"), module, config, custom_objects)
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(
            f"Unable to rebuild an instance of {class_name!r}: the class has no from_config()."
        )
    inner = _adapt_for_loading(cls, dict(inner), custom_objects, safe_mode)
    with CustomObjectScope(custom_objects):
        try:
            instance = _call_from_config(cls, inner, custom_objects)
        except TypeError as error:
            raise TypeError(
                f"{cls.__name__} could not be rebuilt from its config: {error}\n"
                "Objects inside the config (layers, models, ...) must be deserialized by the "
                f"class's from_config().\nconfig={config}"
            ) from error
        build_config = config.get("build_config")
        if build_config and not getattr(instance, "built", True):
            _build_from_config(instance, build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)
            _build_optimizer(instance)
    if sharing is not None and shared_id is not None:
        sharing["objects"][shared_id] = instance
    return instance


_NOT_SPECIAL = object()


def _deserialize_special(class_name, inner, custom_objects, safe_mode):
    from minikeras.autodiff import convert_to_tensor
    from minikeras.ops.symbolic import KerasTensor

    if class_name == "__keras_tensor__":
        tensor = KerasTensor(tuple(inner["shape"]), dtype=inner["dtype"])
        tensor._pre_serialization_keras_history = inner.get("keras_history")
        return tensor
    if class_name == "__tensor__":
        return convert_to_tensor(np.array(inner["value"], dtype=inner["dtype"]))
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(
            *(_deserialize(inner[k], custom_objects, safe_mode) for k in ("start", "stop", "step"))
        )
    if class_name == "__lambda__":
        if safe_mode is not False:
            raise ValueError(_LAMBDA_ERROR)
        value = inner["value"] if "value" in inner else inner
        if isinstance(value, dict):
            return function_load(value["code"], value.get("defaults"), value.get("closure"))
        return function_load(value)
    if class_name == "__typespec__":
        raise TypeError("TensorFlow TypeSpec configs are not supported by minikeras.")
    return _NOT_SPECIAL


def _dtype_from_policy(inner):
    name = inner.get("name") if isinstance(inner, dict) else inner
    try:
        return np.dtype(name).name
    except TypeError:
        raise ValueError(
            f"The dtype policy {name!r} is not supported: minikeras layers take a plain dtype "
            "('float32', 'float64', ...), no mixed precision."
        ) from None


def _retrieve_function(name, config, custom_objects):
    registered = config.get("registered_name")
    for key in (name, registered):
        if isinstance(key, str) and key in custom_objects:
            return custom_objects[key]
    found = _find_builtin_function(name)
    if found is not None:
        _check_no_registered_name(config, name)
        return found
    if isinstance(name, str) and ">" not in name:
        # Keras <= 3.6 wrote registered functions under their bare name.
        for custom_name, value in custom_objects.items():
            if custom_name.endswith(f">{name}"):
                return value
    raise TypeError(
        f"Could not locate function {name!r}. Decorate it with "
        "`@minikeras.saving.register_keras_serializable()` (and import it before loading) or "
        f"pass it in `custom_objects`. Full object config: {config}"
    )


def _retrieve_class(class_name, registered_name, module, config, custom_objects):
    # A config that says `"registered_name": None` names a built-in (Keras 3 writes that for
    # its own classes): as in Keras, `custom_objects` do not replace it under its class name.
    keys = (registered_name, class_name)
    if "registered_name" in config and registered_name is None and module is not None:
        keys = ()
    for key in keys:
        if isinstance(key, str) and key in custom_objects:
            return custom_objects[key]
    # Configs written by minikeras or Keras name public classes by a Keras module; configs
    # of Keras 2 (no module) by class name only.
    if module is None or module == "keras" or module.startswith("keras."):
        found = _find_public_class(module, class_name)
        if found is not None:
            if module is not None and not module.startswith("keras.src."):
                _check_no_registered_name(config, class_name)
            return found
    raise TypeError(
        f"Could not locate class {class_name!r} (module {module!r}). Make sure custom classes "
        "are decorated with `@minikeras.saving.register_keras_serializable()` and imported "
        "before loading, or pass them in `custom_objects`. minikeras never imports modules "
        f"named in a file. Full object config: {config}"
    )


def _check_no_registered_name(config, name):
    """Built-in classes and functions have no registered name: a config that names one and
    gives another registered name is refused, as Keras refuses it (the file is not what it
    claims to be)."""
    registered = config.get("registered_name")
    if registered and registered not in (name, config.get("class_name")):
        raise ValueError(
            f"`registered_name={registered!r}` was provided in the config, but {name!r} "
            "resolved to a Keras built-in and does not use registered names. Remove the "
            f"`registered_name` field from the config. Full object config: {config}"
        )


def _accepted_arguments(cls):
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters
        except (TypeError, ValueError):
            continue
        names.update(
            name
            for name, p in parameters.items()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        )
    from minikeras.layers import layer as layer_module

    return names | set(layer_module._LAYER_KWARGS)


def _adapt_for_loading(cls, inner, custom_objects, safe_mode):
    """Turns a Keras 3 layer config into arguments minikeras's `from_config` takes."""
    from minikeras.layers.layer import Layer

    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        return inner
    if isinstance(inner.get("dtype"), dict):
        inner["dtype"] = _deserialize(inner["dtype"], custom_objects, safe_mode)
    accepted = _accepted_arguments(cls)
    for key, neutral in _NEUTRAL_KERAS_ARGUMENTS.items():
        if key in inner and key not in accepted and inner[key] == neutral:
            del inner[key]
    from minikeras.layers import Lambda

    if issubclass(cls, Lambda):
        for key in ("function", "output_shape", "mask"):
            value = inner.get(key)
            if isinstance(value, dict) and value.get("class_name") == "__lambda__":
                if safe_mode is not False:
                    raise ValueError(
                        f"Lambda layer {inner.get('name')!r}: its `{key}` is a Python lambda. "
                        + _LAMBDA_ERROR
                    )
                inner[key] = function_load(
                    value["config"]["code"],
                    value["config"].get("defaults"),
                    value["config"].get("closure"),
                )
            elif isinstance(value, dict) and value.get("class_name") == "function":
                inner[key] = _retrieve_function(value.get("config"), value, custom_objects)
        return inner
    # Nested objects that only the registry or `custom_objects` know (a registered
    # initializer, a custom activation function): resolve them here, so the layer's own
    # `get` functions receive objects rather than names they cannot look up.
    for key, value in list(inner.items()):
        if isinstance(value, dict) and "class_name" in value and key != "layers":
            if _names_custom_object(value, custom_objects):
                inner[key] = _deserialize(value, custom_objects, safe_mode)
    return inner


def _names_custom_object(config, custom_objects):
    keys = [config.get("registered_name"), config.get("class_name")]
    if config.get("class_name") == "function":
        keys = [config.get("config"), config.get("registered_name")]
    return any(isinstance(key, str) and key in custom_objects for key in keys)


def _call_from_config(cls, inner, custom_objects):
    from minikeras.layers.layer import Layer
    from minikeras.models import functional_config
    from minikeras.models.model import Model

    from_config = cls.from_config
    default = getattr(from_config, "__func__", None) is Layer.from_config.__func__
    if default and issubclass(cls, Model) and functional_config.is_functional_config(inner):
        return functional_config.from_config(cls, inner, custom_objects)
    try:
        parameters = inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "custom_objects" in parameters:
        return from_config(inner, custom_objects=custom_objects)
    return from_config(inner)


def _build_from_config(instance, build_config):
    """Builds a layer from its `build_config` (creating its weights before they load)."""
    if hasattr(instance, "build_from_config"):
        instance.build_from_config(build_config)
        return
    shape = build_config.get("input_shape")
    if shape is None:
        return
    shape = _shape_tuples(shape)
    instance.build(shape)
    instance.built = True
    object.__setattr__(instance, "_build_shapes", shape)


def _shape_tuples(shape):
    if isinstance(shape, dict):
        return {key: _shape_tuples(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return [_shape_tuples(s) for s in shape]


def compile_from_config(model, config):
    """Compiles `model` with the arguments of its saved `compile_config`.

    A model whose class overrides `compile` is left uncompiled with a warning, as in Keras:
    its own `compile` may take other arguments than the ones saved.
    """
    from minikeras.trainers.trainer import Trainer

    if type(model).compile is not Trainer.compile:
        import warnings

        warnings.warn(
            "`compile()` was not called as part of model loading because the model's "
            "`compile()` method is custom. All subclassed Models that have `compile()` "
            "overridden should also override `get_compile_config()` and "
            "`compile_from_config(config)`. Alternatively, you can call `compile()` "
            "manually after loading.",
            stacklevel=3,
        )
        return
    model.compile(**{key: deserialize_keras_object(value) for key, value in config.items()})


def _build_optimizer(model):
    """Creates the optimizer's state (as Keras does after `compile_from_config`) so that a
    saved optimizer state can be loaded into it."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "built", True) or not getattr(model, "built", False):
        return
    variables = model.trainable_weights
    if variables:
        optimizer.build(variables)
