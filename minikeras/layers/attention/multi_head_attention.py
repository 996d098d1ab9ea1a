"""`MultiHeadAttention`, with Keras 3's sublayers, weight shapes and names.

The projections are `EinsumDense` sublayers named "query", "key", "value" and
"attention_output" (kernels `(dim, heads, key_dim)` ... `(heads, value_dim, out)`), kept
under the attribute names Keras's `.weights.h5` layout uses, so weight files move between
the two. With the default attention axes and no dropout in the call, the attention itself
is one `ops.dot_product_attention` node; with other axes, dropout, or when the scores are
returned, it is the einsum / masked softmax / einsum sequence Keras writes. As in Keras, the
two differ only where every key of a query is masked out: the fused path averages all values
for it, the explicit one gives it zero probabilities. Keras takes its explicit path for any
layer with dropout, also when not training; minikeras then runs the fused node (faster) and
zeroes such queries, which gives the explicit path's numbers.
"""

import math
import string

import numpy as np

from minikeras import constraints, initializers, ops, regularizers
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.layers.attention.attention import as_bool_mask
from minikeras.layers.attention.query_value_key import BuildsFromQueryValueKey
from minikeras.layers.core.einsum_dense import EinsumDense
from minikeras.layers.layer import Layer
from minikeras.layers.regularization.dropout import Dropout
from minikeras.ops.symbolic import KerasTensor


