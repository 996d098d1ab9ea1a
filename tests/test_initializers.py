"""Initializers: fans, distributions against Keras's sample statistics, seeds, dtypes,
configs and `get`/`serialize`/`deserialize`.

Reference numbers come from tests/fixtures/initializers.json, written by real Keras 3 with
tests/fixtures/generate_initializers.py. Keras draws with JAX's generator and minikeras with
numpy's, so random values are compared through large-sample statistics, not one by one.
"""

import json
import math
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import initializers

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "initializers.json").read_text())

# Keras class name -> constructor arguments used by the fixture's "serialized" section.
FIXTURE_INSTANCES = {
    "Zeros": lambda: initializers.Zeros(),
    "Ones": lambda: initializers.Ones(),
    "Constant": lambda: initializers.Constant(2.5),
    "Identity": lambda: initializers.Identity(gain=2.0),
    "RandomNormal": lambda: initializers.RandomNormal(mean=1.0, stddev=0.5, seed=3),
    "RandomUniform": lambda: initializers.RandomUniform(minval=-2.0, maxval=1.0, seed=3),
    "TruncatedNormal": lambda: initializers.TruncatedNormal(mean=0.5, stddev=2.0),
    "VarianceScaling": lambda: initializers.VarianceScaling(
        scale=2.0, mode="fan_out", distribution="untruncated_normal", seed=7
    ),
    "GlorotUniform": lambda: initializers.GlorotUniform(),
    "GlorotNormal": lambda: initializers.GlorotNormal(seed=1),
    "HeNormal": lambda: initializers.HeNormal(),
    "HeUniform": lambda: initializers.HeUniform(),
    "LecunNormal": lambda: initializers.LecunNormal(),
    "LecunUniform": lambda: initializers.LecunUniform(),
    "Orthogonal": lambda: initializers.Orthogonal(gain=1.5, seed=2),
}

# Fixture sample name -> the same initializer in minikeras.
SAMPLE_INSTANCES = {
    "glorot_uniform_400_300": lambda: initializers.GlorotUniform(seed=1),
    "glorot_normal_400_300": lambda: initializers.GlorotNormal(seed=1),
    "he_normal_3_3_64_128": lambda: initializers.HeNormal(seed=1),
    "he_uniform_3_3_64_128": lambda: initializers.HeUniform(seed=1),
    "lecun_normal_500_200": lambda: initializers.LecunNormal(seed=1),
    "lecun_uniform_500_200": lambda: initializers.LecunUniform(seed=1),
    "variance_scaling_fan_out_untruncated_300_500": lambda: initializers.VarianceScaling(
        2.0, "fan_out", "untruncated_normal", seed=1
    ),
    "random_normal_1_0.5_400_300": lambda: initializers.RandomNormal(1.0, 0.5, seed=1),
    "random_uniform_-2_1_400_300": lambda: initializers.RandomUniform(-2.0, 1.0, seed=1),
    "truncated_normal_0.5_2_400_300": lambda: initializers.TruncatedNormal(0.5, 2.0, seed=1),
}
UNBOUNDED_SAMPLES = {
    "random_normal_1_0.5_400_300",
    "variance_scaling_fan_out_untruncated_300_500",
}


# -- fans -----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["fans"], ids=lambda c: str(c["shape"]))
def test_compute_fans_matches_keras(case):
    assert initializers.compute_fans(case["shape"]) == tuple(case["fans"])


def test_compute_fans_with_explicit_axes():
    # (heads, in, out) with inputs on axes 0 and 1: fan_in = 4 * 8, fan_out = 16.
    assert initializers.compute_fans((4, 8, 16), input_axes=[0, 1], output_axes=[2]) == (32, 16)


