"""NaN and infinity in the data, found before they reach the weights.

The default `train_step` checks a batch only when its loss is not finite (a NaN or an
infinity in the batch shows up there), so clean data costs one scalar test per batch; `fit`
checks the arrays once, up front, for a custom `train_step`.
"""

import math

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.tree import flatten


def all_finite(array):
    """Whether a float array holds no NaN and no infinity."""
    if array.ndim >= 2 and array.dtype in (np.float32, np.float64) and array.flags.c_contiguous:
        # One BLAS pass over the data: a NaN or an infinity makes its row's sum non-finite.
        with np.errstate(over="ignore", invalid="ignore"):
            row_sums = array.reshape(-1, array.shape[-1]) @ np.ones(array.shape[-1], array.dtype)
        if np.isfinite(row_sums).all():
            return True
        # Not finite: a NaN or infinity, or only a sum of huge values that overflowed.
    # min and max propagate NaN and reveal infinities without a full-size temporary.
    return bool(np.isfinite(array.min()) and np.isfinite(array.max()))


def is_finite(value):
    """Whether a loss value (a tensor, usually a scalar) holds no NaN and no infinity."""
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.ndim == 0:
        return math.isfinite(data)
    return data.size == 0 or all_finite(data)


def check_finite(data, what):
    """Raises a ValueError naming `what` if a float array in `data` holds NaN or infinity."""
    for leaf in flatten(data):
        array = leaf.data if isinstance(leaf, Tensor) else leaf
        if isinstance(array, np.ndarray) and array.dtype.kind == "f" and array.size:
            if not all_finite(array):
                raise ValueError(
                    f"`{what}` contains NaN or infinite values; training on them would make "
                    "the weights NaN. Clean the data first (e.g. np.nan_to_num)."
                )
