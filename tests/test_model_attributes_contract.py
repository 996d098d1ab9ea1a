"""Model attributes and small utilities that Keras code reads, as Keras 3.15 has them."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(1)])


def test_model_loss_is_the_loss_given_to_compile():
    model = _model()
    assert model.loss is None
    loss = keras.losses.Huber(delta=2.0)
    model.compile(loss=loss)
    assert model.loss is loss
    model.compile(loss="mse")
    assert model.loss == "mse"


def test_a_metric_of_shape_one_stays_an_array_in_history_and_evaluate():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = (rng.random((40, 1)) > 0.5).astype("float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", metrics=[keras.metrics.F1Score(name="f1_score")])
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    assert isinstance(history.history["loss"][0], float)
    for key in ("f1_score", "val_f1_score"):
        assert np.shape(history.history[key][0]) == (1,)
    loss, f1 = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float) and np.shape(f1) == (1,)


def test_utils_packs_and_unpacks_batches_as_keras():
    x, y, w = np.zeros((2, 3)), np.ones(2), np.ones(2)
    assert keras.utils.pack_x_y_sample_weight(x) is x
    assert keras.utils.pack_x_y_sample_weight((x, y)) == ((x, y),)
    assert keras.utils.pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert keras.utils.unpack_x_y_sample_weight(x) == (x, None, None)
    assert keras.utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert keras.utils.unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    with pytest.raises(ValueError, match="length 4"):
        keras.utils.unpack_x_y_sample_weight((x, y, w, w))


def test_set_weights_with_a_non_numeric_value_changes_no_weight():
    model = _model()
    layer = model.layers[0]
    before = layer.get_weights()
    bad = [np.full(before[0].shape, 5.0, "float32"), np.array(["a"] * 4)]
    with pytest.raises(ValueError, match="needs numbers"):
        layer.set_weights(bad)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("first, second", [("relu", "tanh"), ("softmax", None), (None, "relu")])
def test_dense_uses_an_activation_assigned_after_construction(first, second):
    keras.utils.set_random_seed(1)
    layer = layers.Dense(4, activation=first)
    x = np.random.default_rng(0).standard_normal((3, 5)).astype("float32")
    layer(x)
    layer.activation = keras.activations.get(second)
    expected = x @ layer.kernel.numpy() + layer.bias.numpy()
    if second is not None:
        expected = keras.activations.get(second)(expected).numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6, atol=1e-6)