# -- distributions --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SAMPLE_INSTANCES))
def test_sample_statistics_match_keras(name):
    expected = FIXTURE["statistics"][name]
    values = SAMPLE_INSTANCES[name]()(tuple(expected["shape"]))
    assert values.dtype == expected["dtype"] == "float32"
    assert values.shape == tuple(expected["shape"])
    data = values.numpy().astype(np.float64)
    std = expected["std"]
    # Two independent samples of n >= 60_000: their means differ by ~std * sqrt(2 / n) and
    # their standard deviations by less than std / sqrt(n). Six of those is a safe margin
    # that still catches a wrong scale (a missing truncation constant is 12% off).
    n = data.size
    assert abs(data.mean() - expected["mean"]) < 6 * std * math.sqrt(2 / n)
    assert abs(data.std() - std) < 6 * std / math.sqrt(n)
    # Bounded distributions (uniform, truncated) reach their bounds in both libraries.
    if name not in UNBOUNDED_SAMPLES:
        assert data.min() >= expected["min"] - 1e-3 * std
        assert data.max() <= expected["max"] + 1e-3 * std
        assert data.min() < expected["min"] + 0.02 * std
        assert data.max() > expected["max"] - 0.02 * std


def test_variance_scaling_formulas_by_hand():
    shape = (200, 300)
    fan_in, fan_out = 200, 300
    uniform = initializers.VarianceScaling(3.0, "fan_avg", "uniform", seed=0)(shape).numpy()
    limit = math.sqrt(3.0 * 3.0 / ((fan_in + fan_out) / 2))
    assert np.abs(uniform).max() <= limit
    assert np.abs(uniform).max() > 0.999 * limit
    np.testing.assert_allclose(uniform.std(), limit / math.sqrt(3), rtol=0.02)

    # Truncated normal: stddev before truncation sqrt(scale/n) / 0.8796..., cut at 2 stddev,
    # so the samples have standard deviation sqrt(scale/n).
    truncated = initializers.VarianceScaling(2.0, "fan_in", "truncated_normal", seed=0)(
        shape
    ).numpy()
    target = math.sqrt(2.0 / fan_in)
    bound = 2 * target / 0.87962566103423978
    assert np.abs(truncated).max() <= bound * (1 + 1e-6)
    assert np.abs(truncated).max() > 0.99 * bound
    np.testing.assert_allclose(truncated.std(), target, rtol=0.02)

    normal = initializers.VarianceScaling(0.5, "fan_out", "untruncated_normal", seed=0)(
        shape
    ).numpy()
    np.testing.assert_allclose(normal.std(), math.sqrt(0.5 / fan_out), rtol=0.02)
    assert np.abs(normal).max() > 3 * math.sqrt(0.5 / fan_out)  # not truncated


def test_variance_scaling_normal_means_truncated_and_small_fans_floor_at_one():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    # A scalar weight has fans (1, 1); a (0, 5) kernel would divide by zero without the floor.
    values = initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=0)((0, 5))
    assert values.shape == (0, 5)
    scalar = initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=0)(()).numpy()
    assert abs(float(scalar)) <= math.sqrt(3.0)


def test_orthogonal_is_orthogonal_times_gain():
    expected = np.asarray(FIXTURE["orthogonal_6_4_gram"])
    q = initializers.Orthogonal(gain=1.5, seed=2)((6, 4)).numpy().astype(np.float64)
    np.testing.assert_allclose(q.T @ q, expected, atol=1e-5)
    wide = initializers.Orthogonal(seed=2)((3, 7)).numpy().astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    kernel = initializers.Orthogonal(seed=2)((3, 3, 4, 16)).numpy().astype(np.float64)
    flat = kernel.reshape(36, 16)
    np.testing.assert_allclose(flat.T @ flat, np.eye(16), atol=1e-5)


# -- deterministic initializers ---------------------------------------------------------------
def test_constant_and_identity_values_match_keras():
    values = FIXTURE["values"]
    np.testing.assert_array_equal(
        initializers.Constant(2.5)((2, 3)).numpy(), values["constant_2_5_shape_2_3"]
    )
    np.testing.assert_array_equal(
        initializers.Identity(gain=2.0)((3, 4)).numpy(), values["identity_gain_2_shape_3_4"]
    )
    np.testing.assert_array_equal(
        initializers.Identity()((4, 2)).numpy(), values["identity_shape_4_2"]
    )


