"""Built-in losses: one function per loss (one value per sample) and a class wrapping it.

Every function reduces only the last axis (or the class axis) and returns one value per
sample, with no sample weighting; the classes add weighting and the reduction (see
`loss.py`). Everything is written with `minikeras.ops`, so gradients flow to `y_pred`.

The formulas follow Keras 3 (`keras/src/losses/losses.py`) operation by operation, so the
float32 results agree with Keras to rounding.
"""

import warnings

import numpy as np

from minikeras import config, ops
from minikeras.autodiff import Tensor
from minikeras.losses.loss import (
    Loss,
    set_keras_mask,
    squeeze_or_expand_to_same_rank,
)


# -- helpers ------------------------------------------------------------------------------
def _pred_and_true(y_true, y_pred):
    """Converts both to tensors; y_true takes y_pred's float dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype[:5] != "float":
        y_pred = ops.cast(y_pred, config.floatx())
    y_true = ops.convert_to_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = ops.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def _check_compatible(name, y_true, y_pred):
    """Raises a ValueError naming both shapes when they cannot be broadcast together."""
    try:
        np.broadcast_shapes(tuple(y_true.shape), tuple(y_pred.shape))
    except ValueError:
        raise ValueError(
            f"{name}: y_true and y_pred have incompatible shapes: y_true.shape="
            f"{tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}."
        ) from None


def _prepared(name, y_true, y_pred):
    """Tensors of one dtype, ranks matched by a trailing 1, shapes checked."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_compatible(name, y_true, y_pred)
    return y_true, y_pred


def _scalar(value, like):
    """A constant of `like`'s dtype (keeps float32 computations float32)."""
    return ops.convert_to_tensor(np.asarray(value, dtype=like.dtype))


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


