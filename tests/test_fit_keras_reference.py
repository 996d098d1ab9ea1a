"""Whole `fit`/`evaluate`/`predict` runs against histories recorded from Keras 3.

The fixture is written by tests/fixtures/generate_fit.py (see its docstring) from the
scenarios of tests/fixtures/fit_scenarios.py, which these tests run with minikeras; each
starts from fixed weights and trains with shuffle=False, so the numbers must agree.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import fit_scenarios as shared

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "fit_histories.json").read_text()
)
X = np.asarray(FIXTURE["x"], dtype=np.float32)
LABELS = np.asarray(FIXTURE["labels"])
SCENARIOS = shared.scenarios(keras, X, LABELS)


def test_fixture_and_test_cover_the_same_scenarios():
    assert sorted(FIXTURE["scenarios"]) == sorted(SCENARIOS)
    weights = np.linspace(0.5, 1.5, len(X)).astype("float32")
    assert weights.tolist() == FIXTURE["sample_weight"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fit_matches_keras(name):
    expected = FIXTURE["scenarios"][name]
    got = shared.record(keras, name, *SCENARIOS[name])
    assert got["initial_weights"] == expected["initial_weights"]
    assert sorted(got["history"]) == sorted(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(got["history"][key], values, rtol=2e-4, atol=1e-5, err_msg=key)
    for have, want in zip(got["final_weights"], expected["final_weights"], strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-3, atol=1e-5)
    assert sorted(got.get("evaluate", {})) == sorted(expected.get("evaluate", {}))
    for key, value in expected.get("evaluate", {}).items():
        np.testing.assert_allclose(got["evaluate"][key], value, rtol=2e-4, atol=1e-5, err_msg=key)
    if isinstance(expected.get("predict"), dict):
        assert sorted(got["predict"]) == sorted(expected["predict"])
        for key, value in expected["predict"].items():
            np.testing.assert_allclose(got["predict"][key], value, rtol=1e-4, atol=1e-5)
    elif "predict" in expected:
        np.testing.assert_allclose(got["predict"], expected["predict"], rtol=1e-4, atol=1e-5)
