"""`dot_product_attention` (Keras 3 `keras.ops.dot_product_attention`) as one primitive.

`softmax(query . key * scale + bias, masked) . value` for inputs laid out as Keras lays them
out: `(batch, length, heads, depth)`. The forward pass runs two batched matrix products and
a max-shifted softmax; the backward pass is the closed form of the three steps, so the
`(batch, heads, T, S)` scores are kept once (as probabilities) and never differentiated as
separate graph nodes.

Masked positions take the logit `-0.7 * float32 max`, as Keras's JAX and numpy backends do:
a row where everything is masked therefore attends uniformly (Keras gives the same), and
its gradient reaches neither query, key nor bias.
"""

import math

import numpy as np

from minikeras.autodiff import Function, Tensor, sum_to
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops._arguments import _float_tensor
from minikeras.ops.symbolic import KerasTensor, op

__all__ = ["dot_product_attention"]


class DotProductAttention(Function):
    """`out[b, t, n] = sum_s softmax_s(q[b,t,n] . k[b,s,n // G] * scale + bias)[s] v[b,s,n // G]`.

    `G = heads of query // heads of key` (grouped-query attention when > 1; query head `n`
    reads key/value head `n // G`, the order Keras uses). `keep` is the boolean mask
    (mask and causal combined, broadcast to `(batch, heads, T, S)`) or None.
    """

    def __init__(self, scale, keep, has_bias):
        self.scale, self.keep, self.has_bias = scale, keep, has_bias

    def forward(self, query, key, value, bias=None):
        batch, t_len, heads, _ = query.shape
        s_len, kv_heads = key.shape[1], key.shape[2]
        groups = heads // kv_heads
        # (batch, kv_heads, groups * T, depth): the query heads sharing a key head are stacked.
        q = query.transpose(0, 2, 1, 3).reshape(batch, kv_heads, groups * t_len, -1)
        k = key.transpose(0, 2, 1, 3)
        v = value.transpose(0, 2, 1, 3)
        logits = np.matmul(q, k.transpose(0, 1, 3, 2))
        logits *= logits.dtype.type(self.scale)
        logits = logits.reshape(batch, heads, t_len, s_len)
        if bias is not None:
            logits = logits + bias
            self.bias_shape = bias.shape
        if self.keep is not None:
            np.copyto(
                logits, logits.dtype.type(-0.7 * np.finfo(logits.dtype).max), where=~self.keep
            )
        logits -= np.maximum.reduce(logits, axis=-1, keepdims=True)
        probs = np.exp(logits, out=logits)
        probs /= np.add.reduce(probs, axis=-1, keepdims=True)
        probs = probs.reshape(batch, kv_heads, groups * t_len, s_len)
        out = np.matmul(probs, v).reshape(batch, heads, t_len, -1)
        self.q, self.k, self.v, self.probs = q, k, v, probs
        return out.transpose(0, 2, 1, 3)

    def backward(self, gy):
        q, k, v, probs = self.q, self.k, self.v, self.probs
        batch, t_len, heads, _ = gy.shape
        kv_heads = k.shape[1]
        g_out = gy.transpose(0, 2, 1, 3).reshape(batch, kv_heads, -1, gy.shape[-1])
        needs = self.needs_grad
        g_value = None
        if needs[2]:
            g_value = np.matmul(probs.transpose(0, 1, 3, 2), g_out).transpose(0, 2, 1, 3)
        if not (needs[0] or needs[1] or (self.has_bias and needs[3])):
            return (None, None, g_value) + ((None,) if self.has_bias else ())
        # Softmax backward: g_logits = p * (g_p - sum(g_p * p)).
        g_logits = np.matmul(g_out, v.transpose(0, 1, 3, 2))
        g_logits -= np.add.reduce(g_logits * probs, axis=-1, keepdims=True)
        g_logits *= probs
        if self.keep is not None:  # masked logits were replaced by a constant
            g_logits = g_logits.reshape(batch, heads, t_len, -1)
            g_logits *= self.keep
            g_logits = g_logits.reshape(probs.shape)
        g_bias = None
        if self.has_bias and needs[3]:
            g_bias = sum_to(g_logits.reshape(batch, heads, t_len, -1), self.bias_shape)
        # Not in place: a bias of the scores' full shape gets g_logits itself from sum_to.
        g_logits = g_logits * g_logits.dtype.type(self.scale)
        g_query = g_key = None
        if needs[0]:
            g_query = np.matmul(g_logits, k).reshape(batch, heads, t_len, -1)
            g_query = g_query.transpose(0, 2, 1, 3)
        if needs[1]:
            g_key = np.matmul(g_logits.transpose(0, 1, 3, 2), q).transpose(0, 2, 1, 3)
        if self.has_bias:
            return g_query, g_key, g_value, g_bias
        return g_query, g_key, g_value


