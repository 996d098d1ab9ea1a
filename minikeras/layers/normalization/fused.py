"""The normalisation primitive shared by BatchNormalization and LayerNormalization.

`Normalize` computes, in one graph node,

    mean, variance = moments of x over `axes` (variance biased: divided by the count)
    y = (x - mean) / sqrt(variance + epsilon) * gamma + beta

and its gradient with respect to x, gamma and beta in one backward step. Written as
separate ops (mean, subtract, square, mean, add, sqrt, divide, multiply, add) the graph
would hold about ten input-sized temporaries and walk them all again backwards; here the
forward pass keeps only the centred input, and the backward pass needs two reductions.
Channels-last batch normalisation goes further (`blocked.py`): it keeps nothing but its
output and reads the input again, a cache-sized block at a time.

With `xhat = (x - mean) * inv`, `inv = 1 / sqrt(variance + epsilon)`, `g = gy * gamma` and
`n` values per normalised group, the input gradient is

    gx = inv * (g - mean(g) - xhat * mean(g * xhat))      (means over `axes`)
"""

import math

import numpy as np

from minikeras.autodiff import Function
from minikeras.layers.normalization import blocked

# Values per row in the wide channels-last layout of `Normalize._rows`.
_ROW_WIDTH = 1024


class Normalize(Function):
    """Normalises `x` over `axes`, then scales by `gamma` and shifts by `beta` (both optional).

    Args:
        axes: tuple of the axes the statistics are computed over.
        epsilon: added to the variance before the square root.
        param_shape: the shape `gamma` and `beta` are reshaped to so they broadcast against
            `x` (e.g. `(1, 1, channels)`).
        has_gamma, has_beta: which of the optional inputs follow `x`.

    After the forward pass, `batch_mean` and `batch_variance` hold the statistics (with
    the reduced axes kept as size 1), for the moving averages of batch normalisation.

    Batch normalisation with the channels last (statistics over every axis but the last
    of a float array, copied first when strided; gamma and beta one value per channel) runs the same
    formulas a block of rows at a time (`blocked.py`, see `_blocked_rows`); everything
    else runs the whole-array code below.
    """

    def __init__(self, axes, epsilon, param_shape, has_gamma, has_beta):
        self.axes = tuple(axes)
        self.epsilon = float(epsilon)
        self.param_shape = tuple(param_shape)
        self.has_gamma = has_gamma
        self.has_beta = has_beta

    def forward(self, x, *params):
        gamma = params[0].reshape(self.param_shape) if self.has_gamma else None
        beta = params[-1].reshape(self.param_shape) if self.has_beta else None
        self.param_sizes = [p.shape for p in params]
        rows = self._blocked_rows(x)
        if rows is not None:
            return self._blocked_forward(x, rows, gamma, beta)
        count = self._count(x)
        mean = np.sum(x, axis=self.axes, keepdims=True) / count
        centered = x - mean
        variance = np.sum(centered * centered, axis=self.axes, keepdims=True) / count
        inv = 1.0 / np.sqrt(variance + self.epsilon)
        scale = inv if gamma is None else inv * gamma
        y = centered * scale
        if beta is not None:
            y += beta
        self.centered, self.inv, self.gamma = centered, inv, gamma
        self.batch_mean, self.batch_variance = mean, variance
        return y

    def _axes(self, x):
        return {axis % x.ndim for axis in self.axes}

    def _count(self, x):
        # The product of the reduced sizes, not size // kept sizes: an empty input (a zero
        # kept axis) then gives an empty output, as in Keras, not a ZeroDivisionError.
        return math.prod(x.shape[a] for a in self._axes(x))

    def _rows(self, *arrays):
        """The arrays as matrices whose columns repeat the channels (`width` a multiple of
        the channel count) when the statistics run over every axis but the last of
        contiguous arrays (channels-last batch normalisation), else None.

        Rows of a few hundred values rather than one row per pixel give numpy's
        broadcasting loops and BLAS long inner loops: with 32 channels they would
        otherwise restart every 32 values.
        """
        first = arrays[0]
        if self._axes(first) != set(range(first.ndim - 1)):
            return None
        if not all(a.flags.c_contiguous for a in arrays):
            return None
        channels = first.shape[-1]
        pixels = first.size // max(channels, 1)
        repeats = max(1, _ROW_WIDTH // max(channels, 1))
        while pixels % repeats:
            repeats -= 1
        return [a.reshape(-1, channels * repeats) for a in arrays]

    def _blocked_rows(self, x):
        """`x` as wide rows (`_rows`) when the blocked path of `blocked.py` applies: a
        non-empty float32 or float64 `x` laid out for `_rows`, and gamma and beta one
        value per channel (`_grouped`). Else None, and the whole-array code runs.

        A strided `x` (a convolution's output is often a window of a larger array) is
        copied once into a contiguous one: one pass, where the whole-array code would make
        about ten (measured on a 128x32x32x32 window, forward and backward: 9.9 ms instead of 33).
        """
        if x.dtype not in (np.float32, np.float64) or x.size == 0 or not self._grouped(x.ndim):
            return None
        if not x.flags.c_contiguous and self._axes(x) == set(range(x.ndim - 1)):
            x = np.ascontiguousarray(x)
        rows = self._rows(x)
        return None if rows is None else rows[0]

    def _blocked_forward(self, x, rows, gamma, beta):
        """The forward pass on wide rows, a block at a time (see `blocked.py`)."""
        channels = x.shape[-1]
        mean, variance = blocked.moments(rows, channels)
        inv = 1.0 / np.sqrt(variance + self.epsilon)
        # Keras's order of operations: x * scale + (beta - mean * scale).
        scale = inv if gamma is None else inv * gamma.reshape(-1)
        shift = -mean * scale
        if beta is not None:
            shift = shift + beta.reshape(-1)
        y = np.empty(x.shape, dtype=x.dtype)  # C-contiguous even for a strided x
        blocked.scale_and_shift(
            rows, blocked.tile(scale, rows), blocked.tile(shift, rows), y.reshape(rows.shape)
        )
        # Backward reads x again rather than keeping a centred copy of it.
        self.centered, self.rows, self.mean = None, rows, mean
        self.inv, self.gamma = inv, gamma
        kept = (1,) * (x.ndim - 1) + (channels,)
        self.batch_mean, self.batch_variance = mean.reshape(kept), variance.reshape(kept)
        return y

    def _reduce_to_params(self, g, shape):
        """Sums `g` over the axes a parameter is broadcast along, back to `shape`."""
        axes = tuple(i for i, size in enumerate(self.param_shape) if size == 1)
        return g.sum(axis=axes).reshape(shape)

    def _grouped(self, ndim):
        """Whether gamma and beta are one number per normalised group (batch normalisation:
        the statistics and the parameters both run along the channels)."""
        return all(self.param_shape[axis % ndim] == 1 for axis in self.axes)

    def _grouped_backward(self, gy):
        """The backward pass when gamma is constant within each group, in few passes.

        With `scale = gamma * inv` constant per group, the input gradient of the module
        docstring is `gx = scale * (gy - mean(gy) - centered * inv**2 * mean(gy * centered))`
        and the gamma gradient is `inv * sum(gy * centered)`: two reductions serve all three
        gradients, and no normalised copy of x is made.
        """
        if self.centered is None:
            return self._blocked_backward(gy)
        needs = self.needs_grad
        count = self._count(self.centered)
        sum_gy = np.sum(gy, axis=self.axes, keepdims=True)
        sum_product = np.sum(gy * self.centered, axis=self.axes, keepdims=True)
        gradients = [None]
        if self.has_gamma:
            shape = self.param_sizes[0]
            gradients.append(self._reduce_to_params(sum_product * self.inv, shape))
        if self.has_beta:
            gradients.append(self._reduce_to_params(sum_gy, self.param_sizes[-1]))
        if needs[0]:
            scale = self.inv if self.gamma is None else self.inv * self.gamma
            # gx = scale * (gy - centered * slope - mean(gy)): one new array, the rest in place.
            slope = self.inv * self.inv * (sum_product / count)
            gx = self.centered * slope
            np.subtract(gy, gx, out=gx)
            gx -= sum_gy / count
            gx *= scale
            gradients[0] = gx
        return tuple(g if g is None or needs[i] else None for i, g in enumerate(gradients))

    def _blocked_backward(self, gy):
        """`_grouped_backward`'s formulas on wide rows, a block at a time (see `blocked.py`)."""
        needs = self.needs_grad
        rows = self.rows
        if not gy.flags.c_contiguous or gy.dtype != rows.dtype:
            gy = np.ascontiguousarray(gy, dtype=rows.dtype)  # e.g. a broadcast view
        gy_rows = gy.reshape(rows.shape)
        channels = self.mean.size
        count = rows.size // channels
        sum_gy, sum_product = blocked.gradient_sums(rows, gy_rows, self.mean, channels)
        inv = self.inv
        gradients = [None]
        if self.has_gamma:
            gradients.append((sum_product * inv).reshape(self.param_sizes[0]))
        if self.has_beta:
            gradients.append(sum_gy.reshape(self.param_sizes[-1]))
        if needs[0]:
            scale = inv if self.gamma is None else inv * self.gamma.reshape(-1)
            slope = inv * inv * (sum_product / count)
            # scale * (gy - mean(gy) - (x - mean) * slope), with x's terms gathered.
            shift = self.mean * slope - sum_gy / count
            gx = np.empty(gy.shape, rows.dtype)
            blocked.input_gradient(
                rows,
                gy_rows,
                blocked.tile(-slope, rows),
                blocked.tile(shift, rows),
                blocked.tile(scale, rows),
                gx.reshape(rows.shape),
            )
            gradients[0] = gx
        return tuple(g if g is None or needs[i] else None for i, g in enumerate(gradients))

    def backward(self, gy):
        if self._grouped(gy.ndim):
            return self._grouped_backward(gy)
        needs = self.needs_grad
        xhat = self.centered * self.inv
        count = self._count(xhat)
        gradients = [None]
        if self.has_gamma:
            shape = self.param_sizes[0]
            gradients.append(self._reduce_to_params(gy * xhat, shape) if needs[1] else None)
        if self.has_beta:
            shape = self.param_sizes[-1]
            beta_needs = needs[1 + self.has_gamma]
            gradients.append(self._reduce_to_params(gy, shape) if beta_needs else None)
        if needs[0]:
            g = gy if self.gamma is None else gy * self.gamma
            mean_g = np.mean(g, axis=self.axes, keepdims=True)
            mean_gx = np.sum(g * xhat, axis=self.axes, keepdims=True)
            mean_gx /= count
            xhat *= mean_gx
            gx = g - mean_g
            gx -= xhat
            gx *= self.inv
            gradients[0] = gx
        return tuple(gradients)


class NormalizeAndTrack(Normalize):
    """`Normalize` for batch normalisation in training, which also moves the moving mean
    and variance (its last two inputs, updated in place; no gradient) towards the batch's
    statistics: `moving = moving * momentum + batch * (1 - momentum)`.

    Updating them inside the primitive, rather than in the layer after it, is what lets a
    replayed program (`autodiff/program.py`) keep them moving at every step.
    """

    def __init__(self, axes, epsilon, param_shape, has_gamma, has_beta, momentum):
        super().__init__(axes, epsilon, param_shape, has_gamma, has_beta)
        self.momentum = momentum

    def forward(self, x, *inputs):
        *params, moving_mean, moving_variance = inputs
        y = super().forward(x, *params)
        momentum = self.momentum
        mean = self.batch_mean.reshape(-1)
        variance = self.batch_variance.reshape(-1)
        np.copyto(moving_mean, moving_mean * momentum + mean * (1.0 - momentum))
        np.copyto(moving_variance, moving_variance * momentum + variance * (1.0 - momentum))
        return y

    def backward(self, gy):
        return (*super().backward(gy), None, None)
