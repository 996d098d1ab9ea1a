"""`Attention`: dot-product (Luong-style) attention over `[query, value, key]`."""

import numpy as np

from minikeras import ops, random
from minikeras.autodiff import Tensor
from minikeras.layers.layer import Layer
from minikeras.ops.symbolic import KerasTensor

_SCORE_MODES = ("dot", "concat")


def as_mask_array(mask):
    """A mask argument (array, tensor or nested list) as a numpy array of its own dtype;
    None stays None."""
    if mask is None:
        return None
    return np.asarray(mask.data if isinstance(mask, Tensor) else mask)


def as_bool_mask(mask):
    """A mask argument as a numpy bool array (nonzero values are True); None stays None."""
    if mask is None:
        return None
    return as_mask_array(mask).astype(bool)


class Attention(Layer):
    """Dot-product attention layer (Luong-style), as `keras.layers.Attention`.

    Called on `[query, value]` or `[query, value, key]` (`(batch, Tq, dim)`,
    `(batch, Tv, dim)`; key defaults to value): scores `query . key` (times `scale` when
    `use_scale`), or for `score_mode="concat"` `concat_score_weight * sum(tanh(scale *
    (query + key)))`; softmax over the values; the weighted sum of the values.

    Args:
        use_scale: learn a scalar `scale` (initialised to 1) for the scores.
        score_mode: "dot" or "concat".
        dropout: fraction of the attention weights dropped in training.
        seed: int seed of the dropout.

    Call arguments:
        inputs: `[query, value]` or `[query, value, key]`.
        mask: optional `[query_mask, value_mask]` boolean arrays `(batch, Tq)`,
            `(batch, Tv)`: masked values get no weight; masked queries give zeros. As in
            Keras, non-boolean masks count every nonzero value as True, and a query
            whose values are all masked gets (near) uniform weights: masked scores are
            lowered by 1e9, not replaced.
        training: apply dropout.
        return_attention_scores: also return the attention weights `(batch, Tq, Tv)`.
        use_causal_mask: query `i` attends to values `0..i` only.

    Example:
        >>> query, value = np.ones((2, 3, 4)), np.ones((2, 5, 4))
        >>> Attention()([query, value]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # as Keras: the output carries the query's mask
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if not 0 <= dropout <= 1:
            raise ValueError(f"Attention dropout must be in [0, 1], got dropout={dropout!r}.")
        if self.dropout > 0:
            self.seed_generator = random.SeedGenerator(seed)
        if score_mode not in _SCORE_MODES:
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of "
                f"{list(_SCORE_MODES)}. Received: score_mode={score_mode!r}"
            )

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )
        self.built = True

    def _calculate_scores(self, query, key):
        """`(batch, Tq, Tv)` scores of each query against each key."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = scores * self.scale
            return scores
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * ops.sum(ops.tanh(pairs), axis=-1)

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        """Masked softmax of `scores`, dropout, and the weighted sum of `value`.

        Returns:
            `(output, attention weights)`.
        """
        if scores_mask is not None:
            if scores_mask.ndim == 2:
                scores_mask = scores_mask[:, None, :]
            # As Keras: masked scores are lowered by 1e9 (not replaced), then softmaxed.
            scores = ops.where(scores_mask, scores, scores - 1.0e9)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = random.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.matmul(weights, value), weights

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        # `v_mask` is Keras's argument name: subclasses and callers pass it by keyword.
        if not use_causal_mask:
            return v_mask
        causal = np.tri(scores.shape[-2], scores.shape[-1], dtype=bool)[None]
        if v_mask is None:
            return causal
        return v_mask[:, None, :] & causal

    def call(
        self,
        inputs,
        mask=None,
        training=False,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = as_bool_mask(mask[0]) if mask else None
        value_mask = as_bool_mask(mask[1]) if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = self._calculate_score_mask(scores, value_mask, use_causal_mask)
        output, weights = self._apply_scores(scores, value, scores_mask, training)
        if query_mask is not None:
            output = ops.where(query_mask[..., None], output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, mask=None):
        """The query's mask, or None."""
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def compute_output_spec(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        self._validate_inputs(inputs, mask)
        shapes = [tuple(x.shape) for x in inputs]
        output = KerasTensor(self.compute_output_shape(shapes), dtype=self.dtype)
        if not return_attention_scores:
            return output
        key_shape = shapes[2] if len(shapes) > 2 else shapes[1]
        return output, KerasTensor((*shapes[0][:-1], key_shape[-2]), dtype=self.dtype)

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs!r}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(
                    f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask!r}."
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{name} layer accepts mask list of length 2 or 3. Received length: "
                    f"{len(mask)}."
                )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "use_scale": self.use_scale,
                "score_mode": self.score_mode,
                "dropout": self.dropout,
                "seed": self.seed,
            }
        )
        return config
