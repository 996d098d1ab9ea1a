"""Preprocessing layers and sequence utilities where Keras's own tests
(keras/src/layers/preprocessing/*_test.py, keras/src/utils/*_utils_test.py) found minikeras
differing from Keras 3.15.1. Expected values are the Keras tests' literals or were recorded
with Keras (tests/fixtures/keras_tests_preprocessing.json, written by
tests/fixtures/generate_keras_tests_preprocessing.py)."""

import itertools

import pytest

from minikeras import layers


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
