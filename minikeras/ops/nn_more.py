"""The rest of `keras.ops.nn`: shrink activations, normalizations, patch extraction.

`minikeras.ops.nn` re-exports everything here. Each op is written with differentiable ops
(so gradients come for free) or with the `Rearrange` gather of `indexing.py` (`unfold`,
`depth_to_space`); `multi_hot` is an encoding and has no gradient.
"""

import math

import numpy as np

from minikeras import config
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops._arguments import _constant, _float_tensor, _one_axis, _tensor, normalize_axis
from minikeras.ops.core_more import polar
from minikeras.ops.indexing import Rearrange, ScatterAdd
from minikeras.ops.math import rsqrt
from minikeras.ops.nn import log_softmax, moments, relu
from minikeras.ops.numpy import (
    clip,
    log10,
    maximum,
    mean,
    minimum,
    multiply,
    reshape,
    sqrt,
    square,
    subtract,
    tanh,
    transpose,
    where,
)
from minikeras.ops.numpy import sum as _sum
from minikeras.ops.symbolic import op

__all__ = [
    "batch_normalization",
    "ctc_decode",
    "ctc_loss",
    "depth_to_space",
    "fold",
    "hard_shrink",
    "hard_tanh",
    "layer_normalization",
    "multi_hot",
    "normalize",
    "polar",
    "psnr",
    "rms_normalization",
    "soft_shrink",
    "space_to_depth",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh_shrink",
    "threshold",
    "unfold",
]


# -- activations --------------------------------------------------------------------------
@op
def hard_tanh(x):
    """`x` clipped to [-1, 1]."""
    return clip(_float_tensor(x), -1.0, 1.0)


@op
def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    x = _float_tensor(x)
    return where(np.abs(x.data) > threshold, x, 0.0)


@op
def soft_shrink(x, threshold=0.5):
    """`x` moved towards 0 by `threshold`, and 0 within `threshold` of 0."""
    x = _float_tensor(x)
    shifted = x - where(x.data > 0, threshold, -threshold)
    return where(np.abs(x.data) > threshold, shifted, 0.0)


@op
def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = _float_tensor(x)
    return subtract(x, tanh(x))


@op
def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = _float_tensor(x)
    return where(x.data > threshold, x, default_value)


@op
def sparse_plus(x):
    """0 below -1, `x` above 1, and `(x + 1)**2 / 4` between (a smooth relu)."""
    x = _float_tensor(x)
    middle = multiply(square(x + 1.0), 0.25)
    return where(x.data <= -1, 0.0, where(x.data >= 1, x, middle))


@op
def sparse_sigmoid(x):
    """0 below -1, 1 above 1, and `(x + 1) / 2` between.

    Written as `min(max(x + 1, 0), 2) / 2`, whose ties split the gradient in halves, so at
    exactly -1 and 1 the gradient is 0.25, as Keras's (a clip on JAX) is.
    """
    x = _float_tensor(x)
    return multiply(minimum(maximum(x + 1.0, 0.0), 2.0), 0.5)


@op
def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`, a smooth relu."""
    x = _float_tensor(x)
    return multiply(x + sqrt(square(x) + float(b)), 0.5)


@op
def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis`: like
    softmax, but exact zeros for small entries."""
    x = _float_tensor(x)
    axis = _one_axis(axis, x.ndim, "sparsemax")
    # Which entries stay positive is decided without a gradient, as in Keras: sorted in
    # descending order, entry r (1-based) is kept while `sorted[r] > (cumsum[r] - 1) / r`.
    # Keras then takes tau = (sum of cumsum over the kept ranks - 1) / k (all its backends
    # do; the published sparsemax uses cumsum[k] alone), so each sorted entry is weighted
    # by the number of kept ranks at or after it. The weights are constants and tau is
    # differentiated through the entries.
    data = np.moveaxis(x.data, axis, -1)
    order = np.argsort(-data, axis=-1, kind="stable")
    ordered = np.take_along_axis(data, order, axis=-1)
    ranks = np.arange(1, data.shape[-1] + 1, dtype=data.dtype)
    kept = ordered - (np.cumsum(ordered, axis=-1) - 1) / ranks > 0
    count = np.sum(kept, axis=-1, keepdims=True).astype(data.dtype)
    weights_sorted = np.flip(np.cumsum(np.flip(kept, -1), axis=-1), -1).astype(data.dtype)
    weights = np.empty_like(weights_sorted)
    np.put_along_axis(weights, order, weights_sorted, axis=-1)
    weights, count = np.moveaxis(weights, -1, axis), np.moveaxis(count, -1, axis)
    tau = (_sum(multiply(x, _constant(weights)), axis=axis, keepdims=True) - 1.0) / _constant(count)
    return relu(subtract(x, tau))


# -- normalizations -----------------------------------------------------------------------
@op
def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`, `backend.epsilon()`
    by default); for order 2, `x * min(rsqrt(sum(x**2)), 1 / epsilon)` as Keras computes it."""
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"normalize: argument `order` must be an int >= 1, got {order!r}.")
    x = _float_tensor(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inverse = rsqrt(_sum(square(x), axis=axis, keepdims=True))
        return multiply(x, minimum(inverse, 1.0 / epsilon))
    from minikeras.ops.math import norm

    return x / maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon)


