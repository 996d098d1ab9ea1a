"""Activations: values against Keras (kink points and large inputs), numpy formulas,
gradients, dtypes, symbolic use, and `get`/`serialize`/`deserialize`.

Keras numbers come from tests/fixtures/activations.json, written by real Keras 3 with
tests/fixtures/generate_activations.py (its CASES table matches the one below).
"""

import json
import math
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, ops
from minikeras.ops.symbolic import KerasTensor
from tests.gradcheck import check_gradients

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "activations.json").read_text())
INPUTS = {name: np.asarray(value, dtype=np.float32) for name, value in FIXTURE["inputs"].items()}

CASES = {
    "relu": lambda a, x: a.relu(x),
    "relu_negative_slope": lambda a, x: a.relu(x, negative_slope=0.1),
    "relu_max_value": lambda a, x: a.relu(x, max_value=2.5),
    "relu_max_value_6": lambda a, x: a.relu(x, max_value=6.0),
    "relu_threshold": lambda a, x: a.relu(x, threshold=1.0),
    "relu_all": lambda a, x: a.relu(x, negative_slope=0.2, max_value=4.0, threshold=0.5),
    "relu_slope_and_max": lambda a, x: a.relu(x, negative_slope=0.3, max_value=2.0),
    "leaky_relu": lambda a, x: a.leaky_relu(x),
    "leaky_relu_0.05": lambda a, x: a.leaky_relu(x, negative_slope=0.05),
    "relu6": lambda a, x: a.relu6(x),
    "elu": lambda a, x: a.elu(x),
    "elu_alpha": lambda a, x: a.elu(x, alpha=0.5),
    "selu": lambda a, x: a.selu(x),
    "celu": lambda a, x: a.celu(x),
    "celu_alpha": lambda a, x: a.celu(x, alpha=2.0),
    "gelu": lambda a, x: a.gelu(x),
    "gelu_approximate": lambda a, x: a.gelu(x, approximate=True),
    "silu": lambda a, x: a.silu(x),
    "swish": lambda a, x: a.swish(x),
    "sigmoid": lambda a, x: a.sigmoid(x),
    "hard_sigmoid": lambda a, x: a.hard_sigmoid(x),
    "hard_silu": lambda a, x: a.hard_silu(x),
    "hard_swish": lambda a, x: a.hard_swish(x),
    "softplus": lambda a, x: a.softplus(x),
    "softsign": lambda a, x: a.softsign(x),
    "tanh": lambda a, x: a.tanh(x),
    "exponential": lambda a, x: a.exponential(x),
    "linear": lambda a, x: a.linear(x),
    "mish": lambda a, x: a.mish(x),
    "log_sigmoid": lambda a, x: a.log_sigmoid(x),
    "softmax": lambda a, x: a.softmax(x),
    "softmax_axis0": lambda a, x: a.softmax(x, axis=0),
    "log_softmax": lambda a, x: a.log_softmax(x),
    "log_softmax_axis0": lambda a, x: a.log_softmax(x, axis=0),
    "glu": lambda a, x: a.glu(x),
    "glu_axis0": lambda a, x: a.glu(x, axis=0),
    "hard_tanh": lambda a, x: a.hard_tanh(x),
    "tanh_shrink": lambda a, x: a.tanh_shrink(x),
    "soft_shrink": lambda a, x: a.soft_shrink(x),
    "soft_shrink_1": lambda a, x: a.soft_shrink(x, threshold=1.0),
    "hard_shrink": lambda a, x: a.hard_shrink(x),
    "hard_shrink_1": lambda a, x: a.hard_shrink(x, threshold=1.0),
    "threshold": lambda a, x: a.threshold(x, 0.5, -2.0),
    "sparse_plus": lambda a, x: a.sparse_plus(x),
    "sparse_sigmoid": lambda a, x: a.sparse_sigmoid(x),
    "squareplus": lambda a, x: a.squareplus(x),
    "squareplus_b1": lambda a, x: a.squareplus(x, b=1),
    "sparsemax": lambda a, x: a.sparsemax(x),
    "sparsemax_axis0": lambda a, x: a.sparsemax(x, axis=0),
}