def test_zeros_ones_and_non_float_dtypes():
    assert initializers.Zeros()((2, 3)).numpy().tolist() == [[0.0] * 3] * 2
    ones = initializers.Ones()((4,), dtype="int32")
    assert ones.dtype == "int32" and ones.numpy().tolist() == [1, 1, 1, 1]
    assert initializers.Constant(3)((2,), dtype="int64").numpy().tolist() == [3, 3]


@pytest.mark.parametrize(
    "make",
    [
        lambda: initializers.Zeros(),
        lambda: initializers.Ones(),
        lambda: initializers.Constant(0.1),
        lambda: initializers.Identity(),
        lambda: initializers.RandomNormal(seed=1),
        lambda: initializers.RandomUniform(seed=1),
        lambda: initializers.TruncatedNormal(seed=1),
        lambda: initializers.GlorotUniform(seed=1),
        lambda: initializers.HeNormal(seed=1),
        lambda: initializers.Orthogonal(seed=1),
    ],
)
def test_dtype_defaults_to_floatx_and_honours_float64(make):
    initializer = make()
    assert initializer((3, 4)).dtype == "float32"
    assert initializer((3, 4), dtype="float64").dtype == "float64"
    keras.config.set_floatx("float64")
    value = initializer((3, 4))
    assert isinstance(value, keras.Tensor) and value.dtype == "float64"


def test_random_initializers_reject_integer_dtypes():
    for initializer in (initializers.RandomNormal(seed=1), initializers.Orthogonal(seed=1)):
        with pytest.raises(ValueError, match="float"):
            initializer((2, 2), dtype="int32")


def test_variable_accepts_an_initializer():
    variable = keras.Variable(initializers.get("ones"), shape=(2, 2))
    assert variable.numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    keras.config.set_floatx("float64")
    variable = keras.Variable(initializers.GlorotUniform(seed=0), shape=(3, 5))
    assert variable.dtype == "float64"
    np.testing.assert_array_equal(
        variable.numpy(), initializers.GlorotUniform(seed=0)((3, 5)).numpy()
    )


# -- seeds ------------------------------------------------------------------------------------
def test_repeated_calls_follow_keras_seed_semantics():
    repeats = FIXTURE["repeat_calls_equal"]
    for label, seed in [
        ("int", 5),
        ("none", None),
        ("seed_generator", keras.random.SeedGenerator(5)),
    ]:
        initializer = initializers.RandomNormal(seed=seed)
        same = np.array_equal(initializer((4,)).numpy(), initializer((4,)).numpy())
        assert same == repeats[label], label


def test_int_seed_reproduces_across_instances_and_seeds_differ():
    a = initializers.GlorotUniform(seed=7)((5, 5)).numpy()
    b = initializers.GlorotUniform(seed=7)((5, 5)).numpy()
    c = initializers.GlorotUniform(seed=8)((5, 5)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_set_random_seed_makes_unseeded_initializers_reproducible():
    assert FIXTURE["set_random_seed_reproducible"] is True
    keras.utils.set_random_seed(11)
    first = [initializers.GlorotUniform()((3, 3)).numpy() for _ in range(2)]
    keras.utils.set_random_seed(11)
    second = [initializers.GlorotUniform()((3, 3)).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    # Two instances created one after the other draw different seeds.
    assert not np.array_equal(first[0], first[1])


def test_seed_must_be_int_or_seed_generator():
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed="3")
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed=1.5)


# -- configs, get, serialize ------------------------------------------------------------------
@pytest.mark.parametrize("class_name", sorted(FIXTURE_INSTANCES))
def test_serialize_matches_keras(class_name):
    expected = FIXTURE["serialized"][class_name]
    if class_name == "Identity":
        # Keras 3 drops `gain` from Identity's config; minikeras keeps it.
        expected = {**expected, "config": {"gain": 2.0}}
    assert initializers.serialize(FIXTURE_INSTANCES[class_name]()) == expected


@pytest.mark.parametrize("class_name", sorted(FIXTURE_INSTANCES))
def test_deserialize_keras_configs_round_trip(class_name):
    config = FIXTURE["serialized"][class_name]
    restored = initializers.deserialize(config)
    assert type(restored).__name__ == class_name
    expected = FIXTURE_INSTANCES[class_name]().get_config()
    if class_name == "Identity":
        expected = {"gain": 1.0}  # Keras's config has no gain: the default comes back
    assert restored.get_config() == expected
    clone = type(restored).from_config(restored.get_config())
    assert clone.get_config() == restored.get_config()
    assert restored.clone().get_config() == restored.get_config()


