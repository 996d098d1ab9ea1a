"""`Embedding`: looks up one trainable vector per integer index."""

import warnings

from minikeras import constraints, initializers, ops, regularizers
from minikeras.layers.layer import Layer


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Embedding: `{name}` must be a positive integer. Received {name}={value!r} "
            f"(of type {type(value).__name__})."
        )
    return value


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
        **kwargs,
    ):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn(
                "Embedding: the argument `input_length` is deprecated (Keras 3) and ignored; "
                "give the input shape with keras.Input instead.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if lora_rank is not None:
            raise NotImplementedError("Embedding(lora_rank=...) is not supported.")
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
        inputs = ops.convert_to_tensor(inputs)
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        indices = inputs.numpy()
        if indices.size and (indices.min() < 0 or indices.max() >= self.input_dim):
            raise ValueError(
                f'Layer "{self.name}": indices must be in [0, {self.input_dim}) (input_dim='
                f"{self.input_dim}); received values from {indices.min()} to {indices.max()} "
                f"in an input of shape {indices.shape}."
            )
        return ops.take(self.embeddings, indices, axis=0)

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
            }
        )
        return config
