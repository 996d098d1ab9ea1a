"""Embedding as one primitive (`EmbeddingLookup`) whose indices are a batch input, so that
compiled steps replay it with each batch's indices, checks and casts included."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.layers.core.embedding import EmbeddingLookup
from tests.gradcheck import check_gradients


@pytest.mark.parametrize(
    "indices",
    [
        np.array([[0, 2, 2], [3, 0, 2]]),  # repeated indices add up
        np.array([1, 1, 1, 1]),
        np.array([[[4], [0]], [[2], [4]]]),  # three axes
        np.array([[0.0, 3.0], [3.0, 1.0]]),  # integral floats are cast
    ],
)
def test_embedding_lookup_gradient_matches_finite_differences(rng, indices):
    table = rng.standard_normal((5, 3))
    check_gradients(lambda t, i: EmbeddingLookup("lookup")(t, i), table, indices, wrt=[0])


def test_embedding_lookup_gives_no_gradient_to_rows_not_looked_up():
    table = keras.Variable(np.ones((6, 2), "float32"))
    indices = keras.ops.convert_to_tensor(np.array([[5, 1], [1, 1]]))
    with keras.GradientTape() as tape:
        loss = keras.ops.sum(EmbeddingLookup("lookup")(table, indices))
    (gradient,) = tape.gradient(loss, [table])
    want = np.zeros((6, 2), "float32")
    want[1], want[5] = 3.0, 1.0
    np.testing.assert_array_equal(gradient.numpy(), want)
    assert gradient.numpy().dtype == np.float32


def _embedding_model():
    keras.utils.set_random_seed(5)
    inputs = keras.Input(shape=(4,), dtype="int32")
    h = layers.Embedding(10, 3, name="tokens")(inputs)
    model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(h)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_an_index_out_of_range_is_caught_in_a_replayed_step_before_the_update(rng):
    x = rng.integers(0, 10, (48, 4))
    x[44, 2] = 10  # in the last batch, long after the step was recorded and checked
    y = rng.standard_normal((48, 2)).astype("float32")
    model = _embedding_model()
    seen = []

    class Snapshot(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(model.get_weights())

    with pytest.raises(ValueError, match=r'"tokens": indices must be in \[0, 10\).*from 0 to 10'):
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0, callbacks=[Snapshot()])
    assert model._compiled_steps.replayed["train"] > 0
    assert len(seen) == 5
    for a, b in zip(seen[-1], model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_each_replayed_batch_looks_up_its_own_indices(rng):
    model = _embedding_model()
    x = rng.integers(0, 10, (40, 4))
    replayed = model.predict(x, batch_size=8, verbose=0)
    assert model._compiled_steps.replayed["predict"] == 3
    table = model.layers[1].embeddings.numpy()
    kernel, bias = model.layers[3].get_weights()
    np.testing.assert_allclose(replayed, table[x].reshape(40, -1) @ kernel + bias, rtol=1e-5)


def test_a_masking_embedding_is_not_replayed(rng):
    x = rng.integers(0, 10, (40, 4))
    y = rng.standard_normal((40, 2)).astype("float32")
    model = _embedding_model()
    embedding = model.layers[1]
    assert model._is_replayable()
    # Set on the built layer, as the constructor still refuses it: a layer that masks
    # hands a mask on, which a recording does not vouch for.
    embedding.mask_zero = True
    assert not embedding._is_replayable() and not model._is_replayable()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    assert model._compiled_steps.replayed == {"train": 0, "test": 0, "predict": 0}