def test_seeded_round_trip_gives_the_same_values():
    original = initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=9)
    restored = initializers.deserialize(initializers.serialize(original))
    np.testing.assert_array_equal(original((4, 6)).numpy(), restored((4, 6)).numpy())
    generator_seeded = initializers.RandomNormal(seed=keras.random.SeedGenerator(4))
    config = initializers.serialize(generator_seeded)["config"]
    assert config["seed"]["class_name"] == "SeedGenerator"
    assert initializers.deserialize(initializers.serialize(generator_seeded)).seed.seed == 4


@pytest.mark.parametrize("name", sorted(FIXTURE["get"]))
def test_get_resolves_names_like_keras(name):
    expected = FIXTURE["get"][name]
    if name == "constant":
        # Keras fails here (its Constant.from_config requires "value"); minikeras gives
        # Constant(0.0), the constructor's default.
        assert expected.startswith("error")
        initializer = initializers.get(name)
        assert isinstance(initializer, initializers.Constant) and initializer.value == 0.0
        return
    assert type(initializers.get(name)).__name__ == expected


def test_get_other_identifiers():
    assert initializers.get(None) is None
    instance = initializers.HeUniform(seed=1)
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)

    def custom(shape, dtype=None):
        return keras.ops.convert_to_tensor(np.full(shape, 7.0), dtype=dtype)

    assert initializers.get(custom) is custom
    from_dict = initializers.get({"class_name": "RandomUniform", "config": {"minval": 1.0}})
    assert from_dict.minval == 1.0 and from_dict.maxval == 0.05
    assert initializers.glorot_uniform is initializers.GlorotUniform


def test_get_array_identifier_uses_the_values():
    values = np.arange(6.0).reshape(2, 3)
    initializer = initializers.get(values)
    result = initializer((2, 3))
    np.testing.assert_array_equal(result.numpy(), values)
    assert result.dtype == "float64"
    assert initializer((2, 3), dtype="float32").dtype == "float32"
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        initializer((3, 2))


def test_errors_match_keras():
    errors = FIXTURE["errors"]
    cases = {
        "unknown_string": lambda: initializers.get("no_such_initializer"),
        "orthogonal_rank_1": lambda: initializers.Orthogonal()((3,)),
        "identity_rank_3": lambda: initializers.Identity()((2, 2, 2)),
        "variance_scaling_bad_mode": lambda: initializers.VarianceScaling(mode="fan_sideways"),
        "variance_scaling_bad_scale": lambda: initializers.VarianceScaling(scale=0.0),
        "variance_scaling_bad_distribution": lambda: initializers.VarianceScaling(
            distribution="cauchy"
        ),
    }
    assert set(cases) == set(errors)
    for label, fn in cases.items():
        assert errors[label] == "ValueError"
        with pytest.raises(ValueError):
            fn()


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="glorot_uniform") as info:
        initializers.get("glorot_unifrom")
    assert "'glorot_unifrom'" in str(info.value) and "he_normal" in str(info.value)
    with pytest.raises(ValueError, match="class_name"):
        initializers.deserialize({"config": {}})


def test_custom_objects_and_custom_serialize():
    class Halves(initializers.Initializer):
        def __init__(self, scale=0.5):
            self.scale = scale

        def __call__(self, shape, dtype=None):
            return keras.ops.convert_to_tensor(np.full(shape, self.scale), dtype=dtype)

        def get_config(self):
            return {"scale": self.scale}

    config = initializers.serialize(Halves(0.25))
    assert config["class_name"] == "Halves" and config["config"] == {"scale": 0.25}
    restored = initializers.deserialize(config, custom_objects={"Halves": Halves})
    assert restored((2,)).numpy().tolist() == [0.25, 0.25]
    with pytest.raises(ValueError, match="Halves"):
        initializers.deserialize(config)
    with pytest.raises(NotImplementedError):
        initializers.Initializer()((2,))
