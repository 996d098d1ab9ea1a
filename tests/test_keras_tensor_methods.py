"""KerasTensor has the two array methods Keras's has, `reshape` and `squeeze`, each
recorded as its op (shapes from Keras's keras_tensor_test `test_numpy_methods`)."""

import numpy as np
import pytest

import minikeras as keras


def test_keras_tensor_reshape_and_squeeze_record_their_ops():
    x = keras.KerasTensor((3, 2), dtype="float32")
    x = x.reshape((6,))
    assert x.shape == (6,)
    x = keras.ops.expand_dims(x, -1).squeeze()
    assert x.shape == (6,)
    x = keras.ops.expand_dims(x, axis=0).squeeze(axis=0)
    assert x.shape == (6,)


def test_a_functional_model_built_with_reshape_and_squeeze_computes_them():
    inputs = keras.Input((3, 2))
    outputs = keras.ops.expand_dims(inputs.reshape((-1, 6)), 1).squeeze(1)
    model = keras.Model(inputs, outputs)
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.reshape(2, 6))


def test_iterating_over_a_keras_tensor_raises_as_keras_instead_of_never_ending():
    with pytest.raises(NotImplementedError, match="Iterating over a symbolic KerasTensor"):
        list(keras.Input((3,)))
    with pytest.raises(NotImplementedError, match="Iterating"):
        _first, _second = keras.KerasTensor((2, 3))
