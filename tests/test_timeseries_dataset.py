"""`keras.utils.timeseries_dataset_from_array`: the windows and targets Keras 3 gives
(tests/fixtures/timeseries_dataset.json, from generate_timeseries_dataset.py), training
from the dataset, shuffling, and Keras's argument errors."""

import json
import os

import numpy as np
import pytest

import minikeras as keras

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "timeseries_dataset.json")
with open(FIXTURE) as f:
    CASES = json.load(f)["cases"]


def _arrays(case):
    length, features = case["length"], tuple(case["features"])
    data = (np.arange(length * int(np.prod(features))) * 0.5).reshape((length, *features))
    targets = np.arange(case["targets_length"]) * 10 if case["with_targets"] else None
    return data.astype("float32"), targets


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_windows_and_targets_are_keras_s(case):
    data, targets = _arrays(case)
    dataset = keras.utils.timeseries_dataset_from_array(data, targets, **case["kwargs"])
    items = list(dataset)
    assert len(items) == len(case["items"]) == len(dataset)
    for item, expected in zip(items, case["items"]):
        parts = item if case["with_targets"] else (item,)
        assert len(parts) == len(expected)
        for part, values in zip(parts, expected):
            np.testing.assert_array_equal(part, np.asarray(values, dtype=part.dtype))
    windows = items[0][0] if case["with_targets"] else items[0]
    assert windows.dtype == np.float32  # the data's dtype


def test_docstring_example_2_first_window_predicts_the_next_step():
    data = np.arange(100, dtype="float32") * 3
    dataset = keras.utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = dataset[0]
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]


def test_shuffle_draws_one_order_from_the_seed_over_the_same_windows():
    data = np.arange(60, dtype="float32")
    plain = keras.utils.timeseries_dataset_from_array(data, None, 5, batch_size=None)
    shuffled = [
        keras.utils.timeseries_dataset_from_array(
            data, None, 5, batch_size=None, shuffle=True, seed=seed
        )
        for seed in (1, 1, 2)
    ]
    firsts = [np.array([window[0] for window in dataset]) for dataset in shuffled]
    np.testing.assert_array_equal(firsts[0], firsts[1])
    assert not np.array_equal(firsts[0], firsts[2])
    assert not np.array_equal(firsts[0], np.sort(firsts[0]))
    np.testing.assert_array_equal(np.sort(firsts[0]), [window[0] for window in plain])
    for window in shuffled[0]:  # each window still holds consecutive steps
        np.testing.assert_array_equal(window, window[0] + np.arange(5))


def test_fit_and_predict_take_the_dataset():
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(400) / 8).astype("float32")[:, None] + rng.normal(0, 0.01, (400, 1))
    series = series.astype("float32")
    dataset = keras.utils.timeseries_dataset_from_array(
        series[:-8], series[8:, 0], sequence_length=8, batch_size=32
    )
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 1)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(dataset, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predictions = model.predict(
        keras.utils.timeseries_dataset_from_array(series, None, 8, batch_size=32), verbose=0
    )
    assert predictions.shape == (len(series) - 7, 1)


def test_getitem_past_the_end_raises_index_error():
    dataset = keras.utils.timeseries_dataset_from_array(np.arange(10), None, 3, batch_size=4)
    assert len(dataset) == 2
    np.testing.assert_array_equal(dataset[-1], [[4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]])
    with pytest.raises(IndexError):
        dataset[2]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(start_index=-1), "`start_index` must be 0 or greater"),
        (dict(start_index=20), "`start_index` must be lower than the length of the data"),
        (dict(start_index=5, end_index=5), "`end_index` must be higher than `start_index`"),
        (dict(end_index=20), "`end_index` must be lower than the length of the data"),
        (dict(end_index=-2), "`end_index` must be higher than 0"),
        (dict(sampling_rate=0), "`sampling_rate` must be higher than 0"),
        (dict(sampling_rate=20), "`sampling_rate` must be lower than the length of the data"),
        (dict(sequence_stride=0), "`sequence_stride` must be higher than 0"),
        (dict(sequence_stride=20), "`sequence_stride` must be lower than the length"),
        (dict(format="numpy"), '`format` should be either "tf" or "grain"'),
    ],
)
def test_bad_arguments_raise_keras_s_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.timeseries_dataset_from_array(np.arange(10), None, 3, **kwargs)
