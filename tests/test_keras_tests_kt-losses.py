"""Loss behaviours that running Keras's own losses tests against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/losses/loss_test.py and losses_test.py (see
tools/keras_tests_status.md, section "losses").
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import losses


@pytest.mark.parametrize("dtype", ["bfloat16", "mixed_float16", "not_a_dtype", "str"])
@pytest.mark.parametrize(
    "make",
    [
        lambda dtype: losses.MeanSquaredError(dtype=dtype),
        lambda dtype: losses.CategoricalCrossentropy(dtype=dtype),
        lambda dtype: losses.Dice(dtype=dtype),
        lambda dtype: losses.Loss(dtype=dtype),
    ],
    ids=["MeanSquaredError", "CategoricalCrossentropy", "Dice", "Loss"],
)
def test_loss_dtype_without_a_numpy_dtype_is_rejected_naming_the_argument(make, dtype):
    # Keras's test_dtype_arg tests build losses with dtype="bfloat16", which numpy lacks.
    with pytest.raises(ValueError, match=r"argument `dtype`.*" + repr(dtype)):
        make(dtype)


def test_loss_dtype_that_numpy_has_is_still_the_computation_dtype():
    loss = losses.MeanSquaredError(dtype="float64")
    assert loss.dtype == "float64"
    value = loss(np.array([[1.0, 2.0]]), np.array([[1.0, 4.0]]))
    assert keras.ops.convert_to_numpy(value).dtype == np.float64
    assert losses.MeanSquaredError().dtype == "float32"
