"""Ops behave as Keras 3's do at the edges: bad values, dtypes and arguments.

Each expected exception type is the one Keras 3 (JAX backend) raises for the same call.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import ops


# -- values that are not numbers ----------------------------------------------------------
def test_cast_of_none_raises_value_error_instead_of_returning_nan():
    with pytest.raises(ValueError, match="None"):
        ops.cast(None, "float32")


@pytest.mark.parametrize("value", [None, [1, None], [[1.0], [None]]])
def test_convert_to_tensor_of_none_raises_value_error(value):
    with pytest.raises(ValueError, match="None"):
        ops.convert_to_tensor(value)
    with pytest.raises(ValueError, match="None"):
        ops.convert_to_tensor(value, dtype="float32")


def test_convert_to_tensor_of_object_array_raises_type_error():
    with pytest.raises(TypeError, match="object"):
        ops.convert_to_tensor(np.array([1, 2], dtype=object))


@pytest.mark.parametrize(
    "value", ["a", ["a"], [1, "a"], np.array(["a", "b"]), np.str_("a"), np.datetime64("2024-01-01")]
)
def test_convert_to_tensor_of_strings_raises_type_error(value):
    with pytest.raises(TypeError, match="numbers only"):
        ops.convert_to_tensor(value)


def test_variable_of_object_array_or_none_is_refused():
    with pytest.raises(TypeError, match="object"):
        keras.Variable(np.array([1.0, 2.0], dtype=object))
    with pytest.raises(ValueError, match="None"):
        keras.Variable([1.0, None])
    with pytest.raises(ValueError, match="None"):
        keras.Variable(None)


def test_ops_refuse_none_and_object_array_operands():
    x = np.ones(2, dtype="float32")
    with pytest.raises(ValueError, match="None"):
        ops.add(x, None)
    with pytest.raises(ValueError, match="None"):
        ops.mean([1.0, None])
    with pytest.raises(TypeError, match="object"):
        ops.add(x, np.array([1, 2], dtype=object))
    with pytest.raises(TypeError, match="object"):
        ops.sum(np.array([1, 2], dtype=object))


def test_cast_reads_numbers_from_an_object_array():
    result = ops.cast(np.array([1, 2], dtype=object), "float32")
    assert result.dtype == "float32"
    np.testing.assert_array_equal(result.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("dtype", ["object", "str", "foo"])
def test_non_numeric_or_unknown_dtype_raises_value_error(dtype):
    with pytest.raises(ValueError, match="Invalid dtype"):
        ops.cast(1, dtype)
    with pytest.raises(ValueError, match="Invalid dtype"):
        ops.convert_to_tensor(1, dtype=dtype)


def test_cast_to_dtype_none_gives_floatx_not_float64():
    assert ops.cast(1, None).dtype == "float32"


# -- softmax over every element -----------------------------------------------------------
def _softmax_all(x):
    e = np.exp(x - x.max())
    return e / e.sum()


@pytest.mark.parametrize("shape", [(2, 2), (2, 3, 4)])
def test_softmax_axis_none_normalises_over_all_elements(shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    result = ops.softmax(x, axis=None)
    assert result.dtype == "float32" and result.shape == shape
    np.testing.assert_allclose(result.numpy(), _softmax_all(x), rtol=1e-6)
    np.testing.assert_allclose(float(ops.sum(result)), 1.0, rtol=1e-6)


def test_log_softmax_axis_none_normalises_over_all_elements():
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    result = ops.log_softmax(x, axis=None)
    np.testing.assert_allclose(result.numpy(), np.log(_softmax_all(x)), rtol=1e-5, atol=1e-6)


def test_softmax_axis_none_gradient_matches_finite_differences():
    x = keras.Variable(np.array([[0.1, -0.3], [0.5, 0.2]], dtype="float32"))
    weights = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    with keras.GradientTape() as tape:
        loss = ops.sum(ops.softmax(x, axis=None) * weights)
    gradient = tape.gradient(loss, x).numpy()
    # d/dx_i sum(w * p) = p_i * (w_i - sum(w * p)) for a softmax over all elements.
    p = _softmax_all(x.numpy())
    np.testing.assert_allclose(gradient, p * (weights - (weights * p).sum()), rtol=1e-5)


# -- eye and identity take integers only --------------------------------------------------
@pytest.mark.parametrize("n", [3.5, 3.0])
def test_eye_with_float_n_raises_type_error(n):
    with pytest.raises(TypeError, match="`N`"):
        ops.eye(n)


def test_eye_with_float_m_raises_type_error_and_float_k_value_error():
    with pytest.raises(TypeError, match="`M`"):
        ops.eye(3, 2.5)
    with pytest.raises(ValueError, match="`k`"):
        ops.eye(3, k=1.5)


def test_identity_with_float_n_raises_type_error():
    with pytest.raises(TypeError, match="`n`"):
        ops.identity(3.5)


def test_eye_accepts_numpy_and_tensor_integers():
    np.testing.assert_array_equal(ops.eye(np.int64(3), k=1).numpy(), np.eye(3, k=1))
    np.testing.assert_array_equal(ops.eye(ops.convert_to_tensor(2)).numpy(), np.eye(2))


# -- dtypes -------------------------------------------------------------------------------
def test_round_of_bool_raises_value_error_instead_of_returning_float16():
    with pytest.raises(ValueError, match="bool"):
        ops.round(np.array([True, False]))


def test_square_of_bool_gives_int32():
    result = ops.square(np.array([True, False]))
    assert result.dtype == "int32"
    np.testing.assert_array_equal(result.numpy(), [1, 0])


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [("bool", "int32"), ("int8", "int32"), ("int32", "int32"), ("uint8", "uint32")],
)
def test_sum_and_prod_of_narrow_integers_accumulate_like_keras(dtype, expected):
    x = np.array([[1, 1], [1, 0]], dtype=dtype)
    assert ops.sum(x).dtype == expected
    assert ops.prod(x, axis=0).dtype == expected
    np.testing.assert_array_equal(ops.prod(x, axis=0).numpy(), [1, 0])


def test_sort_with_axis_none_sorts_the_flattened_values():
    x = np.array([[3.0, 1.0], [2.0, 0.0]], dtype="float32")
    np.testing.assert_array_equal(ops.sort(x, axis=None).numpy(), [0.0, 1.0, 2.0, 3.0])


# -- slice and conversion of symbolic tensors ---------------------------------------------
@pytest.mark.parametrize(
    ("start", "shape"), [((0, -1), (1, 1)), ((0, 2), (1, 3)), ((2, 0), (1, 1))]
)
def test_slice_that_does_not_fit_raises_instead_of_returning_a_smaller_block(start, shape):
    x = np.arange(6, dtype="float32").reshape(2, 3)
    with pytest.raises(ValueError, match=r"does not fit in a tensor of shape \(2, 3\)"):
        ops.slice(x, start, shape)


def test_slice_returns_the_requested_block():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(ops.slice(x, (1, 1), (1, 2)).numpy(), [[4.0, 5.0]])


def test_convert_to_tensor_of_a_symbolic_tensor_honours_dtype():
    from minikeras.ops.symbolic import KerasTensor

    x = KerasTensor((None, 3))
    assert ops.convert_to_tensor(x, dtype="int32").dtype == "int32"
    assert ops.convert_to_tensor(x) is x


def test_slice_size_minus_one_runs_to_the_end_of_the_axis():
    x = np.arange(9, dtype="float32").reshape(3, 3)
    np.testing.assert_array_equal(ops.slice(x, (1, 0), (-1, 2)).numpy(), x[1:, 0:2])


def test_slice_takes_start_indices_from_a_tensor():
    x = np.arange(9, dtype="float32").reshape(3, 3)
    start = ops.convert_to_tensor([1, 0])
    np.testing.assert_array_equal(ops.slice(x, start, (2, 2)).numpy(), x[1:3, 0:2])