def _warn_single_class(name, y_pred):
    if len(y_pred.shape) and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def l2_normalize(x, axis=-1):
    """`x / max(||x||, epsilon)` along `axis`, as Keras's `normalize` (order 2) computes it."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    eps = config.epsilon()
    # rsqrt(max(s, eps^2)) == min(rsqrt(s), 1/eps) without dividing by zero for a zero vector.
    return x * ops.rsqrt(ops.maximum(square_sum, _scalar(eps * eps, x)))


def convert_binary_labels_to_hinge(y_true):
    """Labels that are all 0 or 1 become -1 or 1; other labels are returned unchanged."""
    values = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if np.all((values == 0) | (values == 1)):
        return 2.0 * y_true - 1.0
    return y_true


# -- regression ---------------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Mean of `(y_true - y_pred)^2` over the last axis.

    Example:
        >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
        array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepared("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean of `|y_true - y_pred|` over the last axis."""
    y_true, y_pred = _prepared("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))` over the last axis."""
    y_true, y_pred = _prepared("mean_absolute_percentage_error", y_true, y_pred)
    eps = _scalar(config.epsilon(), y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), eps))
    return 100.0 * ops.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of `(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2` over the last axis."""
    y_true, y_pred = _prepared("mean_squared_logarithmic_error", y_true, y_pred)
    eps = _scalar(config.epsilon(), y_pred)
    first_log = ops.log(ops.maximum(y_pred, eps) + 1.0)
    second_log = ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(first_log - second_log), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The *negative* cosine similarity along `axis` (so that minimising it aligns vectors).

    Returns values in [-1, 1]; -1 means the vectors point the same way. A zero vector gives 0.
    """
    y_true, y_pred = _prepared("cosine_similarity", y_true, y_pred)
    y_pred = l2_normalize(y_pred, axis=axis)
    y_true = l2_normalize(y_true, axis=axis)
    return -ops.sum(y_true * y_pred, axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: `0.5 e^2` where `|e| <= delta`, else `delta |e| - 0.5 delta^2`, averaged
    over the last axis (`e = y_pred - y_true`)."""
    y_true, y_pred = _prepared("huber", y_true, y_pred)
    delta = _scalar(delta, y_pred)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    half = _scalar(0.5, y_pred)
    return ops.mean(
        ops.where(
            abs_error <= delta,
            half * ops.square(error),
            delta * abs_error - half * ops.square(delta),
        ),
        axis=-1,
    )


def log_cosh(y_true, y_pred):
    """Mean of `log(cosh(y_pred - y_true))` over the last axis, computed without overflow as
    `x + softplus(-2x) - log(2)`."""
    y_true, y_pred = _prepared("log_cosh", y_true, y_pred)
    log2 = _scalar(np.log(2.0), y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - log2, axis=-1)


# -- probabilistic ------------------------------------------------------------------------
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence `sum(t * log(t / p))` over the last axis, with both
    clipped to `[epsilon, 1]`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("kl_divergence", y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Mean of `y_pred - y_true * log(y_pred + epsilon)` over the last axis."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("poisson", y_true, y_pred)
    eps = _scalar(config.epsilon(), y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + eps), axis=-1)


def _smooth_categorical(y_true, y_pred, label_smoothing):
    if label_smoothing:
        num_classes = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    return y_true


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predictions, one value per sample.

    Args:
        y_true: one-hot targets, same shape as `y_pred`.
        y_pred: probabilities (renormalised over `axis` and clipped to
            `[epsilon, 1 - epsilon]`) or, with `from_logits=True`, logits (stable
            log-softmax).
        label_smoothing: `y_true * (1 - s) + s / num_classes`.
        axis: the class axis.

    Example:
        >>> categorical_crossentropy([[0.0, 1.0]], [[0.1, 0.9]]).numpy()   # -log(0.9)
        array([0.10536055], dtype=float32)
    """
    _check_axis(axis)
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, y_pred, label_smoothing)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Focal cross-entropy: `sum(alpha * (1 - p)^gamma * -t log p)` over `axis`, which
    down-weights classes the model already predicts well."""
    _check_axis(axis)
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    _check_compatible("categorical_focal_crossentropy", y_true, y_pred)
    y_true = _smooth_categorical(y_true, y_pred, label_smoothing)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    # Renormalise so each sample's probabilities add up to 1, then keep log() finite.
    output = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    eps = config.epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    cce = -y_true * ops.log(output)
    modulating_factor = ops.power(1.0 - output, _scalar(gamma, output))
    weighting_factor = ops.multiply(modulating_factor, _scalar(alpha, output))
    return ops.sum(ops.multiply(weighting_factor, cce), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy between integer labels and predictions, one value per sample.

    Args:
        y_true: integer labels, shape `y_pred.shape` without the class axis (a trailing 1
            is accepted).
        y_pred: probabilities or (with `from_logits=True`) logits over `axis`.
        ignore_class: a label whose entries contribute 0 and are left out of the mean when
            a `Loss` reduces the values (for segmentation "void" pixels).

    Raises:
        ValueError: a label outside `[0, num_classes)` (the message names the label).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = ops.squeeze(y_true, axis=axis)
    valid_mask = None
    if ignore_class is not None:
        class_axis = axis % len(y_pred.shape)
        result_shape = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
        labels = np.asarray(y_true.data)
        valid_mask = labels != ignore_class
        y_true = np.where(valid_mask, labels, 0)
        # Ignored entries get harmless predictions (ones); their values are zeroed below and
        # the `where` passes them no gradient.
        y_pred = ops.where(np.expand_dims(valid_mask, axis), y_pred, 1.0)
    result = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)
    if valid_mask is not None:
        valid_mask = np.reshape(valid_mask, result_shape)
        result = ops.where(valid_mask, result, 0.0)
        set_keras_mask(result, valid_mask)
    return result


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy averaged over `axis` (the last by default), one value per sample.

    Args:
        y_true: targets in [0, 1], same shape as `y_pred`.
        y_pred: probabilities (clipped to `[epsilon, 1 - epsilon]`) or logits
            (`from_logits=True`, computed stably for any magnitude).
        label_smoothing: targets become `y_true * (1 - s) + 0.5 * s`.
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary cross-entropy times the focal factor `(1 - p_t)^gamma`, averaged over `axis`.

    With `apply_class_balancing`, positives are weighted by `alpha` and negatives by
    `1 - alpha`. Logits go through a sigmoid first, as in Keras.
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal_bce = ops.power(1.0 - p_t, _scalar(gamma, p_t)) * bce
    if apply_class_balancing:
        weight = y_true * alpha + (1.0 - y_true) * (1.0 - alpha)
        focal_bce = weight * focal_bce
    return ops.mean(focal_bce, axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalised cross-entropy `(1 - p_label^q) / q` for integer labels (robust to noisy
    labels; q -> 0 approaches cross-entropy, q = 1 is MAE)."""
    y_pred = ops.convert_to_tensor(y_pred)
    labels = np.asarray(ops.convert_to_numpy(y_true)).astype(np.int64)
    one_hot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = ops.sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.power(p, _scalar(q, p))) / q


