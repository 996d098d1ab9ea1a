"""Batch renormalisation (Ioffe, 2017): the training step of `BatchNormalization(renorm=True)`.

Batch normalisation in training normalises with the batch's statistics, so a model trained
on small or unrepresentative batches sees other numbers than at inference, where the
moving averages are used. Renormalisation corrects the normalised batch towards the
moving statistics, with two per-channel factors treated as constants by the gradient:

    stddev = sqrt(variance + epsilon)
    r = stddev / renorm_stddev,   d = (mean - renorm_mean) / renorm_stddev  (clipped)
    y = ((x - mean) / stddev * r + d) * gamma + beta

`renorm_mean` and `renorm_stddev` are moving averages kept with `renorm_momentum`;
`moving_mean` and `moving_stddev` are kept with `momentum`, and `moving_variance`
(what inference reads) is derived from `moving_stddev`. This is written with plain `ops`,
as Keras writes it, so the gradient reaches `x` through the batch mean and variance; it
runs eagerly (a compiled step does not replay it: the statistics move outside its
primitives). Inference is the same as without renorm.
"""

import numpy as np

from minikeras import config, ops

__all__ = ["RENORM_CLIPPING_KEYS", "check_renorm_clipping", "renorm_train_forward"]

RENORM_CLIPPING_KEYS = ("rmax", "rmin", "dmax")


def check_renorm_clipping(renorm_clipping):
    """The `renorm_clipping` dict (`{}` for None) after Keras's checks.

    Raises:
        ValueError: for a key other than `rmax`, `rmin`, `dmax`, for `rmax < rmin`, or for
            a negative `dmax`.
    """
    renorm_clipping = renorm_clipping or {}
    if not isinstance(renorm_clipping, dict):
        raise ValueError(
            "BatchNormalization: `renorm_clipping` must be a dict with keys among "
            f"{list(RENORM_CLIPPING_KEYS)}. Received: renorm_clipping={renorm_clipping!r}."
        )
    unknown = set(renorm_clipping) - set(RENORM_CLIPPING_KEYS)
    if unknown:
        raise ValueError(
            f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
            f"Supported values: {list(RENORM_CLIPPING_KEYS)}."
        )
    rmax, rmin, dmax = (renorm_clipping.get(key) for key in ("rmax", "rmin", "dmax"))
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(
            "rmax should be greater than rmin in the `renorm_clipping` argument. "
            f"Received: rmax={rmax}, rmin={rmin}."
        )
    if dmax is not None and dmax < 0:
        raise ValueError(
            f"dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={dmax}."
        )
    return renorm_clipping


def _moments(layer, inputs, mask):
    """The batch mean and variance per channel (1-D tensors with gradients); with a mask,
    over the unmasked entries only, as Keras computes them."""
    axes = layer._reduction_axes
    if mask is None:
        return ops.moments(inputs, axes)
    keep = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), -1), inputs.shape)
    count = ops.sum(ops.cast(keep, inputs.dtype), axes, keepdims=True) + config.epsilon()
    mean = ops.sum(ops.where(keep, inputs, 0.0), axes, keepdims=True) / count
    deviation = ops.where(keep, inputs - mean, 0.0)
    variance = ops.sum(ops.square(deviation), axes, keepdims=True) / count
    return ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,))


def renorm_train_forward(layer, inputs, mask=None):
    """The training output of a `BatchNormalization(renorm=True)` layer; moves its
    statistics (`renorm_mean`, `renorm_stddev`, `moving_mean`, `moving_stddev`,
    `moving_variance`)."""
    mean, variance = _moments(layer, inputs, mask)
    epsilon = layer.epsilon
    # The corrections and the statistics are constants for the gradient: numpy values.
    stddev = np.sqrt(variance.numpy() + epsilon)
    dtype = stddev.dtype.type
    # Early in training renorm_stddev may be near 0: keep the factors finite.
    renorm_stddev = np.maximum(layer.renorm_stddev.numpy(), np.sqrt(dtype(epsilon)))
    renorm_mean = layer.renorm_mean.numpy()
    batch_mean = mean.numpy()
    r = stddev / renorm_stddev
    d = (batch_mean - renorm_mean) / renorm_stddev
    clipping = layer.renorm_clipping
    if clipping.get("rmin") is not None:
        r = np.maximum(r, dtype(clipping["rmin"]))
    if clipping.get("rmax") is not None:
        r = np.minimum(r, dtype(clipping["rmax"]))
    if clipping.get("dmax") is not None:
        d = np.clip(d, dtype(-clipping["dmax"]), dtype(clipping["dmax"]))

    # (x * r + d) * gamma + beta = x * (r * gamma) + (d * gamma + beta), r and d constants.
    scale = ops.convert_to_tensor(r)
    offset = ops.convert_to_tensor(d)
    if layer.gamma is not None:
        scale = scale * layer.gamma
        offset = offset * layer.gamma
    if layer.beta is not None:
        offset = offset + layer.beta
    _update_statistics(layer, batch_mean, stddev)

    # Keras's order of operations: x * inv + (offset - mean * inv).
    inv = ops.rsqrt(variance + epsilon) * scale
    shift = offset - mean * inv
    if inputs.ndim > 1 and layer.axis % inputs.ndim != inputs.ndim - 1:
        inv = ops.reshape(inv, layer._param_shape)
        shift = ops.reshape(shift, layer._param_shape)
    return inputs * inv + shift


def _update_statistics(layer, mean, stddev):
    """Moves the renorm and inference statistics towards the batch's `mean` and `stddev`."""
    renorm_momentum, momentum = layer.renorm_momentum, layer.momentum
    layer.renorm_mean.assign(
        layer.renorm_mean.numpy() * renorm_momentum + mean * (1.0 - renorm_momentum)
    )
    layer.renorm_stddev.assign(
        layer.renorm_stddev.numpy() * renorm_momentum + stddev * (1.0 - renorm_momentum)
    )
    layer.moving_mean.assign(layer.moving_mean.numpy() * momentum + mean * (1.0 - momentum))
    moving_stddev = layer.moving_stddev.numpy() * momentum + stddev * (1.0 - momentum)
    layer.moving_stddev.assign(moving_stddev)
    # Rounding could make stddev**2 - epsilon slightly negative: floored at 0, as Keras.
    layer.moving_variance.assign(np.maximum(moving_stddev * moving_stddev - layer.epsilon, 0))
