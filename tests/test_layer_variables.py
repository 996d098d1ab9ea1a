"""The lists of a layer's variables, as Keras 3 keeps them (fixture from real Keras:
tests/fixtures/generate_layer_variables.py).

Keras counts each seed generator's state among `variables` and `non_trainable_variables`
(not among the weights, and not in `.weights.h5` files), every recurrent cell has one, and
metric state is only in `metrics_variables`.
"""

import json
import os

import pytest

import minikeras as keras
from tests.fixtures.layer_variables_scenarios import scenarios, variable_lists

with open(os.path.join(os.path.dirname(__file__), "fixtures", "layer_variables.json")) as f:
    EXPECTED = json.load(f)["scenarios"]


@pytest.fixture(scope="module")
def ours():
    keras.utils.set_random_seed(0)
    return {name: variable_lists(layer) for name, layer in scenarios(keras).items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_variable_lists_match_keras(ours, name):
    assert ours[name] == EXPECTED[name]


def test_seed_states_are_not_saved_with_the_weights(tmp_path):
    """Keras's `.weights.h5` holds the weights only: a file round trip leaves the seed
    generator's state alone and loads into a model with the same weights."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dropout(0.5)])
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    other = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dropout(0.5)])
    other.load_weights(path)
    assert len(other.variables) == len(other.weights) + 1
    for a, b in zip(model.weights, other.weights):
        assert (a.numpy() == b.numpy()).all()


def test_a_seed_generator_assigned_after_the_variables_were_read_is_listed():
    """Assigning a seed generator changes the layer's structure, as assigning a variable
    does: the cached list of variables is made again."""

    class Passthrough(keras.layers.Layer):
        def call(self, x):
            return x

    layer = Passthrough()
    assert layer.variables == []
    layer.generator = keras.random.SeedGenerator(1)
    assert layer.variables == [layer.generator.state]
    assert layer.non_trainable_variables == [layer.generator.state]