VALUE_CASES = [(name, kind) for name in sorted(CASES) for kind in sorted(FIXTURE["values"][name])]


def test_cases_cover_the_fixture():
    assert set(CASES) == set(FIXTURE["values"])


def _reference_sparsemax(x, axis):
    """Martins & Astudillo (2016), Algorithm 1, one slice at a time (float64)."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape[:-1]):
        z = np.sort(x[index])[::-1]
        k = np.arange(1, z.size + 1)
        support = 1 + k * z > np.cumsum(z)
        size = k[support][-1]
        tau = (z[:size].sum() - 1) / size
        out[index] = np.maximum(x[index] - tau, 0)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize(("name", "kind"), VALUE_CASES, ids=lambda v: str(v))
def test_values_match_keras(name, kind):
    expected = np.asarray(FIXTURE["values"][name][kind], dtype=np.float32)
    result = CASES[name](activations, keras.ops.convert_to_tensor(INPUTS[kind]))
    assert result.shape == expected.shape
    assert result.dtype == "float32"
    if name.startswith("sparsemax"):
        # Keras 3.15's sparsemax is wrong when more than one value is in the support
        # (keras-team/keras#23425, fixed upstream): compare with Keras only on slices whose
        # output is one-hot, and with the published algorithm everywhere.
        axis = 0 if name.endswith("axis0") else -1
        np.testing.assert_allclose(
            result.numpy(), _reference_sparsemax(INPUTS[kind], axis), rtol=1e-6, atol=1e-7
        )
        one_hot = np.all(np.isin(expected, [0.0, 1.0]), axis=axis, keepdims=True) & (
            expected.sum(axis=axis, keepdims=True) == 1.0
        )
        assert one_hot.any()
        mask = np.broadcast_to(one_hot, expected.shape)
        np.testing.assert_array_equal(result.numpy()[mask], expected[mask])
        return
    np.testing.assert_allclose(result.numpy(), expected, rtol=2e-6, atol=2e-7)


# Independent numpy formulas (float64) for the element-wise activations.
def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


_ERF = np.vectorize(math.erf)

NUMPY_FORMULAS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "celu": lambda x: np.where(x >= 0, x, np.exp(x) - 1),
    "gelu": lambda x: 0.5 * x * (1 + _ERF(x / np.sqrt(2))),
    "silu": lambda x: x * _np_sigmoid(x),
    "sigmoid": _np_sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "tanh": np.tanh,
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
}


@pytest.mark.parametrize("name", sorted(NUMPY_FORMULAS))
def test_values_match_numpy_formulas(name):
    x = INPUTS["points"].astype(np.float64)
    result = activations.get(name)(x.astype(np.float32)).numpy()
    np.testing.assert_allclose(result, NUMPY_FORMULAS[name](x), rtol=1e-5, atol=1e-6)


def test_softmax_family_by_hand():
    x = INPUTS["points"].astype(np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(
        activations.softmax(INPUTS["points"]).numpy(), e / e.sum(-1, keepdims=True), rtol=1e-5
    )
    sparse = activations.sparsemax(INPUTS["points"]).numpy()
    np.testing.assert_allclose(sparse.sum(axis=-1), 1.0, rtol=1e-6)
    assert (sparse >= 0).all() and (sparse == 0).any()
    # Two close values share the mass around their mean; a far smaller one gets 0.
    np.testing.assert_allclose(
        activations.sparsemax(np.array([1.0, 0.8, -2.0], dtype=np.float32)).numpy(),
        [0.6, 0.4, 0.0],
        rtol=1e-6,
    )
    halves = activations.glu(np.array([[1.0, 2.0, 0.0, 3.0]], dtype=np.float32)).numpy()
    np.testing.assert_allclose(halves, [[0.5, 2 * _np_sigmoid(3.0)]], rtol=1e-6)


def test_relu_keras_docstring_examples():
    x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0], dtype=np.float32)
    assert activations.relu(x).numpy().tolist() == [0, 0, 0, 5, 10]
    assert activations.relu(x, negative_slope=0.5).numpy().tolist() == [-5, -2.5, 0, 5, 10]
    assert activations.relu(x, max_value=5.0).numpy().tolist() == [0, 0, 0, 5, 5]
    assert activations.relu(x, threshold=5.0).numpy().tolist() == [0, 0, 0, 0, 10]


# Points away from every kink (0, +-0.5, +-1, +-3, 6, the relu thresholds).
SMOOTH = np.array([[-4.2, -2.1, -0.8, -0.3], [0.3, 0.8, 1.7, 4.4]])

GRADIENT_CASES = [
    name
    for name in sorted(CASES)
    if name not in {"linear", "threshold", "sparsemax", "sparsemax_axis0"}
] + ["sparsemax_smooth", "threshold_smooth"]


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_gradients(name):
    if name == "sparsemax_smooth":
        # Support of size 2 in each row; no ties.
        check_gradients(lambda x: activations.sparsemax(x), np.array([[1.0, 0.7, -2.0, -3.0]]))
        return
    if name == "threshold_smooth":
        check_gradients(lambda x: activations.threshold(x, 0.5, -2.0), SMOOTH)
        return
    check_gradients(lambda x: CASES[name](activations, x), SMOOTH)


@pytest.mark.parametrize("name", sorted(activations.ALL_OBJECTS_DICT))
def test_float64_is_kept(name):
    keras.config.set_floatx("float64")
    fn = activations.get(name)
    x = keras.ops.convert_to_tensor(SMOOTH)
    result = fn(x, 0.0, -1.0) if name == "threshold" else fn(x)
    assert result.dtype == "float64"


def test_activations_on_symbolic_tensors():
    inputs = KerasTensor((None, 6), "float32")
    for name in ("relu", "softmax", "gelu", "sparsemax", "soft_shrink", "mish"):
        output = activations.get(name)(inputs)
        assert isinstance(output, KerasTensor) and tuple(output.shape) == (None, 6), name
    output = activations.relu(inputs, negative_slope=0.1, max_value=3.0, threshold=0.2)
    assert tuple(output.shape) == (None, 6)
    assert tuple(activations.glu(inputs).shape) == (None, 3)


# -- get / serialize / deserialize --------------------------------------------------------------
def test_names_match_keras():
    assert sorted(activations.ALL_OBJECTS_DICT) == FIXTURE["names"]


@pytest.mark.parametrize("name", FIXTURE["names"])
def test_get_and_serialize_like_keras(name):
    fn = activations.get(name)
    assert callable(fn)
    assert activations.serialize(fn) == FIXTURE["serialized"][name]
    assert activations.deserialize(activations.serialize(fn)) is fn
    assert getattr(activations, name) is fn


def test_get_other_identifiers_and_errors():
    assert FIXTURE["get_none_is_linear"] is True
    assert activations.get(None) is activations.linear
    assert activations.get(ops.tanh) is ops.tanh
    assert activations.swish is activations.silu
    for label, name in (("unknown", "no_such_activation"), ("capitalised", "Relu")):
        assert FIXTURE[f"get_{label}"] == "ValueError"
        with pytest.raises(ValueError, match="Valid names") as info:
            activations.get(name)
        assert "'relu'" in str(info.value) and "'softmax'" in str(info.value)
    with pytest.raises(ValueError, match="identifier"):
        activations.get(3)


def test_custom_function_round_trip():
    def scaled_tanh(x):
        return 1.7 * ops.tanh(x)

    config = activations.serialize(scaled_tanh)
    assert config["class_name"] == "function" and config["config"] == "scaled_tanh"
    restored = activations.deserialize(config, custom_objects={"scaled_tanh": scaled_tanh})
    assert restored is scaled_tanh
    with pytest.raises(ValueError, match="scaled_tanh"):
        activations.deserialize(config)
    with pytest.raises(ValueError, match="lambda"):
        activations.serialize(lambda x: x)
    assert activations.deserialize({"class_name": "function", "config": "relu"}) is (
        activations.relu
    )
