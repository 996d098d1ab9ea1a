"""`GroupedQueryAttention`, with Keras 3's sublayers, weight shapes and names.

Grouped-query attention (Ainslie et al., 2023) projects the query to `num_query_heads`
heads but key and value to fewer, `num_key_value_heads`; each key/value head serves a group
of `num_query_heads // num_key_value_heads` consecutive query heads. With one key/value
head it is multi-query attention; with as many as query heads, multi-head attention.

The projections are `EinsumDense` sublayers kept under Keras's attribute names
(`_query_dense`, `_key_dense`, `_value_dense`, `_output_dense`, and `_gate_dense` with
`use_gate`), named "query", "key", "value", "attention_output" and "gate", so `.weights.h5`
files move between minikeras and Keras. Kernels: query `(dim, query_heads, head_dim)`, key
and value `(dim, kv_heads, head_dim)`, output `(query_heads, head_dim, dim)`.

As in Keras, the attention runs one of two ways, and they differ only where every key of a
query is masked out:
- fused (no dropout, scores not returned): one `ops.dot_product_attention` node; a fully
  masked query averages all values, as `dot_product_attention` does;
- explicit (dropout > 0 or `return_attention_scores=True`): einsum, the `Softmax` layer
  with the mask (it zeroes masked probabilities, so a fully masked query gets zeros),
  dropout, einsum.
"""

import math

import numpy as np

from minikeras import constraints, initializers, ops, regularizers
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.layers.activations.softmax import Softmax
from minikeras.layers.attention.attention import as_bool_mask, as_mask_array
from minikeras.layers.attention.multi_head_attention import combine_attention_masks
from minikeras.layers.attention.query_value_key import BuildsFromQueryValueKey
from minikeras.layers.core.einsum_dense import EinsumDense
from minikeras.layers.layer import Layer
from minikeras.layers.regularization.dropout import Dropout
from minikeras.ops.symbolic import KerasTensor


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a positive integer. "
            f"Received: {name}={value!r}"
        )


