"""`minikeras.ops`: the numpy-like functions models are written with (Keras 3 `keras.ops`).

Every function accepts tensors, variables, numpy arrays and Python numbers; on symbolic
tensors (from `keras.Input`) it records a graph node instead of computing.

Example:
    >>> from minikeras import ops
    >>> ops.mean(ops.square(ops.convert_to_tensor([1.0, 2.0, 3.0])))
"""

from minikeras.ops import core, math, nn, numpy
from minikeras.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool
from minikeras.ops.core import *  # noqa: F403
from minikeras.ops.math import *  # noqa: F403
from minikeras.ops.nn import *  # noqa: F403
from minikeras.ops.numpy import *  # noqa: F403

__all__ = ["core", "math", "nn", "numpy", *core.__all__, *math.__all__, *nn.__all__, *numpy.__all__]
__all__ += ["adaptive_average_pool", "adaptive_max_pool"]

# Gives KerasTensor its operators (+, *, [], ...), which record the ops above.
from minikeras.ops import _keras_tensor_operators  # noqa: E402, F401
