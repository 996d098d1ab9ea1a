"""Building a layer: the shapes `build` gets, what a build records, what it locks.

As in Keras, whoever calls `build` (the layer's first call, a parent layer building its
sublayers, or the user by hand) marks the layer built and records the shape: it becomes
the layer's `get_build_config()` and the `build_config` of its entry in a `.keras` file.
The build runs inside the layer's name scope (`autodiff/name_scope.py`), which gives its
weights their paths, and once it returns `add_weight` refuses new weights. On the first call,
`build_from_call` matches the call's arguments to the names `build` takes.
"""

import functools
import inspect

from minikeras.autodiff.name_scope import current_path, enter_layer_scope, leave_layer_scope


def recording_build(build):
    """Wraps a `build` method so that it marks the layer built and records the shape it
    was given (the first argument, as a call records it) once it returns.

    Args:
        build: a layer class's own `build` function.

    Returns:
        The wrapped function (`build` itself if it is wrapped already).
    """
    if getattr(build, "_records_build", False):
        return build

    @functools.wraps(build)
    def build_and_record(self, *args, **kwargs):
        # Built inside its own name scope, as Keras builds: weights get `parent/layer/name`.
        scope = enter_layer_scope(self)
        depth = self.__dict__.get("_build_depth", 0)
        object.__setattr__(self, "_build_depth", depth + 1)
        try:
            object.__setattr__(self, "_path", current_path())
            result = build(self, *args, **kwargs)
        finally:
            object.__setattr__(self, "_build_depth", depth)
            leave_layer_scope(scope)
        if depth == 0:
            lock_state(self)  # the outermost build (a `super().build()` inside returns first)
        self.built = True
        # A subclass's build that calls `super().build(...)` returns last, so the shape
        # the layer was built on from outside is the one kept.
        shape = args[0] if args else next(iter(kwargs.values()), None)
        object.__setattr__(self, "_build_shapes", shape)
        if len(args) + len(kwargs) > 1 and "_build_shapes_dict" not in self.__dict__:
            # Several shapes: Keras's build config names each (`{"shapes_dict": ...}`).
            bound = inspect.signature(build).bind(self, *args, **kwargs).arguments
            object.__setattr__(self, "_build_shapes_dict", dict(list(bound.items())[1:]))
        return result

    build_and_record._records_build = True
    return build_and_record


def lock_state(layer):
    """After its build, `add_weight` makes no new weights (Keras locks a built layer's
    state): one made in `call` would be a new, untrained weight at every call.
    Functional and Sequential models stay open, as in Keras."""
    if layer._locks_state_after_build:
        object.__setattr__(layer, "_state_locked", True)


def _build_parameters(build):
    """The names `build` takes its shapes by (not `*args`/`**kwargs`)."""
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [p.name for p in inspect.signature(build).parameters.values() if p.kind in kinds]


def _shape_of(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict)):
        return _shapes_of_structure(value)
    return tuple(value.shape) if hasattr(value, "shape") else None


def _shapes_of_structure(structure):
    if isinstance(structure, dict):
        return {key: _shape_of(value) for key, value in structure.items()}
    return [_shape_of(value) for value in structure]


def build_from_call(layer, shape, args, kwargs):
    """Builds `layer` on its first call, as Keras does: a `build` that takes one argument
    gets the first input's shape (`shape`); one that takes several gets, for each of its
    `<name>_shape` arguments, the shape of the call's tensor argument `<name>`
    (`build(self, inputs_shape, attention_mask_shape=None)` for
    `call(self, inputs, attention_mask=None)`).

    Raises:
        ValueError: a `build` with several arguments names one without a `_shape` suffix,
            or one whose call argument `call` does not have.
    """
    names = _build_parameters(layer.build)
    if len(names) <= 1:
        layer.build(shape)
        lock_state(layer)
        return
    call_arguments = inspect.signature(layer.call).bind_partial(*args, **kwargs).arguments
    call_parameters = inspect.signature(layer.call).parameters
    shapes = {}
    for name in names:
        preamble = (
            "For a `build()` method with more than one argument, all arguments should have "
            "a `_shape` suffix and match an argument from `call()`. E.g. "
            f"`build(self, foo_shape, bar_shape)`. For layer '{type(layer).__name__}', "
        )
        if not name.endswith("_shape"):
            raise ValueError(
                f"{preamble}received `build()` argument `{name}`, which does not end in `_shape`."
            )
        argument = name[: -len("_shape")]
        if argument not in call_parameters:
            raise ValueError(
                f"{preamble}received `build()` argument `{name}`, but `call()` does not "
                f"have argument `{argument}`."
            )
        value = call_arguments.get(argument)
        if argument != "mask" and value is not None:
            shapes[name] = _shape_of(value)
    layer.build(**shapes)
    lock_state(layer)


def _shape_lists(shapes):
    if shapes is None:
        return None
    if isinstance(shapes, dict):
        return {key: _shape_lists(value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return list(shapes)
    return [_shape_lists(s) for s in shapes]


def _shape_tuples(shape):
    if shape is None:
        return None
    if isinstance(shape, dict):
        return {key: _shape_tuples(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return [_shape_tuples(s) for s in shape]


class BuildConfig:
    """`get_build_config` and `build_from_config`, the two halves of a layer's build
    config (a part of `Layer`)."""

    @property
    def path(self):
        """Where the layer lives (`"sequential/dense"`), fixed when its build starts; None
        before it is built (as Keras)."""
        return self.__dict__.get("_path")

    def get_build_config(self):
        """`{"input_shape": shape}` as the layer was built (`{"shapes_dict": {...}}` when
        its build took several shapes), or None when it is not built (or was built with no
        shape)."""
        shapes_dict = self.__dict__.get("_build_shapes_dict")
        if self.built and shapes_dict:
            return {"shapes_dict": _shape_lists(shapes_dict)}
        shapes = self.__dict__.get("_build_shapes")
        if not self.built or shapes is None:
            return None
        return {"input_shape": _shape_lists(shapes)}

    def build_from_config(self, config):
        """Builds the layer on the shape of a `get_build_config()` result (as loading
        does, before the weights are read)."""
        shape = (config or {}).get("input_shape")
        if shape is not None:
            self.build(_shape_tuples(shape))
        elif (config or {}).get("shapes_dict"):
            self.build(**_shape_tuples(config["shapes_dict"]))
