"""A tour of `keras.Model`: three ways to build one, sub-models, summary, saving, compute_loss.

A port of the `keras.Model` reference page. It shows:

1. the Functional API: `keras.Input`, layer calls, `keras.Model(inputs, outputs)`;
2. new Functional models cut from intermediate tensors (a backbone and a head) that share
   their layers, hence their weights, with the full model;
3. `keras.Sequential`, a stack of single-input, single-output layers;
4. subclassing `keras.Model`: layers in `__init__`, the forward pass in `call`, with a
   `training` argument that switches Dropout on during `fit` only;
5. saving the whole model to a `.keras` file (`model.save`, or
   `keras.saving.save_model`) and loading it back with `keras.saving.load_model`;
6. overriding `compute_loss` to compute the loss yourself, with a metric of your own.

Each model is shown with `summary()` and trained with `compile`/`fit`/`evaluate`.

The data is synthetic: 37 features, 5 classes given by a hidden linear rule.

Run:  python examples/model_api_tour.py [--epochs N] [--samples N] [--output-dir DIR]
"""

import argparse
import pathlib
import time

import numpy as np

import minikeras as keras
from minikeras import layers, ops


class MyModel(keras.Model):
    """The subclassing way; `training` is True inside `fit`, False in `predict`."""

    def __init__(self):
        super().__init__()
        self.dense1 = layers.Dense(32, activation="relu")
        self.dense2 = layers.Dense(5, activation="softmax")
        self.dropout = layers.Dropout(0.5)

    def call(self, inputs, training=False):
        x = self.dense1(inputs)
        x = self.dropout(x, training=training)
        return self.dense2(x)


class CustomLossModel(keras.Model):
    """A Functional model (built with `CustomLossModel(inputs, outputs)`) computing its loss.

    `compute_loss` receives the inputs, targets and predictions of each batch; here it is
    the mean squared error plus the model's `add_loss` terms, tracked by a metric of its own.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = ops.mean((y_pred - y) ** 2)
        loss += ops.sum(self.losses)
        self.loss_tracker.update_state(loss)
        return loss

    def reset_metrics(self):
        self.loss_tracker.reset_state()

    @property
    def metrics(self):
        return [self.loss_tracker]


def make_data(train_samples, test_samples, seed=0):
    """(x_train, y_train), (x_test, y_test) labelled by the same hidden linear rule."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(train_samples + test_samples, 37)).astype("float32")
    labels = np.argmax(x @ rng.normal(size=(37, 5)), axis=1)
    return (x[:train_samples], labels[:train_samples]), (x[train_samples:], labels[train_samples:])


def train_and_report(name, model, data, args):
    (x_train, y_train), (x_test, y_test) = data
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name}: test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    return accuracy