def _broadcast_parameter(value, x, axes, name):
    """A gamma/beta/scale shaped for `x`: 1-D over the normalized axes is reshaped."""
    if value is None:
        return None
    value = _tensor(value)
    if value.data.dtype != x.data.dtype:
        value = _arith.cast(value, x.data.dtype)
    if value.ndim != x.ndim and axes != (x.ndim - 1,):
        shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
        if math.prod(shape) != value.data.size:
            raise ValueError(
                f"{name}: parameter of shape {value.shape} does not fit the normalized axes "
                f"{axes} of x {x.shape}."
            )
        value = reshape(value, shape)
    return value


@op
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta` over `axis` (Keras's formula).

    Args:
        rms_scaling: (keyword) divide by `sqrt(var + epsilon)` without centering.
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    x = _float_tensor(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = normalize_axis(axis, x.ndim, "layer_normalization")
    gamma = _broadcast_parameter(gamma, x, axes, "layer_normalization")
    beta = _broadcast_parameter(beta, x, axes, "layer_normalization")
    mean_, variance = moments(x, axes, keepdims=True)
    inverse = rsqrt(variance + epsilon)
    if rms_scaling:
        outputs = multiply(x, inverse)
        return outputs if gamma is None else multiply(outputs, gamma)
    if gamma is not None:
        inverse = multiply(inverse, gamma)
    shift = -mean_ * inverse
    if beta is not None:
        shift = shift + beta
    return multiply(x, inverse) + shift


@op
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x**2) + epsilon) * scale` over `axis`."""
    x = _float_tensor(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = normalize_axis(axis, x.ndim, "rms_normalization")
    scale = _broadcast_parameter(scale, x, axes, "rms_normalization")
    outputs = multiply(x, rsqrt(mean(square(x), axis=axes, keepdims=True) + epsilon))
    return outputs if scale is None else multiply(outputs, scale)


@op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the statistics given
    along `axis` (1-D of that axis's size)."""
    x = _float_tensor(x)
    axis = _one_axis(axis, x.ndim, "batch_normalization")

    def shaped(value):
        if value is None:
            return None
        value = _float_tensor(value)
        if value.ndim == 1 and x.ndim > 1:
            if value.shape[0] != x.shape[axis]:
                raise ValueError(
                    f"batch_normalization: statistics of shape {value.shape} for axis "
                    f"{axis} of x {x.shape}."
                )
            shape = [1] * x.ndim
            shape[axis] = -1
            value = reshape(value, shape)
        return value

    inverse = rsqrt(shaped(variance) + epsilon)
    if scale is not None:
        inverse = multiply(inverse, shaped(scale))
    result = multiply(subtract(x, shaped(mean)), inverse)
    return result if offset is None else result + shaped(offset)


