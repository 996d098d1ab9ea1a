"""Keras 3 names minikeras lacked: `keras.tree`'s structure functions, `keras.random`'s
categorical, gamma, beta and binomial, and more; results, signatures and error types from
Keras 3 (tests/fixtures/api_gaps.json, written by generate_api_gaps.py from the scenarios
of api_gaps_scenarios.py)."""

import collections
import json
import os

import pytest

import minikeras as keras
from tests.fixtures import api_gaps_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "api_gaps.json")) as f:
    RECORDED = json.load(f)

TREE = scenarios.tree_calls(keras)


@pytest.mark.parametrize("name", sorted(RECORDED["tree"]))
def test_tree_functions_give_keras_s_results_and_errors(name):
    assert TREE[name] == RECORDED["tree"][name]


def test_tree_functions_have_keras_s_signatures():
    got = scenarios.signatures(keras, ("tree",))
    assert got == {k: v for k, v in RECORDED["signatures"].items() if k.startswith("tree.")}


def test_tree_mismatch_errors_name_what_differs():
    with pytest.raises(ValueError, match=r"missing key\(s\): \['a'\]"):
        keras.tree.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="list arity mismatch; expected: 2, got: 3"):
        keras.tree.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"Paths in `b` missing in `a`:\n\{\('c',\)\}"):
        keras.tree.assert_same_paths({"a": 1}, {"a": 1, "c": 2})


def test_assert_same_structure_check_types_is_deprecated_as_in_keras():
    with pytest.warns(DeprecationWarning, match="no longer has any effect"):
        keras.tree.assert_same_structure([1], [2], check_types=False)


def test_map_structure_one_structure_keeps_tracked_containers_plain():
    from minikeras.layers.tracking import TrackedDict, TrackedList

    mapped = keras.tree.map_structure(lambda v: v + 1, TrackedList([1, TrackedDict(a=2)]))
    assert type(mapped) is list and type(mapped[1]) is dict and mapped == [2, {"a": 3}]


def test_traverse_rebuilds_dicts_in_their_key_order():
    result = keras.tree.traverse(lambda s: None, {"b": [1], "a": 2})
    assert list(result) == ["b", "a"]


def test_map_structure_none_is_leaf_false_keeps_none_out_of_func():
    seen = []
    result = keras.tree.map_structure(
        lambda v: seen.append(v) or v, {"a": None, "b": 1}, none_is_leaf=False
    )
    assert seen == [1] and result == {"a": None, "b": 1}


def test_map_structure_up_to_passes_deeper_parts_whole():
    od = collections.OrderedDict([("y", [1, 2]), ("x", 3)])
    result = keras.tree.map_structure_up_to(od, lambda v: v, od)
    assert isinstance(result, collections.OrderedDict) and list(result.items()) == list(od.items())
