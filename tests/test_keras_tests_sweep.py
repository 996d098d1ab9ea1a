"""Behaviours that running Keras's own unit tests against minikeras showed to differ.

Found with tools/run_keras_tests.py (see tools/keras_tests_status.md); the reference values
come from Keras 3.15.1 on JAX (tests/fixtures/generate_keras_tests_sweep.py), which records
the models and calls of tests/fixtures/keras_tests_sweep_scenarios.py that these tests run.
"""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import keras_tests_sweep_scenarios as shared

with open(os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_sweep.json")) as f:
    FIXTURE = json.load(f)


def assert_matches(seen, expected):
    """Equal structure, keys and exact values, but floats to float32 precision."""
    if isinstance(expected, dict):
        assert sorted(seen) == sorted(expected)
        for key in expected:
            assert_matches(seen[key], expected[key])
    elif isinstance(expected, list):
        assert len(seen) == len(expected), (seen, expected)
        for seen_item, expected_item in zip(seen, expected):
            assert_matches(seen_item, expected_item)
    elif isinstance(expected, float):
        np.testing.assert_allclose(seen, expected, rtol=1e-5)
    else:
        assert seen == expected and type(seen) is type(expected), (seen, expected)


def test_first_call_of_a_subclassed_model_runs_its_call_once():
    expected = FIXTURE["first_call_state"]
    for key, value in shared.subclassed_call_counts(keras).items():
        assert value == expected[key], key


def test_first_fit_batch_updates_batch_normalization_statistics_once():
    expected = FIXTURE["first_call_state"]
    for key, value in shared.batch_normalization_after_first_fit(keras).items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-5)


def test_explicit_build_of_a_subclassed_model_still_builds_its_sublayers():
    model = shared.normalized_model(keras)
    model.build((None, 3))
    assert model.built and model.norm.built and model.dense.built
    assert [tuple(w.shape) for w in model.dense.weights] == [(3, 1), (1,)]


def _group_case_id(case):
    return "execution{steps_per_execution}-epoch{steps_per_epoch}-x{epochs}".format(**case)


@pytest.mark.parametrize("case", FIXTURE["steps_per_epoch_groups"], ids=_group_case_id)
def test_steps_per_epoch_ends_an_epoch_only_after_a_whole_group_of_steps_per_execution(case):
    arguments = [case[key] for key in ("steps_per_execution", "steps_per_epoch", "epochs")]
    assert_matches(shared.steps_per_epoch_group(keras, *arguments), case)


@pytest.mark.parametrize(
    "case",
    FIXTURE["evaluate_predict_steps_groups"],
    ids=lambda case: "execution{steps_per_execution}-steps{steps}".format(**case),
)
def test_evaluate_and_predict_steps_end_only_after_a_whole_group_of_steps_per_execution(case):
    seen = shared.evaluate_predict_steps_group(keras, case["steps_per_execution"], case["steps"])
    assert_matches(seen, case)


def test_fixture_covers_the_shared_cases():
    groups = FIXTURE["steps_per_epoch_groups"]
    assert [
        (c["steps_per_execution"], c["steps_per_epoch"], c["epochs"]) for c in groups
    ] == shared.GROUP_CASES
    steps = FIXTURE["evaluate_predict_steps_groups"]
    assert [(c["steps_per_execution"], c["steps"]) for c in steps] == shared.STEPS_CASES


def test_namedtuple_outputs_stay_namedtuples_in_call_predict_and_predict_on_batch():
    assert shared.namedtuple_outputs(keras) == FIXTURE["namedtuple_outputs"]


def test_metrics_variables_lists_each_metric_state_variable_in_metrics_order():
    assert shared.metrics_variables(keras) == FIXTURE["metrics_variables"]


def test_symbolic_calls_leave_the_weights_a_layer_assigns_unchanged():
    seen = shared.symbolic_calls_assign_nothing(keras)
    assert seen == FIXTURE["symbolic_calls_assign_nothing"]


def test_sequential_built_by_its_first_call_stays_built_through_pop_and_add():
    seen = shared.sequential_built_by_a_call_then_popped(keras)
    assert seen == FIXTURE["sequential_built_by_a_call_then_popped"]


def test_input_structure_warning_is_given_on_calls_with_data_only():
    assert shared.structure_warnings(keras) == FIXTURE["structure_warnings"]


def test_config_max_epochs_and_max_steps_per_epoch_cap_fit_evaluate_and_predict():
    assert_matches(shared.max_epochs_and_steps(keras), FIXTURE["max_epochs_and_steps"])


def test_py_dataset_without_end_trains_and_evaluates_for_the_steps_given():
    assert_matches(shared.endless_py_dataset(keras), FIXTURE["endless_py_dataset"])


def test_py_dataset_with_neither_len_nor_num_batches_is_rejected():
    class Nothing(keras.utils.PyDataset):
        def __getitem__(self, index):
            return np.ones((2, 1), "float32"), np.ones((2, 1), "float32")

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(NotImplementedError, match="__len__ or num_batches"):
        model.fit(Nothing(), epochs=1, verbose=0)
