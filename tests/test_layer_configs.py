"""Layers made with their default arguments have Keras 3's configs (the keys and values
`get_config()` gives, and so what `.keras` files hold); recorded from Keras in
tests/fixtures/layer_configs.json."""

import json
import os
import warnings

import pytest

import minikeras as keras
from tests.fixtures import layer_configs_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "layer_configs.json")) as f:
    RECORDED = json.load(f)["configs"]


@pytest.fixture(scope="module")
def configs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scenarios.default_configs(keras)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_default_config_is_keras_s(configs, name):
    assert configs[name] == RECORDED[name]


@pytest.mark.parametrize("layer", ["Dense", "Embedding"])
def test_keras_s_quantization_and_lora_arguments_are_taken_when_off(layer):
    config = dict(RECORDED[layer], lora_alpha=None)
    made = getattr(keras.layers, layer).from_config(config)
    assert made.get_config()["quantization_config"] is None
    arguments = (3,) if layer == "Dense" else (3, 2)
    with pytest.raises(NotImplementedError, match="quantization_config"):
        getattr(keras.layers, layer)(*arguments, quantization_config={"mode": "int8"})


def test_an_optional_input_stays_optional_through_a_config_round_trip():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b", optional=True)
    model = keras.Model([a, b], keras.layers.Identity()(a))
    copy = keras.Model.from_config(model.get_config())
    assert [layer.optional for layer in copy.layers[:2]] == [False, True]


def test_ragged_inputs_are_refused_as_keras_on_jax_refuses_them():
    with pytest.raises(ValueError, match="ragged"):
        keras.Input((3,), ragged=True)
    assert keras.Input((3,), ragged=False).shape == (None, 3)
