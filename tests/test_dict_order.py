"""Dicts are walked as Keras walks them: `keras.tree` visits a dict's values in sorted key
order (an OrderedDict's in its own), and so do a Functional model's dict inputs
(`model.inputs`); values from Keras 3 (tests/fixtures/dict_order.json, written by
generate_dict_order.py from the scenarios of dict_order_scenarios.py)."""

import collections
import json
import os

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import dict_order_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "dict_order.json")) as f:
    RECORDED = json.load(f)


def test_tree_walks_dicts_in_sorted_key_order_as_keras():
    got = scenarios.tree_calls(keras)
    for key, expected in RECORDED["tree"].items():
        assert got[key] == expected, key


def test_tree_keeps_an_ordered_dict_s_own_order():
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    assert keras.tree.flatten(ordered) == [1, 2]
    packed = keras.tree.pack_sequence_as(ordered, [5, 6])
    assert list(packed.items()) == [("b", 5), ("a", 6)]


@pytest.fixture(scope="module")
def model_calls():
    return scenarios.dict_model_calls(keras)


def test_dict_model_inputs_are_in_keras_s_order(model_calls):
    assert model_calls["input_names"] == RECORDED["model"]["input_names"]


def test_dict_model_output_names_are_its_output_layers_names_as_keras(model_calls):
    assert model_calls["output_names"] == RECORDED["model"]["output_names"]


def test_dict_model_predicts_trains_and_evaluates_as_keras(model_calls):
    expected = RECORDED["model"]
    for key, values in expected["predictions"].items():
        np.testing.assert_allclose(model_calls["predictions"][key], values, rtol=1e-5, atol=1e-6)
    assert sorted(model_calls["history"]) == sorted(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(model_calls["history"][key], values, rtol=1e-4, err_msg=key)
    for name in ("evaluate", "train_on_batch"):
        np.testing.assert_allclose(model_calls[name], expected[name], rtol=1e-4, err_msg=name)


def test_a_list_for_a_dict_model_with_unsorted_keys_is_refused():
    model = scenarios.dict_model(keras)
    arrays = [np.zeros((2, n), "float32") for n in (2, 4, 1, 3)]
    with pytest.raises(ValueError, match="not in sorted order"):
        model.predict(arrays, verbose=0)


def test_nested_dict_outputs_name_metrics_after_their_layers_as_keras():
    got, expected = scenarios.nested_dict_model_calls(keras), RECORDED["nested_model"]
    assert sorted(got["history"]) == sorted(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(got["history"][key], values, rtol=1e-4, err_msg=key)
    np.testing.assert_allclose(got["evaluate"], expected["evaluate"], rtol=1e-4)
    assert got["metrics_names"] == expected["metrics_names"]
    assert got["output_names"] == expected["output_names"]


def test_ordered_dict_model_lists_its_layers_in_the_ordered_dict_s_order_as_keras():
    got = scenarios.ordered_dict_model_layers(keras)
    assert got == RECORDED["ordered_dict_model"]


def test_pack_sequence_as_keeps_ordered_dicts_and_defaultdicts_as_keras():
    ordered = keras.tree.pack_sequence_as(collections.OrderedDict([("b", 1), ("a", 2)]), [5, 6])
    assert type(ordered) is collections.OrderedDict
    assert list(ordered.items()) == [("b", 5), ("a", 6)]
    factory = list
    default = keras.tree.pack_sequence_as(collections.defaultdict(factory, b=1, a=2), [5, 6])
    assert type(default) is collections.defaultdict and default.default_factory is factory
    assert list(default.items()) == [("b", 6), ("a", 5)]  # leaves in sorted key order
    assert type(keras.tree.pack_sequence_as(collections.OrderedDict(), [])) is (
        collections.OrderedDict
    )