class GroupedQueryAttention(BuildsFromQueryValueKey, Layer):
    """Grouped-query attention, as Keras 3's `GroupedQueryAttention` (`GroupQueryAttention`).

    Projects the query to `num_query_heads` heads and key and value to
    `num_key_value_heads` heads, repeats each key/value head for its group of query heads,
    attends with scaled dot products (`1 / sqrt(head_dim)`), and projects the heads back to
    the query's last dimension.

    Args:
        head_dim: size of each attention head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads; must divide `num_query_heads`.
        dropout: dropout rate of the attention probabilities (in training).
        use_bias: whether the projections have biases.
        sliding_window: optional positive int: query `i` attends to keys `j` with
            `|i - j| < sliding_window` (with `use_causal_mask`, a causal window).
        flash_attention: None or False. True is accepted as in Keras, but there is no
            flash kernel on the CPU: a call then raises (Keras on a CPU raises too).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections (the
            activity regularizer also applies to this layer's outputs, as in Keras).
        use_gate: gate the attention output with `sigmoid(gate projection of the query)`.
        seed: int seed of the dropout.

    Call arguments:
        query: `(batch, T, dim)`.
        value: `(batch, S, dim)`.
        key: optional `(batch, S, dim)` (default: `value`).
        query_mask: optional boolean `(batch, T)` (default: the query's Keras mask).
        value_mask, key_mask: optional boolean `(batch, S)` (default: the inputs' Keras
            masks): False keys are not attended.
        attention_mask: optional boolean `(batch, T, S)`: True where query `t` may attend
            to key `s` (missing leading axes broadcast). A non-boolean mask is read as
            Keras 3 reads it, which depends on the path: combined with any other mask
            (query, value or key masks, `use_causal_mask`, `sliding_window`), or on the
            fused path, every nonzero value is True; alone on the explicit path (dropout
            or scores returned) it goes to the `Softmax` layer as given, which keeps
            values above 0.5 (so 0.3 and -1 mask there, and count as True elsewhere).
        return_attention_scores: also return the `(batch, num_query_heads, T, S)`
            probabilities.
        training: apply dropout.
        use_causal_mask: query `t` attends to keys `0..t` only.

    Example:
        >>> layer = GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> x = np.ones((1, 6, 8), "float32")
        >>> output, scores = layer(x, x, return_attention_scores=True)
        >>> output.shape, scores.shape
        ((1, 6, 8), (1, 4, 6, 6))
    """

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        for name, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            _check_positive_int(name, value)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        if sliding_window is not None and (
            isinstance(sliding_window, bool)
            or not isinstance(sliding_window, int)
            or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. Received: "
                f"sliding_window={sliding_window!r}"
            )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise ValueError(f"`dropout` must be a float in [0, 1). Received: dropout={dropout!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"`dropout` must be a float in [0, 1). Received: dropout={dropout!r}")
        # Keras reads `flash_attention or is_flash_attention_enabled()`; minikeras has no
        # global switch, so False (like an unset switch) becomes None.
        flash_attention = flash_attention or None
        if flash_attention and dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Please set "
                f"dropout to 0.0 to use flash attention. Received: dropout={dropout!r}"
            )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True  # as Keras: the output carries the query's mask
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self._flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        self._return_attention_scores = False

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "use_bias": self.use_bias,
                "use_gate": self.use_gate,
                "sliding_window": self.sliding_window,
                "dropout": self.dropout,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "seed": self.seed,
            }
        )
        return config

    # -- build --------------------------------------------------------------------------
    def _projection(self, equation, heads, bias_axes, name, activation=None):
        # Fresh initializer objects per projection: one seeded initializer object would
        # give every projection the same values.
        def fresh(initializer):
            return type(initializer).from_config(initializer.get_config())

        return EinsumDense(
            equation,
            output_shape=(None, heads, self.head_dim) if heads else (None, self._feature_dim),
            bias_axes=bias_axes if self.use_bias else None,
            activation=activation,
            name=name,
            kernel_initializer=fresh(self.kernel_initializer),
            bias_initializer=fresh(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype,
        )

    def build(self, query_shape, value_shape, key_shape=None):
        """Creates the projections (in Keras's order: query, key, gate, value, output)."""
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(
                    f"GroupedQueryAttention expects `{name}` of rank 3 (batch, length, "
                    f"features). Received: {name}_shape={shape}"
                )
        self._feature_dim = query_shape[-1]
        query_heads, kv_heads = self.num_query_heads, self.num_key_value_heads
        self._query_dense = self._projection("bqm,muh->bquh", query_heads, "uh", "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", kv_heads, "vh", "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                "bqm,muh->bquh", query_heads, "uh", "gate", activation="sigmoid"
            )
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection("bkm,mvh->bkvh", kv_heads, "vh", "value")
        self._value_dense.build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self.dropout, seed=self.seed, dtype=self.dtype)
        self._output_dense = self._projection("bquh,uhm->bqm", None, "m", "attention_output")
        self._output_dense.build((None, None, query_heads, self.head_dim))
        # The projections see the inputs with their masks, which this layer applies itself
        # and passes on to its output; Keras warns there that the mask is lost, it is not.
        for layer in (self._query_dense, self._key_dense, self._value_dense):
            layer._warns_of_dropped_masks = False
        if self.use_gate:
            self._gate_dense._warns_of_dropped_masks = False
        self._build_shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._build_shapes_dict["key_shape"] = key_shape
        self.built = True

    # -- call ---------------------------------------------------------------------------
    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        self._return_attention_scores = return_attention_scores
        # The output carries the mask the query tensor carries (not an explicit
        # `query_mask`), as Keras's mask propagation gives.
        output_mask = get_keras_mask(query)
        if key is None:
            key = value
        other_masks = (query_mask, value_mask, key_mask)
        if any(m is not None for m in other_masks) or use_causal_mask or self.sliding_window:
            mask = combine_attention_masks(
                query.shape[1],
                value.shape[1],
                query_mask=query_mask,
                value_mask=value_mask,
                key_mask=key_mask,
                attention_mask=attention_mask,
                use_causal_mask=use_causal_mask,
                sliding_window=self.sliding_window,
            )
        else:
            # As Keras: a lone attention mask is passed on uncast (the fused path reads
            # nonzero values as True, the explicit path's Softmax values above 0.5).
            mask = as_mask_array(attention_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        # (batch, S, kv_heads, head_dim) -> (batch, S, query_heads, head_dim): kv head j
        # serves query heads j * num_repeats ... (j + 1) * num_repeats - 1.
        key = ops.repeat(key, self.num_repeats, axis=2)
        value = ops.repeat(value, self.num_repeats, axis=2)
        output, scores = self._compute_attention(
            query, key, value, attention_mask=mask, training=training
        )
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if output_mask is not None:
            set_keras_mask(output, output_mask)
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention(
        self, query, key, value, attention_mask=None, training=None, use_causal_mask=False
    ):
        """Attention of projected `(batch, T, query_heads, head_dim)` tensors.

        Returns:
            `(output (batch, T, query_heads, head_dim), probabilities (batch, query_heads,
            T, S) or None on the fused path)`. `use_causal_mask` adds the causal mask to
            `attention_mask` (both apply): `call` folds it in before, but a subclass
            calling this method directly relies on the flag.
        """
        if self._flash_attention and self._return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is "
                "enabled. Please disable flash attention to access attention scores."
            )
        if use_causal_mask:
            causal = np.tri(query.shape[1], value.shape[1], dtype=bool)[None]
            if attention_mask is not None:
                causal = as_bool_mask(attention_mask) & causal
            attention_mask = causal
        if attention_mask is not None:
            # (batch, T, S) -> (batch, 1, T, S): the same mask for every head.
            attention_mask = as_mask_array(attention_mask)
            while attention_mask.ndim < 4:
                attention_mask = np.expand_dims(attention_mask, -3)
        if not (self.dropout > 0.0 or self._return_attention_scores or query.ndim != 4):
            output = ops.dot_product_attention(
                query,
                key,
                value,
                mask=None if attention_mask is None else attention_mask.astype(bool, copy=False),
                scale=self._inverse_sqrt_head_dim,
                flash_attention=self._flash_attention,
            )
            return output, None
        query = query * self._inverse_sqrt_head_dim
        scores = ops.einsum("bquh,bkuh->buqk", query, key)
        scores = self._softmax(scores, mask=attention_mask)
        # As in the Transformer paper, dropout drops whole keys from a query's attention.
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0 else scores
        return ops.einsum("buqk,bkuh->bquh", dropped, value), scores

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but "
                f"are {query_shape[-1]}, {value_shape[-1]}. Received: "
                f"query_shape={query_shape}, value_shape={value_shape}"
            )
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def compute_output_spec(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        key_shape = None if key is None else key.shape
        shape = self.compute_output_shape(query.shape, value.shape, key_shape)
        output = KerasTensor(shape, dtype=self.dtype)
        if not return_attention_scores:
            return output
        source = value if key is None else key
        scores_shape = (query.shape[0], self.num_query_heads, query.shape[1], source.shape[1])
        return output, KerasTensor(scores_shape, dtype=self.dtype)


# Keras 3 exports the class as `keras.layers.GroupQueryAttention`.
GroupQueryAttention = GroupedQueryAttention
