"""Core ops (`keras.ops.core`): conversion, casting, shapes, stopping gradients."""

import builtins

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor
from minikeras.autodiff import convert_to_tensor as _convert_to_tensor
from minikeras.autodiff.arithmetic import cast as _cast
from minikeras.autodiff.tensor import dtype_name, standardize_dtype
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "cast",
    "convert_to_numpy",
    "convert_to_tensor",
    "dtype",
    "is_tensor",
    "shape",
    "slice",
    "stop_gradient",
    "unstack",
]


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Converts `x` (array, number, nested list, tensor) to a tensor.

    Float inputs become `floatx()` unless `dtype` says otherwise.

    Example:
        >>> ops.convert_to_tensor([1, 2]).dtype
        'int32'
    """
    if isinstance(x, KerasTensor):
        return x if dtype is None or standardize_dtype(dtype).name == x.dtype else cast(x, dtype)
    return _convert_to_tensor(x, dtype)


def convert_to_numpy(x):
    """Returns the values of `x` as a numpy array."""
    if isinstance(x, Tensor):
        return x.numpy()
    return np.asarray(x)


def is_tensor(x):
    """True for minikeras tensors and variables."""
    return isinstance(x, Tensor)


@op
def cast(x, dtype):
    """Casts `x` to `dtype` (gradients flow through float-to-float casts).

    Args:
        x: a tensor or array-like of numbers.
        dtype: a numeric dtype; None means `floatx()`.

    Raises:
        ValueError: for None values and for unknown or non-numeric dtypes.
    """
    dtype = standardize_dtype(config.floatx() if dtype is None else dtype)
    if isinstance(x, Tensor):
        return _cast(x, dtype)
    if isinstance(x, np.ndarray) and x.dtype.kind == "O":
        # Numbers stored in an object array (e.g. from pandas) can be cast, as Keras allows,
        # though such an array is refused everywhere else.
        return _convert_to_tensor(x, dtype)
    return _cast(_convert_to_tensor(x), dtype)


def shape(x):
    """Returns the shape of `x` as a tuple (None for unknown symbolic dimensions)."""
    if isinstance(x, (Tensor, KerasTensor)):
        return tuple(x.shape)
    return np.shape(x)


@op
def stop_gradient(variable):
    """Returns the same values with no gradient flowing back."""
    return _convert_to_tensor(variable).detach()


def dtype(x):
    """Returns the dtype of `x` as a string (e.g. `"float32"`)."""
    if isinstance(x, (Tensor, KerasTensor)):
        return x.dtype
    return dtype_name(np.asarray(x).dtype)


def _slice_sizes(input_shape, start_indices, shape):
    """The block's size along each axis (-1 in `shape` runs to the end of the axis).

    Unknown sizes and symbolic start indices are trusted and may give None. The block must
    lie inside the tensor: backends disagree on blocks that do not fit (JAX shifts them,
    TensorFlow raises), so minikeras raises.
    """
    symbolic_start = isinstance(start_indices, KerasTensor)
    if (not symbolic_start and len(start_indices) != len(input_shape)) or len(shape) != len(
        input_shape
    ):
        raise ValueError(
            f"slice: start_indices {start_indices} and shape {tuple(shape)} must both have "
            f"one entry per axis of a tensor of shape {tuple(input_shape)}."
        )
    starts = [None] * len(shape) if symbolic_start else [int(i) for i in start_indices]
    sizes = []
    for start, size, dim in zip(starts, shape, input_shape):
        size = int(size)
        if size == -1:
            size = None if start is None or dim is None else dim - start
        fits = size is None or size >= 0
        if start is not None:
            fits = fits and start >= 0 and (dim is None or size is None or start + size <= dim)
        if not fits:
            raise ValueError(
                f"slice: the block starting at {tuple(starts)} with shape {tuple(shape)} does "
                f"not fit in a tensor of shape {tuple(input_shape)}."
            )
        sizes.append(size)
    return sizes


def _slice_spec(fn, inputs, start_indices, shape):
    sizes = _slice_sizes(tuple(inputs.shape), start_indices, shape)
    return KerasTensor(tuple(sizes), dtype=inputs.dtype)


@op(output_spec=_slice_spec)
def slice(inputs, start_indices, shape):
    """Returns the block of `inputs` starting at `start_indices` with size `shape`.

    Args:
        start_indices: one start per axis (numbers or a 1-D integer tensor).
        shape: the block's size per axis; -1 takes the rest of the axis.

    Example:
        >>> ops.slice(x, (0, 1), (2, 2))   # x[0:2, 1:3]
    """
    x = _convert_to_tensor(inputs)
    if isinstance(start_indices, Tensor):
        start_indices = start_indices.numpy()
    sizes = _slice_sizes(x.shape, start_indices, shape)
    key = tuple(
        builtins.slice(int(start), int(start) + size) for start, size in zip(start_indices, sizes)
    )
    return x[key]


def _unstack_axis(axis, shape):
    # `axis % rank` would quietly wrap an out-of-range axis onto another one.
    if not -len(shape) <= axis < len(shape):
        raise ValueError(
            f"unstack: axis {axis} is out of bounds for a tensor of rank {len(shape)} "
            f"(shape {shape})."
        )
    return axis % len(shape)


def _unstack_spec(fn, x, num=None, axis=0):
    shape = tuple(x.shape)
    if not shape:
        raise ValueError("unstack: cannot unstack a scalar (shape ()).")
    axis = _unstack_axis(axis, shape)
    size = shape[axis]
    if size is None and num is None:
        raise ValueError(f"unstack: axis {axis} of shape {shape} has an unknown size; pass `num`.")
    if num is not None and size is not None and num != size:
        raise ValueError(f"unstack: num={num} does not match axis {axis} of shape {shape}.")
    part = KerasTensor(shape[:axis] + shape[axis + 1 :], dtype=x.dtype)
    return [KerasTensor(part.shape, dtype=x.dtype) for _ in range(size if num is None else num)]


@op(output_spec=_unstack_spec)
def unstack(x, num=None, axis=0):
    """Splits `x` along `axis` into a list of tensors with that axis removed."""
    from minikeras.ops.numpy import split, squeeze

    x = _convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("unstack: cannot unstack a scalar (shape ()).")
    axis = _unstack_axis(axis, x.shape)
    size = x.shape[axis]
    if num is not None and num != size:
        raise ValueError(f"unstack: num={num} does not match axis {axis} of shape {x.shape}.")
    return [squeeze(part, axis=axis) for part in split(x, size, axis=axis)]
