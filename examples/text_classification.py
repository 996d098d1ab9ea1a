"""Character-level text classification: is a first name more often given to girls or boys?

The corpus is the 1990 US census list of first names (4,275 female, 1,219 male) shipped
inside the `names` package from PyPI (`pip install names`), read offline; names found in
both lists are dropped. A `TextVectorization` layer adapted on the training names turns
each name into a padded sequence of character ids; an Embedding with `mask_zero=True` and an
LSTM that skips the masked padding then predict the sex. As in Keras on JAX, the text layer
runs on the strings before the model, which sees only the ids; the vectorizer and the
model are saved together in one `.keras` file, the vocabulary as an asset.

Result (default settings, seed 1337, about 8 s on 2 CPU cores): 0.897 test accuracy, against
0.837 for always answering "female".

Run:  python examples/text_classification.py [--epochs N] [--output-dir DIR]
"""

import argparse
import importlib.resources
import pathlib

import numpy as np

import minikeras as keras
from minikeras import layers

MAX_LENGTH = 12


def load_names():
    """`(names, labels)`: unambiguous census first names (lowercase) and 1 for male."""
    package = importlib.resources.files("names")
    lists = {}
    for sex in ("female", "male"):
        text = (package / f"dist.{sex}.first").read_text()
        lists[sex] = {line.split()[0].lower() for line in text.splitlines() if line.strip()}
    both = lists["female"] & lists["male"]
    female = sorted(lists["female"] - both)
    male = sorted(lists["male"] - both)
    return np.array(female + male), np.array([0] * len(female) + [1] * len(male))


def split(names, labels, test_fraction=0.2, seed=0):
    order = np.random.default_rng(seed).permutation(len(names))
    cut = int(len(names) * (1 - test_fraction))
    train, test = order[:cut], order[cut:]
    return (names[train], labels[train]), (names[test], labels[test])


def build_classifier(vocabulary_size):
    inputs = keras.Input(shape=(MAX_LENGTH,), dtype="int64", name="characters")
    # Id 0 is the padding after a name's last character: mask_zero=True makes the LSTM skip
    # it, so its final state is the state after the last real character.
    x = layers.Embedding(vocabulary_size, 16, mask_zero=True)(inputs)
    x = layers.LSTM(64)(x)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def main(argv=None, data=None):
    """Trains and evaluates; returns the history, test accuracy and the reloaded model's
    predictions. `data` replaces the census names (the tests pass a small set)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--output-dir", default=".", help="where to write the .keras file")
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(1337)
    names, labels = data if data is not None else load_names()
    (train_names, y_train), (test_names, y_test) = split(names, labels)
    print(f"{len(train_names)} names to train on, {len(test_names)} to test.")

    vectorizer = layers.TextVectorization(
        split="character", output_sequence_length=MAX_LENGTH, name="characters_of"
    )
    vectorizer.adapt(train_names)
    x_train, x_test = vectorizer(train_names).numpy(), vectorizer(test_names).numpy()
    print(f"{vectorizer.vocabulary_size()} character ids; 'anna' ->", vectorizer(["anna"]).numpy())

    model = build_classifier(vectorizer.vocabulary_size())
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train,
        y_train.astype("float32"),
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.1,
        verbose=args.verbose,
    )
    _, accuracy = model.evaluate(x_test, y_test.astype("float32"), verbose=0)
    baseline = max(y_test.mean(), 1 - y_test.mean())
    print(f"test accuracy {accuracy:.3f} (always the majority class: {baseline:.3f})")

    # One file for both: the strings go in as a string input, then through the vectorizer.
    text = keras.Input(shape=(1,), dtype="string", name="name")
    end_to_end = keras.Model(text, model(vectorizer(text)))
    path = pathlib.Path(args.output_dir) / "name_classifier.keras"
    end_to_end.save(path)
    reloaded = keras.saving.load_model(path)
    loaded_vectorizer, loaded_classifier = reloaded.layers[1], reloaded.layers[2]
    examples = np.array(["maria", "john", "alexandra", "kevin"])
    predictions = loaded_classifier.predict(loaded_vectorizer(examples), verbose=0)
    for name, p in zip(examples, predictions[:, 0]):
        print(f"{name:>10}: P(male) = {p:.2f}")
    return {
        "history": history.history,
        "test_accuracy": accuracy,
        "baseline": baseline,
        "examples": examples,
        "reloaded_predictions": predictions,
        "direct_predictions": model.predict(vectorizer(examples).numpy(), verbose=0),
        "vocabulary": vectorizer.get_vocabulary(),
        "reloaded_vocabulary": loaded_vectorizer.get_vocabulary(),
    }


if __name__ == "__main__":
    main()