def _projection_equation(free_dims, bound_dims, output_dims):
    """`(equation, bias_axes, output rank)` of a projection: the first `free_dims` axes
    pass through, the next `bound_dims` are contracted with the kernel, which adds
    `output_dims` new axes (those get the bias)."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims : free_dims + bound_dims]
    new = letters[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{new}->{free}{new}", new, len(free + new)


def _attention_equations(rank, attention_axes):
    """The einsums of attention on projected tensors `(batch, ..., heads, channels)`.

    Returns:
        `(scores equation (key, query -> scores), combine equation (scores, value ->
        output), rank of the scores)`. The scores are laid out as (batch axes and heads,
        query attention axes, key attention axes).
    """
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_axes = [i for i in range(rank - 1) if i not in attention_axes]
    spare = iter(letters[rank:])
    source = "".join(
        target[i] if (i in batch_axes or i == rank - 1) else next(spare) for i in range(rank)
    )
    scores = "".join(
        [target[i] for i in batch_axes]
        + [target[i] for i in attention_axes]
        + [source[i] for i in attention_axes]
    )
    return f"{source},{target}->{scores}", f"{scores},{source}->{target}", len(scores)


def combine_attention_masks(
    t_len,
    s_len,
    query_mask=None,
    value_mask=None,
    key_mask=None,
    attention_mask=None,
    use_causal_mask=False,
    sliding_window=None,
):
    """The masks of an attention call combined (AND) into one boolean array, or None.

    Args:
        t_len, s_len: lengths of the query and of the value (key) sequences.
        query_mask: `(batch, T)`, False for padded queries.
        value_mask, key_mask: `(batch, S)`, False for keys not to attend to.
        attention_mask: `(batch, T, S)` (missing leading axes broadcast).
        use_causal_mask: query `t` attends to keys `0..t` only.
        sliding_window: query `t` attends to keys `s` with `|t - s| < sliding_window`.

    Returns:
        A numpy bool array broadcastable to `(batch, T, S)`, or None when nothing masks.
    """
    masks = []
    if query_mask is not None:
        masks.append(as_bool_mask(query_mask)[..., :, None])
    for key_side in (value_mask, key_mask):
        if key_side is not None:
            masks.append(as_bool_mask(key_side)[..., None, :])
    if use_causal_mask:
        masks.append(np.tri(t_len, s_len, dtype=bool)[None])
    if sliding_window is not None:
        distance = np.abs(np.arange(t_len)[:, None] - np.arange(s_len)[None, :])
        masks.append((distance < sliding_window)[None])
    if attention_mask is not None:
        masks.append(as_bool_mask(attention_mask))
    if not masks:
        return None
    combined = masks[0]
    for mask in masks[1:]:
        combined = combined & mask
    return combined


class MultiHeadAttention(BuildsFromQueryValueKey, Layer):
    """Multi-head attention ("Attention is all you need"), as `keras.layers.MultiHeadAttention`.

    Projects query, key and value to `num_heads` heads, attends with scaled dot products
    (`1 / sqrt(key_dim)`), and projects the concatenated heads back to the query's last
    dimension (or `output_shape`).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default `key_dim`).
        dropout: dropout rate of the attention probabilities (in training).
        use_bias: whether the projections have biases.
        output_shape: the output's trailing shape (default: the query's last dimension).
        attention_axes: axes of the query/key attended over (default: all but batch and
            features).
        sliding_window: optional positive int: query `i` attends to keys `j` with
            `|i - j| < sliding_window`.
        flash_attention: None or False (no flash kernel on the CPU).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        use_gate: gate the attention output with `sigmoid(gate projection of the query)`.
        seed: int seed of the dropout.

    Call arguments:
        query: `(batch, T, dim)`.
        value: `(batch, S, dim)`.
        key: optional `(batch, S, dim)` (default: `value`).
        value_mask, key_mask: optional boolean `(batch, S)`: False keys are not attended.
        attention_mask: optional boolean `(batch, T, S)` (broadcast over heads; missing
            leading axes broadcast): True where query `t` may attend to key `s`. As in
            Keras, a non-boolean mask counts every nonzero value as True (on both paths).
        return_attention_scores: also return the `(batch, heads, T, S)` probabilities.
        training: apply dropout.
        use_causal_mask: query `t` attends to keys `0..t` only.

    Example:
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=2)
        >>> x = np.ones((1, 8, 16), "float32")
        >>> output, scores = layer(x, x, return_attention_scores=True)
        >>> output.shape, scores.shape
        ((1, 8, 16), (1, 2, 8, 8))
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
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
        for name, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Received an invalid value for argument `{name}`, expected a positive "
                    f"integer. Received: {name}={value!r}"
                )
        if value_dim is not None and (
            isinstance(value_dim, bool) or not isinstance(value_dim, int) or value_dim <= 0
        ):
            raise ValueError(
                "Received an invalid value for argument `value_dim`, expected a positive "
                f"integer or `None`. Received: value_dim={value_dim!r}"
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
        if flash_attention:
            raise ValueError(
                "MultiHeadAttention: flash_attention=True is not supported on the CPU; use "
                "flash_attention=None or False."
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention dropout must be in [0, 1), got {dropout!r}.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True  # as Keras: the output carries the query's mask
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape!r}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                ) from None
        self._output_shape = output_shape
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple. Received: "
                f"attention_axes={attention_axes!r}"
            )
        self._attention_axes = attention_axes
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # Keras keeps the projections as `_query_dense` & co. behind these public names (the
    # names its weight files use); here they are the attributes themselves.
    _query_dense = property(lambda self: self.query_dense)
    _key_dense = property(lambda self: self.key_dense)
    _value_dense = property(lambda self: self.value_dense)
    _output_dense = property(lambda self: self.output_dense)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self._num_heads,
                "key_dim": self._key_dim,
                "value_dim": self._value_dim,
                "dropout": self._dropout,
                "use_bias": self._use_bias,
                "use_gate": self._use_gate,
                "output_shape": self._output_shape,
                "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self._bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self._kernel_constraint),
                "bias_constraint": constraints.serialize(self._bias_constraint),
                "seed": self.seed,
            }
        )
        return config

    # -- build --------------------------------------------------------------------------
    def _sublayer_kwargs(self):
        # Fresh initializer objects per projection: one seeded initializer object would
        # give every projection the same values.
        def fresh(initializer):
            return type(initializer).from_config(initializer.get_config())

        return {
            "kernel_initializer": fresh(self._kernel_initializer),
            "bias_initializer": fresh(self._bias_initializer),
            "kernel_regularizer": self._kernel_regularizer,
            "bias_regularizer": self._bias_regularizer,
            "kernel_constraint": self._kernel_constraint,
            "bias_constraint": self._bias_constraint,
            "dtype": self.dtype,
        }

    def _projection(self, input_rank, heads_shape, name, activation=None):
        equation, bias_axes, output_rank = _projection_equation(input_rank - 1, 1, 2)
        return EinsumDense(
            equation,
            output_shape=[None] * (output_rank - 3) + list(heads_shape),
            bias_axes=bias_axes if self._use_bias else None,
            activation=activation,
            name=name,
            **self._sublayer_kwargs(),
        )

    def build(self, query_shape, value_shape, key_shape=None):
        """Creates the projections for the three input shapes."""
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        heads = self._num_heads
        self.query_dense = self._projection(len(query_shape), (heads, self._key_dim), "query")
        self.query_dense.build(query_shape)
        self.key_dense = self._projection(len(key_shape), (heads, self._key_dim), "key")
        self.key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(
                len(query_shape), (heads, self._value_dim), "gate", activation="sigmoid"
            )
            self._gate_dense.build(query_shape)
        self.value_dense = self._projection(len(value_shape), (heads, self._value_dim), "value")
        self.value_dense.build(value_shape)
        rank = len(query_shape) + 1  # of the projected tensors
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:  # as Keras, the config reports the resolved axes once built
            self._attention_axes = tuple(
                a if a >= 0 else rank - 1 + a for a in self._attention_axes
            )
        self._scores_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._attention_axes
        )
        self._softmax_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype)
        out_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, output_rank = _projection_equation(
            len(query_shape) - 1, 2, len(out_shape)
        )
        self.output_dense = EinsumDense(
            equation,
            output_shape=[None] * (output_rank - 1 - len(out_shape)) + list(out_shape),
            bias_axes=bias_axes if self._use_bias else None,
            name="attention_output",
            **self._sublayer_kwargs(),
        )
        projected = list(self.query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        self.output_dense.build(tuple(projected))
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
        implicit_query_mask = get_keras_mask(query)
        if query_mask is not None and query_mask is not implicit_query_mask:
            # Keras 3 reads the query's mask from the tensor's implicit Keras mask only and
            # ignores this argument; rather than ignore it too, say so.
            raise ValueError(
                "MultiHeadAttention ignores an explicit `query_mask` in Keras 3 (it only "
                "reads the implicit mask of `query`). Pass `attention_mask` of shape "
                "(batch, T, S) instead."
            )
        query_mask = implicit_query_mask
        # As Keras: the masks the inputs carry are used here and taken off the inputs.
        for tensor in (query, value, key):
            set_keras_mask(tensor, None)
        if key is None:
            key = value
        mask = self._compute_attention_mask(
            query, value, value_mask, key_mask, attention_mask, use_causal_mask, query_mask
        )
        gate = self._gate_dense(query) if self._use_gate else None
        query = self.query_dense(query)
        key = self.key_dense(key)
        value = self.value_dense(value)
        output, scores = self._compute_attention(
            query, key, value, mask, training, return_attention_scores
        )
        if gate is not None:
            output = output * gate
        output = self.output_dense(output)
        if query_mask is not None:
            set_keras_mask(output, query_mask)
        if return_attention_scores:
            return output, scores
        return output

    def _compute_attention_mask(
        self, query, value, value_mask, key_mask, attention_mask, use_causal_mask, query_mask=None
    ):
        """The boolean mask `(batch, T, S)` (or broadcastable) of allowed attention, or None."""
        return combine_attention_masks(
            query.shape[1],
            value.shape[1],
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
            sliding_window=self._sliding_window,
        )

    def _expand_mask(self, mask, scores_rank):
        # Missing axes are inserted just before the attention axes (at the heads axis).
        axis = -len(self._attention_axes) * 2 - 1
        for _ in range(scores_rank - mask.ndim):
            mask = np.expand_dims(mask, axis)
        return mask

    def _compute_attention(
        self,
        query,
        key,
        value,
        attention_mask=None,
        training=None,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        """Attention of projected `(batch, T, heads, key_dim)` tensors (and the scores).

        `use_causal_mask` adds the causal mask to `attention_mask` (both apply): `call`
        folds it in before, but a subclass calling this method directly relies on the flag.
        """
        if use_causal_mask:
            causal = np.tri(query.shape[1], value.shape[1], dtype=bool)[None]
            if attention_mask is not None:
                causal = as_bool_mask(attention_mask) & causal
            attention_mask = causal
        dropping = bool(training) and self._dropout > 0
        if query.ndim == 4 and not return_attention_scores and not dropping:
            mask = None if attention_mask is None else self._expand_mask(attention_mask, 4)
            output = ops.dot_product_attention(
                query, key, value, mask=mask, scale=self._inverse_sqrt_key_dim
            )
            if self._dropout > 0 and mask is not None:
                # Keras takes the explicit path whenever the layer has dropout, also when
                # not training. Its numbers are the fused path's, except that a query with
                # every key masked gets zeros (see below) instead of the values' average.
                attends = np.moveaxis(np.any(mask, axis=-1), 1, 2)[..., None]
                if not attends.all():
                    output = ops.where(attends, output, 0.0)
            return output, None
        query = query * self._inverse_sqrt_key_dim
        scores = ops.einsum(self._scores_equation, key, query)
        if attention_mask is None:
            scores = ops.softmax(scores, axis=self._softmax_axes)
        else:
            # As Keras's Softmax layer: masked logits become -1e9 and masked probabilities
            # zeros. exp(-1e9 - max) is 0 already, except for a query with every key masked
            # (softmax gives it 1/S): only those need zeroing. (The fused path above
            # averages all values for such a query, as Keras's does.)
            mask = self._expand_mask(attention_mask, scores.ndim)
            scores = ops.softmax(ops.where(mask, scores, -1.0e9), axis=self._softmax_axes)
            attends = np.any(mask, axis=self._softmax_axes, keepdims=True)
            if not attends.all():
                scores = ops.where(attends, scores, 0.0)
        weights = self._dropout_layer(scores, training=training) if dropping else scores
        return ops.einsum(self._combine_equation, weights, value), scores

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
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
        shape = self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape
        )
        output = KerasTensor(shape, dtype=self.dtype)
        if not return_attention_scores:
            return output
        query_axes = tuple(query.shape[a] for a in self._attention_axes)
        value_axes = tuple(value.shape[a] for a in self._attention_axes)
        batch_axes = tuple(
            query.shape[a] for a in range(len(query.shape) - 1) if a not in self._attention_axes
        )
        scores_shape = (*batch_axes, self._num_heads, *query_axes, *value_axes)
        return output, KerasTensor(scores_shape, dtype=self.dtype)