def _attention_spec(fn, query, key, value, *args, **kwargs):
    """Output `(batch, T, heads, value depth)`, the dtype of the query."""
    shape = (*tuple(query.shape)[:3], tuple(value.shape)[-1])
    dtype = getattr(query, "dtype", None)
    dtype = np.dtype(dtype).name if dtype is not None and np.dtype(dtype).kind == "f" else None
    return KerasTensor(shape, dtype=dtype)


def _check_broadcasts(name, shape, scores_shape):
    """Raises unless an array of `shape` broadcasts to `scores_shape` without growing it."""
    try:
        fits = np.broadcast_shapes(shape, scores_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"dot_product_attention: `{name}` must broadcast to (batch, heads, T, S) = "
            f"{scores_shape}, got {name} of shape {shape}."
        )


def _keep_mask(mask, is_causal, scores_shape):
    """The boolean `(batch, heads, T, S)`-broadcastable array of positions that attend."""
    keep = None
    if mask is not None:
        keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
        _check_broadcasts("mask", keep.shape, scores_shape)
    if is_causal:
        # Query t attends to keys 0..t (the lower triangle from the top-left, as Keras).
        t_len, s_len = scores_shape[2], scores_shape[3]
        causal = np.tri(t_len, s_len, dtype=bool)
        keep = causal if keep is None else keep & causal
    if keep is not None:
        keep = np.broadcast_to(keep, scores_shape)
    return keep


@op(output_spec=_attention_spec)
def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """Scaled dot-product attention: `softmax(query . key * scale + bias) . value`.

    Args:
        query: `(batch, T, heads, depth)`.
        key: `(batch, S, kv_heads, depth)`; `heads` must be a multiple of `kv_heads`
            (grouped-query attention when they differ).
        value: `(batch, S, kv_heads, value_depth)`.
        bias: optional tensor added to the logits, broadcastable to `(batch, heads, T, S)`.
        mask: optional boolean array broadcastable to `(batch, heads, T, S)`: True where a
            query may attend to a key.
        scale: factor of the logits; `1 / sqrt(depth)` by default.
        is_causal: mask out keys after the query's position (query `t` sees keys `0..t`).
        flash_attention: only None or False (there is no flash kernel on the CPU).
        attn_logits_soft_cap: must be None (Keras supports it on TPU only).

    Returns:
        `(batch, T, heads, value_depth)`.

    Example:
        >>> q = np.ones((2, 4, 8, 16), "float32"); kv = np.ones((2, 6, 8, 16), "float32")
        >>> dot_product_attention(q, kv, kv).shape
        (2, 4, 8, 16)
    """
    if flash_attention:
        raise ValueError(
            "dot_product_attention: flash_attention=True is not supported on the CPU; "
            "use flash_attention=None or False."
        )
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: attn_logits_soft_cap is only supported by Keras on "
            "JAX with TPU. Set attn_logits_soft_cap=None."
        )
    query, key, value = _float_tensor(query), _float_tensor(key), _float_tensor(value)
    dtype = np.result_type(query.data.dtype, key.data.dtype, value.data.dtype)
    query, key, value = (
        x if x.data.dtype == dtype else _arith.cast(x, dtype) for x in (query, key, value)
    )
    shapes = f"query.shape={query.shape}, key.shape={key.shape}, value.shape={value.shape}"
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            f"dot_product_attention only supports 4D inputs (batch, length, heads, depth). "
            f"Received: {shapes}."
        )
    batch, t_len, heads, depth = query.shape
    if key.shape[0] != batch or value.shape[0] != batch:
        raise ValueError(f"dot_product_attention: the batch sizes differ. Received: {shapes}.")
    if key.shape[:3] != value.shape[:3]:
        raise ValueError(
            "dot_product_attention: `key` and `value` must agree in batch, length and "
            f"heads. Received: {shapes}."
        )
    if key.shape[3] != depth:
        raise ValueError(
            "dot_product_attention: `query` and `key` must have the same depth (last "
            f"axis). Received: {shapes}."
        )
    if heads % key.shape[2]:
        raise ValueError(
            "dot_product_attention: the query's heads must be a multiple of the key's "
            f"heads. Received: {shapes}."
        )
    scores_shape = (batch, heads, t_len, key.shape[1])
    keep = _keep_mask(mask, is_causal, scores_shape)
    if scale is None:
        scale = 1.0 / math.sqrt(depth)
    function = DotProductAttention(float(scale), keep, bias is not None)
    if bias is None:
        return function(query, key, value)
    bias = _float_tensor(bias)
    if bias.data.dtype != dtype:
        bias = _arith.cast(bias, dtype)
    _check_broadcasts("bias", tuple(bias.shape), scores_shape)
    return function(query, key, value, bias)
