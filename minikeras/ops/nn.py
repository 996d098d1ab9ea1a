"""Neural-network ops (`keras.ops.nn`): activations, softmax, one_hot, moments and fused
cross-entropies.

Activations are single primitives whose backward pass reuses what the forward pass
computed (the output, or the sigmoid / tanh inside it). Everything that could overflow is
written in a stable form: `sigmoid`, `softplus` and `log_sigmoid` go through `exp(-|x|)`,
softmax subtracts the maximum.

The cross-entropies from logits are single primitives: the forward pass uses the
max-shifted log-softmax (or the stable log-sigmoid) and the backward pass is the closed
form `softmax - target` (`sigmoid - target`), so no intermediate probabilities are
differentiated and nothing overflows even at logits of +-1e4. The probability forms
reproduce Keras exactly: renormalise (categorical), clip to [epsilon, 1 - epsilon], log.
"""

import math
import warnings

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops._arguments import (
    _float_tensor,
    _inplace,
    _one_axis,
    _tensor,
    expand_reduced,
    normalize_axis,
)
from minikeras.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool
from minikeras.ops.attention import dot_product_attention
from minikeras.ops.convolution import (
    average_pool,
    conv,
    conv_transpose,
    depthwise_conv,
    max_pool,
    separable_conv,
)
from minikeras.ops.numpy import split, tanh
from minikeras.ops.symbolic import op

__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "average_pool",
    "binary_crossentropy",
    "categorical_crossentropy",
    "celu",
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "max_pool",
    "mish",
    "moments",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "separable_conv",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "sparse_categorical_crossentropy",
    "swish",
    "tanh",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _sigmoid_array(x):
    """`1 / (1 + exp(-x))` on a numpy array.

    Accurate in relative terms everywhere (no cancellation); for x below about -88
    (float32) exp(-x) overflows to inf and the result is exactly 0, so that overflow is
    expected and silenced.
    """
    with np.errstate(over="ignore"):
        e = np.exp(-x)
    e += 1
    if type(e) is np.ndarray:
        return np.reciprocal(e, out=e)
    return 1 / e


def _log1p_unit(z):
    """`log(1 + z)` for z in [0, 1], accurate to a few ulps.

    numpy's log1p is several times slower than log for float32, so compute log(u) with
    u = 1 + z and correct for the rounding error of u: log1p(z) ~ log(u) - (u - 1 - z) / u.
    """
    u = z + 1
    y = np.log(u)
    error = u - 1
    error -= z
    error /= u
    y -= error
    return y


def _softplus_tail(x):
    """`log1p(exp(-|x|))`, so that softplus(x) = max(x, 0) + it (and exp cannot overflow)."""
    return _log1p_unit(_inplace(np.exp, -np.abs(x)))


# -- activations --------------------------------------------------------------------------
class Relu(Function):
    def forward(self, x):
        self.y = np.maximum(x, 0)
        return self.y

    def backward(self, gy):
        return gy * (self.y > 0)  # a bool mask: cheaper than np.sign's 0/1 floats


@op
def relu(x):
    """Rectified linear unit: `max(x, 0)`."""
    return Relu()(_tensor(x))


class Relu6(Function):
    def forward(self, x):
        self.x = x
        return np.clip(x, 0, 6)

    def backward(self, gy):
        x = self.x
        return gy * ((x > 0) & (x < 6))


@op
def relu6(x):
    """`min(max(x, 0), 6)`."""
    return Relu6()(_float_tensor(x))


class LeakyRelu(Function):
    def __init__(self, negative_slope):
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        self.positive = x >= 0
        if 0 <= self.negative_slope <= 1:
            return np.maximum(x, x * self.negative_slope)
        return np.where(self.positive, x, x * self.negative_slope)

    def backward(self, gy):
        slope = self.positive.astype(gy.dtype)
        slope *= 1 - self.negative_slope
        slope += self.negative_slope
        return gy * slope


@op
def leaky_relu(x, negative_slope=0.2):
    """`x` for `x >= 0`, `negative_slope * x` below."""
    return LeakyRelu(negative_slope)(_float_tensor(x))


