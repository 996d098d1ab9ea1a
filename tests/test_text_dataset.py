"""`keras.utils.text_dataset_from_directory`: the files, order, labels, class names and
validation subsets Keras 3 gives (tests/fixtures/text_dataset.json, from
generate_text_dataset.py), `map`, training from the dataset, and Keras's argument errors."""

import json
import os

import numpy as np
import pytest

import minikeras as keras

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "text_dataset.json")
with open(FIXTURE) as f:
    RECORDED = json.load(f)


@pytest.fixture
def tree(tmp_path):
    for path, text in RECORDED["tree"].items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return str(tmp_path)


def _call(case):
    call = dict(case["kwargs"])
    if call.get("labels") == "MANUAL":
        count = sum(1 for p in RECORDED["tree"] if p.lower().endswith(".txt"))
        call["labels"] = [i % 3 for i in range(count)]
    return call


@pytest.mark.parametrize("case", RECORDED["cases"], ids=[c["name"] for c in RECORDED["cases"]])
def test_batches_and_class_names_are_keras_s(tree, case, capsys):
    call = _call(case)
    dataset = keras.utils.text_dataset_from_directory(tree, **call)
    assert dataset.class_names == case["class_names"]
    labelled = call.get("labels", "inferred") is not None and call.get("label_mode", "int")
    batches = list(dataset)
    assert len(batches) == len(case["batches"]) == len(dataset)
    for batch, (texts, labels) in zip(batches, case["batches"]):
        got_texts, got_labels = batch if labelled else (batch, None)
        got_texts = [got_texts] if isinstance(got_texts, str) else list(got_texts)
        assert got_texts == texts
        if labels is not None:
            got_labels = np.asarray(got_labels)
            expected = np.asarray(labels)
            if call.get("batch_size", 32) is None:
                expected = expected.reshape(got_labels.shape)
            np.testing.assert_array_equal(got_labels, expected)
            mode = call.get("label_mode", "int")
            assert got_labels.dtype == (np.int32 if mode == "int" else np.float32)
    assert "Found " in capsys.readouterr().out


@pytest.mark.parametrize("split", RECORDED["splits"], ids=[s["name"] for s in RECORDED["splits"]])
def test_a_shuffled_validation_split_holds_keras_s_files(tree, split):
    training, validation = keras.utils.text_dataset_from_directory(
        tree,
        seed=split["seed"],
        validation_split=split["validation_split"],
        subset="both",
        batch_size=None,
        verbose=False,
    )
    assert sorted(text for text, _ in training) == split["training"]
    assert sorted(text for text, _ in validation) == split["validation"]


def test_the_same_seed_gives_the_same_subsets_in_separate_calls(tree):
    def texts(subset):
        dataset = keras.utils.text_dataset_from_directory(
            tree, seed=3, validation_split=0.5, subset=subset, verbose=False
        )
        return [t for texts, _ in dataset for t in texts]

    training, validation = texts("training"), texts("validation")
    assert not set(training) & set(validation)
    assert len(training) + len(validation) == 32


def test_map_vectorizes_texts_and_fit_trains_on_the_result(tree):
    raw = keras.utils.text_dataset_from_directory(
        tree, batch_size=8, seed=0, class_names=["neg", "pos"], verbose=False
    )
    vectorize = keras.layers.TextVectorization(max_tokens=40, output_sequence_length=6)
    vectorize.adapt(raw.map(lambda texts, labels: texts))
    assert "review" in vectorize.get_vocabulary()
    train = raw.map(lambda texts, labels: (vectorize(texts), labels))
    tokens, labels = train[0]
    assert np.asarray(tokens).shape == (8, 6) and labels.shape == (8,)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((6,), dtype="int64"),
            keras.layers.Embedding(40, 8),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(labels="folders"), "`labels` argument should be a list/tuple of integer labels"),
        (dict(labels=[0, 1], class_names=["a"]), "You can only pass `class_names` if"),
        (dict(label_mode="sparse"), '`label_mode` argument must be one of "int"'),
        (dict(format="numpy"), '`format` should be either "tf" or "grain"'),
        (dict(validation_split=1.5, subset="training"), "`validation_split` must be between"),
        (dict(validation_split=0.2), "If `subset` is set, `validation_split` must be set"),
        (dict(validation_split=0.2, subset="test"), '`subset` must be either "training"'),
        (dict(validation_split=0.2, subset="training"), "you must provide a `seed` argument"),
        (dict(class_names=["pos", "other"]), "did not match the names of the subdirectories"),
        (dict(label_mode="binary"), "there must be exactly 2 class_names"),
        (dict(labels=[0, 1, 2]), "Expected the lengths of `labels` to match"),
    ],
)
def test_bad_arguments_raise_keras_s_errors(tree, kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.text_dataset_from_directory(tree, verbose=False, **kwargs)


def test_a_folder_without_text_files_raises(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="No text files found in directory"):
        keras.utils.text_dataset_from_directory(str(tmp_path), verbose=False)
