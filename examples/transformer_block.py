"""A Transformer block learns to reverse sequences of tokens.

The task: each sample is a sequence of 8 random digits (0-9); the target is the same
sequence reversed, one label per position. No position of the output can be predicted
from its own input token: position `t` must look at position `7 - t`, which is exactly
what self-attention over learned position embeddings can learn.

The model is the encoder block of "Attention is all you need", in the Keras 3 API:
token + position embeddings, `MultiHeadAttention` with a residual connection and
`LayerNormalization`, a position-wise feed-forward network with its own residual and
normalisation, and a softmax over the 10 digits at every position.

With the defaults (4,000 training sequences, 10 epochs: a few seconds on a laptop CPU)
the per-token accuracy on 1,000 new sequences is above 99% (100% here); chance is 10%.

Run:  python examples/transformer_block.py [--epochs N] [--samples N]
"""

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import layers, ops

VOCABULARY, LENGTH = 10, 8


class PositionEmbedding(layers.Layer):
    """Adds a learned vector for each position to the token embeddings `(batch, T, dim)`."""

    def build(self, input_shape):
        self.positions = self.add_weight(
            name="positions", shape=tuple(input_shape[-2:]), initializer="random_normal"
        )

    def call(self, inputs):
        return inputs + self.positions


class TransformerBlock(layers.Layer):
    """Self-attention and a feed-forward network, each with a residual and LayerNorm."""

    def __init__(self, dim, num_heads, hidden, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=dim // num_heads)
        self.feed_forward = keras.Sequential(
            [layers.Dense(hidden, activation="relu"), layers.Dense(dim)]
        )
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(dropout)
        self.dropout2 = layers.Dropout(dropout)

    def call(self, inputs, training=None):
        attended = self.attention(inputs, inputs, training=training)
        x = self.norm1(inputs + self.dropout1(attended, training=training))
        transformed = self.feed_forward(x)
        return self.norm2(x + self.dropout2(transformed, training=training))


def make_data(count, seed):
    """`count` random digit sequences and their reversals."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, VOCABULARY, size=(count, LENGTH)).astype("int32")
    return tokens, tokens[:, ::-1].copy()


def build_model(dim=32, num_heads=2, hidden=64):
    inputs = keras.Input((LENGTH,), dtype="int32")
    x = layers.Embedding(VOCABULARY, dim)(inputs)
    x = PositionEmbedding()(x)
    x = TransformerBlock(dim, num_heads, hidden)(x)
    outputs = layers.Dense(VOCABULARY, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    x_train, y_train = make_data(args.samples, seed=1)
    x_test, y_test = make_data(1000, seed=2)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose
    )
    seconds = time.perf_counter() - start
    predictions = ops.argmax(model.predict(x_test, verbose=0), axis=-1).numpy()
    accuracy = float(np.mean(predictions == y_test))
    print(f"Trained {args.epochs} epochs in {seconds:.1f} s")
    print(f"Per-token accuracy on new sequences: {accuracy:.4f} (chance: 0.1)")
    print("Example:", x_test[0].tolist(), "->", predictions[0].tolist())
    return {"history": history.history, "accuracy": accuracy}


if __name__ == "__main__":
    main()
