"""`minikeras.ops`: the numpy-like functions models are written with (Keras 3 `keras.ops`).

Every function accepts tensors, variables, numpy arrays and Python numbers; on symbolic
tensors (from `keras.Input`) it records a graph node instead of computing.

Example:
    >>> from minikeras import ops
    >>> ops.mean(ops.square(ops.convert_to_tensor([1.0, 2.0, 3.0])))
"""

from minikeras.ops import (
    core,
    core_more,
    fourier,
    image,
    linalg,
    math,
    nn,
    nn_more,
    numpy,
)
from minikeras.ops.core import *  # noqa: F403
from minikeras.ops.core_more import *  # noqa: F403
from minikeras.ops.fourier import *  # noqa: F403
from minikeras.ops.linalg import *  # noqa: F403
from minikeras.ops.math import *  # noqa: F403
from minikeras.ops.nn import *  # noqa: F403
from minikeras.ops.nn_more import *  # noqa: F403
from minikeras.ops.numpy import *  # noqa: F403

# `ops.nn` also offers its less common ops, which live in nn_more.py (built on nn.py, so
# nn.py cannot import them back).
for _name in nn_more.__all__:
    setattr(nn, _name, getattr(nn_more, _name))
nn.__all__ = [*nn.__all__, *nn_more.__all__]
del _name

__all__ = [
    "core",
    "image",
    "linalg",
    "math",
    "nn",
    "numpy",
    *core.__all__,
    *core_more.__all__,
    *fourier.__all__,
    *linalg.__all__,
    *math.__all__,
    *nn.__all__,
    *numpy.__all__,
]

# Gives KerasTensor its operators (+, *, [], ...), which record the ops above.
from minikeras.ops import _keras_tensor_operators  # noqa: E402, F401