class Elu(Function):
    """`scale * (x if x > 0 else alpha * (exp(x) - 1))` (scale 1 for ELU, SELU's for SELU)."""

    def __init__(self, alpha, scale=1.0):
        self.alpha, self.scale = float(alpha), float(scale)

    def forward(self, x):
        self.positive = x > 0
        # exp only of the negative part, so large positive inputs cannot overflow.
        self.negative_part = self.alpha * np.expm1(np.minimum(x, 0))
        y = np.where(self.positive, x, self.negative_part)
        if self.scale != 1.0:
            y *= self.scale
        return y

    def backward(self, gy):
        # For x <= 0: d/dx alpha * (exp(x) - 1) = alpha * exp(x) = negative_part + alpha.
        slope = np.where(self.positive, 1, self.negative_part + self.alpha)
        if self.scale != 1.0:
            slope *= self.scale
        return gy * slope


@op
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise."""
    return Elu(alpha)(_float_tensor(x))


@op
def selu(x):
    """Scaled ELU with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507)."""
    return Elu(_SELU_ALPHA, _SELU_SCALE)(_float_tensor(x))


class Celu(Function):
    def __init__(self, alpha):
        self.alpha = float(alpha)

    def forward(self, x):
        self.positive = x > 0
        self.exp_part = np.exp(np.minimum(x, 0) / self.alpha)
        return np.where(self.positive, x, self.alpha * (self.exp_part - 1))

    def backward(self, gy):
        return gy * np.where(self.positive, 1, self.exp_part)


@op
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`."""
    return Celu(alpha)(_float_tensor(x))


class Gelu(Function):
    """Gaussian error linear unit, `x * Phi(x)`, exact or with the tanh approximation."""

    def __init__(self, approximate):
        self.approximate = bool(approximate)

    def forward(self, x):
        self.x = x
        if self.approximate:
            inner = x + 0.044715 * (x * x * x)
            inner *= _SQRT_2_OVER_PI
            self.t = _inplace(np.tanh, inner)
            cdf = 0.5 * (1 + self.t)
        else:
            from minikeras.ops.math import erf_array

            cdf = erf_array(x * _INV_SQRT_2)
            cdf += 1
            cdf *= 0.5
        self.cdf = cdf
        return x * cdf

    def backward(self, gy):
        x = self.x
        if self.approximate:
            d_inner = _SQRT_2_OVER_PI * (1 + (3 * 0.044715) * (x * x))
            slope = self.cdf + 0.5 * x * (1 - self.t * self.t) * d_inner
        else:
            pdf = np.exp(-0.5 * (x * x))
            pdf *= _INV_SQRT_2PI
            slope = self.cdf + x * pdf
        return gy * slope


@op
def gelu(x, approximate=True):
    """Gaussian error linear unit.

    Args:
        approximate: use `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (default, as
            Keras); False gives the exact `0.5 x (1 + erf(x / sqrt(2)))`.
    """
    return Gelu(approximate)(_float_tensor(x))


