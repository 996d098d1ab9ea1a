"""Batch normalisation in training with a mask, as one graph node.

With `w` the mask (1 where an entry counts, 0 where it is masked) broadcast over the
feature axis, `S = sum(w) + epsilon()` (Keras's count: an all-masked batch gives zero
statistics, not NaN) and sums over the statistics axes,

    mean = sum(w * x) / S,   c = x - mean,   variance = sum(w * c**2) / S
    y = c * gamma * inv + beta,   inv = 1 / sqrt(variance + epsilon)

Every entry is normalised, masked or not; only the statistics leave masked entries out.
The gradient flows through the mean and the variance to the unmasked entries only:

    gx = gy * gamma * inv + w * (d_mean + 2 * c * d_variance) / S

with the per-channel `d_variance = -gamma * inv**3 * sum(gy * c) / 2` and `d_mean =
-gamma * inv * sum(gy) - 2 * d_variance * sum(w * c) / S` (the last sum is not quite zero
because of the epsilon in `S`). Written as separate ops (cast, where, sum, divide,
subtract, square, ...) the same computation makes about a dozen input-sized arrays and
graph nodes; here the forward pass keeps the centred input and its masked copy.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Function


class MaskedNormalizeAndTrack(Function):
    """Masked batch normalisation that also moves the moving mean and variance.

    Inputs: `x`, the mask (one dimension less than `x`, broadcast over its last axis),
    then `gamma` and `beta` when present, then the moving mean and variance (updated in
    place: `moving = moving * momentum + batch * (1 - momentum)`; no gradient, nor for the
    mask).

    Args:
        axes: tuple of the axes the statistics are computed over.
        epsilon: added to the variance before the square root.
        param_shape: the shape `gamma` and `beta` are reshaped to so they broadcast
            against `x` (e.g. `(1, 1, channels)`).
        has_gamma, has_beta: which of the optional inputs follow the mask.
        momentum: weight of the old value in the moving averages.
    """

    def __init__(self, axes, epsilon, param_shape, has_gamma, has_beta, momentum):
        self.axes = tuple(axes)
        self.epsilon = float(epsilon)
        self.param_shape = tuple(param_shape)
        self.has_gamma = has_gamma
        self.has_beta = has_beta
        self.momentum = momentum

    def forward(self, x, mask, *inputs):
        *params, moving_mean, moving_variance = inputs
        gamma = params[0].reshape(self.param_shape) if self.has_gamma else None
        beta = params[-1].reshape(self.param_shape) if self.has_beta else None
        # One weight per position, broadcast over the last axis (never an x-sized copy).
        weights = np.expand_dims(mask.astype(bool).astype(x.dtype), -1)
        count = np.sum(np.broadcast_to(weights, x.shape), axis=self.axes, keepdims=True)
        count += config.epsilon()
        mean = np.sum(x * weights, axis=self.axes, keepdims=True) / count
        centered = x - mean
        masked = centered * weights
        variance = np.sum(masked * centered, axis=self.axes, keepdims=True) / count
        inv = 1.0 / np.sqrt(variance + self.epsilon)
        scale = inv if gamma is None else inv * gamma
        y = centered * scale
        if beta is not None:
            y += beta
        momentum = self.momentum
        np.copyto(moving_mean, moving_mean * momentum + mean.reshape(-1) * (1.0 - momentum))
        np.copyto(
            moving_variance, moving_variance * momentum + variance.reshape(-1) * (1.0 - momentum)
        )
        self.weights, self.centered, self.masked = weights, centered, masked
        self.count, self.inv, self.gamma = count, inv, gamma
        self.param_sizes = [p.shape for p in params]
        return y

    def backward(self, gy):
        inv, count = self.inv, self.count
        sum_gy = np.sum(gy, axis=self.axes, keepdims=True)
        sum_product = np.sum(gy * self.centered, axis=self.axes, keepdims=True)
        gradients = [None, None]
        if self.has_gamma:
            gradients.append((sum_product * inv).reshape(self.param_sizes[0]))
        if self.has_beta:
            gradients.append(sum_gy.reshape(self.param_sizes[-1]))
        if self.needs_grad[0]:
            gamma = 1.0 if self.gamma is None else self.gamma
            scale = inv * gamma
            d_variance = -0.5 * gamma * inv * inv * inv * sum_product
            sum_masked = np.sum(self.masked, axis=self.axes, keepdims=True)
            d_mean = -scale * sum_gy - 2.0 * d_variance * sum_masked / count
            gx = gy * scale
            gx += self.weights * (d_mean / count)
            gx += self.masked * (2.0 * d_variance / count)
            gradients[0] = gx
        gradients += [None, None]
        needs = self.needs_grad
        return tuple(g if g is None or needs[i] else None for i, g in enumerate(gradients))
