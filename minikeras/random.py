"""Random ops (`keras.random`): normal, uniform, randint, truncated_normal, dropout, shuffle.

Seeds follow Keras:
- `seed=None` draws from the global generator (reset by `utils.set_random_seed`);
- an int seed gives the same numbers at every call with that seed;
- a `SeedGenerator` gives a reproducible stream that advances at every call.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor

__all__ = [
    "SeedGenerator",
    "dropout",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]


class SeedGenerator:
    """A reproducible stream of random numbers.

    Args:
        seed: int seed (random when None).

    Example:
        >>> gen = SeedGenerator(42)
        >>> a = normal((2,), seed=gen); b = normal((2,), seed=gen)   # different values
    """

    def __init__(self, seed=None, name=None, **kwargs):
        self.seed = seed
        self.name = name
        self.generator = np.random.default_rng(seed)

    def next(self):
        """Returns the numpy Generator to draw the next numbers from."""
        return self.generator

    def get_config(self):
        return {"seed": self.seed}


_global_generator = None


def global_seed_generator():
    """The generator used when `seed=None` (created on first use)."""
    global _global_generator
    if _global_generator is None:
        _global_generator = SeedGenerator(None)
    return _global_generator


def set_global_seed(seed):
    global _global_generator
    _global_generator = SeedGenerator(seed)


def draw_generator(seed):
    """Returns a numpy Generator for a Keras-style `seed` argument."""
    if seed is None:
        return global_seed_generator().next()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)):
        return np.random.default_rng(int(seed))
    if isinstance(seed, np.random.Generator):
        return seed
    raise ValueError(
        f"seed must be None, an int or a SeedGenerator, got {type(seed).__name__}: {seed!r}."
    )


def _float_dtype(dtype):
    dtype = np.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise ValueError(f"Expected a float dtype, got {dtype.name}.")
    return dtype


def _wrap(array):
    return Tensor._wrap(array, None, 0)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution."""
    dtype = _float_dtype(dtype)
    draw = draw_generator(seed).standard_normal(tuple(shape), dtype=np.float64)
    return _wrap((draw * stddev + mean).astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniformly from `[minval, maxval)`."""
    dtype = _float_dtype(dtype)
    draw = draw_generator(seed).random(tuple(shape))
    return _wrap((draw * (maxval - minval) + minval).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Samples integers uniformly from `[minval, maxval)`."""
    draw = draw_generator(seed).integers(minval, maxval, size=tuple(shape))
    return _wrap(draw.astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution, redrawing values beyond two standard deviations."""
    dtype = _float_dtype(dtype)
    generator = draw_generator(seed)
    values = generator.standard_normal(tuple(shape))
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return _wrap((values * stddev + mean).astype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes each entry with probability `rate` and scales the rest by `1 / (1 - rate)`."""
    from minikeras import ops

    inputs = ops.convert_to_tensor(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}.")
    if rate == 0:
        return inputs
    shape = (
        inputs.shape
        if noise_shape is None
        else tuple(inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape))
    )
    keep = draw_generator(seed).random(shape) >= rate
    scale = np.asarray(1.0 / (1.0 - rate), dtype=inputs.data.dtype)
    mask = keep.astype(inputs.data.dtype) * scale
    return ops.multiply(inputs, mask)


def shuffle(x, axis=0, seed=None):
    """Returns `x` with its entries permuted along `axis` (no gradient)."""
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    permutation = draw_generator(seed).permutation(array.shape[axis])
    return _wrap(np.take(array, permutation, axis=axis))
