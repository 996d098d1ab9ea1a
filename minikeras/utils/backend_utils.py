"""dtype names, type promotion and symbolic-tensor helpers, as `keras.backend` and
`keras.utils` offer them (`standardize_dtype`, `result_type`, `is_float_dtype`,
`is_int_dtype`, `is_keras_tensor`, `get_source_inputs`).

dtypes are named as Keras names them (strings such as `"float32"`), whatever numpy can
compute in: `"bfloat16"` and `"string"` are valid names though minikeras has no bfloat16
arrays.
"""

import functools

from minikeras import config
from minikeras.ops.symbolic import KerasTensor

_INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_ALLOWED_DTYPES = (
    *_FLOAT_TYPES,
    *_INT_TYPES,
    "bool",
    "string",
    "float8_e4m3fn",
    "float8_e5m2",
    "complex64",
    "complex128",
)
# Python types and the name "int", as Keras maps them on its JAX, NumPy and torch backends.
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32"}
_PYTHON_DTYPES[complex] = "complex64"


def standardize_dtype(dtype):
    """The Keras name of `dtype` (a name, a numpy dtype or type, or a Python type; None
    means `floatx()`).

    Raises:
        ValueError: for anything else ("Invalid dtype: ...").

    Example:
        >>> standardize_dtype(int), standardize_dtype(np.float64), standardize_dtype(None)
        ('int32', 'float64', 'float32')
    """
    if dtype is None:
        return config.floatx()
    try:
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # an unhashable value
        pass
    if hasattr(dtype, "name"):
        dtype = dtype.name
    elif hasattr(dtype, "__name__"):
        dtype = dtype.__name__
    if not isinstance(dtype, str) or dtype not in _ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    """Whether `dtype` is a float type (bfloat16, float16, float32, float64)."""
    return standardize_dtype(dtype) in _FLOAT_TYPES


def is_int_dtype(dtype):
    """Whether `dtype` is a signed or unsigned integer type."""
    return standardize_dtype(dtype) in _INT_TYPES


# Keras's promotion lattice (after JAX's): each type and the types just above it. "int"
# and "float" are the weak types of Python scalars, which take the other operand's type.
_ABOVE = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"],
    "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"],
    "uint64": ["float"],
    "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"],
    "int16": ["int32"],
    "int32": ["int64"],
    "int64": ["float"],
    "float": ["bfloat16", "float16"],
    "bfloat16": ["float32"],
    "float16": ["float32"],
    "float32": ["float64", "complex64"],
    "float64": ["complex128"],
    "complex64": ["complex128"],
    "complex128": [],
}


def _upper_bounds(node):
    bounds, frontier = {node}, [node]
    while frontier:
        for above in _ABOVE[frontier.pop()]:
            if above not in bounds:
                bounds.add(above)
                frontier.append(above)
    return bounds


_UPPER_BOUNDS = {node: _upper_bounds(node) for node in _ABOVE}


@functools.lru_cache(maxsize=512)
def _least_upper_bound(*nodes):
    for node in nodes:
        if node not in _UPPER_BOUNDS:
            raise ValueError(f"dtype={node!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER_BOUNDS[node] for node in nodes))
    least = [c for c in common if common <= _UPPER_BOUNDS[c]]
    if not least:
        raise ValueError(
            f"Input dtypes {nodes} have no available implicit dtype promotion path. "
            "Try explicitly casting inputs to the desired output type."
        )
    return least[0]


def _weak(dtype):
    return "bool" if dtype == "bool" else ("float" if "float" in dtype else "int")


def result_type(*dtypes):
    """The dtype Keras's type promotion gives for operands of `dtypes` (`floatx()` when
    none are given; the Python types `int` and `float` are weak: `int32` with `float`
    gives `float32`, `float16` with `float` stays `float16`).

    64-bit types stay 64-bit, as minikeras computes in them (Keras on JAX narrows int64
    and float64 to 32 bits; Keras on TensorFlow keeps them too); uint32 with a smaller or
    equal signed type gives int32, as minikeras's ops give it.

    Example:
        >>> result_type("int8", "uint8"), result_type("int32", float)
        ('int16', 'float32')
    """
    if not dtypes:
        return config.floatx()
    weak = [dtype is int or dtype is float for dtype in dtypes]
    names = [standardize_dtype(config.floatx() if dtype is None else dtype) for dtype in dtypes]
    for name in names:
        if name.startswith("float8"):
            raise ValueError(
                "There is no implicit conversions from float8 dtypes to others. You must "
                f"cast it internally. Received: {dtypes}"
            )
    if len(names) == 1:
        result, result_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        result, result_weak = names[0], False
    elif all(weak):
        result, result_weak = _least_upper_bound(*sorted(set(names))), True
    else:
        nodes = {_weak(name) if w else name for name, w in zip(names, weak)}
        result = _least_upper_bound(*sorted(nodes))
        result_weak = result in ("int", "float")
    if result_weak and result != "bool":
        # A weak result takes floatx()'s precision (int32 and float32 by default).
        bits = config.floatx()[-2:]
        if result.startswith("uint"):
            return f"uint{bits}"
        return f"int{bits}" if result.startswith("int") else f"float{bits}"
    if result == "int64" and not {"int64", "uint64"} & set(names):
        # uint32 with a signed type of 32 bits or fewer: int32, as minikeras's ops (and
        # Keras on JAX) compute it, not the lattice's int64.
        return "int32"
    return result


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor (from `keras.Input` or a layer called on one).

    Example:
        >>> is_keras_tensor(keras.Input((3,))), is_keras_tensor(np.zeros(3))
        (True, False)
    """
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The `Input` tensors that `tensor` is computed from, in the order Keras finds them
    (depth first along each operation's inputs, each once).

    Args:
        tensor: a symbolic tensor. Anything else is returned unchanged, as in Keras.

    Returns:
        A list of input tensors.

    Example:
        >>> a, b = keras.Input((3,)), keras.Input((3,))
        >>> get_source_inputs(keras.layers.Add()([a, b])) == [a, b]
        True
    """
    if not isinstance(tensor, KerasTensor):
        return tensor
    sources, seen, stack = [], set(), [tensor]
    while stack:  # iterative: deep graphs must not hit the recursion limit
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.node is None or not current.node.inputs:
            sources.append(current)
        else:
            stack.extend(reversed(current.node.inputs))
    return sources