@op
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB: `20 log10(max_val) - 10 log10(mse)`."""
    a, b = _float_tensor(x1), _float_tensor(x2)
    if a.shape != b.shape:
        raise ValueError(f"psnr: x1 and x2 need the same shape, got {a.shape} and {b.shape}.")
    mse = mean(square(subtract(a, b)))
    peak = 20.0 * float(np.log10(max_val))
    return peak - multiply(log10(mse), 10.0)


# -- encodings ----------------------------------------------------------------------------
@op
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Marks the classes present in integer `inputs` with 1; labels outside
    `[0, num_classes)` are ignored.

    As in Keras: `one_hot(inputs, num_classes, axis)` and then the largest value over axis 1
    (axis 0 for a 1-D input), so `(batch, n)` labels give `(batch, num_classes)` and
    `(batch, steps, n)` labels give `(batch, n, num_classes)`.
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)  # the Keras 2 name
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("multi_hot: argument `num_classes` must be given.")
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported.")
    labels = np.asarray(_tensor(inputs).data)
    encoded = labels[..., None] == np.arange(int(num_classes))
    encoded = np.moveaxis(encoded, -1, _one_axis(axis, labels.ndim + 1, "multi_hot"))
    encoded = np.any(encoded, axis=1 if labels.ndim > 1 else 0)
    return _constant(encoded.astype(dtype or config.floatx()))


# -- patches --------------------------------------------------------------------------------
def _pair(value, name, argument):
    values = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != 2 or any(int(v) < 0 for v in values):
        raise ValueError(f"{name}: `{argument}` must be an int or two ints >= 0, got {value!r}.")
    return tuple(int(v) for v in values)


def _unfold_positions(shape, kernel_size, dilation, padding, stride, name):
    """For an NCHW input, the input position of every entry of the unfolded output
    `(N, C*kh*kw, L)`; the position `size` stands for the zero padding."""
    n, c, h, w = shape
    kh, kw = _pair(kernel_size, name, "kernel_size")
    dh, dw = _pair(dilation, name, "dilation")
    ph, pw = _pair(padding, name, "padding")
    sh, sw = _pair(stride, name, "stride")
    if min(kh, kw, dh, dw, sh, sw) < 1:
        raise ValueError(f"{name}: kernel_size, dilation and stride must be >= 1.")
    out_h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(
            f"{name}: the kernel {(kh, kw)} with dilation {(dh, dw)} does not fit the padded "
            f"input {(h + 2 * ph, w + 2 * pw)}."
        )
    size = n * c * h * w
    positions = np.arange(size).reshape(shape)
    positions = np.pad(positions, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=size)
    rows = (np.arange(out_h) * sh)[None, :] + (np.arange(kh) * dh)[:, None]  # (kh, out_h)
    cols = (np.arange(out_w) * sw)[None, :] + (np.arange(kw) * dw)[:, None]  # (kw, out_w)
    patches = positions[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    # patches: (N, C, kh, kw, out_h, out_w) -> (N, C*kh*kw, out_h*out_w)
    return patches.reshape(n, c * kh * kw, out_h * out_w), (out_h, out_w)


@op
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of a batched NCHW image as columns: `(N, C*kh*kw, L)` (PyTorch's
    `unfold`, im2col)."""
    x = _tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: x must be 4-D (N, C, H, W), got shape {x.shape}.")
    positions, _ = _unfold_positions(x.shape, kernel_size, dilation, padding, stride, "unfold")
    return Rearrange(positions)(x)


