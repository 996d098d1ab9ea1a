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


@pytest.mark.parametrize("name", sorted(RECORDED["utils_and_backend"]))
def test_utils_and_backend_helpers_give_keras_s_results(name):
    if name == "result_type_jax":
        # Keras on JAX narrows 64-bit results to 32 bits; minikeras computes in 64 bits,
        # so it answers as Keras on TensorFlow does (recorded as "result_type").
        jax, kept = (
            RECORDED["utils_and_backend"][name],
            RECORDED["utils_and_backend"]["result_type"],
        )
        assert jax != kept
        return
    got = scenarios.utils_and_backend_calls(keras)[name]
    expected = RECORDED["utils_and_backend"][name]
    if name == "result_type":
        # uint32 with a signed type of 32 bits or fewer: minikeras's ops give int32, as Keras
        # on JAX does (recorded as "result_type_jax"), not the kept-64-bit lattice's int64.
        on_jax = RECORDED["utils_and_backend"]["result_type_jax"]
        for dtypes, value, kept, jax in zip(scenarios.PROMOTIONS, got, expected, on_jax):
            narrowed = "uint32" in dtypes and not {"int64", "uint64"} & set(map(str, dtypes))
            assert value == (jax if narrowed else kept), dtypes
        return
    assert got == expected


def test_result_type_keeps_64_bit_types_where_minikeras_computes_in_them():
    assert keras.backend.result_type("int32", "int64") == "int64"
    assert keras.backend.result_type("float64", "float32") == "float64"
    for first, second in [("float64", "float32"), ("uint32", "int32"), ("int64", "float16")]:
        values = keras.ops.add(keras.ops.ones(2, first), keras.ops.ones(2, second))
        expected = keras.backend.result_type(first, second)
        assert keras.backend.standardize_dtype(values.dtype) == expected


def test_utils_config_backend_functions_have_keras_s_signatures():
    assert scenarios.more_signatures(keras) == RECORDED["more_signatures"]


@pytest.mark.parametrize("name", sorted(RECORDED["config"]))
def test_config_switches_and_dtype_policies_as_keras(name):
    got = scenarios.config_calls(keras)[name]
    if name in ("set_mixed_float16", "set_mixed_bfloat16"):
        # minikeras does not do mixed precision: it raises instead of ignoring the policy.
        assert got == {"error": "ValueError"}
        return
    assert got == RECORDED["config"][name]


def test_mixed_precision_policies_raise_naming_the_supported_ones():
    with pytest.raises(ValueError, match=r"mixed precision.*'float16', 'float32', 'float64'"):
        keras.config.set_dtype_policy("mixed_float16")
    assert keras.config.floatx() == "float32"


def test_set_dtype_policy_float64_makes_float64_layers():
    try:
        keras.config.set_dtype_policy(keras.layers.Dense(1, dtype="float64").dtype_policy)
        layer = keras.layers.Dense(2)
        layer.build((None, 3))
        assert layer.kernel.numpy().dtype == np.float64
        assert keras.config.dtype_policy().name == "float64"
    finally:
        keras.config.set_dtype_policy("float32")


def _fit_tiny_model(verbose):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 2), "float32")
    model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=verbose)
    model.evaluate(x, x[:, :1], verbose=verbose)
    model.summary()


@pytest.fixture
def logging_disabled():
    keras.config.disable_interactive_logging()
    yield
    keras.config.enable_interactive_logging()


@pytest.mark.parametrize("verbose", [1, 2])
def test_disabled_interactive_logging_sends_fit_output_to_logging(
    verbose, logging_disabled, capsys, caplog
):
    with caplog.at_level("INFO", logger="minikeras"):
        _fit_tiny_model(verbose)
    captured = capsys.readouterr()
    assert captured.out == ""
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Epoch 2/2" in logged and "loss:" in logged and "Total params" in logged


def test_interactive_logging_prints_fit_output(capsys):
    _fit_tiny_model(1)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "loss:" in out and "Total params" in out


def test_enable_unsafe_deserialization_lets_load_model_read_a_lambda(tmp_path):
    from minikeras.saving import serialization

    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        keras.saving.load_model(path)
    try:
        keras.config.enable_unsafe_deserialization()
        loaded = keras.saving.load_model(path)
    finally:
        serialization._safe_mode[0] = None
    np.testing.assert_allclose(loaded(np.ones((1, 2), "float32")).numpy(), [[2.0, 2.0]])


@pytest.mark.parametrize("name", sorted(RECORDED["top_level"]))
def test_top_level_names_as_keras(name):
    got = scenarios.top_level_calls(keras)[name]
    expected = RECORDED["top_level"][name]
    if expected == {"error": "RuntimeError"}:
        # Keras on JAX raises JAX's RuntimeError for a platform it lacks; minikeras, which
        # has the CPU only, raises a ValueError naming the devices it takes.
        assert got == {"error": "ValueError"}
        return
    assert got == expected


def test_version_is_minikeras_s():
    assert keras.version() == keras.__version__


def test_device_other_than_the_cpu_raises_naming_the_choices():
    with pytest.raises(ValueError, match=r"CPU only.*'cpu' or 'cpu:0'"):
        keras.device("gpu:0")
    with keras.device("/device:CPU:0"):
        pass


def test_name_scope_is_left_on_error_and_layers_outside_keep_plain_paths():
    with pytest.raises(RuntimeError):
        with keras.name_scope("broken"):
            raise RuntimeError("inside")
    layer = keras.layers.Dense(1, name="plain")
    layer.build((None, 2))
    assert layer.kernel.path == "plain/kernel"
