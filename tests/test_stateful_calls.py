"""Stateful SimpleRNN, LSTM and GRU layers (also going backwards) called batch after batch
carry their states from call to call, and `reset_states` starts them again from zeros, as
in Keras 3 (tests/fixtures/stateful_calls.json, written by generate_stateful_calls.py from
stateful_calls_scenarios.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import stateful_calls_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "stateful_calls.json")) as f:
    RECORDED = json.load(f)["calls"]


@pytest.fixture(scope="module")
def got():
    return scenarios.calls(keras)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_stateful_layer_carries_its_states_between_calls_as_keras(got, name):
    for have, want in zip(got[name]["outputs"], RECORDED[name]["outputs"], strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        got[name]["after_reset"], RECORDED[name]["after_reset"], rtol=1e-5, atol=1e-6
    )
