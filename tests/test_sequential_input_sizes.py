"""A Sequential model takes inputs of its graph's rank whatever their sizes, as Keras's does
(Keras runs a Sequential's graph without its input checks): one built by its first batch
trains on sequences of other lengths. A Functional model keeps checking the sizes."""

import numpy as np
import pytest

import minikeras as keras


def test_a_sequential_built_by_its_first_batch_fits_sequences_of_other_lengths():
    model = keras.Sequential([keras.layers.Reshape((-1, 8))])
    model.compile(loss="mean_squared_error")

    def batches():
        yield np.ones((1, 12, 2), "float32"), np.zeros((1, 3, 8), "float32")
        yield np.ones((1, 20, 2), "float32"), np.zeros((1, 5, 8), "float32")

    history = model.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0)
    assert history.history["loss"] == [1.0]  # ones against zeros, nothing to train
    for length, rows in [(12, 3), (20, 5), (24, 6)]:
        assert tuple(model(np.ones((1, length, 2), "float32")).shape) == (1, rows, 8)


def test_a_sequential_with_an_input_takes_other_sizes_of_the_same_rank_only():
    model = keras.Sequential([keras.Input((5, 7)), keras.layers.Flatten()])
    assert tuple(model(np.ones((2, 7, 5), "float32")).shape) == (2, 35)
    with pytest.raises(ValueError, match="incompatible"):
        model(np.ones((2, 7, 5, 2), "float32"))


def test_a_functional_model_still_checks_the_sizes():
    inputs = keras.Input((5, 7))
    model = keras.Model(inputs, keras.layers.Flatten()(inputs))
    with pytest.raises(ValueError, match=r"expected shape \(None, 5, 7\)"):
        model(np.ones((2, 7, 5), "float32"))
