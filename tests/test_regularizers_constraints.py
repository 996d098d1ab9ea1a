"""Regularizers and constraints: values against Keras and by hand, gradients, configs,
`get`/`serialize`/`deserialize`.

Keras numbers come from tests/fixtures/regularizers_constraints.json, written by real
Keras 3 with tests/fixtures/generate_regularizers_constraints.py.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import constraints, ops, regularizers
from tests.gradcheck import check_gradients

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "regularizers_constraints.json").read_text()
)
MATRIX = np.asarray(FIXTURE["inputs"]["matrix"], dtype=np.float32)
KERNEL = np.asarray(FIXTURE["inputs"]["kernel"], dtype=np.float32)

REGULARIZERS = {
    "L1": lambda: regularizers.L1(0.3),
    "L2": lambda: regularizers.L2(0.1),
    "L1L2": lambda: regularizers.L1L2(l1=0.01, l2=0.02),
    "L1L2_only_l2": lambda: regularizers.L1L2(l2=0.5),
    "L1_default": lambda: regularizers.L1(),
    "L2_default": lambda: regularizers.L2(),
    "OrthogonalRegularizer_rows": lambda: regularizers.OrthogonalRegularizer(0.2, "rows"),
    "OrthogonalRegularizer_columns": lambda: regularizers.OrthogonalRegularizer(0.2, "columns"),
}

CONSTRAINTS = {
    "MaxNorm": (lambda: constraints.MaxNorm(max_value=1.5, axis=0), MATRIX),
    "MaxNorm_axis1": (lambda: constraints.MaxNorm(max_value=1.0, axis=1), MATRIX),
    "MaxNorm_kernel": (lambda: constraints.MaxNorm(max_value=2.0, axis=[0, 1, 2]), KERNEL),
    "NonNeg": (lambda: constraints.NonNeg(), MATRIX),
    "UnitNorm": (lambda: constraints.UnitNorm(axis=0), MATRIX),
    "UnitNorm_kernel": (lambda: constraints.UnitNorm(axis=[0, 1, 2]), KERNEL),
    "MinMaxNorm": (lambda: constraints.MinMaxNorm(1.8, 2.0, rate=1.0, axis=0), MATRIX),
    "MinMaxNorm_rate": (lambda: constraints.MinMaxNorm(0.5, 1.0, rate=0.3, axis=1), MATRIX),
    "MinMaxNorm_default": (lambda: constraints.MinMaxNorm(), MATRIX),
    "MaxNorm_default": (lambda: constraints.MaxNorm(), 3 * MATRIX),
}


def _same_config(ours, keras_config):
    """Keras stores L1's and OrthogonalRegularizer's factor as float32 (0.3 -> 0.30000001);
    minikeras keeps the Python float. Everything else must be equal."""
    assert ours.keys() == keras_config.keys()
    for key, value in ours.items():
        if isinstance(value, float):
            assert value == pytest.approx(keras_config[key], rel=1e-7)
        else:
            assert value == keras_config[key]


# -- regularizers -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_regularizer_penalties_match_keras(name):
    regularizer = REGULARIZERS[name]()
    expected = FIXTURE["penalties"][name]
    for input_name, value in (("matrix", MATRIX), ("kernel", KERNEL)):
        if input_name not in expected:
            continue
        penalty = regularizer(keras.Variable(value))
        assert penalty.shape == () and penalty.dtype == "float32"
        np.testing.assert_allclose(float(penalty), expected[input_name], rtol=1e-6)


def test_regularizer_penalties_by_hand():
    w = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)
    assert float(regularizers.L1(0.1)(w)) == pytest.approx(0.1 * 3.5)
    assert float(regularizers.L2(0.1)(w)) == pytest.approx(0.1 * 5.25)
    assert float(regularizers.L1L2(0.1, 0.2)(w)) == pytest.approx(0.35 + 1.05)
    assert float(regularizers.L1L2()(w)) == 0.0
    # Rows (1, -2) and (0.5, 0): cosine = 0.5 / (sqrt(5) * 0.5) = 1/sqrt(5); one pair.
    rows = regularizers.OrthogonalRegularizer(factor=1.0, mode="rows")(w)
    assert float(rows) == pytest.approx(1 / np.sqrt(5), rel=1e-6)
    # Columns (1, 0.5) and (-2, 0): |cosine| = 2 / (sqrt(1.25) * 2).
    columns = regularizers.OrthogonalRegularizer(factor=1.0, mode="columns")(w)
    assert float(columns) == pytest.approx(1 / np.sqrt(1.25), rel=1e-6)


def test_orthogonal_regularizer_ignores_zero_rows_and_is_zero_for_orthogonal_rows():
    w = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 3.0]], dtype=np.float32)
    value = regularizers.OrthogonalRegularizer(mode="rows")(w)
    assert np.isfinite(float(value)) and float(value) == 0.0


def test_regularizers_keep_float64():
    keras.config.set_floatx("float64")
    w = keras.Variable(np.ones((2, 2)))
    for regularizer in (
        regularizers.L1(),
        regularizers.L2(),
        regularizers.L1L2(0.1, 0.1),
        regularizers.L1L2(),
        regularizers.OrthogonalRegularizer(),
    ):
        assert regularizer(w).dtype == "float64"


@pytest.mark.parametrize(
    "make",
    [
        lambda: regularizers.L1(0.3),
        lambda: regularizers.L2(0.2),
        lambda: regularizers.L1L2(0.1, 0.4),
        lambda: regularizers.OrthogonalRegularizer(0.5, "rows"),
        lambda: regularizers.OrthogonalRegularizer(0.5, "columns"),
    ],
)
def test_regularizer_gradients(make):
    regularizer = make()
    check_gradients(regularizer, np.random.default_rng(3).standard_normal((4, 3)))


def test_regularizer_gradient_values_by_hand():
    w = keras.Variable([[1.0, -2.0], [3.0, 0.5]])
    with keras.GradientTape() as tape:
        penalty = regularizers.L1L2(l1=0.1, l2=0.5)(w)
    gradient = tape.gradient(penalty, w).numpy()
    # d/dw (0.1 |w| + 0.5 w^2) = 0.1 sign(w) + w
    np.testing.assert_allclose(gradient, 0.1 * np.sign(w.numpy()) + w.numpy(), rtol=1e-6)


def test_regularizer_argument_errors():
    for bad in (-0.1, float("nan"), float("inf"), "0.1", [0.1]):
        with pytest.raises(ValueError, match="non-negative"):
            regularizers.L2(bad)
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.OrthogonalRegularizer(factor=-1.0)
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2), dtype=np.float32))
    # None means "the default", as in Keras.
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L1L2(None, None).l2 == 0.0


def test_base_regularizer():
    assert regularizers.Regularizer()(MATRIX) == 0.0
    with pytest.raises(NotImplementedError):
        regularizers.Regularizer().get_config()


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_regularizer_serialize_matches_keras(name):
    ours = regularizers.serialize(REGULARIZERS[name]())
    expected = FIXTURE["regularizers_serialized"][name]
    assert {k: v for k, v in ours.items() if k != "config"} == {
        k: v for k, v in expected.items() if k != "config"
    }
    _same_config(ours["config"], expected["config"])
    restored = regularizers.deserialize(expected)
    assert type(restored).__name__ == expected["class_name"]
    np.testing.assert_allclose(
        float(restored(MATRIX)), FIXTURE["penalties"][name]["matrix"], rtol=1e-6
    )
    assert regularizers.deserialize(ours).get_config() == ours["config"]


@pytest.mark.parametrize("name", sorted(FIXTURE["regularizers_get"]))
def test_regularizer_get_names_like_keras(name):
    expected = FIXTURE["regularizers_get"][name]
    found = regularizers.get(name)
    if name == "l1_l2":
        # Keras 3 documents "l1_l2" as L1L2(0.01, 0.01) but its `get` rejects it.
        assert expected.startswith("error")
        assert isinstance(found, regularizers.L1L2)
        assert found.get_config() == {"l1": 0.01, "l2": 0.01}
        return
    class_name, config = expected
    assert type(found).__name__ == class_name
    _same_config(found.get_config(), config)


def test_regularizer_get_other_identifiers_and_errors():
    assert regularizers.get(None) is None
    instance = regularizers.L2(0.3)
    assert regularizers.get(instance) is instance
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def custom(w):
        return ops.sum(w)

    assert regularizers.get(custom) is custom
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5
    with pytest.raises(ValueError, match="'l3'") as info:
        regularizers.get("l3")
    assert "l1_l2" in str(info.value) and "orthogonal_regularizer" in str(info.value)
    with pytest.raises(ValueError, match="identifier"):
        regularizers.get(3)
    assert regularizers.l1_l2 is regularizers.L1L2


def test_custom_regularizer_round_trip():
    class Sparse(regularizers.Regularizer):
        def __init__(self, strength=0.1):
            self.strength = strength

        def __call__(self, x):
            return self.strength * ops.sum(ops.abs(x))

        def get_config(self):
            return {"strength": self.strength}

    config = regularizers.serialize(Sparse(0.5))
    assert config["registered_name"] == "Sparse"
    restored = regularizers.deserialize(config, custom_objects={"Sparse": Sparse})
    assert float(restored(np.array([1.0, -1.0], dtype=np.float32))) == 1.0


# -- constraints ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint_outputs_match_keras(name):
    make, value = CONSTRAINTS[name]
    result = make()(keras.Variable(value))
    assert isinstance(result, keras.Tensor) and result.dtype == "float32"
    np.testing.assert_allclose(
        result.numpy(), np.asarray(FIXTURE["constraint_outputs"][name]), rtol=1e-6, atol=1e-7
    )


def test_constraints_by_hand():
    eps = 1e-7
    w = np.array([[3.0, 0.3], [4.0, 0.4]], dtype=np.float32)  # column norms 5 and 0.5
    max_norm = constraints.MaxNorm(max_value=1.0)(w).numpy()
    np.testing.assert_allclose(max_norm[:, 0], [3 / (5 + eps), 4 / (5 + eps)], rtol=1e-6)
    np.testing.assert_allclose(max_norm[:, 1], w[:, 1] * 0.5 / (0.5 + eps), rtol=1e-6)

    unit = constraints.UnitNorm()(w).numpy()
    np.testing.assert_allclose(np.linalg.norm(unit, axis=0), [1.0, 1.0], rtol=1e-6)

    # Norms 5 and 0.5 clipped to [1, 2]: 2 and 1; with rate 0.5: 3.5 and 0.75.
    min_max = constraints.MinMaxNorm(1.0, 2.0, rate=0.5)(w).numpy()
    np.testing.assert_allclose(np.linalg.norm(min_max, axis=0), [3.5, 0.75], rtol=1e-5)

    non_neg = constraints.NonNeg()(np.array([-1.0, 0.0, 2.0], dtype=np.float32))
    assert non_neg.numpy().tolist() == [0.0, 0.0, 2.0]


def test_constraints_keep_zero_slices_at_zero_and_use_the_configured_epsilon():
    w = np.zeros((3, 2), dtype=np.float32)
    for constraint in (constraints.MaxNorm(), constraints.UnitNorm(), constraints.MinMaxNorm()):
        assert np.all(constraint(w).numpy() == 0.0)
    keras.config.set_epsilon(0.5)
    unit = constraints.UnitNorm()(np.array([[3.0], [4.0]], dtype=np.float32)).numpy()
    np.testing.assert_allclose(unit[:, 0], [3 / 5.5, 4 / 5.5], rtol=1e-6)


def test_constraints_keep_float64():
    keras.config.set_floatx("float64")
    w = keras.Variable(np.ones((2, 3)))
    for constraint in (
        constraints.MaxNorm(1.0),
        constraints.NonNeg(),
        constraints.UnitNorm(),
        constraints.MinMaxNorm(),
    ):
        assert constraint(w).dtype == "float64"


def test_constraint_result_can_be_assigned_to_the_variable():
    w = keras.Variable([[3.0], [4.0]])
    w.assign(constraints.MaxNorm(1.0)(w))
    np.testing.assert_allclose(np.linalg.norm(w.numpy()), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
def test_constraint_serialize_matches_keras(name):
    constraint = CONSTRAINTS[name][0]()
    expected = FIXTURE["constraints_serialized"][name]
    assert constraints.serialize(constraint) == expected
    restored = constraints.deserialize(expected)
    assert restored.get_config() == constraint.get_config()
    assert type(restored).from_config(restored.get_config()).get_config() == expected["config"]


@pytest.mark.parametrize("name", sorted(FIXTURE["constraints_get"]))
def test_constraint_get_names_like_keras(name):
    expected = FIXTURE["constraints_get"][name]
    if isinstance(expected, str):
        with pytest.raises(ValueError, match="max_norm"):
            constraints.get(name)
        return
    found = constraints.get(name)
    assert [type(found).__name__, found.get_config()] == expected


def test_constraint_get_other_identifiers():
    assert constraints.get(None) is None
    instance = constraints.UnitNorm(axis=1)
    assert constraints.get(instance) is instance
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    assert constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3}}).max_value == 3
    base = constraints.Constraint()
    assert base(MATRIX) is MATRIX and base.get_config() == {}
    with pytest.raises(ValueError, match="non_neg"):
        constraints.get("nonneg")
    assert constraints.max_norm is constraints.MaxNorm
