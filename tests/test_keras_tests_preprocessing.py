"""Preprocessing layers and sequence utilities where Keras's own tests
(keras/src/layers/preprocessing/*_test.py, keras/src/utils/*_utils_test.py) found minikeras
differing from Keras 3.15.1. Expected values are the Keras tests' literals or were recorded
with Keras (tests/fixtures/keras_tests_preprocessing.json, written by
tests/fixtures/generate_keras_tests_preprocessing.py)."""

import itertools
import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "keras_tests_preprocessing.json"), encoding="utf-8") as _handle:
    KERAS = json.load(_handle)


# -- adapt(steps=...) stops reading an endless generator ---------------------------------------
def _endless(batch, reads):
    """Yields `batch` forever; fails (rather than hangs) once read well past `steps`."""
    for count in itertools.count():
        reads.append(count)
        if count > 10:
            raise AssertionError("adapt read past `steps`")
        yield batch


@pytest.mark.parametrize(
    "make_layer, batch",
    [
        (lambda: layers.StringLookup(), ["cat", "dog", "bird"]),
        (lambda: layers.IntegerLookup(), [3, 4, 3]),
        (lambda: layers.TextVectorization(), ["the cat sat"]),
    ],
    ids=["StringLookup", "IntegerLookup", "TextVectorization"],
)
def test_adapt_with_steps_reads_only_that_many_batches_of_an_endless_generator(make_layer, batch):
    layer, reads = make_layer(), []
    layer.adapt(_endless(batch, reads), steps=3)
    assert reads == [0, 1, 2]
    assert len(layer.get_vocabulary()) > 1


# -- CategoryEncoding: Keras's rank rules ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(KERAS["category_encoding"]))
def test_category_encoding_output_and_symbolic_shape_match_keras(name):
    case = KERAS["category_encoding"][name]
    layer = layers.CategoryEncoding(**case["kwargs"])
    output = layer(np.array(case["inputs"])).numpy()
    np.testing.assert_array_equal(output, np.array(case["output"], dtype=case["dtype"]))
    assert str(output.dtype) == case["dtype"]
    symbolic = layer(keras.Input(batch_shape=np.shape(case["inputs"]), dtype="int32"))
    assert list(symbolic.shape) == case["symbolic_shape"]


def test_category_encoding_refuses_multi_hot_of_rank_3_inputs():
    # Keras on JAX sums over axis 1 there, against its own output shape: refuse, do not guess.
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    with pytest.raises(ValueError, match="rank at most 2"):
        layer(np.zeros((1, 3, 2), dtype="int32"))


def test_integer_lookup_one_hot_keeps_the_input_dimensions():
    # Keras's integer_lookup_test.test_one_hot_output_with_higher_rank_input.
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="one_hot")
    expected = np.array([[[0, 1, 0, 0], [0, 0, 1, 0]], [[0, 0, 0, 1], [1, 0, 0, 0]]])
    np.testing.assert_array_equal(layer(np.array([[1, 2], [3, 0]])).numpy(), expected)
    np.testing.assert_array_equal(layer(np.array([[[1, 2], [3, 0]]])).numpy(), expected[None])
    symbolic = layer(keras.Input(shape=(2, 2), dtype="int32"))
    assert tuple(symbolic.shape) == (None, 2, 2, 4)


# -- a Python list is one input, not a structure whose values are shapes -----------------------
@pytest.mark.parametrize(
    "layer, inputs",
    [
        (lambda: layers.StringLookup(vocabulary=["one", "two"]), ["one", "two", "four"]),
        (lambda: layers.IntegerLookup(vocabulary=[1, 2]), [1, 2, 3]),
        (lambda: layers.TextVectorization(vocabulary=["a", "b"]), ["a b", "b c"]),
        (lambda: layers.CategoryEncoding(num_tokens=4), [1, 2, 3]),
    ],
    ids=["StringLookup", "IntegerLookup", "TextVectorization", "CategoryEncoding"],
)
def test_preprocessing_layer_called_on_a_list_records_no_build_shape(layer, inputs):
    # Keras's index_lookup_test.test_basics_string_vocab serializes a layer called on a list;
    # the values were recorded as the build shape (strings recursed without end).
    layer = layer()
    layer(inputs)
    assert layer.get_build_config() is None
    config = keras.saving.serialize_keras_object(layer)
    assert config["class_name"] == type(layer).__name__
