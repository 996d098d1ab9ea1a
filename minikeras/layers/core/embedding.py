"""`Embedding`: looks up one trainable vector per integer index."""

import warnings

import numpy as np

from minikeras import constraints, initializers, ops, regularizers
from minikeras.autodiff import Function
from minikeras.layers.layer import Layer


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Embedding: `{name}` must be a positive integer. Received {name}={value!r} "
            f"(of type {type(value).__name__})."
        )
    return value


class EmbeddingLookup(Function):
    """`table[indices]`, with the indices an input of the primitive (so that a recorded
    step reads them from each new batch) and checked inside it.

    Inputs: the `(input_dim, output_dim)` table and the indices (any shape; not int32 or
    int64 ones are cast to int32, as Keras does). Backward: each output row's gradient is
    added into its index's row of a zero gradient of the table's shape (the indices get
    none).
    """

    def __init__(self, layer_name):
        self.layer_name = layer_name  # for the error message

    def forward(self, table, indices):
        if indices.dtype != np.int32 and indices.dtype != np.int64:
            indices = indices.astype(np.int32)
        size = table.shape[0]
        if indices.size:
            low, high = indices.min(), indices.max()
            if low < 0 or high >= size:
                raise ValueError(
                    f'Layer "{self.layer_name}": indices must be in [0, {size}) (input_dim='
                    f"{size}); received values from {low} to {high} in an input of shape "
                    f"{indices.shape}."
                )
        self.indices, self.table_shape = indices, table.shape
        return np.take(table, indices, axis=0)

    def backward(self, gy):
        table = np.zeros(self.table_shape, gy.dtype)
        if gy.size:
            # Sort the rows by index and sum each run of equal indices with one reduceat
            # (about twice as fast as np.add.at), then write each touched row once.
            rows = gy.reshape(-1, self.table_shape[1])
            flat = self.indices.reshape(-1)
            order = np.argsort(flat, kind="stable")
            ordered = flat[order]
            starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
            table[ordered[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        return table, None


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors of a fixed size.

    `output[..., :] = embeddings[index]`. The gradient of the lookup adds the output
    gradients of every occurrence of an index into that index's row (a scatter-add), so
    rows of indices that do not appear in a batch get no update from it.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of each vector.
        embeddings_initializer: initializer of the `(input_dim, output_dim)` matrix
            ("uniform", i.e. uniform in [-0.05, 0.05], by default).
        embeddings_regularizer, embeddings_constraint: optional penalty and constraint.
        mask_zero: whether index 0 is padding: the output then carries a mask that is
            False where the input is 0, which later layers (RNNs, pooling, the loss and
            metrics) honour, and the vocabulary keeps `input_dim` entries, 0 included.
        weights: optional initial matrix of shape `(input_dim, output_dim)`.

    Input shape: integers of any shape `(batch, ...)`; floats holding integers are accepted.
    Output shape: `(batch, ..., output_dim)`.

    Example:
        >>> layer = Embedding(1000, 64)
        >>> layer(np.random.randint(1000, size=(32, 10))).shape
        (32, 10, 64)
    """

    _replayable = True  # see Layer._replayable (and `_is_replayable` below)

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn(
                "Embedding: the argument `input_length` is deprecated (Keras 3) and ignored; "
                "give the input shape with keras.Input instead.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        for argument, value in (
            ("lora_rank", lora_rank),
            ("quantization_config", quantization_config),
        ):
            if value is not None:  # LoRA and quantization are not there (README)
                raise NotImplementedError(f"Embedding({argument}=...) is not supported.")
        self.input_dim = _positive_int(input_dim, "input_dim")
        self.output_dim = _positive_int(output_dim, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero  # as Keras
        # Indices must not be cast to the float compute dtype.
        self.autocast = False
        if weights is not None:
            self.build()
            self.built = True
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs):
        # One primitive, the indices among its inputs: a compiled step replays it on
        # each batch's indices, with the cast and the range check.
        return EmbeddingLookup(self.name)(self.embeddings, ops.convert_to_tensor(inputs))

    def _is_replayable(self):
        # A masking Embedding hands a mask to the next layers, which the recording does
        # not vouch for.
        return not self.mask_zero and super()._is_replayable()

    def compute_mask(self, inputs, mask=None):
        """False where the index is 0 (with `mask_zero=True`); otherwise no mask."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero,
                "quantization_config": None,
            }
        )
        return config
