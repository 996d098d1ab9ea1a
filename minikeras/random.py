"""Random ops (`keras.random`): normal, uniform, randint, truncated_normal, dropout, shuffle,
categorical, gamma, beta, binomial.

Seeds follow Keras:
- `seed=None` draws from the global generator (reset by `utils.set_random_seed`);
- an int seed gives the same numbers at every call with that seed;
- a `SeedGenerator` gives a reproducible stream that advances at every call.

Float samples are drawn directly in the requested dtype (no float64 temporaries for
float32 weights).
"""

import random as _python_random

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor, Variable
from minikeras.autodiff.name_scope import name_scope
from minikeras.autodiff.tensor import to_array
from minikeras.utils import naming

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]


def make_default_seed():
    """A seed taken from Python's `random`, so `utils.set_random_seed` makes it repeat."""
    return _python_random.randint(1, int(1e9))


def _next_generator(state):
    """The numpy Generator for a `[seed, counter]` state array, whose counter it advances."""
    seed, counter = (int(v) for v in state)
    state[1] = (counter + 1) % 2**32
    return np.random.default_rng([seed, counter])


class SeedGenerator:
    """A reproducible stream of random numbers.

    Like Keras, the state is a non-trainable variable `[seed, counter]` (uint32); every
    call to `next()` uses the current state and increments the counter, so restoring the
    state restores the stream.

    Args:
        seed: int seed; when None, one is drawn from Python's `random` (so
            `utils.set_random_seed` makes layers with unseeded generators reproducible).
        name: optional name.

    Example:
        >>> gen = SeedGenerator(42)
        >>> a = normal((2,), seed=gen); b = normal((2,), seed=gen)   # different values
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = make_default_seed()
        elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ValueError(
                f"SeedGenerator seed must be an int or None, got {type(seed).__name__}: {seed!r}."
            )
        self.seed = int(seed)
        # As Keras: numbered names, and the state made in a scope of that name
        # (`seed_generator_1/seed_generator_state`).
        self.name = name or naming.auto_name("SeedGenerator")
        with name_scope(self.name, caller=self):
            self.state = Variable(
                np.array([self.seed % 2**32, 0], dtype=np.uint32),
                trainable=False,
                name="seed_generator_state",
            )

    def next(self):
        """Returns a numpy Generator for the next draw and advances the state."""
        return _next_generator(self.state.data)

    def get_config(self):
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_global_generator = None


def global_seed_generator():
    """The generator used when `seed=None` (created on first use)."""
    global _global_generator
    if _global_generator is None:
        _global_generator = SeedGenerator(None, name="global_seed_generator")
    return _global_generator


def set_global_seed(seed):
    """Restarts the generator used when `seed=None` (called by `utils.set_random_seed`)."""
    global _global_generator
    _global_generator = SeedGenerator(seed, name="global_seed_generator")


def reset_global_seed_generator():
    """Drops the generator used when `seed=None` (called by `backend.clear_session`); the
    next unseeded draw creates a new one, seeded from Python's `random`."""
    global _global_generator
    _global_generator = None


def draw_generator(seed):
    """Returns a numpy Generator for a Keras-style `seed` argument."""
    if seed is None:
        return global_seed_generator().next()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed) % 2**64)
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


def _draw_dtype(dtype):
    """numpy's Generator draws float32 or float64 directly; float16 goes through float32."""
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _wrap(array):
    return Tensor._wrap(array, None, 0)


def _scale_and_shift(values, scale, shift, dtype):
    values *= scale
    values += shift
    return values.astype(dtype, copy=False)


def _normal_values(generator, shape, mean, stddev, dtype):
    values = generator.standard_normal(shape, dtype=_draw_dtype(dtype))
    return _scale_and_shift(values, stddev, mean, dtype)


