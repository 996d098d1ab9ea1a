"""Arrays keep the dtypes Keras gives them: a float16 array stays float16 when converted,
in ops and through `keras.random.dropout` (a layer still computes in float32), and
`dropout` with rate 1 drops everything; values from Keras 3 (tests/fixtures/
tensor_dtypes.json, written by generate_tensor_dtypes.py from tensor_dtypes_scenarios.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import tensor_dtypes_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "tensor_dtypes.json")) as f:
    RECORDED = json.load(f)["calls"]

GOT = scenarios.dtype_calls(keras)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_dtype_of_each_call_is_keras_s(name):
    assert GOT[name] == RECORDED[name]


def test_float16_arrays_stay_float16_but_float64_arrays_become_floatx():
    assert keras.ops.convert_to_tensor(np.ones(2, "float16")).dtype == "float16"
    assert keras.ops.convert_to_tensor(np.ones(2, "float64")).dtype == "float32"


def test_dropout_rejects_rates_outside_zero_to_one():
    with pytest.raises(ValueError, match="rate"):
        keras.random.dropout(np.ones(3, "float32"), 1.5)
