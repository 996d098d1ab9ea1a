"""The endpoint-layer pattern: a layer that computes the loss and a metric inside `call`.

A port of the keras.io recipe "Endpoint layer pattern". An endpoint layer receives the
targets (and sample weights) as inputs, adds its loss with `self.add_loss(...)` and updates
its own metric, so the model is compiled with an optimizer only. The script shows:

1. a Functional model whose inputs include the targets, compiled with
   `compile(optimizer="adam")` and trained with `fit` on a dict of arrays;
2. an inference-only model made of the same layers without the targets (it shares the
   weights), and the recipe's other way: new layers plus `set_weights(model.get_weights())`;
3. the same endpoint layer inside a subclassed model.

The data is a logistic-regression problem with a known answer (labels from a hidden linear
rule, with noise), so the accuracy means something. Two changes from the recipe, both so
that the numbers mean something: the layer returns `sigmoid(logits)` (the recipe returns
`softmax` of a single logit, which is always 1) and the accuracy is measured on those
probabilities.

Run:  python examples/endpoint_layer.py [--epochs N] [--samples N] [--features N]
"""

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import ops


class LogisticEndpoint(keras.layers.Layer):
    """Turns logits into probabilities; given targets, also adds the loss and the accuracy."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_metric = keras.metrics.BinaryAccuracy(name="accuracy")

    def call(self, logits, targets=None, sample_weight=None):
        probabilities = ops.sigmoid(logits)
        if targets is not None:
            # The training-time loss, added to the layer: `fit` minimises it.
            self.add_loss(self.loss_fn(targets, logits, sample_weight))
            # A metric the layer owns; `fit` and `evaluate` log it as "accuracy".
            self.accuracy_metric.update_state(targets, probabilities, sample_weight)
        return probabilities


class LogReg(keras.Model):
    """The subclassed version: every input, targets included, comes in one dict."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.logistic_endpoint = LogisticEndpoint()

    def call(self, inputs):
        logits = self.dense(inputs["inputs"])
        return self.logistic_endpoint(
            logits=logits,
            targets=inputs.get("targets"),
            sample_weight=inputs.get("sample_weight"),
        )


def make_data(samples, features, seed=0):
    """`samples` rows labelled by a hidden linear rule (5% of labels flipped), plus weights."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features)).astype("float32")
    true_weights = rng.normal(size=(features, 1)).astype("float32")
    targets = (x @ true_weights > 0).astype("float32")
    flip = rng.random((samples, 1)) < 0.05
    targets[flip] = 1 - targets[flip]
    sample_weight = rng.uniform(0.5, 1.5, size=(samples, 1)).astype("float32")
    return {"inputs": x, "targets": targets, "sample_weight": sample_weight}


def split(data, fraction=0.2):
    """Splits every array of the dict into a training head and a test tail."""
    cut = int(len(data["inputs"]) * (1 - fraction))
    return {k: v[:cut] for k, v in data.items()}, {k: v[cut:] for k, v in data.items()}


def accuracy_of(probabilities, targets):
    return float(np.mean((probabilities > 0.5) == (targets > 0.5)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=2500, help="train + test rows")
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(1337)
    start = time.perf_counter()

    train, test = split(make_data(args.samples, args.features))
    print(
        f"{len(train['inputs'])} training rows, {len(test['inputs'])} test rows, "
        f"{args.features} features.\n"
    )

    # 1. Functional: the targets and sample weights are model inputs.
    print("== Functional model with an endpoint layer, compiled with an optimizer only ==")
    inputs = keras.Input((args.features,), name="inputs")
    targets = keras.Input((1,), name="targets")
    sample_weight = keras.Input((1,), name="sample_weight")
    dense = keras.layers.Dense(1)
    endpoint = LogisticEndpoint()
    logits = dense(inputs)
    predictions = endpoint(logits, targets, sample_weight)
    model = keras.Model([inputs, targets, sample_weight], predictions)
    model.compile(optimizer="adam")
    history = model.fit(train, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose)
    test_loss, test_accuracy = model.evaluate(test, verbose=0)
    print(f"Test loss {test_loss:.4f}, weighted test accuracy {test_accuracy:.4f}\n")

    # 2a. Inference only, same layers: `endpoint` called without targets adds no loss.
    print("== Inference-only models ==")
    inference_model = keras.Model(inputs, endpoint(logits))
    shared = inference_model.predict(test["inputs"], verbose=0)
    shares_weights = all(
        a is b for a, b in zip(inference_model.trainable_weights, model.trainable_weights)
    )
    print(
        f"Built from the same layers: shares the weights: {shares_weights}; "
        f"predictions {shared.shape}, accuracy {accuracy_of(shared, test['targets']):.4f}"
    )

    # 2b. The recipe's way: new layers, then copy the weights.
    fresh_inputs = keras.Input((args.features,), name="inputs")
    fresh_predictions = LogisticEndpoint()(keras.layers.Dense(1)(fresh_inputs))
    copied_model = keras.Model(fresh_inputs, fresh_predictions)
    copied_model.set_weights(model.get_weights())
    copied = copied_model.predict(test["inputs"], verbose=0)
    print(f"New layers + set_weights: same predictions: {np.allclose(copied, shared)}\n")

    # 3. Subclassed: the call takes the whole dict; `fit(data)` passes it unchanged.
    print("== Subclassed model with the same endpoint layer ==")
    subclassed = LogReg()
    subclassed.compile(optimizer=keras.optimizers.Adam(1e-3))
    subclassed_history = subclassed.fit(
        train, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose
    )
    subclassed_probabilities = subclassed.predict({"inputs": test["inputs"]}, verbose=0)
    subclassed_accuracy = accuracy_of(subclassed_probabilities, test["targets"])
    print(f"Subclassed model, test accuracy {subclassed_accuracy:.4f}")
    print(f"\nDone in {time.perf_counter() - start:.1f} s.")
    return {
        "history": history.history,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "inference_predictions": shared,
        "inference_accuracy": accuracy_of(shared, test["targets"]),
        "shares_weights": shares_weights,
        "copied_predictions": copied,
        "subclassed_history": subclassed_history.history,
        "subclassed_accuracy": subclassed_accuracy,
    }


if __name__ == "__main__":
    main()
