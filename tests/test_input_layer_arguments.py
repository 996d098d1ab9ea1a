"""InputLayer's arguments are checked as Keras 3.15 checks them (values read from Keras)."""

import warnings

import pytest

import minikeras as keras
from minikeras.layers import InputLayer


def test_batch_size_with_batch_shape_is_refused_instead_of_ignored():
    with pytest.raises(ValueError, match="`batch_size` or `batch_shape`"):
        InputLayer(batch_size=4, batch_shape=(2, 3))


@pytest.mark.parametrize(
    "argument, value",
    [("shape", (4,)), ("batch_size", 2), ("batch_shape", (2, 3)), ("dtype", "int32")],
)
def test_an_argument_that_contradicts_input_tensor_is_refused_naming_it(argument, value):
    with pytest.raises(ValueError, match=f"incompatible `{argument}` argument"):
        InputLayer(input_tensor=keras.Input((3,)), **{argument: value})


def test_input_tensor_gives_its_shape_and_dtype():
    layer = InputLayer(input_tensor=keras.Input(batch_shape=(2, 3), dtype="int32"))
    assert layer.batch_shape == (2, 3)
    assert layer.output.shape == (2, 3)
    assert layer.output.dtype == "int32"
    agreeing = InputLayer(input_tensor=keras.Input((3,)), shape=(3,), dtype="float32")
    assert agreeing.batch_shape == (None, 3)


def test_input_tensor_must_be_symbolic():
    with pytest.raises(ValueError, match="must be a KerasTensor"):
        InputLayer(input_tensor=keras.ops.ones((2, 3)))


def test_input_shape_is_deprecated_with_a_warning_as_in_keras():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = InputLayer(input_shape=(3,))
    assert layer.batch_shape == (None, 3)
    assert any("`input_shape` is deprecated" in str(w.message) for w in caught)
