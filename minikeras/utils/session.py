"""`clear_session()`: resets the global state minikeras keeps between models."""

import gc

from minikeras import random
from minikeras.utils import naming


def clear_session(free_memory=True):
    """Resets the global state, as `keras.backend.clear_session()` does.

    Auto-generated names start again (the next `Dense` is `dense`, the next `Adam` is
    `adam`, the next `Precision` metric is `precision`, so log keys do not drift to
    `precision_3` across models), and the generator behind unseeded random ops is
    dropped: the next one is seeded from Python's `random`, as at the first use.
    Settings (`floatx`, `epsilon`, ...) and registered custom objects are kept.

    Args:
        free_memory: also run Python's garbage collector.

    Example:
        >>> import minikeras as keras
        >>> first = keras.layers.Dense(1).name
        >>> keras.backend.clear_session()
        >>> keras.layers.Dense(1).name
        'dense'
    """
    naming.reset_names()
    random.reset_global_seed_generator()
    if free_memory:
        gc.collect()