# -- hinge --------------------------------------------------------------------------------
def hinge(y_true, y_pred):
    """Mean of `max(1 - y_true * y_pred, 0)` over the last axis; {0, 1} labels become {-1, 1}."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("hinge", y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Mean of `max(1 - y_true * y_pred, 0)^2` over the last axis; {0, 1} labels become {-1, 1}."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("squared_hinge", y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)` with `pos = sum(t * p)` and `neg = max((1 - t) * p)`."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("categorical_hinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


# -- segmentation -------------------------------------------------------------------------
def dice(y_true, y_pred, axis=None):
    """Dice loss `1 - 2 sum(t p) / (sum(t) + sum(p) + epsilon)` over `axis` (all by default)."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("dice", y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    denominator = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + config.epsilon()
    return 1.0 - ops.divide(2.0 * intersection, denominator)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss `1 - TP / (TP + alpha FP + beta FN + epsilon)` with soft counts."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    _check_compatible("tversky", y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    denominator = intersection + fp * alpha + fn * beta + config.epsilon()
    return 1.0 - ops.divide(intersection, denominator)


# -- sequences ----------------------------------------------------------------------------
def ctc(y_true, y_pred):
    """Connectionist Temporal Classification loss, one value per sequence.

    The negative log-probability, summed over every alignment, that the logits spell the
    label sequence: each timestep emits a label or the blank (class 0), a label held over
    several steps counts once, and a blank must separate two equal labels.

    Args:
        y_true: integer labels, shape `(batch, max_label_length)`; 0 is the blank and pads
            the end, so a sequence's length is its number of non-zero labels.
        y_pred: logits (not probabilities), shape `(batch, timesteps, num_classes)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype[:5] != "float":
        y_pred = ops.cast(y_pred, config.floatx())
    labels = np.asarray(ops.convert_to_numpy(y_true)).astype(np.int64)
    if labels.ndim != 2:
        raise ValueError(
            "ctc: y_true must be integer labels of shape (batch_size, max_length). "
            f"Received: y_true.shape={labels.shape}"
        )
    if len(y_pred.shape) != 3:
        raise ValueError(
            "ctc: y_pred must be logits of shape (batch_size, max_length, num_classes). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    num_classes = y_pred.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"ctc: labels must be in [0, {num_classes}) for y_pred.shape="
            f"{tuple(y_pred.shape)}; received labels from {labels.min()} to {labels.max()}."
        )
    # The recursion is `ops.nn.ctc_loss` (blank 0, every timestep, lengths from the labels).
    batch = labels.shape[0]
    steps = np.full((batch,), y_pred.shape[1], np.int64)
    return ops.nn.ctc_loss(labels, y_pred, np.sum(labels != 0, axis=-1), steps, mask_index=0)


# -- metric learning ----------------------------------------------------------------------
def build_pos_neg_masks(query_labels, key_labels, remove_diagonal=True):
    """Boolean `(queries, keys)` masks of same-label (positive) and other-label pairs.

    With `remove_diagonal`, a query is not its own positive (query i vs key i).
    """
    query = np.asarray(query_labels).reshape(-1, 1)
    key = np.asarray(key_labels).reshape(-1, 1)
    positive = query == key.T
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(query.size, key.size, dtype=bool)
    return positive, negative


def circle(
    y_true,
    y_pred,
    ref_labels=None,
    ref_embeddings=None,
    remove_diagonal=True,
    gamma=80,
    margin=0.4,
):
    """Circle loss (Sun et al., 2020) for integer labels and L2-normalised embeddings.

    Each sample is compared with the reference embeddings (the batch itself by default):
    same-label pairs are pulled together and other pairs pushed apart, each pair weighted by
    how far it is from its optimum. Samples without a positive pair give 0 and are left out
    of the mean when a `Loss` reduces the values.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    labels = ops.convert_to_numpy(y_true).astype(np.int32)
    ref_embeddings = y_pred if ref_embeddings is None else ops.convert_to_tensor(ref_embeddings)
    ref_labels = labels if ref_labels is None else ops.convert_to_numpy(ref_labels)
    optim_pos, optim_neg = margin, 1 + margin
    delta_pos, delta_neg = margin, 1 - margin
    distances = 1.0 - ops.matmul(y_pred, ops.transpose(ref_embeddings))
    distances = ops.maximum(distances, 0.0)
    positive, negative = build_pos_neg_masks(labels, ref_labels.astype(np.int32), remove_diagonal)
    positive_float = positive.astype(distances.dtype)
    negative_float = negative.astype(distances.dtype)
    pos_weights = ops.maximum((optim_pos + distances) * positive_float, 0.0)
    neg_weights = ops.maximum((optim_neg - distances) * negative_float, 0.0)
    pos_weighted = -1.0 * gamma * pos_weights * (delta_pos - distances)
    neg_weighted = gamma * neg_weights * (delta_neg - distances)
    p_loss = ops.logsumexp(ops.where(positive, pos_weighted, float("-inf")), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg_weighted, float("-inf")), axis=1)
    loss = ops.softplus(p_loss + n_loss)
    set_keras_mask(loss, ops.convert_to_numpy(loss) > 0)
    return loss


