"""Initializers whose values do not depend on a seed: Zeros, Ones, Constant, Identity."""

import numpy as np

from minikeras import config
from minikeras.autodiff import convert_to_tensor
from minikeras.initializers.initializer import Initializer

__all__ = ["Constant", "Identity", "Ones", "Zeros"]


def _dtype(dtype):
    return np.dtype(dtype or config.floatx())


def _wrap(array):
    # An explicit dtype: convert_to_tensor alone would turn float64 arrays into floatx.
    return convert_to_tensor(array, dtype=array.dtype)


def _shape(shape):
    return tuple(int(d) for d in shape)


class Zeros(Initializer):
    """Fills the tensor with 0.

    Example:
        >>> Zeros()((2, 2)).numpy()
        array([[0., 0.], [0., 0.]], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return _wrap(np.zeros(_shape(shape), dtype=_dtype(dtype)))


class Ones(Initializer):
    """Fills the tensor with 1."""

    def __call__(self, shape, dtype=None):
        return _wrap(np.ones(_shape(shape), dtype=_dtype(dtype)))


class Constant(Initializer):
    """Fills the tensor with `value`.

    Args:
        value: a Python number (an array broadcastable to the shape also works).

    Example:
        >>> Constant(10.0)((2,)).numpy()
        array([10., 10.], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        value = np.asarray(self.value, dtype=dtype)
        return _wrap(np.broadcast_to(value, _shape(shape)).copy())

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray | np.generic):
            value = value.tolist()
        return {"value": value}

    @classmethod
    def from_config(cls, config):
        value = config.get("value", 0.0)
        # Keras writes numpy values as {"class_name": "__numpy__", "config": {"value": ...}}.
        if isinstance(value, dict) and value.get("class_name") == "__numpy__":
            value = np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
        return cls(value)


class Identity(Initializer):
    """The identity matrix times `gain` (2-D shapes only; rectangular shapes allowed).

    Args:
        gain: the value on the diagonal.

    Example:
        >>> Identity(gain=2.0)((2, 3)).numpy()
        array([[2., 0., 0.], [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        matrix = self.gain * np.eye(*shape)
        return _wrap(matrix.astype(_dtype(dtype)))

    def get_config(self):
        # Keras 3 leaves `gain` out of the config (a round trip resets it to 1.0); keeping it
        # is compatible in both directions since the constructor accepts it.
        return {"gain": self.gain}
