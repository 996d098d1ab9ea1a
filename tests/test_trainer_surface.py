"""`model.metrics`, `metrics_names` and the list/dict forms of `evaluate` and the
`*_on_batch` methods, against what Keras 3 reports.

The fixture is written by tests/fixtures/generate_trainer_surface.py (see its docstring)
from the models and calls of tests/fixtures/trainer_surface_scenarios.py, which this test
runs with minikeras.
"""

import json
import pathlib
import warnings

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import trainer_surface_scenarios as shared

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "trainer_surface.json").read_text()
)["scenarios"]
RTOL = 1e-5


@pytest.fixture(scope="module")
def recorded():
    with warnings.catch_warnings():
        # Without a compiled loss the last Dense layer gets no gradient (Keras warns too).
        warnings.filterwarnings("ignore", "Gradients do not exist", UserWarning)
        return {
            name: shared.record(keras, *scenario) for name, scenario in shared.scenarios().items()
        }


NAMES = sorted(FIXTURE)


def test_fixture_and_test_cover_the_same_models():
    assert sorted(shared.scenarios()) == NAMES


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "moment", ["before_compile", "after_compile", "names_after_compile", "after_evaluate"]
)
def test_model_metrics_lists_the_objects_keras_lists(recorded, name, moment):
    key = "metrics_" + moment
    assert recorded[name][key] == FIXTURE[name][key]


@pytest.mark.parametrize("name", NAMES)
def test_metrics_names_are_the_names_of_model_metrics(recorded, name):
    assert (
        recorded[name]["metrics_names_after_evaluate"]
        == FIXTURE[name]["metrics_names_after_evaluate"]
    )
    assert (
        recorded[name]["metrics_names_after_evaluate"] == recorded[name]["metrics_after_evaluate"]
    )


def assert_same_values(ours, theirs):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL)
    else:
        assert isinstance(ours, float)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "key", ["evaluate_list", "train_on_batch_list", "test_on_batch_list", "evaluate_after"]
)
def test_list_results_come_in_keras_order(recorded, name, key):
    assert_same_values(recorded[name][key], FIXTURE[name][key])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("key", ["evaluate_dict", "train_on_batch_dict", "test_on_batch_dict"])
def test_dict_results_have_keras_keys_order_and_values(recorded, name, key):
    ours, theirs = recorded[name][key], FIXTURE[name][key]
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    np.testing.assert_allclose([v for _, v in ours], [v for _, v in theirs], rtol=RTOL)
