"""`compile(steps_per_execution=N)`: batch callbacks once per group of N batches, as in
Keras 3, with the numbers of N=1 (fixture: tests/fixtures/generate_steps_per_execution.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import steps_per_execution_scenarios as shared

with open(os.path.join(os.path.dirname(__file__), "fixtures", "steps_per_execution.json")) as f:
    FIXTURE = json.load(f)

CASES = {case["steps_per_execution"]: case for case in FIXTURE["cases"]}


def _run(case, steps_per_execution, **compile_kwargs):
    """What the generator runs in Keras, run here."""
    return shared.run(keras, steps_per_execution, case["rows"], **compile_kwargs)


def test_the_fixture_was_recorded_on_the_shared_inputs():
    for case in FIXTURE["cases"]:
        x, y, x_val, y_val, weights = shared.case_inputs(case["rows"])
        arrays = {"x": x, "y": y, "x_val": x_val, "y_val": y_val}
        for key, array in arrays.items():
            assert array.tolist() == case["inputs"][key], key
        assert [w.tolist() for w in weights] == case["inputs"]["weights"]


def _indices(events):
    return [(name, index) for name, index, _ in events]


def _assert_logs_close(got_events, want_events):
    for (_, _, got), (_, _, want) in zip(got_events, want_events, strict=True):
        assert (got is None) == (want is None)
        if want is None:
            continue
        assert sorted(got) == sorted(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("steps_per_execution", sorted(CASES))
@pytest.mark.parametrize("run_eagerly", [False, True])
def test_batch_callbacks_see_each_group_of_batches_as_keras_reports_it(
    steps_per_execution, run_eagerly
):
    want = CASES[steps_per_execution]
    got = _run(want, steps_per_execution, run_eagerly=run_eagerly)
    for kind in ("fit_events", "evaluate_events", "predict_events"):
        assert _indices(got[kind]) == [(name, index) for name, index, _ in want[kind]], kind
        _assert_logs_close(got[kind], want[kind])


@pytest.mark.parametrize("steps_per_execution", sorted(CASES))
def test_steps_per_execution_trains_every_batch_with_the_numbers_of_one(steps_per_execution):
    one = _run(CASES[1], 1)
    got = _run(CASES[steps_per_execution], steps_per_execution)
    assert got["history"] == one["history"]
    assert got["evaluate"] == one["evaluate"]
    np.testing.assert_array_equal(got["predictions"], one["predictions"])
    for a, b in zip(got["weights"], one["weights"], strict=True):
        np.testing.assert_array_equal(a, b)
    # And those of Keras, up to float32 rounding.
    want = CASES[steps_per_execution]
    for key, values in want["history"].items():
        np.testing.assert_allclose(got["history"][key], values, rtol=1e-5)
    np.testing.assert_allclose(got["predictions"], want["predictions"], rtol=1e-5, atol=1e-6)


def test_a_group_ending_in_stop_training_ends_fit_after_the_group():
    x, y, _, _, weights = shared.case_inputs(CASES[1]["rows"])

    class StopAtFirstGroup(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh")])
    model.add(keras.layers.Dense(2))
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", steps_per_execution=3)
    recorder = shared.recorder(keras)
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[StopAtFirstGroup(), recorder])
    assert _indices(recorder.events) == [
        ("train_batch_begin", 0),
        ("train_batch_end", 2),
        ("epoch_end", 0),
    ]
    assert model.optimizer.iterations.numpy() == 3  # the whole group trained


@pytest.mark.parametrize("value", [0, -2, 1.5, "2", None, True])
def test_steps_per_execution_that_is_not_a_positive_integer_is_rejected(value):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(loss="mse", steps_per_execution=value)
    assert not model.compiled
