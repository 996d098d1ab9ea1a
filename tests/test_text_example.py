"""Smoke test of examples/text_classification.py on a small stated synthetic task (the
census names come from the optional `names` package): names ending in a vowel are class 0,
names ending in a consonant class 1."""

import importlib.util
import pathlib

import numpy as np

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples" / "text_classification.py"


def _synthetic_names(count=600, seed=0):
    rng = np.random.default_rng(seed)
    letters = np.array(list("bcdfghklmnprstvz"))
    vowels = np.array(list("aeiou"))
    names, labels = [], []
    for _ in range(count):
        stem = "".join(rng.choice(letters, 2)) + rng.choice(vowels) + rng.choice(letters)
        label = int(rng.integers(0, 2))
        ending = rng.choice(letters) if label else rng.choice(vowels)
        names.append(stem + ending)
        labels.append(label)
    return np.array(names), np.array(labels)


def test_text_classification_example_learns_and_reloads(tmp_path):
    spec = importlib.util.spec_from_file_location("text_classification", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main(
        ["--epochs", "12", "--output-dir", str(tmp_path), "--verbose", "0"],
        data=_synthetic_names(),
    )
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["test_accuracy"] > 0.8 > result["baseline"]
    assert result["reloaded_vocabulary"] == result["vocabulary"]
    np.testing.assert_allclose(
        result["reloaded_predictions"], result["direct_predictions"], rtol=1e-6
    )
    assert (tmp_path / "name_classifier.keras").exists()