# -- classes ------------------------------------------------------------------------------
# Loss functions whose every step on the values is a primitive (see `Loss._is_replayable`).
_REPLAYABLE_FUNCTIONS = (
    mean_squared_error,
    mean_absolute_error,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    binary_crossentropy,
)


class LossFunctionWrapper(Loss):
    """Turns a loss function `fn(y_true, y_pred, **kwargs)` into a `Loss` object.

    Before calling `fn`, a trailing dimension of 1 is squeezed or added so that `y_true`
    and `y_pred` have the same rank (e.g. labels of shape `(batch,)` against predictions of
    shape `(batch, 1)`).

    Args:
        fn: the loss function, returning per-sample values.
        reduction: see `Loss`.
        name: the loss name.
        **kwargs: passed to `fn` on every call.

    Example:
        >>> loss = LossFunctionWrapper(huber, delta=2.0, name="huber_2")
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        if isinstance(y_true, Tensor) and isinstance(y_pred, Tensor):
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _is_replayable(self):
        kind = type(self)
        return (
            kind.call is LossFunctionWrapper.call
            and kind.__call__ is Loss.__call__
            and self.fn in _REPLAYABLE_FUNCTIONS
            and self._fn_kwargs.get("ignore_class") is None
        )

    def get_config(self):
        from minikeras.losses import serialize

        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), (dict, str)):
            from minikeras.losses import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        fn_name = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({fn_name}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor arguments.

    Each argument passed on to the loss function is also an attribute (`loss.from_logits`),
    as on Keras's loss classes.
    """

    # Constructor arguments beyond name/reduction that get_config records.
    _config_keys = ()
    # (argument, default) pairs Keras's config leaves out: recorded only when not at the
    # default, so a default loss has Keras's keys and a set value survives a round trip.
    _config_defaults_left_out = ()

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        config = Loss.get_config(self)
        for key in self._config_keys:
            config[key] = getattr(self, key)
        for key, default in self._config_defaults_left_out:
            value = getattr(self, key)
            if value != default:
                config[key] = value
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanSquaredError(_BuiltinLoss):
    """Mean of squared errors over the last axis, then reduced over the batch.

    Example:
        >>> float(MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean of absolute errors over the last axis, then reduced over the batch."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """`100 * mean(|y_true - y_pred| / |y_true|)` over the last axis, then reduced."""

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="mean_absolute_percentage_error",
        dtype=None,
    ):
        super().__init__(
            mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """Mean squared difference of `log(1 + y)` over the last axis, then reduced."""

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="mean_squared_logarithmic_error",
        dtype=None,
    ):
        super().__init__(
            mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype
        )


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity along `axis` (config records a non-default `axis`; Keras's
    omits it)."""

    _config_defaults_left_out = (("axis", -1),)

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(_BuiltinLoss):
    """Huber loss with threshold `delta` (config records a non-default `delta`; Keras's
    omits it)."""

    _config_defaults_left_out = (("delta", 1.0),)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    """Mean of `log(cosh(y_pred - y_true))` over the last axis, then reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


class Hinge(_BuiltinLoss):
    """Hinge loss; labels in {0, 1} are converted to {-1, 1}."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """Squared hinge loss; labels in {0, 1} are converted to {-1, 1}."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """Categorical hinge loss on one-hot targets."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)


