"""Where Keras's own keras.utils tests found minikeras differing from Keras 3, pinned with
values recorded from Keras 3.15.1 (tests/fixtures/keras_tests_utils.json, written by
tests/fixtures/generate_keras_tests_utils.py)."""

import json
import os
import re

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import summary_scenarios
from tests.fixtures.split_dataset_scenarios import SPLIT_ERRORS, split_data

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_utils.json")
with open(FIXTURE, encoding="utf-8") as f:
    RECORDED = json.load(f)


def _without_optimizer_bytes(text):
    # The optimizer's step counter is int64 here (4 bytes more than Keras on JAX's int32,
    # README "Deliberate differences", dtypes): its memory is left out of the comparison.
    return re.sub(r"(Total|Optimizer) params: ([\d,]+) \([^)]*\)", r"\1 params: \2", text)


@pytest.mark.parametrize("width", summary_scenarios.WIDTHS)
@pytest.mark.parametrize("name", sorted(summary_scenarios.SCENARIOS))
def test_summary_text_is_keras_s(name, width, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    keras.utils.clear_session()
    text = summary_scenarios.SCENARIOS[name](keras)
    expected = RECORDED["summaries"][f"{name}@{width}"]
    assert _without_optimizer_bytes(text) == _without_optimizer_bytes(expected)


def test_summary_totals_count_the_built_optimizer_s_variables():
    keras.utils.clear_session()
    text = summary_scenarios.trained_functional(keras)
    assert "Total params: 29 " in text and "Optimizer params: 20 " in text
    assert "Trainable params: 9 (36.00 B)" in text


def test_summary_gives_print_fn_the_whole_text_in_one_call():
    calls = []
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.summary(print_fn=calls.append)
    assert len(calls) == 1 and calls[0].startswith('Model: "sequential') and "\n" in calls[0]


# --- keras.utils.split_dataset ---------------------------------------------------------------


def _as_lists(part):
    if isinstance(part, tuple):
        return [_as_lists(p) for p in part]
    return np.asarray(part).tolist()


@pytest.mark.parametrize("case", RECORDED["splits"], ids=[c["name"] for c in RECORDED["splits"]])
def test_split_dataset_parts_hold_keras_s_samples(case):
    left, right = keras.utils.split_dataset(split_data(case["kind"]), **case["kwargs"])
    for part, expected in ((left, case["left"]), (right, case["right"])):
        assert _as_lists(part.data) == expected
        samples = list(part)
        if case["kind"] in ("tuple", "list"):
            # Each sample is a tuple of rows, as Keras's dataset elements are.
            assert len(part) == len(samples) == len(expected[0])
            assert all(isinstance(s, tuple) and s[0].shape == (2,) for s in samples)
            assert [s[1].tolist() for s in samples] == expected[1]
        else:
            assert len(part) == len(samples) == len(expected)
            assert [np.asarray(s).tolist() for s in samples] == expected


@pytest.mark.parametrize("name", [name for name, _ in SPLIT_ERRORS])
def test_split_dataset_rejects_sizes_as_keras_does(name):
    recorded = {case["name"]: case for case in RECORDED["split_errors"]}[name]
    error = {"TypeError": TypeError, "ValueError": ValueError}[recorded["error"]]
    with pytest.raises(error) as raised:
        keras.utils.split_dataset(split_data("array"), **dict(SPLIT_ERRORS)[name])
    assert str(raised.value).split(".")[0] == recorded["message"].split(".")[0]


class _Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {"features": self.x[part]}, self.y[part]


def test_split_dataset_of_a_py_dataset_splits_its_samples_and_keeps_its_batch_size():
    x = np.arange(40, dtype="float32").reshape(10, 4)
    y = np.arange(10, dtype="float32")[:, None]
    left, right = keras.utils.split_dataset(_Batches(x, y, 3), left_size=0.7)
    assert left.batch_size == right.batch_size == 3
    assert len(left) == 3 and len(right) == 1  # 7 and 3 samples
    features, labels = left[2]
    np.testing.assert_array_equal(features["features"], x[6:7])
    np.testing.assert_array_equal(labels, y[6:7])
    np.testing.assert_array_equal(right[0][1], y[7:])
    # Parts split again sample by sample; `batch` gives batches for `fit`.
    again, rest = keras.utils.split_dataset(left.batch(2), left_size=4)
    assert (len(again), len(rest)) == (2, 2) and again.batch_size == 2
    model = keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(left, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_split_dataset_refuses_what_keras_refuses():
    with pytest.raises(TypeError, match="dataset"):
        keras.utils.split_dataset({"x": np.zeros((4, 2))}, left_size=0.5)
    with pytest.raises(ValueError, match="different lengths"):
        keras.utils.split_dataset((np.zeros((4, 2)), np.zeros(3)), left_size=0.5)
    with pytest.raises(ValueError, match=r"numpy\.ndarray"):
        keras.utils.split_dataset([np.zeros((4, 2)), [1, 2, 3, 4]], left_size=0.5)
