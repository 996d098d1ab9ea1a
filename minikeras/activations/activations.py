"""Activation functions (`keras.activations`), built on `minikeras.ops`.

Each function takes a tensor (or array) and returns a tensor of the same shape and dtype;
all are differentiable and work on symbolic tensors. Those without a dedicated op are
composed from ops here, with the formulas of Keras 3. The package's `__init__.py` lists
them (its `__all__`), with the aliases `swish` and `hard_swish`.
"""

from minikeras import ops


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras's optional leak, cap and threshold.

    With the defaults, `max(x, 0)`. In general:
    - `x` for `threshold < x < max_value` (`max_value` for `x >= max_value`);
    - `negative_slope * (x - threshold)` for `x <= threshold`.

    Args:
        x: input tensor.
        negative_slope: slope below the threshold.
        max_value: the largest value returned (None: no cap).
        threshold: values at or below it are damped (zeroed when `negative_slope` is 0).

    Example:
        >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0).numpy()
        array([0., 0., 0., 5., 5.], dtype=float32)
    """
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return ops.leaky_relu(x, negative_slope=negative_slope)
        negative_part = ops.relu(threshold - x) if threshold != 0 else ops.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = ops.where(ops.greater(x, threshold), x, 0.0)
    elif max_value == 6:
        x = ops.relu6(x)
        clip_max = False
    else:
        x = ops.relu(x)
    if clip_max:
        x = ops.clip(x, 0.0, max_value)
    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x, negative_slope=0.2):
    """`x` for `x >= 0`, `negative_slope * x` otherwise."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """`min(max(x, 0), 6)`."""
    return ops.relu6(x)


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` over `axis`: a probability distribution per slice.

    Example:
        >>> softmax([[1.0, 1.0]]).numpy()
        array([[0.5, 0.5]], dtype=float32)
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """`log(softmax(x))` over `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU: `scale * elu(x, alpha)` with Klambauer et al.'s constants
    (`alpha = 1.67326324`, `scale = 1.05070098`); pair it with `LecunNormal`."""
    return ops.selu(x)


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: `x` for `x >= 0`, `alpha * (exp(x / alpha) - 1)`
    otherwise."""
    return ops.celu(x, alpha=alpha)


def softplus(x):
    """`log(exp(x) + 1)`, computed without overflow."""
    return ops.softplus(x)


def softsign(x):
    """`x / (|x| + 1)`."""
    return ops.softsign(x)


def squareplus(x, b=4):
    """`(x + sqrt(x ** 2 + b)) / 2`, a smooth ReLU-like curve."""
    x = ops.convert_to_tensor(x)
    return (x + ops.sqrt(ops.square(x) + b)) / 2


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, else 0."""
    x = ops.convert_to_tensor(x)
    inner = ops.where(ops.less(x, -threshold), x + threshold, 0.0)
    return ops.where(ops.greater(x, threshold), x - threshold, inner)


def sparse_plus(x):
    """0 for `x <= -1`, `(x + 1) ** 2 / 4` for `-1 < x < 1`, `x` for `x >= 1`."""
    x = ops.convert_to_tensor(x)
    middle = ops.where(ops.less_equal(x, -1.0), 0.0, 0.25 * ops.square(x + 1.0))
    return ops.where(ops.greater_equal(x, 1.0), x, middle)


def silu(x):
    """Swish / SiLU: `x * sigmoid(x)`."""
    return ops.silu(x)


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit: `x * P(X <= x)` for a standard normal `X`.

    Args:
        x: input tensor.
        approximate: use the tanh approximation instead of the exact erf form.
    """
    return ops.gelu(x, approximate=approximate)


def glu(x, axis=-1):
    """Gated linear unit: splits `x` in halves `a`, `b` along `axis`, returns
    `a * sigmoid(b)`."""
    return ops.glu(x, axis=axis)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def tanh_shrink(x):
    """`x - tanh(x)`."""
    x = ops.convert_to_tensor(x)
    return x - ops.tanh(x)


def hard_tanh(x):
    """`x` clipped to `[-1, 1]`."""
    return ops.clip(ops.convert_to_tensor(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    x = ops.convert_to_tensor(x)
    return ops.where(ops.greater(ops.absolute(x), threshold), x, 0.0)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = ops.convert_to_tensor(x)
    return ops.where(ops.greater(x, threshold), x, default_value)


def sigmoid(x):
    """`1 / (1 + exp(-x))`, computed without overflow."""
    return ops.sigmoid(x)


def sparse_sigmoid(x):
    """0 for `x <= -1`, `(x + 1) / 2` for `-1 < x < 1`, 1 for `x >= 1`."""
    x = ops.convert_to_tensor(x)
    return ops.clip(0.5 * (x + 1.0), 0.0, 1.0)


def exponential(x):
    """`exp(x)`."""
    return ops.exp(x)


def hard_sigmoid(x):
    """Piecewise linear sigmoid: 0 for `x <= -3`, 1 for `x >= 3`, `x / 6 + 0.5` between."""
    return ops.hard_sigmoid(x)


def log_sigmoid(x):
    """`log(sigmoid(x))`, computed stably."""
    return ops.log_sigmoid(x)


def hard_silu(x):
    """Hard SiLU / hard swish: `x * hard_sigmoid(x)`."""
    return ops.hard_silu(x)


hard_swish = hard_silu


def linear(x):
    """Identity: returns `x` unchanged."""
    return x


def mish(x):
    """`x * tanh(softplus(x))`."""
    return ops.mish(x)


def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of `x` onto the probability simplex along
    `axis` (like softmax, but many outputs are exactly 0).

    `sparsemax(x) = max(x - tau, 0)`, where `tau` is chosen so each slice sums to 1.
    """
    x = ops.convert_to_tensor(x)
    axis = axis % x.ndim
    ordered = -ops.sort(-x, axis=axis)  # descending
    running_sum = ops.cumsum(ordered, axis=axis)
    rank_shape = [1] * x.ndim
    rank_shape[axis] = -1
    ranks = ops.reshape(ops.arange(1, x.shape[axis] + 1, dtype=x.dtype), rank_shape)
    # The k largest values form the support while z_k > (sum of the k largest - 1) / k.
    support = ops.greater(ordered - (running_sum - 1.0) / ranks, 0.0)
    support_size = ops.sum(ops.cast(support, x.dtype), axis=axis, keepdims=True)
    # Keras 3.15 sums the running sums over the support here, which is wrong whenever the
    # support has more than one element (keras-team/keras#23425, fixed upstream by #23469);
    # the threshold needs the sum of the support's values.
    support_sum = ops.sum(ops.where(support, ordered, 0.0), axis=axis, keepdims=True)
    tau = (support_sum - 1.0) / support_size
    return ops.maximum(x - tau, 0.0)
