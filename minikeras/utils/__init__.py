"""Utilities (`keras.utils`)."""

import random as _python_random

import numpy as np

from minikeras import random as _random
from minikeras.utils.progbar import Progbar
from minikeras.utils.py_dataset import PyDataset

__all__ = ["Progbar", "PyDataset", "set_random_seed"]


def set_random_seed(seed):
    """Seeds Python's `random`, numpy's global state and every minikeras random op.

    After `set_random_seed(s)`, weight initialisation, dropout, shuffling in `fit` and
    `keras.random` calls without a seed repeat exactly.
    """
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Expected an int seed, got {type(seed).__name__}: {seed!r}.")
    _python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _random.set_global_seed(int(seed))
