"""The fused `linear` primitive: values against the separate ops, finite-difference gradients."""

import numpy as np
import pytest

from minikeras import ops
from minikeras.ops.fused import linear
from tests.gradcheck import check_gradients

RNG = np.random.default_rng(11)


def separate(x, kernel, bias, activation):
    y = ops.matmul(x, kernel)
    if bias is not None:
        y = y + bias
    if activation == "relu":
        y = ops.relu(y)
    elif activation == "softmax":
        y = ops.softmax(y)
    return y


@pytest.mark.parametrize("activation", [None, "relu", "softmax"])
@pytest.mark.parametrize("x_shape", [(4, 3), (2, 3, 3)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_linear_matches_separate_ops_and_gradients(activation, x_shape, use_bias):
    x = RNG.standard_normal(x_shape)
    # keep pre-activations away from relu's kink
    kernel = RNG.standard_normal((3, 5))
    bias = RNG.standard_normal(5) + 0.3 if use_bias else None
    arrays = [x, kernel] + ([bias] if use_bias else [])

    def fused(x, kernel, *rest):
        return linear(x, kernel, rest[0] if rest else None, activation=activation)

    def reference(x, kernel, *rest):
        return separate(x, kernel, rest[0] if rest else None, activation)

    got = fused(*[ops.convert_to_tensor(a.astype("float32")) for a in arrays])
    want = reference(*[ops.convert_to_tensor(a.astype("float32")) for a in arrays])
    assert got.dtype == "float32" and got.shape == (*x_shape[:-1], 5)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    check_gradients(fused, *arrays)


def test_linear_rejects_mismatched_shapes_and_unknown_activation():
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(3, 5\)"):
        linear(np.ones((2, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="relu"):
        linear(np.ones((2, 3)), np.ones((3, 5)), activation="tanh")
