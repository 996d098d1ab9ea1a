"""Ops on symbolic tensors infer the shapes Keras 3 infers, unknown (None) sizes included.

The table is tests/fixtures/ops_shapes.json, recorded from real Keras 3 by
tests/fixtures/generate_ops_shapes.py: each case is one op called on `KerasTensor`s and the
output shape(s) and dtype(s) Keras gives, or the exception type when Keras refuses the
shapes.
"""

import json
import os

import pytest

from minikeras import ops
from minikeras.ops.symbolic import KerasTensor

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "ops_shapes.json")
with open(FIXTURE) as f:
    CASES = json.load(f)["cases"]


def _decode(value):
    """Arguments as the generator encoded them (see its docstring)."""
    if isinstance(value, dict):
        if "tensor" in value:
            return KerasTensor(tuple(value["tensor"]), dtype=value["dtype"])
        if "tuple" in value:
            return tuple(_decode(v) for v in value["tuple"])
        if "slice" in value:
            return slice(*value["slice"])
        if "ellipsis" in value:
            return Ellipsis
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _shapes(result):
    if isinstance(result, (list, tuple)):
        return [_shapes(r) for r in result]
    return tuple(result.shape)


def _expected_shapes(described):
    if isinstance(described, list):
        return [_expected_shapes(d) for d in described]
    return tuple(described["shape"])


def _case_id(case):
    def short(value):
        if isinstance(value, dict) and "tensor" in value:
            return "x".join("N" if d is None else str(d) for d in value["tensor"]) or "scalar"
        return json.dumps(value).replace(" ", "")

    args = ",".join(short(a) for a in case["args"])
    kwargs = ",".join(f"{k}={short(v)}" for k, v in case["kwargs"].items())
    return f"{case['op']}({args}{',' if kwargs else ''}{kwargs})"


SHAPE_CASES = [c for c in CASES if "result" in c]
ERROR_CASES = [c for c in CASES if "error" in c]
# Keras accepts these shapes on symbolic tensors and only fails once real arrays arrive;
# minikeras refuses them when the graph is built.
REFUSED_ON_ARRAYS = [c for c in CASES if c.get("refused_on_arrays")]


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[_case_id(c) for c in SHAPE_CASES])
def test_symbolic_op_infers_the_keras_output_shape(case):
    fn = getattr(ops, case["op"])
    result = fn(*_decode(case["args"]), **_decode(case["kwargs"]))
    assert _shapes(result) == _expected_shapes(case["result"])


def _dtypes(result):
    if isinstance(result, (list, tuple)):
        return [_dtypes(r) for r in result]
    return result.dtype


def _expected_dtypes(described):
    if isinstance(described, list):
        return [_expected_dtypes(d) for d in described]
    return described["dtype"]


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[_case_id(c) for c in SHAPE_CASES])
def test_symbolic_op_infers_the_keras_output_dtype(case):
    fn = getattr(ops, case["op"])
    result = fn(*_decode(case["args"]), **_decode(case["kwargs"]))
    assert _dtypes(result) == _expected_dtypes(case["result"])


@pytest.mark.parametrize("case", ERROR_CASES, ids=[_case_id(c) for c in ERROR_CASES])
def test_symbolic_op_refuses_the_shapes_keras_refuses(case):
    fn = getattr(ops, case["op"])
    error = {"ValueError": ValueError, "TypeError": TypeError}[case["error"]]
    with pytest.raises(error):
        fn(*_decode(case["args"]), **_decode(case["kwargs"]))


@pytest.mark.parametrize("case", REFUSED_ON_ARRAYS, ids=[_case_id(c) for c in REFUSED_ON_ARRAYS])
def test_symbolic_op_refuses_shapes_that_fail_on_arrays(case):
    fn = getattr(ops, case["op"])
    with pytest.raises(ValueError, match="shape"):
        fn(*_decode(case["args"]), **_decode(case["kwargs"]))


def test_incompatible_static_shapes_error_names_both_shapes():
    with pytest.raises(ValueError) as info:
        ops.add(KerasTensor((2, 3)), KerasTensor((4, 3)))
    assert "(2, 3)" in str(info.value) and "(4, 3)" in str(info.value)


def test_indexing_a_keras_tensor_uses_the_get_item_rule():
    x = KerasTensor((None, 5, 16))
    assert x[5].shape == (5, 16)
    assert x[..., None].shape == (None, 5, 16, 1)
    with pytest.raises(ValueError, match="out of bounds"):
        x[:, 5]


def test_functional_model_built_with_unknown_sizes_replays_on_data():
    import numpy as np

    import minikeras as keras

    rows = keras.Input(batch_shape=(None, 3))
    columns = keras.Input(batch_shape=(2, None))
    total = ops.add(rows, columns)
    assert total.shape == (2, 3)
    model = keras.Model([rows, columns], ops.matmul(total, ops.transpose(total))[1])
    first = np.arange(3, dtype="float32").reshape(1, 3)
    second = np.array([[1.0], [2.0]], dtype="float32")
    expected = (first + second) @ (first + second).T
    np.testing.assert_allclose(model([first, second]).numpy(), expected[1])


def test_where_with_only_a_condition_gives_index_tensors_of_unknown_length():
    # Eagerly, where(condition) lists the indices of the true entries, one tensor per axis.
    result = ops.where(KerasTensor((2, None, 1), dtype="bool"))
    assert [tensor.shape for tensor in result] == [(None,), (None,), (None,)]
