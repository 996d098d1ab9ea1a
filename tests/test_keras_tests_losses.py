"""Loss behaviours that running Keras's own losses tests against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/losses/loss_test.py and losses_test.py (see
tools/keras_tests_status.md, section "losses").
"""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import losses
from tests.fixtures.ctc_loss_scenarios import fit_ctc_model
from tests.gradcheck import check_gradients, float64


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


# -- CTC ------------------------------------------------------------------------------------
with open(os.path.join(os.path.dirname(__file__), "fixtures", "ctc_loss.json")) as f:
    CTC_FIXTURE = json.load(f)


@pytest.mark.parametrize("case", CTC_FIXTURE["cases"], ids=lambda case: case["name"])
def test_ctc_loss_matches_keras(case):
    # Includes Keras's losses_test CTCTest.test_correctness case (2.448645).
    y_true = np.array(case["y_true"])
    logits = keras.Variable(np.array(case["logits"], dtype="float32"))
    values = losses.ctc(y_true, logits)
    assert np.asarray(values).dtype == np.float32
    np.testing.assert_allclose(np.asarray(values), case["values"], rtol=1e-5)
    np.testing.assert_allclose(float(losses.CTC()(y_true, logits)), case["mean"], rtol=1e-5)
    with keras.GradientTape() as tape:
        total = keras.ops.sum(losses.ctc(y_true, logits))
    (grad,) = tape.gradient(total, [logits])
    assert np.asarray(grad).dtype == np.float32
    np.testing.assert_allclose(np.asarray(grad), case["grad"], rtol=1e-4, atol=1e-5)


def test_ctc_loss_trains_a_model_as_keras_does():
    np.testing.assert_allclose(fit_ctc_model(keras), CTC_FIXTURE["fit_history"], rtol=1e-5)


def test_ctc_loss_gradients_finite_differences():
    labels = np.array([[1, 1, 2], [2, 0, 0]])
    logits = np.random.default_rng(3).normal(size=(2, 5, 3))
    with float64():
        check_gradients(lambda x: losses.ctc(labels, x), logits)


def test_ctc_loss_config_round_trips_and_resolves_by_name():
    loss = losses.CTC(name="myctc", reduction="sum")
    assert loss.get_config() == {"name": "myctc", "reduction": "sum"}
    revived = losses.deserialize(losses.serialize(loss))
    assert type(revived) is losses.CTC and revived.get_config() == loss.get_config()
    assert losses.get("ctc") is losses.ctc and isinstance(losses.get("CTC"), losses.CTC)


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        (np.zeros((2, 3, 1)), np.zeros((2, 4, 3)), r"y_true\.shape=\(2, 3, 1\)"),
        (np.zeros((2, 3)), np.zeros((2, 4)), r"y_pred\.shape=\(2, 4\)"),
        (np.array([[1, 3]]), np.zeros((1, 4, 3)), r"labels must be in \[0, 3\)"),
    ],
)
def test_ctc_loss_rejects_bad_shapes_and_labels_naming_them(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        losses.CTC()(y_true, y_pred)
