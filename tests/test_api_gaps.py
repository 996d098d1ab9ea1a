"""Keras 3 names minikeras lacked: `keras.tree`'s structure functions, `keras.random`'s
categorical, gamma, beta and binomial, and more; results, signatures and error types from
Keras 3 (tests/fixtures/api_gaps.json, written by generate_api_gaps.py from the scenarios
of api_gaps_scenarios.py)."""

import collections
import json
import os

import numpy as np
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


@pytest.mark.parametrize("name", sorted(RECORDED["random"]))
def test_random_draws_have_keras_s_shapes_dtypes_and_errors(name):
    assert scenarios.random_calls(keras)[name] == RECORDED["random"][name]


def test_random_functions_have_keras_s_signatures():
    got = scenarios.signatures(keras, ("random",))
    assert got == {k: v for k, v in RECORDED["signatures"].items() if k.startswith("random.")}


RANDOM_DRAWS = {
    "categorical": lambda seed: keras.random.categorical(np.zeros((2, 4), "float32"), 6, seed=seed),
    "gamma": lambda seed: keras.random.gamma((3, 2), 1.5, seed=seed),
    "beta": lambda seed: keras.random.beta((3, 2), 2.0, 3.0, seed=seed),
    "binomial": lambda seed: keras.random.binomial((3, 2), 20, 0.4, seed=seed),
}


@pytest.mark.parametrize("name", sorted(RANDOM_DRAWS))
def test_random_draws_follow_keras_s_seed_semantics(name):
    draw = RANDOM_DRAWS[name]
    np.testing.assert_array_equal(draw(7).numpy(), draw(7).numpy())
    generator = keras.random.SeedGenerator(3)
    first, second = draw(generator).numpy(), draw(generator).numpy()
    assert not np.array_equal(first, second)
    replay = keras.random.SeedGenerator(3)
    np.testing.assert_array_equal(draw(replay).numpy(), first)
    keras.utils.set_random_seed(11)
    unseeded = draw(None).numpy()
    keras.utils.set_random_seed(11)
    np.testing.assert_array_equal(draw(None).numpy(), unseeded)


def test_categorical_samples_follow_the_softmax_of_the_logits():
    probabilities = np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    with np.errstate(divide="ignore"):
        logits = np.log(probabilities).astype("float32")
    samples = keras.random.categorical(logits, 40000, seed=4).numpy()
    assert samples.shape == (2, 40000) and samples.dtype == np.int32
    for row in range(2):
        frequencies = np.bincount(samples[row], minlength=3) / 40000
        np.testing.assert_allclose(frequencies, probabilities[row], atol=0.01)
    assert not np.any(samples[1] == 1)


def test_gamma_beta_binomial_have_the_distributions_moments():
    n = 40000
    gamma = keras.random.gamma((n,), 3.0, seed=1).numpy()
    np.testing.assert_allclose([gamma.mean(), gamma.var()], [3.0, 3.0], rtol=0.05)
    a, b = 2.0, 5.0
    beta = keras.random.beta((n,), a, b, seed=1).numpy()
    moments = [a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))]
    np.testing.assert_allclose([beta.mean(), beta.var()], moments, rtol=0.05)
    binomial = keras.random.binomial((n,), 10, 0.3, seed=1).numpy()
    np.testing.assert_allclose([binomial.mean(), binomial.var()], [3.0, 2.1], rtol=0.05)
    assert gamma.dtype == beta.dtype == binomial.dtype == np.float32


def test_distribution_parameters_outside_their_range_raise_naming_them():
    # Keras on JAX returns NaN samples for these.
    with pytest.raises(ValueError, match="alpha"):
        keras.random.gamma((2,), -1.0, seed=1)
    with pytest.raises(ValueError, match="probabilities"):
        keras.random.binomial((2,), 10, 1.5, seed=1)
    with pytest.raises(ValueError, match="counts"):
        keras.random.binomial((2,), -3, 0.5, seed=1)
    with pytest.raises(ValueError, match="beta"):
        keras.random.beta((2,), 1.0, -2.0, seed=1)


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
