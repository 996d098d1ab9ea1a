"""Whole `fit`/`evaluate`/`predict` runs of convolutional, recurrent and attention models
against runs recorded from Keras 3 (tests/fixtures/fit_layers.json, written by
generate_fit_layers.py from the scenarios of fit_layers_scenarios.py).

Each scenario starts from fixed weights and trains with shuffle=False, inside `fit`, where
minikeras takes its fast paths (blocked convolutions and batch normalisation on two
threads, fused recurrences with masks, replayed steps), so the numbers must agree.

One deliberate difference: Keras on JAX drops the predictions' mask before it updates the
training metrics, so its History counts padded timesteps in `accuracy`; Keras on torch
(and TensorFlow) and minikeras leave them out. Where a scenario's metrics see a mask, the
History is compared with the one recorded with Keras's torch backend (`history_torch`),
the rest (evaluate, predict, weights) with Keras on JAX. Likewise Keras on JAX keeps no
state of a stateful recurrent layer from one batch to the next inside `fit`, `evaluate` and
`predict`; the stateful scenario is recorded with Keras on torch, which carries the states
as minikeras does.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import fit_layers_scenarios as shared

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "fit_layers.json").read_text())[
    "scenarios"
]
SCENARIOS = shared.scenarios(keras)


def test_fixture_and_test_cover_the_same_scenarios():
    assert sorted(FIXTURE) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fit_matches_keras(name):
    expected = FIXTURE[name]
    got = shared.record(keras, name, *SCENARIOS[name])
    assert got["weight_paths"] == expected["weight_paths"]
    history = expected.get("history_torch", expected["history"])
    assert history["loss"] == pytest.approx(expected["history"]["loss"], rel=1e-5)
    assert sorted(got["history"]) == sorted(history)
    for key, values in history.items():
        np.testing.assert_allclose(got["history"][key], values, rtol=1e-3, atol=1e-5, err_msg=key)
    assert sorted(got["evaluate"]) == sorted(expected["evaluate"])
    for key, value in expected["evaluate"].items():
        np.testing.assert_allclose(got["evaluate"][key], value, rtol=1e-3, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(got["predict"], expected["predict"], rtol=1e-3, atol=1e-4)
    for path, have, want in zip(
        expected["weight_paths"], got["final_weights"], expected["final_weights"], strict=True
    ):
        np.testing.assert_allclose(have, want, rtol=1e-3, atol=1e-4, err_msg=path)
