"""Random initializers: normal, uniform, truncated normal, variance scaling (Glorot, He,
LeCun) and orthogonal.

Seeds follow Keras 3:
- an int seed gives the same values at every call;
- no seed: the initializer picks an int seed from Python's `random` module when it is
  created, so it too repeats its values at every call, and `utils.set_random_seed` makes
  the choice reproducible;
- a `random.SeedGenerator` gives new values at every call.
"""

import math
import random as _python_random

import numpy as np

from minikeras import config, random
from minikeras.autodiff import convert_to_tensor
from minikeras.initializers.initializer import Initializer

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Orthogonal",
    "RandomInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "compute_fans",
]

# The standard deviation of a standard normal truncated to [-2, 2]. Dividing by it makes
# truncated samples have the variance asked for.
_TRUNCATED_STDDEV = 0.87962566103423978


def _make_default_seed():
    return _python_random.randint(1, int(1e9))


def _serialize_seed(seed):
    if isinstance(seed, random.SeedGenerator):
        return {
            "module": "keras.random",
            "class_name": "SeedGenerator",
            "config": seed.get_config(),
            "registered_name": None,
        }
    return seed


class RandomInitializer(Initializer):
    """Base class of the seeded initializers; holds the seed (see the module docstring).

    Args:
        seed: None, an int, a `minikeras.random.SeedGenerator`, or a serialized
            SeedGenerator dict.
    """

    def __init__(self, seed=None):
        self._init_seed = seed
        if seed is None:
            seed = _make_default_seed()
        elif isinstance(seed, dict):
            seed = random.SeedGenerator(**seed.get("config", {}))
        elif isinstance(seed, bool) or not isinstance(
            seed, int | np.integer | random.SeedGenerator
        ):
            raise ValueError(
                f"`seed` must be an int or a keras.random.SeedGenerator. Received: seed={seed!r}"
            )
        self.seed = seed

    def get_config(self):
        return {"seed": _serialize_seed(self._init_seed)}


class RandomNormal(RandomInitializer):
    """Samples from a normal distribution.

    Args:
        mean: mean of the values.
        stddev: standard deviation of the values.
        seed: see the module docstring.

    Example:
        >>> RandomNormal(stddev=1.0, seed=1)((2, 2)).shape
        (2, 2)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return random.normal(
            shape, mean=float(self.mean), stddev=float(self.stddev), dtype=dtype, seed=self.seed
        )

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Samples from a normal distribution, redrawing values more than two standard
    deviations away from the mean.

    Args:
        mean: mean of the untruncated distribution.
        stddev: standard deviation of the untruncated distribution.
        seed: see the module docstring.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return random.truncated_normal(
            shape, mean=float(self.mean), stddev=float(self.stddev), dtype=dtype, seed=self.seed
        )

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Samples uniformly from `[minval, maxval)`.

    Args:
        minval: lower bound (inclusive).
        maxval: upper bound (exclusive).
        seed: see the module docstring.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return random.uniform(
            shape, minval=float(self.minval), maxval=float(self.maxval), dtype=dtype, seed=self.seed
        )

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """Returns `(fan_in, fan_out)`, the numbers of input and output units of a weight.

    A 2-D `(inputs, outputs)` kernel gives its two sizes. Higher ranks are convolution
    kernels `(*spatial, in_channels, out_channels)`: each channel count times the product
    of the spatial sizes. A vector gives its length twice; a scalar gives (1, 1).
    `input_axes` and `output_axes`, when both given, name the axes to multiply instead.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(RandomInitializer):
    """Samples with a spread that adapts to the weight's fans.

    With `n` = fan_in, fan_out or their average (`mode`), the values have variance
    `scale / n` (floored at n = 1):
    - "truncated_normal" (also "normal"): a normal truncated at two standard deviations
      whose standard deviation before truncation is `sqrt(scale / n) / 0.8796...`, so the
      truncated values have the intended variance;
    - "untruncated_normal": a normal with standard deviation `sqrt(scale / n)`;
    - "uniform": uniform on `[-limit, limit]` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: positive scaling factor.
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal", "untruncated_normal" or "uniform".
        seed: see the module docstring.
        input_axes, output_axes: optional axes for `compute_fans`.

    Example:
        >>> VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")((64, 32))
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be a positive float. Received: scale={scale}")
        modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in modes:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Expected one of {list(modes)}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        distributions = ("truncated_normal", "untruncated_normal", "uniform")
        if distribution not in distributions:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. "
                f"Expected one of {list(distributions)}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        units = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, units[self.mode])
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return random.truncated_normal(shape, 0.0, stddev, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random.normal(shape, 0.0, math.sqrt(variance), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * variance)
        return random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed scale/mode/distribution; only the seed is configurable."""

    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(
            scale=self._scale,
            mode=self._mode,
            distribution=self._distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self):
        return {
            "seed": _serialize_seed(self._init_seed),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: uniform on `[-limit, limit]`, `limit = sqrt(6 / (fan_in +
    fan_out))`. The default kernel initializer of Keras layers.

    Example:
        >>> w = GlorotUniform(seed=0)((784, 128))
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with standard deviation
    `sqrt(2 / (fan_in + fan_out))` after truncation."""

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with standard deviation `sqrt(2 / fan_in)` after
    truncation."""

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He uniform: uniform on `[-limit, limit]`, `limit = sqrt(6 / fan_in)`."""

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with standard deviation `sqrt(1 / fan_in)` after
    truncation (pairs with the selu activation)."""

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: uniform on `[-limit, limit]`, `limit = sqrt(3 / fan_in)`."""

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"


class Orthogonal(RandomInitializer):
    """An orthogonal matrix (times `gain`) from the QR decomposition of a normal sample.

    Shapes of rank > 2 are treated as a `(prod(shape[:-1]), shape[-1])` matrix and reshaped
    back. The short side is orthonormal: columns when there are more rows than columns,
    rows otherwise.

    Args:
        gain: multiplicative factor.
        seed: see the module docstring.

    Example:
        >>> q = Orthogonal(seed=0)((4, 4)).numpy()   # q.T @ q is the identity
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(int(d) for d in shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        flat_shape = (max(rows, cols), min(rows, cols))
        sample = random.normal(flat_shape, dtype="float64", seed=self.seed).numpy()
        q, r = np.linalg.qr(sample)
        # Multiplying by the signs of R's diagonal makes the result uniformly distributed
        # over orthogonal matrices (QR alone is biased by its sign convention).
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        values = self.gain * q.reshape(shape)
        dtype = np.dtype(dtype or config.floatx())
        if dtype.kind != "f":
            raise ValueError(f"Orthogonal needs a float dtype, got {dtype.name}.")
        return convert_to_tensor(values.astype(dtype), dtype=dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}
