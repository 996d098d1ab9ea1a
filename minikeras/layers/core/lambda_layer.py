"""`Lambda`: wraps a Python function of tensors as a layer."""

import importlib
import inspect

from minikeras.layers.layer import Layer
from minikeras.ops import symbolic
from minikeras.ops.symbolic import KerasTensor, map_structure


def _function_config(fn):
    """Names a function in a config (Keras's layout for serialized functions)."""
    name = getattr(fn, "__name__", type(fn).__name__)
    return {
        "module": getattr(fn, "__module__", None),
        "class_name": "function",
        "config": name,
        "registered_name": name,
    }


def _minikeras_module(name):
    """The minikeras module a config names, or None when it does not exist (any more).

    Files saved before `ops/numpy_more.py` was split into the modules behind
    `minikeras.ops.numpy` name that module: its ops are looked up in `minikeras.ops.numpy`.
    """
    if name == "minikeras.ops.numpy_more":
        name = "minikeras.ops.numpy"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def _resolve_function(config, custom_objects, what):
    """Finds the function a config names: in `custom_objects`, or in minikeras itself."""
    if not isinstance(config, dict):
        return config
    name = config.get("config")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    module = config.get("module") or ""
    if module == "minikeras" or module.startswith("minikeras."):
        found = getattr(_minikeras_module(module), name, None)
        if callable(found):
            return found
    if name == "<lambda>":
        hint = (
            "it was a Python lambda, which cannot be restored from a config; define it with "
            "`def` and pass it in `custom_objects`"
        )
    else:
        hint = f"pass it as custom_objects={{{name!r}: {name}}}"
    raise ValueError(
        f"Lambda layer: cannot find the {what} {name!r} from module {module!r}: {hint}."
    )


class Lambda(Layer):
    """Wraps an arbitrary function of tensors as a layer (for Sequential/Functional models).

    Args:
        function: `function(inputs, **arguments)` built from `minikeras.ops`; it may also
            take `training` and `mask` (the mask passed to the call, if any) keyword
            arguments.
        output_shape: the output shape without the batch axis (a tuple), or a function of the
            full input shape; inferred by running `function` on small arrays when omitted.
        mask: the outputs' mask: a function `mask(inputs, previous_mask)`, or a fixed
            mask; None (the default) means the layer does not support masking, so a mask
            reaching it is dropped with a warning, as in Keras.
        arguments: optional dict of keyword arguments passed to `function`.

    Saving: `get_config` stores the function by *name* only (with its module). A Python
    function cannot be serialized safely (Keras stores lambdas as bytecode, which is tied to
    the Python version and runs arbitrary code when loaded), so `from_config` looks the name
    up in `custom_objects` (or in minikeras for its own functions, e.g. `minikeras.ops.abs`).
    Lambdas (`lambda x: ...`) therefore cannot be reloaded: use a named function.

    Example:
        >>> def square(x):
        ...     return x ** 2
        >>> Lambda(square)(np.array([[2.0, 3.0]])).numpy()
        array([[4., 9.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Lambda: `function` must be callable. Received {function!r}.")
        if output_shape is not None and not callable(output_shape):
            output_shape = tuple(output_shape)
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"Lambda: `arguments` must be a dict. Received {arguments!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None  # as Keras
        self._output_shape = output_shape
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            parameters = {}
        self._fn_expects_training = "training" in parameters
        self._fn_expects_mask = "mask" in parameters

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_training:
            kwargs["training"] = training
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def _infer_output_spec(self, inputs):
        return symbolic.compute_output_spec(self.call, (inputs,), {})

    def compute_output_spec(self, inputs, mask=None, training=None):
        if self._output_shape is None:
            return self._infer_output_spec(inputs)
        return Layer.compute_output_spec(self, inputs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:

            def to_spec(shape):
                return KerasTensor(shape, dtype=self.dtype)

            spec = self._infer_output_spec(_map_shapes(to_spec, input_shape))
            return map_structure(lambda t: tuple(t.shape), spec)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape
        while isinstance(first, (list, tuple)) and first and not _is_shape(first):
            first = first[0]
        batch = first[0] if first else None
        return (batch, *self._output_shape)

    def get_config(self):
        config = super().get_config()
        config["function"] = _function_config(self.function)
        if self._output_shape is not None:
            if callable(self._output_shape):
                config["output_shape"] = _function_config(self._output_shape)
            else:
                config["output_shape"] = self._output_shape
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Recreates the layer; named functions are looked up in `custom_objects`.

        Args:
            config: a dict from `get_config`.
            custom_objects: names to functions, for functions outside minikeras.
            safe_mode: accepted as Keras accepts it; it changes nothing here, as no
                function is ever loaded from bytecode (lambdas cannot be restored).
        """
        config = dict(config)
        config["function"] = _resolve_function(config["function"], custom_objects, "function")
        if isinstance(config.get("output_shape"), dict):
            config["output_shape"] = _resolve_function(
                config["output_shape"], custom_objects, "output_shape function"
            )
        return cls(**config)


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _map_shapes(fn, structure):
    if _is_shape(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    return [_map_shapes(fn, s) for s in structure]
