"""`InputSpec`: what a layer accepts, checked on every call so bad shapes fail clearly."""


class InputSpec:
    """Describes the rank, dtype and known dimensions a layer expects.

    Args:
        dtype: expected dtype (not enforced: floats are cast on call).
        shape: full expected shape (None entries are free).
        ndim, max_ndim, min_ndim: rank constraints.
        axes: dict `{axis: size}` of required sizes (e.g. `{-1: 784}` for a Dense layer).

    Example:
        >>> self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
    """

    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        fields = {
            "shape": self.shape,
            "ndim": self.ndim,
            "min_ndim": self.min_ndim,
            "max_ndim": self.max_ndim,
            "axes": self.axes or None,
        }
        return "InputSpec(" + ", ".join(f"{k}={v}" for k, v in fields.items() if v) + ")"

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises ValueError naming the layer, the expectation and the received shape."""
    if input_spec is None:
        return
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if isinstance(inputs, dict):
        flat = list(inputs.values())
    if len(specs) != len(flat) and len(specs) > 1:
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
            f"{len(flat)} input tensors."
        )
    for index, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None or not hasattr(x, "shape"):
            continue
        shape = tuple(x.shape)
        prefix = f'Input {index} of layer "{layer_name}" is incompatible with the layer:'
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(
                f"{prefix} expected ndim={spec.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(
                f"{prefix} expected max_ndim={spec.max_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(
                f"{prefix} expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if -len(shape) <= axis < len(shape) and shape[axis] not in (size, None):
                raise ValueError(
                    f"{prefix} expected axis {axis} of input shape to have value {size}, but "
                    f"received input with shape {shape}"
                )
        if spec.shape is not None:
            for expected, received in zip(spec.shape, shape):
                if expected is not None and received is not None and expected != received:
                    raise ValueError(f"{prefix} expected shape={spec.shape}, found shape={shape}")