class Sigmoid(Function):
    def forward(self, x):
        self.y = _sigmoid_array(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (y * (1 - y))


@op
def sigmoid(x):
    """Logistic sigmoid `1 / (1 + exp(-x))`, computed without overflow."""
    return Sigmoid()(_float_tensor(x))


class Silu(Function):
    def forward(self, x):
        self.x = x
        self.s = _sigmoid_array(x)
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * (s * (1 + self.x * (1 - s)))


@op
def silu(x):
    """Sigmoid linear unit `x * sigmoid(x)` (also called swish)."""
    return Silu()(_float_tensor(x))


@op
def swish(x):
    """Same as `silu`: `x * sigmoid(x)`."""
    return Silu()(_float_tensor(x))


class HardSigmoid(Function):
    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        y = np.clip(x + 3, 0, 6)  # relu6(x + 3) / 6, in Keras's order of operations
        y /= 6
        return y

    def backward(self, gy):
        return (gy * self.inside) * (1.0 / 6.0)


@op
def hard_sigmoid(x):
    """Piecewise-linear sigmoid, `relu6(x + 3) / 6` (the Keras 3 formula)."""
    return HardSigmoid()(_float_tensor(x))


class HardSilu(Function):
    def forward(self, x):
        self.x = x
        self.inside = (x > -3) & (x < 3)
        self.s = np.clip(x + 3, 0, 6)
        self.s /= 6
        return x * self.s

    def backward(self, gy):
        return gy * (self.s + (self.x * self.inside) * (1.0 / 6.0))


@op
def hard_silu(x):
    """`x * hard_sigmoid(x)`."""
    return HardSilu()(_float_tensor(x))


@op
def hard_swish(x):
    """Same as `hard_silu`."""
    return HardSilu()(_float_tensor(x))


class Softplus(Function):
    def forward(self, x):
        self.x = x
        y = _softplus_tail(x)
        y += np.maximum(x, 0)
        return y

    def backward(self, gy):
        return gy * _sigmoid_array(self.x)


@op
def softplus(x):
    """`log(1 + exp(x))`, computed as `max(x, 0) + log1p(exp(-|x|))` (no overflow)."""
    return Softplus()(_float_tensor(x))


class LogSigmoid(Function):
    def forward(self, x):
        self.x = x
        y = np.minimum(x, 0)
        y -= _softplus_tail(x)
        return y

    def backward(self, gy):
        # d/dx log(sigmoid(x)) = 1 - sigmoid(x) = sigmoid(-x)
        return gy * _sigmoid_array(-self.x)


@op
def log_sigmoid(x):
    """`log(sigmoid(x))`, computed as `min(x, 0) - log1p(exp(-|x|))` (finite everywhere)."""
    return LogSigmoid()(_float_tensor(x))


class Softsign(Function):
    def forward(self, x):
        self.denominator = 1 + np.abs(x)
        return x / self.denominator

    def backward(self, gy):
        return gy / np.square(self.denominator)


@op
def softsign(x):
    """`x / (1 + |x|)`."""
    return Softsign()(_float_tensor(x))


class Mish(Function):
    def forward(self, x):
        self.x = x
        self.s = _sigmoid_array(x)
        softplus = _softplus_tail(x)
        softplus += np.maximum(x, 0)
        self.t = _inplace(np.tanh, softplus)
        return x * self.t

    def backward(self, gy):
        t = self.t
        return gy * (t + self.x * (1 - t * t) * self.s)


@op
def mish(x):
    """`x * tanh(softplus(x))`."""
    return Mish()(_float_tensor(x))


@op
def glu(x, axis=-1):
    """Gated linear unit: splits `x` in two halves `a, b` along `axis`, returns
    `a * sigmoid(b)`."""
    x = _float_tensor(x)
    a, b = split(x, 2, axis=axis)
    return a * sigmoid(b)


class Softmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        e = _inplace(np.exp, x - np.maximum.reduce(x, axis=self.axis, keepdims=True))
        e /= np.add.reduce(e, axis=self.axis, keepdims=True)
        self.y = e
        return e

    def backward(self, gy):
        y = self.y
        gx = gy * y
        gx -= y * np.add.reduce(gx, axis=self.axis, keepdims=True)
        return gx

    # See Linear.ends_in_softmax (ops/fused.py).
    @staticmethod
    def ends_in_softmax(parameters, ndim):
        return parameters.get("axis") in (-1, ndim - 1)

    def backward_from_logits(self, g_logits):
        return g_logits


def _softmax_axis(axis, x, name):
    if axis is None:  # Keras normalises over every element
        return tuple(range(x.ndim))
    if isinstance(axis, (tuple, list)):
        return normalize_axis(axis, x.ndim, name)
    return _one_axis(axis, x.ndim, name)


@op
def softmax(x, axis=-1):
    """Softmax over `axis` (None: over all elements), shifted by the maximum so large
    inputs do not overflow."""
    x = _float_tensor(x)
    if isinstance(axis, int) and -x.ndim <= axis < x.ndim and x.shape[axis] == 1:
        # Keras's hint: one entry always gets probability 1 (a sigmoid was likely meant).
        warnings.warn(
            f"You are using a softmax over axis {axis} of a tensor of shape {x.shape}. This "
            "axis has size 1. The softmax operation will always return the value 1, which is "
            "likely not what you intended. Did you mean to use a sigmoid instead?",
            stacklevel=2,
        )
    return Softmax(_softmax_axis(axis, x, "softmax"))(x)


class LogSoftmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        y = x - x.max(axis=self.axis, keepdims=True)
        y -= np.log(np.exp(y).sum(axis=self.axis, keepdims=True))
        self.y = y
        return y

    def backward(self, gy):
        return gy - np.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


@op
def log_softmax(x, axis=-1):
    """`log(softmax(x))` over `axis` (None: all elements), as `x - max - log(sum(exp(x - max)))`."""
    x = _float_tensor(x)
    return LogSoftmax(_softmax_axis(axis, x, "log_softmax"))(x)


# -- statistics and encodings -------------------------------------------------------------
class Moments(Function):
    """Mean and (population) variance in one pass over the graph; two outputs."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        mean = np.mean(x, axis=self.axes, keepdims=True)
        self.deviation = x - mean
        self.count = max(1, x.size // max(1, mean.size))
        variance = np.mean(np.square(self.deviation), axis=self.axes, keepdims=True)
        if self.keepdims:
            return mean, variance
        return np.squeeze(mean, axis=self.axes), np.squeeze(variance, axis=self.axes)

    def backward(self, g_mean, g_variance):
        shape = self.deviation.shape
        g_mean = expand_reduced(g_mean, shape, self.axes, self.keepdims)
        g_variance = expand_reduced(g_variance, shape, self.axes, self.keepdims)
        gx = self.deviation * (g_variance * (2.0 / self.count))
        gx += g_mean / g_mean.dtype.type(self.count)
        return gx


@op
def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of `x` over `axes` (as used by batch normalisation).

    Returns:
        `(mean, variance)`.
    """
    if synchronized:
        raise NotImplementedError("moments: synchronized=True needs several devices.")
    x = _float_tensor(x)
    axes = normalize_axis(axes, x.ndim, "moments")
    return Moments(axes, keepdims)(x)


@op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encodes integer labels; labels outside `[0, num_classes)` give all zeros.

    Example:
        >>> ops.one_hot([0, 2], 3).numpy()
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported.")
    labels = np.asarray(x.data if isinstance(x, Tensor) else x)
    encoded = labels[..., None] == np.arange(int(num_classes))
    encoded = encoded.astype(dtype or config.floatx())
    axis = _one_axis(axis, labels.ndim + 1, "one_hot")
    if axis != labels.ndim:
        encoded = np.moveaxis(encoded, -1, axis)
    return Tensor._wrap(encoded, None, 0)


# -- cross-entropies ----------------------------------------------------------------------
def _check_same_shape(name, target, output):
    if target.shape != output.shape:
        raise ValueError(
            f"{name}: target and output must have the same shape, got target.shape="
            f"{target.shape} and output.shape={output.shape}."
        )


def _float_target(target, output):
    target = _tensor(target)
    if target.data.dtype != output.data.dtype:
        target = _arith.cast(target, output.data.dtype)
    return target


class CategoricalCrossentropyFromLogits(Function):
    """`-sum(target * log_softmax(logits))` over `axis`; gradient `softmax * sum(t) - t`."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, target, logits):
        axis = self.axis
        log_probs = logits - logits.max(axis=axis, keepdims=True)
        probs = np.exp(log_probs)
        total = probs.sum(axis=axis, keepdims=True)
        log_probs -= np.log(total)
        probs /= total
        self.target, self.probs, self.log_probs = target, probs, log_probs
        return -np.sum(target * log_probs, axis=axis)

    def backward(self, gy):
        axis, target = self.axis, self.target
        gy = np.expand_dims(gy, axis)
        g_target = -self.log_probs * gy if self.needs_grad[0] else None
        g_logits = None
        if self.needs_grad[1]:
            g_logits = self.probs * target.sum(axis=axis, keepdims=True)
            g_logits -= target
            g_logits *= gy
        return g_target, g_logits


class CategoricalCrossentropyFromProbs(Function):
    """Keras's probability form: `q = p / sum(p)`, clip q to [eps, 1 - eps], `-sum(t log q)`."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, target, probs):
        axis = self.axis
        eps = config.epsilon()
        total = probs.sum(axis=axis, keepdims=True)
        q = probs / total
        self.inside = (q >= eps) & (q <= 1 - eps)
        clipped = np.clip(q, eps, 1 - eps)
        self.target, self.q, self.total, self.clipped = target, q, total, clipped
        return -np.sum(target * np.log(clipped), axis=axis)

    def backward(self, gy):
        axis = self.axis
        gy = np.expand_dims(gy, axis)
        g_target = g_probs = None
        if self.needs_grad[0]:
            g_target = -np.log(self.clipped) * gy
        if self.needs_grad[1]:
            # dL/dq where q was not clipped, then through q = p / sum(p):
            # dL/dp_j = (dL/dq_j - sum_i dL/dq_i q_i) / sum(p)
            g_q = -self.target / self.clipped
            g_q *= self.inside
            g_q *= gy
            g_probs = g_q - np.sum(g_q * self.q, axis=axis, keepdims=True)
            g_probs /= self.total
        return g_target, g_probs


@op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predictions, summed over `axis`.

    Args:
        target: target distribution, same shape as `output`.
        output: logits (`from_logits=True`) or probabilities (renormalised over `axis`, then
            clipped to `[epsilon, 1 - epsilon]`, as Keras does).
        from_logits: whether `output` is unnormalised.
        axis: the class axis.

    Returns:
        A tensor with `axis` removed (one value per sample, not averaged).
    """
    output = _float_tensor(output)
    target = _float_target(target, output)
    _check_same_shape("categorical_crossentropy", target, output)
    if output.ndim < 1:
        raise ValueError("categorical_crossentropy: target and output must be at least rank 1.")
    axis = _one_axis(axis, output.ndim, "categorical_crossentropy")
    if from_logits:
        return CategoricalCrossentropyFromLogits(axis)(target, output)
    return CategoricalCrossentropyFromProbs(axis)(target, output)


class BinaryCrossentropyFromLogits(Function):
    """`t * softplus(-x) + (1 - t) * softplus(x)` elementwise; gradient `sigmoid(x) - t`.

    Both terms are sums of non-negative parts (`max(+-x, 0)` and `log1p(exp(-|x|))`), so
    nothing overflows or cancels.
    """

    def forward(self, target, logits):
        self.target, self.logits = target, logits
        log_term = _softplus_tail(logits)
        softplus_neg = np.maximum(-logits, 0)
        softplus_neg += log_term
        softplus_pos = np.maximum(logits, 0)
        softplus_pos += log_term
        loss = target * softplus_neg
        loss += (1 - target) * softplus_pos
        return loss

    def backward(self, gy):
        g_target = -self.logits * gy if self.needs_grad[0] else None
        g_logits = None
        if self.needs_grad[1]:
            g_logits = _sigmoid_array(self.logits)
            g_logits -= self.target
            g_logits *= gy
        return g_target, g_logits


class BinaryCrossentropyFromProbs(Function):
    """Keras's probability form: clip p to [eps, 1 - eps], `-(t log p + (1 - t) log(1 - p))`."""

    def forward(self, target, probs):
        eps = config.epsilon()
        self.inside = (probs >= eps) & (probs <= 1 - eps)
        clipped = np.clip(probs, eps, 1 - eps)
        self.target, self.clipped = target, clipped
        loss = target * np.log(clipped)
        loss += (1 - target) * np.log(1 - clipped)
        return -loss

    def backward(self, gy):
        p, t = self.clipped, self.target
        g_target = g_probs = None
        if self.needs_grad[0]:
            g_target = (np.log(1 - p) - np.log(p)) * gy
        if self.needs_grad[1]:
            # d/dp -(t log p + (1 - t) log(1 - p)) = (p - t) / (p (1 - p))
            g_probs = (p - t) / (p * (1 - p))
            g_probs *= self.inside
            g_probs *= gy
        return g_target, g_probs


@op
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (not averaged; the loss averages the last axis).

    Args:
        target: targets in [0, 1], same shape as `output`.
        output: logits (`from_logits=True`) or probabilities (clipped to
            `[epsilon, 1 - epsilon]`, as Keras does).

    Example:
        >>> ops.binary_crossentropy([0.0, 1.0], [0.1, 0.9]).numpy()   # [0.1054, 0.1054]
    """
    output = _float_tensor(output)
    target = _float_target(target, output)
    _check_same_shape("binary_crossentropy", target, output)
    if from_logits:
        return BinaryCrossentropyFromLogits()(target, output)
    return BinaryCrossentropyFromProbs()(target, output)


def _check_sparse_labels(labels, num_classes):
    """Raises on a label outside `[0, num_classes)`; `labels` are int64."""
    # Seen as unsigned, a negative label is huge: one maximum finds both kinds of mistake.
    if labels.size and np.maximum.reduce(labels.view(np.uint64), axis=None) >= num_classes:
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(
            f"Received a label value of {bad} which is outside the valid range of "
            f"[0, {num_classes}) for {num_classes} classes."
        )


_aranges = {}
_INT64 = np.dtype(np.int64)


def _rows_and_labels(labels):
    """Row numbers and labels for indexing the (rows, classes) view of the predictions."""
    flat = labels.reshape(-1)
    rows = _aranges.get(flat.size)
    if rows is None:  # kept per batch size: the same few sizes come back every step
        rows = np.arange(flat.size)
        rows.flags.writeable = False
        if len(_aranges) < 64:
            _aranges[flat.size] = rows
    return rows, flat


def _int_labels(labels, classes):
    """The labels as checked int64 (a float or int32 target array is cast first).

    Float labels must hold whole numbers (1.0 is class 1, as in Keras): a fractional part
    means the labels are not class indices, and casting would truncate them silently.
    """
    if labels.dtype != _INT64:
        floats = labels if labels.dtype.kind == "f" else None
        labels = labels.astype(_INT64)
        if floats is not None and not np.array_equal(labels, floats):
            bad = floats[labels != floats].flat[0]
            raise ValueError(
                "sparse_categorical_crossentropy expects integer class indices as labels; "
                f"received a float label of {bad}, which is not a whole number. Use "
                "categorical_crossentropy for one-hot or probability labels."
            )
    _check_sparse_labels(labels, classes)
    return labels


class SparseCrossentropyFromLogits(Function):
    """`-log_softmax(logits)[label]` along the last axis, one value per sample.

    Works on the (rows, classes) view: the label entries are picked by fancy indexing, and
    the backward pass is the closed form `softmax - one_hot(label)`. The labels are the
    second input (any numeric dtype, shaped like the logits without the class axis); they
    are cast and range-checked here, and get no gradient.
    """

    def forward(self, logits, labels):
        classes = logits.shape[-1]
        labels = _int_labels(labels, classes)
        x = logits if logits.ndim == 2 else logits.reshape(-1, classes)
        rows, cols = _rows_and_labels(labels)
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = np.add.reduce(exp, axis=1)
        loss = np.log(total)
        loss -= shifted[rows, cols]
        exp /= total[:, None]
        self.probs, self.rows, self.cols, self.shape = exp, rows, cols, logits.shape
        return loss if labels.ndim == 1 else loss.reshape(labels.shape)

    def backward(self, gy):
        gy = gy if gy.ndim == 1 else gy.reshape(-1)
        g = self.probs * gy[:, None]
        g[self.rows, self.cols] -= gy
        return (g if len(self.shape) == 2 else g.reshape(self.shape)), None


class SparseCrossentropyFromProbs(Function):
    """Keras's probability form: renormalise, clip to [eps, 1 - eps], `-log p[label]`.

    The labels are the second input, as for `SparseCrossentropyFromLogits`.
    """

    def forward(self, probs, labels):
        eps = config.epsilon()
        classes = probs.shape[-1]
        labels = _int_labels(labels, classes)
        q = probs if probs.ndim == 2 else probs.reshape(-1, classes)
        rows, cols = _rows_and_labels(labels)
        total = np.add.reduce(q, axis=1)
        p = q[rows, cols]
        p /= total
        # np.clip's Python wrapper costs more than the two ufuncs it stands for.
        clipped = np.maximum(p, p.dtype.type(eps))
        np.minimum(clipped, p.dtype.type(1 - eps), out=clipped)
        self.q, self.p, self.clipped, self.total = q, p, clipped, total
        self.rows, self.cols, self.shape = rows, cols, probs.shape
        loss = np.log(clipped)
        np.negative(loss, out=loss)
        return loss if labels.ndim == 1 else loss.reshape(labels.shape)

    def backward(self, gy):
        # loss = -log(p) with p = q_label / total where not clipped, so
        # dloss/dq_j = -(1/p) (delta_jl - p) / total. Dividing by the clipped value avoids
        # 1/0; the clipped entries are masked out anyway.
        # `coef` below is minus that 1/(p total) factor, times gy (negating is exact).
        p, clipped = self.p, self.clipped
        coef = (clipped == p) / clipped
        coef *= gy if gy.ndim == 1 else gy.reshape(-1)
        coef /= self.total
        g = np.empty((coef.size, self.shape[-1]), dtype=coef.dtype)
        g[...] = (coef * p)[:, None]
        g[self.rows, self.cols] -= coef
        return (g if len(self.shape) == 2 else g.reshape(self.shape)), None

    def softmax_logits_backward(self, gy):
        """The gradient with respect to the logits of the softmax that made the probabilities.

        Where the probabilities are a softmax's output they sum to 1, so chaining `backward`
        with the softmax's backward pass comes down to `gy * (probs - one_hot(label))` (and
        0 where the probability was clipped). Same values up to rounding, with three array
        operations instead of about a dozen. Used by replayed programs
        (autodiff/program.py), which know who produced the probabilities.
        """
        coef = gy if gy.ndim == 1 else gy.reshape(-1)
        coef = coef * (self.clipped == self.p)  # no gradient where clipped
        g = self.q * coef[:, None]
        g[self.rows, self.cols] -= coef
        return (g if len(self.shape) == 2 else g.reshape(self.shape)), None


@op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer labels and predictions, one value per sample.

    Args:
        target: integer class labels, shape `output.shape` without `axis` (a trailing 1 is
            accepted).
        output: logits (`from_logits=True`) or probabilities over `axis`.
        from_logits: whether `output` is unnormalised.
        axis: the class axis.

    Returns:
        A tensor of shape `output.shape` without `axis`.
    """
    output = _float_tensor(output)
    ndim = output.data.ndim
    output_shape = output.data.shape
    if ndim < 1:
        raise ValueError("sparse_categorical_crossentropy: output must be at least rank 1.")
    if axis != -1 and _one_axis(axis, ndim, "sparse_categorical_crossentropy") != ndim - 1:
        axis = _one_axis(axis, ndim, "sparse_categorical_crossentropy")
        output = _arith.Transpose([i for i in range(ndim) if i != axis] + [axis])(output)
    shape = output.data.shape
    target = _tensor(target)
    target_shape = target.data.shape
    if len(target_shape) == ndim and target_shape[-1] == 1:
        target = _arith.Reshape(target_shape[:-1])(target)
    if target.data.shape != shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: labels of shape {target_shape} do not fit "
            f"predictions of shape {output_shape}: sparse losses expect integer class "
            f"indices of shape {shape[:-1]} (the predictions' shape without the class "
            "axis). Use categorical_crossentropy for one-hot labels."
        )
    if from_logits:
        return SparseCrossentropyFromLogits()(output, target)
    return SparseCrossentropyFromProbs()(output, target)