@op
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums sliding blocks `(N, C*kh*kw, L)` back into an NCHW image of `output_size`
    (PyTorch's `fold`, col2im; the transpose of `unfold`)."""
    x = _tensor(x)
    if x.ndim != 3:
        raise ValueError(f"fold: x must be 3-D (N, C*kh*kw, L), got shape {x.shape}.")
    kh, kw = _pair(kernel_size, "fold", "kernel_size")
    n, ckk, length = x.shape
    if ckk % (kh * kw):
        raise ValueError(f"fold: axis 1 of x {x.shape} is not a multiple of kh*kw = {kh * kw}.")
    h, w = _pair(output_size, "fold", "output_size")
    shape = (n, ckk // (kh * kw), h, w)
    positions, (out_h, out_w) = _unfold_positions(
        shape, kernel_size, dilation, padding, stride, "fold"
    )
    if out_h * out_w != length:
        raise ValueError(
            f"fold: x has {length} blocks, but output_size {(h, w)} gives {out_h * out_w}."
        )
    return ScatterAdd(positions, math.prod(shape), shape)(x)


def _check_blocks(x, block_size, data_format, name):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{name}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    if x.ndim != 4:
        raise ValueError(f"{name}: x must be 4-D, got shape {x.shape}.")
    block = int(block_size)
    if block < 1:
        raise ValueError(f"{name}: block_size must be >= 1, got {block_size}.")
    return block


@op
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into `block_size x block_size` spatial tiles."""
    x = _tensor(x)
    b = _check_blocks(x, block_size, data_format, "depth_to_space")
    if data_format == "channels_first":
        n, c, h, w = x.shape
    else:
        n, h, w, c = x.shape
    if c % (b * b):
        raise ValueError(f"depth_to_space: channels {c} are not divisible by {b * b}.")
    depth = c // (b * b)
    if data_format == "channels_first":
        y = reshape(x, (n, depth, b, b, h, w))
        y = transpose(y, (0, 1, 4, 2, 5, 3))
        return reshape(y, (n, depth, h * b, w * b))
    y = reshape(x, (n, h, w, b, b, depth))
    y = transpose(y, (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h * b, w * b, depth))


@op
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size x block_size` spatial tiles into channels."""
    x = _tensor(x)
    b = _check_blocks(x, block_size, data_format, "space_to_depth")
    if data_format == "channels_first":
        n, c, h, w = x.shape
    else:
        n, h, w, c = x.shape
    if h % b or w % b:
        raise ValueError(f"space_to_depth: height and width {(h, w)} are not divisible by {b}.")
    if data_format == "channels_first":
        y = reshape(x, (n, c, h // b, b, w // b, b))
        y = transpose(y, (0, 1, 3, 5, 2, 4))
        return reshape(y, (n, c * b * b, h // b, w // b))
    y = reshape(x, (n, h // b, b, w // b, b, c))
    y = transpose(y, (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h // b, w // b, b * b * c))


# -- ctc_loss -----------------------------------------------------------------------------
# Keras's CTC uses a large finite negative number for "log 0" rather than -inf, so an
# impossible alignment costs about 1e5 instead of inf; minikeras does the same.
_CTC_LOG_ZERO = -1e5


@op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Connectionist Temporal Classification loss, one value per sequence.

    The negative log-probability, summed over every alignment, that the logits spell the
    label sequence: each timestep emits a label or the blank (`mask_index`), a label held
    over several steps counts once, and a blank must separate two equal labels.

    Args:
        target: integer labels, shape `(batch, max_label_length)`; only the first
            `target_length[b]` of row b count.
        output: logits (not probabilities), shape `(batch, timesteps, num_classes)`; only the
            first `output_length[b]` timesteps of row b count.
        target_length, output_length: `(batch,)` integers.
        mask_index: the class of the blank.

    Returns:
        `(batch,)` losses.
    """
    from minikeras.ops.numpy import concatenate, einsum, logaddexp

    output = _float_tensor(output)
    labels = np.asarray(_tensor(target).data).astype(np.int64)
    if labels.ndim != 2 or output.ndim != 3 or labels.shape[0] != output.shape[0]:
        raise ValueError(
            "ctc_loss: target must be (batch_size, max_label_length) labels and output "
            "(batch_size, max_length, num_classes) logits. Received: "
            f"target.shape={labels.shape}, output.shape={output.shape}"
        )
    batch, steps, num_classes = output.shape
    lengths = {}
    for name, value in (("target_length", target_length), ("output_length", output_length)):
        lengths[name] = np.asarray(_tensor(value).data).astype(np.int64).reshape(-1)
        if lengths[name].shape != (batch,):
            raise ValueError(
                f"ctc_loss: {name} must hold one length per sequence ({batch}). Received "
                f"shape {lengths[name].shape}"
            )
    num_labels = labels.shape[1]
    if not 0 <= mask_index < num_classes:
        raise ValueError(f"ctc_loss: mask_index={mask_index} is not a class of {num_classes}.")
    # Labels past a sequence's length are never read; clipped so they index a class.
    dtype = output.data.dtype
    log_probs = log_softmax(output, axis=-1)
    # blank_scores[:, t] is log p(blank at t); label_scores[:, t, n] is log p(label n at t).
    blank_scores = log_probs[:, :, mask_index : mask_index + 1]
    one_hot = np.eye(num_classes, dtype=dtype)[np.clip(labels, 0, num_classes - 1)]
    label_scores = einsum("btk,bnk->btn", log_probs, one_hot)
    # Moving between two equal neighbouring labels must pass through a blank.
    repeats = np.zeros((batch, num_labels), dtype)
    repeats[:, :-1] = labels[:, :-1] == labels[:, 1:]
    block_if_repeat = repeats * dtype.type(_CTC_LOG_ZERO)
    block_unless_repeat = (1 - repeats) * dtype.type(_CTC_LOG_ZERO)

    def add_to_after(after, score):
        # Adds (in log space) `score[:, n]` to the "after label n" states `after[:, n + 1]`.
        return concatenate([after[:, :1], logaddexp(after[:, 1:], score)], axis=-1)

    # Forward variables. after[:, n]: n labels spelled, now on a blank (or not started);
    # on[:, n]: labels 0..n spelled, still on label n.
    after = np.full((batch, num_labels + 1), _CTC_LOG_ZERO, dtype)
    after[:, 0] = 0
    after = _tensor(after)
    on = _tensor(np.full((batch, num_labels), _CTC_LOG_ZERO, dtype))
    for t in range(steps):
        blank, label = blank_scores[:, t], label_scores[:, t]
        # Leaving label n with no step taken, except toward an equal next label.
        left = add_to_after(after, on + block_if_repeat)
        next_on = logaddexp(left[:, :-1] + label, on + label)
        # A blank after label n; from `on` directly only where the next label repeats
        # (elsewhere that path is already in `after`).
        next_after = add_to_after(left + blank, on + blank + block_unless_repeat)
        # A sequence past its last timestep keeps its states.
        done = (t >= lengths["output_length"])[:, None]
        after = where(done, after, next_after) if done.any() else next_after
        on = where(done, on, next_on) if done.any() else next_on
    after = add_to_after(after, on)
    spelled = np.clip(lengths["target_length"], 0, num_labels)
    return -_sum(after * np.eye(num_labels + 1, dtype=dtype)[spelled], axis=-1)


@op
def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Decodes CTC outputs greedily: the best class at each timestep, repeats merged, blanks
    dropped (as Keras's `strategy="greedy"`; "beam_search" is not implemented here).

    Args:
        inputs: `(batch, timesteps, num_classes)` scores (logits or log-probabilities).
        sequence_lengths: `(batch,)` valid timesteps of each sequence.

    Returns:
        `(decoded, scores)`: `(1, batch, timesteps)` int32 labels, left-aligned and padded
        with -1, and `(batch, 1)` scores, minus the sum of each timestep's best score.
    """
    if strategy == "beam_search":
        raise NotImplementedError(
            "ctc_decode: strategy='beam_search' is not implemented in minikeras; use 'greedy'."
        )
    if strategy != "greedy":
        raise ValueError(
            f"ctc_decode: invalid strategy {strategy!r}. Supported values are 'greedy' and "
            "'beam_search'."
        )
    scores = np.asarray(_float_tensor(inputs).data)
    if scores.ndim != 3:
        raise ValueError(
            f"ctc_decode: inputs must be (batch_size, max_length, num_classes), got shape "
            f"{scores.shape}."
        )
    batch, steps, _ = scores.shape
    lengths = np.asarray(_tensor(sequence_lengths).data).astype(np.int64).reshape(batch, 1)
    beyond = np.arange(steps)[None, :] >= lengths
    labels = np.where(beyond, mask_index, np.argmax(scores, axis=-1))
    best = np.where(beyond, 0.0, np.max(scores, axis=-1)).astype(scores.dtype)
    if merge_repeated:
        repeated = np.zeros_like(beyond)
        repeated[:, 1:] = labels[:, 1:] == labels[:, :-1]
        labels = np.where(repeated, mask_index, labels)
    blank = labels == mask_index
    labels = np.where(blank, -1, labels)
    # The kept labels move to the front, in order; the -1s fill the end.
    order = np.argsort(np.where(blank, steps, np.arange(steps)[None, :]), axis=-1, kind="stable")
    decoded = np.take_along_axis(labels, order, axis=-1).astype(np.int32)[None]
    return _constant(decoded), _constant(-np.sum(best, axis=1, keepdims=True))