class SeededNormal(Function):
    """Normal samples drawn from a SeedGenerator's state (its one input), which it advances.

    As with `SeededDropout`, drawing inside a primitive lets a replayed program
    (`autodiff/program.py`) draw new noise at every step (GaussianNoise, GaussianDropout).
    """

    def __init__(self, shape, mean, stddev, dtype):
        self.shape, self.mean, self.stddev, self.dtype = shape, mean, stddev, dtype

    def forward(self, state):
        generator = _next_generator(state)
        return _normal_values(generator, self.shape, self.mean, self.stddev, self.dtype)

    def backward(self, gy):
        return None


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution.

    Example:
        >>> normal((2, 3), stddev=0.05, seed=1).dtype
        'float32'
    """
    dtype = _float_dtype(dtype)
    shape, mean, stddev = _shape(shape), float(mean), float(stddev)
    if isinstance(seed, SeedGenerator):
        return SeededNormal(shape, mean, stddev, dtype)(seed.state)
    return _wrap(_normal_values(draw_generator(seed), shape, mean, stddev, dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniformly from `[minval, maxval)`."""
    dtype = _float_dtype(dtype)
    values = draw_generator(seed).random(_shape(shape), dtype=_draw_dtype(dtype))
    return _wrap(_scale_and_shift(values, float(maxval) - float(minval), float(minval), dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Samples integers uniformly from `[minval, maxval)`."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"randint needs an integer dtype, got {dtype.name}.")
    draw = draw_generator(seed).integers(int(minval), int(maxval), size=_shape(shape))
    return _wrap(draw.astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution, redrawing values beyond two standard deviations."""
    dtype = _float_dtype(dtype)
    draw_dtype = _draw_dtype(dtype)
    generator = draw_generator(seed)
    values = generator.standard_normal(_shape(shape), dtype=draw_dtype)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = generator.standard_normal(int(outside.sum()), dtype=draw_dtype)
        outside = np.abs(values) > 2
    return _wrap(_scale_and_shift(values, float(stddev), float(mean), dtype))


def _dropout_mask(generator, rate, shape, dtype):
    keep = generator.random(shape, dtype=np.float32) >= np.float32(rate)
    mask = keep.astype(dtype)
    mask *= 1.0 / (1.0 - rate)
    return mask


class SeededDropout(Function):
    """`x * mask`, the mask drawn from a SeedGenerator's state (the second input), which
    it advances.

    Drawing inside the primitive, from a state it reads as an input, is what lets a
    replayed program (`autodiff/program.py`) draw a new mask at every step, as the eager
    call does. The state gets no gradient.
    """

    def __init__(self, rate, shape, dtype):
        self.rate, self.shape, self.dtype = rate, shape, dtype

    def forward(self, x, state):
        self.mask = _dropout_mask(_next_generator(state), self.rate, self.shape, self.dtype)
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask, None


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes each entry with probability `rate` and scales the rest by `1 / (1 - rate)`.

    Args:
        noise_shape: shape of the keep/drop mask, broadcast against `inputs` (None entries
            take the input's size), e.g. `(batch, 1, features)` to drop whole features.
    """
    from minikeras import ops

    inputs = ops.convert_to_tensor(inputs)
    rate = float(rate)
    if not 0 <= rate <= 1:
        raise ValueError(f"dropout rate must be in [0, 1], got {rate}.")
    if rate == 0:
        return inputs
    if rate == 1:  # everything dropped (no mask is drawn, as in Keras)
        return ops.zeros_like(inputs)
    shape = (
        inputs.shape
        if noise_shape is None
        else tuple(inputs.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    )
    dtype = inputs.data.dtype if inputs.data.dtype.kind == "f" else np.dtype(config.floatx())
    if isinstance(seed, SeedGenerator) and inputs.data.dtype == dtype:
        return SeededDropout(rate, shape, dtype)(inputs, seed.state)
    return ops.multiply(inputs, _dropout_mask(draw_generator(seed), rate, shape, dtype))


def shuffle(x, axis=0, seed=None):
    """Returns `x` with its entries permuted along `axis` (no gradient)."""
    array = to_array(x)
    if array.ndim == 0:
        raise ValueError("shuffle: cannot shuffle a scalar.")
    permutation = draw_generator(seed).permutation(array.shape[axis])
    return _wrap(np.take(array, permutation, axis=axis))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws class indices from the categorical distributions given by rows of `logits`.

    Args:
        logits: 2-D `(batch_size, num_classes)` float unnormalized log-probabilities.
        num_samples: number of independent samples per row.
        dtype: the integer (or float) dtype of the result.
        seed: None, an int or a `SeedGenerator`.

    Returns:
        A `(batch_size, num_samples)` tensor of class indices.

    Example:
        >>> categorical(np.log([[0.25, 0.75]]), 4, seed=1).shape
        (1, 4)
    """
    logits = to_array(logits)
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits={logits}"
        )
    if logits.dtype.kind != "f":
        raise ValueError(f"`logits` must be a float tensor, got dtype {logits.dtype.name}.")
    num_samples = int(num_samples)
    generator = draw_generator(seed)
    # Inverse-CDF sampling on each row's softmax; the small (batch, classes) cumulative sums
    # are taken in float64 so the last class is not under-weighted by float32 round-off.
    shifted = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(shifted, axis=1)
    uniforms = generator.random((logits.shape[0], num_samples)) * cumulative[:, -1:]
    last_possible = logits.shape[1] - 1 - np.argmax(shifted[:, ::-1] > 0, axis=1)
    samples = np.empty((logits.shape[0], num_samples), dtype=np.int64)
    for row in range(logits.shape[0]):
        drawn = np.searchsorted(cumulative[row], uniforms[row], side="right")
        samples[row] = np.minimum(drawn, last_possible[row])
    return _wrap(samples.astype(dtype))


def _sampling_dtype(dtype, name):
    dtype = np.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise ValueError(f"dtype argument to `{name}` must be a float dtype, got {dtype.name}")
    return dtype


def _parameter(value, name, low, high=None):
    """`value` as an array, checked to lie in [low, high] (Keras gives NaN samples outside)."""
    array = np.asarray(to_array(value))
    if np.any(array < low) or (high is not None and np.any(array > high)):
        bounds = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"`{name}` must be {bounds}, got {value!r}.")
    return array


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples from the Gamma distribution with concentration `alpha` (scale 1).

    Args:
        shape: shape of the result.
        alpha: the concentration, a float or an array broadcastable to `shape`, not negative
            (Keras gives NaN samples for a negative one; minikeras raises).
        dtype: a float dtype (default `floatx()`).
        seed: None, an int or a `SeedGenerator`.

    Example:
        >>> gamma((2, 3), 2.0, seed=1).shape
        (2, 3)
    """
    dtype = _sampling_dtype(dtype, "gamma")
    alpha = _parameter(alpha, "alpha", 0)
    values = draw_generator(seed).standard_gamma(
        alpha.astype(_draw_dtype(dtype)), size=_shape(shape), dtype=_draw_dtype(dtype)
    )
    return _wrap(values.astype(dtype, copy=False))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from the Beta distribution with parameters `alpha` and `beta`.

    Args:
        shape: shape of the result.
        alpha: float or array broadcastable to `shape`, > 0.
        beta: float or array broadcastable to `shape`, > 0.
        dtype: a float dtype (default `floatx()`).
        seed: None, an int or a `SeedGenerator`.

    Example:
        >>> beta((4,), 2.0, 5.0, seed=1).dtype
        'float32'
    """
    dtype = _sampling_dtype(dtype, "beta")
    alpha, beta_ = _parameter(alpha, "alpha", 0), _parameter(beta, "beta", 0)
    # numpy draws Beta in float64 only (it handles parameters below 1, where a ratio of
    # float32 gammas underflows); the samples are then cast.
    values = draw_generator(seed).beta(alpha, beta_, size=_shape(shape))
    return _wrap(values.astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples the number of successes in `counts` trials of probability `probabilities`.

    Args:
        shape: shape of the result.
        counts: number of trials, an int or array broadcastable to `shape`, >= 0.
        probabilities: success probability, in [0, 1], broadcastable to `shape` (Keras
            gives NaN samples outside; minikeras raises).
        dtype: a float dtype (default `floatx()`), as in Keras.
        seed: None, an int or a `SeedGenerator`.

    Example:
        >>> binomial((3,), 10, 0.5, seed=1).dtype
        'float32'
    """
    dtype = _sampling_dtype(dtype, "binomial")
    counts = _parameter(counts, "counts", 0)
    probabilities = _parameter(probabilities, "probabilities", 0, 1)
    values = draw_generator(seed).binomial(counts.astype(np.int64), probabilities, _shape(shape))
    return _wrap(values.astype(dtype))
