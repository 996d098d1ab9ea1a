"""A small CNN with L2 penalties on its intermediate activations, added by `model.add_loss`.

A port of the blog post "Custom loss and model.fit()": a loss that depends on a model's
intermediate outputs cannot be written as `loss(y_true, y_pred)`, but on a Functional model
it can be built from the intermediate tensors with `keras.ops` and given to
`model.add_loss(...)`; `fit` then minimises the compiled loss plus the penalty. (Keras 3
dropped symbolic `add_loss` on Functional models; tf.keras 2 and minikeras have it.)

The model is the post's: three stride-2 convolutions (8, 16, 32 filters) on 32x32x3 images,
global average pooling and a softmax. The penalty is
`lambda * sum over h1, h2, h3 of mean_over_batch(sum(h ** 2))`. The same network is trained
twice from the same initial weights, with and without the penalty, to show its effect; the
size of the activations is logged by `model.add_metric` as `activation_l2`.

Data: synthetic 32x32x3 images by default (noise plus a striped patch; the class is the
patch's colour channel and stripe direction, 6 classes), or CIFAR-10 with `--data cifar10`
(found locally or downloaded by `keras.datasets.cifar10.load_data`; the synthetic images
are used when that fails).

Run:  python examples/activation_penalty_cnn.py [--epochs N] [--samples N] [--penalty L]
      [--data synthetic|cifar10]
"""

import argparse
import time

import numpy as np

import minikeras as keras
from minikeras import layers, ops


def striped_images(samples, seed=0):
    """Noise images with a 12x12 striped patch; label = 2 * channel + (vertical stripes)."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 0.4, size=(samples, 32, 32, 3)).astype("float32")
    labels = rng.integers(0, 6, size=samples)
    stripes = np.tile((np.arange(12) // 2 % 2).astype("float32")[:, None] * 0.6, (1, 12))
    for image, label in zip(images, labels):
        channel, vertical = divmod(int(label), 2)
        row, col = rng.integers(0, 21, size=2)
        image[row : row + 12, col : col + 12, channel] += stripes.T if vertical else stripes
    return images, labels.astype("int64")


def load_images(data, samples):
    """(x_train, y_train), (x_test, y_test), number of classes, and a description."""
    if data == "cifar10":
        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
            x_train, y_train = x_train[:samples], y_train[:samples]
            x_test, y_test = x_test[: samples // 4], y_test[: samples // 4]
            return (
                (x_train.astype("float32") / 255.0, y_train),
                (x_test.astype("float32") / 255.0, y_test),
                10,
                "CIFAR-10",
            )
        except OSError as error:
            print(f"{error}\nUsing the synthetic images instead.")
    x_train, y_train = striped_images(samples, seed=0)
    x_test, y_test = striped_images(max(samples // 4, 10), seed=1)
    return (x_train, y_train), (x_test, y_test), 6, "synthetic striped images"


def build_model(num_classes, penalty):
    """The post's CNN; `penalty > 0` adds the activation penalty with `model.add_loss`."""
    input_layer = layers.Input((32, 32, 3))
    h1 = layers.Conv2D(8, 4, 2, padding="same", activation="relu")(input_layer)
    h2 = layers.Conv2D(16, 4, 2, padding="same", activation="relu")(h1)
    h3 = layers.Conv2D(32, 4, 2, padding="same", activation="relu")(h2)
    pooled = layers.GlobalAveragePooling2D()(h3)
    output = layers.Dense(num_classes, activation="softmax")(pooled)
    model = keras.Model(inputs=input_layer, outputs=output)

    # Symbolic ops on the intermediate tensors: computed again on every forward pass.
    activation_l2 = ops.mean(ops.sum(ops.square(h1), axis=[1, 2, 3]))
    activation_l2 += ops.mean(ops.sum(ops.square(h2), axis=[1, 2, 3]))
    activation_l2 += ops.mean(ops.sum(ops.square(h3), axis=[1, 2, 3]))
    if penalty:
        model.add_loss(penalty * activation_l2)
    model.add_metric(activation_l2, name="activation_l2")
    return model


def train(num_classes, penalty, data, args):
    keras.utils.set_random_seed(1337)  # the same initial weights and batches for both runs
    (x_train, y_train), (x_test, y_test) = data
    model = build_model(num_classes, penalty)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.1,
        verbose=args.verbose,
    )
    test = model.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
    print(
        f"penalty {penalty:g}: test accuracy {test['accuracy']:.4f}, test loss "
        f"{test['loss']:.4f}, activation L2 {test['activation_l2']:.1f}\n"
    )
    return model, history.history, test


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--samples", type=int, default=2000, help="training images")
    parser.add_argument("--penalty", type=float, default=1e-3, help="lambda of the L2 penalty")
    parser.add_argument("--data", choices=["synthetic", "cifar10"], default="synthetic")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)
    start = time.perf_counter()

    *data, num_classes, description = load_images(args.data, args.samples)
    print(f"{len(data[0][0])} training images ({description}), {num_classes} classes.")
    model, history, test = train(num_classes, args.penalty, data, args)
    model.summary()
    print(f"model.losses holds {len(model.losses)} value(s) after the last forward pass.\n")
    print("Same network without the penalty:")
    _, plain_history, plain_test = train(num_classes, 0.0, data, args)

    print(
        f"Activation L2 on the test images: {test['activation_l2']:.1f} with the penalty, "
        f"{plain_test['activation_l2']:.1f} without."
    )
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return {
        "history": history,
        "test": test,
        "plain_history": plain_history,
        "plain_test": plain_test,
        "num_classes": num_classes,
        "model_losses": len(model.losses),
    }


if __name__ == "__main__":
    main()
