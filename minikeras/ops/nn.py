"""Neural-network ops (`keras.ops.nn`): activations, softmax, fused cross-entropies.

The cross-entropies from logits are single primitives: the forward pass uses the
max-shifted log-softmax (no overflow, no log(0)) and the backward pass is the closed form
`softmax - one_hot`, so no intermediate probabilities are differentiated.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Function
from minikeras.ops.numpy import _tensor
from minikeras.ops.symbolic import op

__all__ = [
    "log_softmax",
    "relu",
    "sigmoid",
    "softmax",
    "sparse_categorical_crossentropy",
]


class Relu(Function):
    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, gy):
        return gy * (self.y > 0)


@op
def relu(x):
    """Rectified linear unit: `max(x, 0)`."""
    return Relu()(_tensor(x))


class Sigmoid(Function):
    def forward(self, x):
        # 1 / (1 + exp(-x)) overflows for very negative x; this form does not.
        y = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + y), y / (1 + y))
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * y * (1 - y)


@op
def sigmoid(x):
    """Logistic sigmoid `1 / (1 + exp(-x))`, computed without overflow."""
    return Sigmoid()(_tensor(x))


class Softmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        self.y = e
        return e

    def backward(self, gy):
        y = self.y
        gx = gy * y
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx


@op
def softmax(x, axis=-1):
    """Softmax over `axis`, shifted by the maximum so large inputs do not overflow."""
    return Softmax(axis)(_tensor(x))


class LogSoftmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.y = y
        return y

    def backward(self, gy):
        return gy - np.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


@op
def log_softmax(x, axis=-1):
    """`log(softmax(x))` computed as `x - max - log(sum(exp(x - max)))`."""
    return LogSoftmax(axis)(_tensor(x))


def _check_sparse_labels(labels, num_classes):
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(
            f"Received a label value of {bad} which is outside the valid range of "
            f"[0, {num_classes}) for {num_classes} classes."
        )


class SparseCrossentropyFromLogits(Function):
    """`-log_softmax(logits)[label]` along the last axis, one value per sample."""

    def forward(self, labels, logits):
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=-1, keepdims=True)
        picked = np.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
        self.labels = labels
        exp /= total
        self.probs = exp
        return np.log(total[..., 0]) - picked

    def backward(self, gy):
        g = self.probs * gy[..., None]
        np.put_along_axis(
            g,
            self.labels[..., None],
            np.take_along_axis(g, self.labels[..., None], axis=-1) - gy[..., None],
            axis=-1,
        )
        return None, g


class SparseCrossentropyFromProbs(Function):
    """Keras's probability form: renormalise, clip to [eps, 1 - eps], `-log p[label]`."""

    def forward(self, labels, probs):
        eps = probs.dtype.type(config.epsilon())
        total = probs.sum(axis=-1, keepdims=True)
        p = np.take_along_axis(probs, labels[..., None], axis=-1) / total
        clipped = np.clip(p, eps, 1 - eps)
        self.labels, self.probs, self.total = labels, probs, total
        self.inside = (p >= eps) & (p <= 1 - eps)
        self.p = p
        return -np.log(clipped)[..., 0]

    def backward(self, gy):
        # loss = -log(q_label / total) where it is not clipped.
        g_p = np.where(self.inside, -1.0 / self.p, 0).astype(gy.dtype) * gy[..., None]
        # d(q_label/total)/dq_j = (delta_jl - q_label/total) / total
        g = np.broadcast_to(-(g_p * self.p) / self.total, self.probs.shape).copy()
        np.put_along_axis(
            g,
            self.labels[..., None],
            np.take_along_axis(g, self.labels[..., None], axis=-1) + g_p / self.total,
            axis=-1,
        )
        return None, g


@op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer labels and predictions, one value per sample.

    Args:
        target: integer class labels, shape `output.shape[:-1]` (a trailing 1 is accepted).
        output: logits (`from_logits=True`) or probabilities over the last axis.
        from_logits: whether `output` is unnormalised.
        axis: the class axis (only -1 is supported).

    Returns:
        A tensor of shape `output.shape[:-1]`.
    """
    output = _tensor(output)
    if axis not in (-1, output.ndim - 1):
        raise ValueError(f"sparse_categorical_crossentropy supports axis=-1 only, got {axis}.")
    labels = np.asarray(target.data if hasattr(target, "data") else target)
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != output.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: labels of shape {labels.shape} do not match "
            f"predictions of shape {output.shape}."
        )
    labels = labels.astype(np.int64, copy=False)
    _check_sparse_labels(labels, output.shape[-1])
    function = SparseCrossentropyFromLogits() if from_logits else SparseCrossentropyFromProbs()
    return function(_tensor(labels), output)
