"""Layers called on integer inputs return what Keras 3 returns (float32: no silent float64);
dtypes recorded from Keras in tests/fixtures/integer_inputs.json."""

import json
import os

import pytest

import minikeras as keras
from tests.fixtures import integer_inputs_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "integer_inputs.json")) as f:
    RECORDED = json.load(f)["dtypes"]


@pytest.fixture(scope="module")
def dtypes():
    return scenarios.output_dtypes(keras)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_integer_inputs_give_keras_s_output_dtype(dtypes, name):
    assert dtypes[name] == RECORDED[name]


def test_a_dense_layer_trains_on_integer_inputs_in_float32():
    model = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(scenarios.X2, scenarios.X2[:, :1] * 1.0, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert all(w.dtype == "float32" for w in model.get_weights())
