"""Build configs: the shape a layer was built on, saved so that loading builds it again.

As in Keras, whoever calls `build` (the layer's first call, a parent layer building its
sublayers, or the user by hand) marks the layer built and records the shape: it becomes
the layer's `get_build_config()` and the `build_config` of its entry in a `.keras` file.
"""

import functools


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
        result = build(self, *args, **kwargs)
        self.built = True
        # A subclass's build that calls `super().build(...)` returns last, so the shape
        # the layer was built on from outside is the one kept.
        shape = args[0] if args else next(iter(kwargs.values()), None)
        object.__setattr__(self, "_build_shapes", shape)
        return result

    build_and_record._records_build = True
    return build_and_record


def _shape_lists(shapes):
    if isinstance(shapes, dict):
        return {key: _shape_lists(value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, int) for d in shapes):
        return list(shapes)
    return [_shape_lists(s) for s in shapes]


def _shape_tuples(shape):
    if isinstance(shape, dict):
        return {key: _shape_tuples(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return [_shape_tuples(s) for s in shape]


class BuildConfig:
    """`get_build_config` and `build_from_config`, the two halves of a layer's build
    config (a part of `Layer`)."""

    def get_build_config(self):
        """`{"input_shape": shape}` as the layer was built, or None when it is not built
        (or was built with no shape)."""
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
