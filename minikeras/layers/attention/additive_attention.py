"""`AdditiveAttention`: Bahdanau-style attention over `[query, value, key]`."""

from minikeras import ops
from minikeras.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention layer, as `keras.layers.AdditiveAttention`.

    Like `Attention`, with the scores `sum(scale * tanh(query + key), axis=-1)`, where
    `scale` is a learned `(dim,)` vector (glorot-uniform) when `use_scale`, else 1.

    Args:
        use_scale: learn the `(dim,)` scale vector.
        dropout: fraction of the attention weights dropped in training.

    Example:
        >>> query, value = np.ones((2, 3, 4)), np.ones((2, 5, 4))
        >>> AdditiveAttention()([query, value]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = tuple(input_shape[0])[-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = self.scale * pairs
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
