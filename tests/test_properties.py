"""Property-based tests: rules that must hold for every shape, not just the listed ones.

Hypothesis draws pairs of broadcastable shapes; the broadcasting gradients, the eager result
shapes and the symbolic shape rules must agree with numpy on each of them.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minikeras as keras
from minikeras import ops
from minikeras.ops.shape_inference import broadcast_shapes
from tests.gradcheck import check_gradients

_BINARY = {
    "add": ops.add,
    "subtract": ops.subtract,
    "multiply": ops.multiply,
    "divide": ops.divide,
    "maximum": ops.maximum,
}

_shape_pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3)


@pytest.mark.parametrize("name", sorted(_BINARY))
@settings(max_examples=25, deadline=None)
@given(shapes=_shape_pairs, seed=st.integers(0, 2**16))
def test_binary_op_gradients_match_finite_differences_for_any_broadcast(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(shape) for shape in shapes.input_shapes)
    if name == "divide":
        b = np.sign(b) * (np.abs(b) + 0.5)  # away from zero
    if name == "maximum":
        b = b + 0.1 * np.sign(a.mean() - b.mean() + 1e-3)  # no ties at the kink
    check_gradients(_BINARY[name], a, b, seed=seed)


@settings(max_examples=60, deadline=None)
@given(shapes=_shape_pairs)
def test_eager_result_shape_is_numpy_broadcast_shape(shapes):
    a, b = (np.ones(shape, "float32") for shape in shapes.input_shapes)
    assert ops.add(a, b).shape == shapes.result_shape


@settings(max_examples=60, deadline=None)
@given(shapes=_shape_pairs, hide=st.lists(st.booleans(), min_size=8, max_size=8))
def test_symbolic_broadcast_with_unknown_sizes_agrees_with_numpy(shapes, hide):
    # Hiding a size (None) never makes the known result wrong: each output size is either the
    # numpy size or None, and it is None only when every size it came from was hidden or 1.
    first, second = shapes.input_shapes
    hidden_first = tuple(None if hide[i] else n for i, n in enumerate(first))
    hidden_second = tuple(None if hide[4 + i] else n for i, n in enumerate(second))
    result = broadcast_shapes(hidden_first, hidden_second)
    assert len(result) == len(shapes.result_shape)
    for got, expected in zip(result, shapes.result_shape):
        assert got is None or got == expected
    symbolic = ops.add(keras.KerasTensor(hidden_first), keras.KerasTensor(hidden_second))
    assert tuple(symbolic.shape) == tuple(result)