def functional_model():
    inputs = keras.Input(shape=(37,))
    x = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(5, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def sub_models(args):
    """A full image model, then a backbone and a head cut from its intermediate tensors."""
    inputs = keras.Input(shape=(None, None, 3))
    processed = layers.RandomCrop(width=24, height=24)(inputs)
    conv = layers.Conv2D(filters=8, kernel_size=3)(processed)
    pooling = layers.GlobalAveragePooling2D()(conv)
    feature = layers.Dense(10)(pooling)
    full_model = keras.Model(inputs, feature)
    backbone = keras.Model(processed, conv)
    head = keras.Model(conv, feature)
    backbone.summary()

    rng = np.random.default_rng(1)
    images = rng.random((64, 28, 28, 3)).astype("float32")
    full_model.compile(optimizer="adam", loss="mse")
    full_model.fit(images, rng.normal(size=(64, 10)), epochs=2, verbose=0)
    # Trained through the full model, the backbone and head use the same (updated) weights:
    # at inference RandomCrop takes the centre, so on 24x24 images it passes them through.
    crops = images[:8, 2:26, 2:26]
    features = backbone.predict(crops, verbose=0)
    chained = head.predict(features, verbose=0)
    whole = full_model.predict(crops, verbose=0)
    shares = backbone.layers[-1] is full_model.get_layer(index=2)  # after its InputLayer
    print(
        f"Backbone features {features.shape}, head outputs {chained.shape}; the backbone's "
        f"Conv2D is the full model's: {shares}; head(backbone(x)) == full_model(x): "
        f"{np.allclose(chained, whole, atol=1e-5)}"
    )
    return {
        "features_shape": features.shape,
        "chained": chained,
        "whole": whole,
        "shares_layers": shares,
    }


def save_and_load(model, data, output_dir):
    """Round trip through a `.keras` file (architecture, weights, optimizer, compile config)."""
    saving = getattr(keras, "saving", None)
    if not (hasattr(model, "save") or hasattr(saving, "save_model")):
        print("Skipped: this minikeras has no model.save / keras.saving.save_model yet.")
        return None
    path = pathlib.Path(output_dir) / "model_api_tour.keras"
    path.parent.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "save"):
        model.save(path)
    else:  # the same thing as a function, also Keras 3 API
        keras.saving.save_model(model, path)
    restored = keras.saving.load_model(path)
    x_test, y_test = data
    difference = float(
        np.max(np.abs(restored.predict(x_test, verbose=0) - model.predict(x_test, verbose=0)))
    )
    _, accuracy = restored.evaluate(x_test, y_test, verbose=0)
    print(
        f"Saved to {path} and loaded back: largest prediction difference {difference:g}; "
        f"the restored model is compiled: test accuracy {accuracy:.4f}"
    )
    return {"difference": difference, "accuracy": accuracy}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=2000, help="training rows")
    parser.add_argument("--output-dir", default=".", help="where to write the .keras file")
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)
    start = time.perf_counter()
    data = make_data(args.samples, max(args.samples // 4, 10))
    results = {}

    print("== 1. Functional API ==")
    model = functional_model()
    model.summary()
    results["functional_accuracy"] = train_and_report("Functional", model, data, args)

    print("\n== 2. Sub-models from intermediate tensors ==")
    results["sub_models"] = sub_models(args)

    print("\n== 3. Sequential ==")
    sequential = keras.Sequential(
        [
            keras.Input(shape=(37,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(5, activation="softmax"),
        ]
    )
    sequential.summary()
    results["sequential_accuracy"] = train_and_report("Sequential", sequential, data, args)

    print("\n== 4. Subclassing ==")
    subclassed = MyModel()
    subclassed.build((None, 37))
    subclassed.summary()
    results["subclassed_accuracy"] = train_and_report("Subclassed", subclassed, data, args)

    print("\n== 5. Save and load a .keras file ==")
    results["reloaded"] = save_and_load(model, data[1], args.output_dir)

    print("\n== 6. Overriding compute_loss ==")
    inputs = layers.Input(shape=(10,), name="my_input")
    outputs = layers.Dense(10)(inputs)
    custom = CustomLossModel(inputs, outputs)
    # An activity penalty on the outputs, added to `self.losses` on every forward pass.
    custom.add_loss(1e-3 * ops.mean(ops.square(outputs)))
    custom.compile(optimizer=keras.optimizers.SGD(), loss="mse", steps_per_execution=10)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(320, 10)).astype("float32")
    y = x @ rng.normal(size=(10, 10)).astype("float32") * 0.3
    history = custom.fit(x, y, epochs=max(args.epochs // 2, 2), steps_per_epoch=10, verbose=0)
    results["custom_loss_history"] = history.history["loss"]
    print(
        f"Custom loss: first epoch {history.history['loss'][0]:.4f}, last epoch "
        f"{history.history['loss'][-1]:.4f}; loss_tracker.result() = "
        f"{float(custom.loss_tracker.result()):.4f}"
    )

    print(f"\nDone in {time.perf_counter() - start:.1f} s.")
    return results


if __name__ == "__main__":
    main()