class KLDivergence(_BuiltinLoss):
    """Kullback-Leibler divergence between target and predicted distributions."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(_BuiltinLoss):
    """Poisson loss `y_pred - y_true * log(y_pred)`, for count targets."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary cross-entropy for 0/1 targets (one or several independent labels per sample).

    Args:
        from_logits: whether `y_pred` holds logits (recommended: more stable) rather than
            probabilities.
        label_smoothing: squeeze targets towards 0.5: `y (1 - s) + 0.5 s`.
        axis: the axis averaged per sample.

    Example:
        >>> loss = BinaryCrossentropy(from_logits=True)
        >>> float(loss([[0.0], [1.0]], [[-10000.0], [10000.0]]))
        0.0
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary cross-entropy down-weighted on easy examples by `(1 - p_t)^gamma`."""

    _config_keys = (
        "from_logits",
        "label_smoothing",
        "axis",
        "apply_class_balancing",
        "alpha",
        "gamma",
    )

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for one-hot targets.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: `y (1 - s) + s / num_classes`.
        axis: the class axis.
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Categorical cross-entropy down-weighted on easy examples by `alpha (1 - p)^gamma`."""

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for integer labels.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a label left out of the loss (its entries neither add to the sum nor
            count in the `"sum_over_batch_size"` divisor).
        axis: the class axis.

    Example:
        >>> loss = SparseCategoricalCrossentropy(from_logits=True)
        >>> round(float(loss([1, 0], [[0.0, 2.0], [3.0, 0.0]])), 4)
        0.0878
    """

    # Keras's config leaves out `axis`; a non-default one is kept so the config round-trips.
    _config_keys = ("from_logits", "ignore_class")
    _config_defaults_left_out = (("axis", -1),)

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    """Generalised cross-entropy for integer labels, `(1 - p^q) / q` with `0 < q < 1`."""

    _config_keys = ("q",)

    def __init__(
        self,
        q=0.5,
        reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy",
        dtype=None,
    ):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(
            categorical_generalized_cross_entropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            q=q,
        )


class Dice(_BuiltinLoss):
    """Dice loss for segmentation (overlap between target and predicted masks)."""

    _config_keys = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(_BuiltinLoss):
    """Tversky loss: Dice with separate weights `alpha` (false positives) and `beta`
    (false negatives)."""

    _config_keys = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha=0.5,
        beta=0.5,
        reduction="sum_over_batch_size",
        name="tversky",
        axis=None,
        dtype=None,
    ):
        super().__init__(
            tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis
        )


class CTC(_BuiltinLoss):
    """Connectionist Temporal Classification loss (see `ctc`): integer label sequences
    `(batch, max_label_length)`, 0 the blank and padding, against logits
    `(batch, timesteps, num_classes)`."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)


class Circle(_BuiltinLoss):
    """Circle loss for metric learning on L2-normalised embeddings with integer labels.

    Args:
        gamma: scale of the pair similarities (80 by default).
        margin: relaxation margin (0.4 by default).
        remove_diagonal: don't pair a sample with itself.
    """

    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            circle,
            name=name,
            reduction=reduction,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
