"""`ops.dot_product_attention`: values against Keras, gradients against finite differences,
shapes, masks and errors."""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, ops
from tests.gradcheck import check_gradients

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def _reference():
    return json.loads((FIXTURES / "attention.json").read_text())["dot_product_attention"]


def _array(value, dtype="float32"):
    return None if value is None else np.asarray(value, dtype=dtype)


@pytest.mark.parametrize("name", sorted(_reference()))
def test_dot_product_attention_matches_keras(name):
    case = _reference()[name]
    arrays = {key: _array(case[key]) for key in ("query", "key", "value", "bias")}
    output = ops.dot_product_attention(
        arrays["query"],
        arrays["key"],
        arrays["value"],
        bias=arrays["bias"],
        mask=_array(case["mask"], bool),
        scale=case["scale"],
        is_causal=case["is_causal"],
    )
    assert output.dtype == "float32"
    np.testing.assert_allclose(output.numpy(), case["output"], rtol=1e-5, atol=1e-6)


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


# (query, key, value shapes, mask shape or None, causal, bias shape or None)
GRADIENT_CASES = {
    "self": ((2, 3, 2, 4), (2, 3, 2, 4), (2, 3, 2, 4), None, False, None),
    "cross lengths": ((1, 2, 2, 3), (1, 5, 2, 3), (1, 5, 2, 4), None, False, None),
    "causal": ((2, 4, 1, 3), (2, 4, 1, 3), (2, 4, 1, 3), None, True, None),
    "causal, T < S": ((1, 2, 2, 3), (1, 4, 2, 3), (1, 4, 2, 3), None, True, None),
    "mask (B, 1, 1, S)": ((2, 3, 2, 3), (2, 4, 2, 3), (2, 4, 2, 3), (2, 1, 1, 4), False, None),
    "mask (T, S) with causal": ((1, 4, 2, 3), (1, 4, 2, 3), (1, 4, 2, 3), (4, 4), True, None),
    "mask (B, N, T, S)": ((2, 2, 2, 3), (2, 3, 2, 3), (2, 3, 2, 3), (2, 2, 2, 3), False, None),
    "grouped query heads": ((1, 3, 4, 3), (1, 2, 2, 3), (1, 2, 2, 2), None, False, None),
    "bias (N, T, S)": ((2, 3, 2, 3), (2, 3, 2, 3), (2, 3, 2, 3), None, False, (2, 3, 3)),
    "bias (B, 1, 1, S) and mask": (
        (2, 2, 2, 3),
        (2, 3, 2, 3),
        (2, 3, 2, 3),
        (1, 1, 2, 3),
        False,
        (2, 1, 1, 3),
    ),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_dot_product_attention_gradients_match_finite_differences(name):
    q_shape, k_shape, v_shape, mask_shape, causal, bias_shape = GRADIENT_CASES[name]
    rng = np.random.default_rng(1)
    mask = None
    if mask_shape is not None:
        mask = rng.random(mask_shape) > 0.35
        mask[..., 0] = True  # at least one key per row: the masked logits are constants
    arrays = [_random(q_shape, 2), _random(k_shape, 3), _random(v_shape, 4)]
    if bias_shape is not None:
        arrays.append(_random(bias_shape, 5))

    def attention(query, key, value, bias=None):
        return ops.dot_product_attention(
            query, key, value, bias=bias, mask=mask, is_causal=causal, scale=0.7
        )

    check_gradients(attention, *arrays)


def test_dot_product_attention_fully_masked_row_attends_uniformly_and_passes_no_gradient():
    query, key, value = _random((1, 2, 1, 3), 0), _random((1, 3, 1, 3), 1), _random((1, 3, 1, 2), 2)
    mask = np.array([[True, False, True], [False, False, False]])
    check_gradients(
        lambda q, k, v: ops.dot_product_attention(q, k, v, mask=mask), query, key, value
    )
    q = keras.Variable(query.astype("float32"))
    with GradientTape() as tape:
        output = ops.dot_product_attention(
            q, key.astype("float32"), value.astype("float32"), mask=mask
        )
        loss = ops.sum(output[:, 1])
    np.testing.assert_allclose(output.numpy()[0, 1, 0], value[0, :, 0].mean(0), rtol=1e-6)
    assert not np.any(tape.gradient(loss, q).numpy())


def test_dot_product_attention_default_scale_is_inverse_sqrt_depth():
    query, key, value = (_random((1, 2, 1, 4), s).astype("float32") for s in (0, 1, 2))
    default = ops.dot_product_attention(query, key, value).numpy()
    explicit = ops.dot_product_attention(query, key, value, scale=0.5).numpy()
    np.testing.assert_array_equal(default, explicit)


def test_dot_product_attention_stays_float32():
    query, key, value = (_random((2, 3, 2, 4), s).astype("float32") for s in (0, 1, 2))
    q = keras.Variable(query)
    with GradientTape() as tape:
        output = ops.dot_product_attention(q, key, value, bias=np.zeros((3, 3)), is_causal=True)
        loss = ops.sum(output)
    assert output.dtype == "float32"
    assert tape.gradient(loss, q).dtype == "float32"


def test_dot_product_attention_on_symbolic_inputs_gives_output_shape():
    query = keras.Input((5, 2, 8))
    key = keras.Input((7, 2, 8))
    value = keras.Input((7, 2, 3))
    output = ops.dot_product_attention(query, key, value)
    assert output.shape == (None, 5, 2, 3)
    assert output.dtype == "float32"


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        (((2, 3, 4), (2, 3, 4), (2, 3, 4)), "4D inputs"),
        (((2, 3, 2, 4), (1, 3, 2, 4), (1, 3, 2, 4)), "batch sizes"),
        (((2, 3, 2, 4), (2, 3, 2, 5), (2, 3, 2, 4)), "same depth"),
        (((2, 3, 2, 4), (2, 3, 2, 4), (2, 4, 2, 4)), "key` and `value"),
        (((2, 3, 3, 4), (2, 3, 2, 4), (2, 3, 2, 4)), "multiple"),
    ],
)
def test_dot_product_attention_rejects_mismatched_shapes_naming_them(shapes, message):
    arrays = [np.zeros(shape, "float32") for shape in shapes]
    with pytest.raises(ValueError, match=message) as info:
        ops.dot_product_attention(*arrays)
    assert "query.shape" in str(info.value) or "4D" in str(info.value)


def test_dot_product_attention_rejects_a_mask_or_bias_that_does_not_broadcast():
    query = np.zeros((2, 3, 2, 4), "float32")
    with pytest.raises(ValueError, match=r"mask.*\(2, 2, 3, 3\).*\(3, 4\)"):
        ops.dot_product_attention(query, query, query, mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match=r"bias.*\(2, 2, 3, 3\).*\(5,\)"):
        ops.dot_product_attention(query, query, query, bias=np.ones((5,), "float32"))


def test_dot_product_attention_rejects_flash_attention_and_soft_cap():
    query = np.zeros((1, 2, 1, 4), "float32")
    with pytest.raises(ValueError, match="flash_attention"):
        ops.dot_product_attention(query, query, query, flash_attention=True)
    with pytest.raises(ValueError, match="attn_logits_soft_cap"):
        ops.dot_product_attention(query, query, query, attn_logits_soft_cap=20.0)


def test_dot_product_attention_is_exported_as_keras_names_it():
    assert ops.nn.dot_product_attention is ops.dot_product_attention
