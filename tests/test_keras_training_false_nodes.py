"""A Keras-written config puts `"training": false` into every node of a layer that takes
`training` and was called without it; Keras lets the outer call decide at run time, so a
loaded model trains with its dropout on. minikeras reads that value as no argument
(fixture: tests/fixtures/generate_keras_training_false_nodes.py)."""

import json
import os

import numpy as np

import minikeras as keras

with open(
    os.path.join(os.path.dirname(__file__), "fixtures", "keras_training_false_nodes.json")
) as f:
    FIXTURE = json.load(f)


def test_the_keras_config_has_training_false_in_the_dropout_node():
    layers = json.loads(FIXTURE["model_json"])["config"]["layers"]
    dropout = next(layer for layer in layers if layer["class_name"] == "Dropout")
    assert dropout["inbound_nodes"][0]["kwargs"]["training"] is False


def test_a_loaded_keras_model_drops_in_training_calls_as_keras():
    model = keras.models.model_from_json(FIXTURE["model_json"])
    x = np.ones((4, 200), "float32")
    training = np.mean(np.asarray(model(x, training=True)) == 0)
    inference = np.mean(np.asarray(model(x, training=False)) == 0)
    assert FIXTURE["zero_fraction_training"] > 0.3 and 0.3 < training < 0.7
    assert inference == FIXTURE["zero_fraction_inference"] == 0.0


def test_fit_of_a_loaded_keras_model_applies_its_dropout():
    model = keras.models.model_from_json(FIXTURE["model_json"])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 200), "float32"), np.ones((8, 200), "float32")
    # With dropout on, half the outputs are 0 and the others 2: the loss is 1 (off: 0).
    loss = model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False).history["loss"][0]
    assert 0.6 < loss < 1.4


def test_an_explicit_training_true_in_a_config_stays():
    inputs = keras.Input((200,))
    model = keras.Model(inputs, keras.layers.Dropout(0.5)(inputs, training=True))
    loaded = keras.models.model_from_json(model.to_json())
    assert np.mean(np.asarray(loaded(np.ones((2, 200), "float32"))) == 0) > 0.3
