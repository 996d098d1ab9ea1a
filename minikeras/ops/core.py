"""Core ops (`keras.ops.core`): conversion, casting, shapes, stopping gradients."""

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.autodiff import convert_to_tensor as _convert_to_tensor
from minikeras.autodiff.arithmetic import cast as _cast
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "cast",
    "convert_to_numpy",
    "convert_to_tensor",
    "is_tensor",
    "shape",
    "stop_gradient",
]


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Converts `x` (array, number, nested list, tensor) to a tensor.

    Float inputs become `floatx()` unless `dtype` says otherwise.

    Example:
        >>> ops.convert_to_tensor([1, 2]).dtype
        'int32'
    """
    if isinstance(x, KerasTensor):
        return x
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
    """Casts `x` to `dtype` (gradients flow through float-to-float casts)."""
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
