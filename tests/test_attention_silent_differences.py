"""Where the attention layers could quietly disagree with Keras 3.15.1.

Reference numbers (outputs, scores and gradients on both of Keras's attention paths) come
from real Keras on JAX: tests/fixtures/attention_silent_differences.json, written by
tests/fixtures/generate_attention_silent_differences.py.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, layers

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "attention_silent_differences.json").read_text())
QUERY = np.asarray(REFERENCE["query"], "float32")
VALUE = np.asarray(REFERENCE["value"], "float32")
UPSTREAM = np.asarray(REFERENCE["upstream"], "float32")
MASK_DTYPES = {"fully_masked": bool, "float": "float32", "int": "int32"}


def _cases(layer, mask=None):
    return [
        case
        for case in REFERENCE["cases"]
        if case["layer"] == layer and (mask is None or case["mask"] == mask)
    ]


def _case_id(case):
    extra = "+value_mask" if case.get("value_mask") is True else ""
    extra += "+causal" if case.get("causal") else ""
    return f"{case['layer']}-{case['mask']}-{case.get('path', 'scores')}{extra}"


def _heads_layer(case):
    dropout = {"dropout": 0.5} if case["path"] == "dropout" else {}
    if case["layer"] == "MultiHeadAttention":
        layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, seed=1, **dropout)
    else:
        layer = layers.GroupedQueryAttention(
            head_dim=2, num_query_heads=2, num_key_value_heads=1, seed=1, **dropout
        )
    layer.build(QUERY.shape, VALUE.shape)
    # Same weights in the same order (the layer's own name differs with the auto-naming).
    assert [w.path.split("/", 1)[1] for w in layer.weights] == [
        p.split("/", 1)[1] for p in case["weight_paths"]
    ]
    layer.set_weights([np.asarray(w, "float32") for w in case["weights"]])
    return layer


def _heads_call_kwargs(case):
    kwargs = {
        "attention_mask": np.asarray(REFERENCE["masks"][case["mask"]], MASK_DTYPES[case["mask"]])
    }
    if case["path"] == "scores":
        kwargs["return_attention_scores"] = True
    if case["path"] == "dropout":
        kwargs["training"] = False
    if case["value_mask"]:
        kwargs["value_mask"] = np.asarray(REFERENCE["value_mask"], bool)
    return kwargs


def _check_against_keras(layer, call, case):
    """Runs `call(query, value)` under a tape and compares output, scores and gradients."""
    query, value = keras.Variable(QUERY), keras.Variable(VALUE)
    with GradientTape() as tape:
        outputs = call(query, value)
        output, scores = outputs if isinstance(outputs, tuple) else (outputs, None)
        loss = keras.ops.sum(output * UPSTREAM)
    sources = [query, value, *layer.trainable_weights]
    gradients = tape.gradient(loss, sources)
    np.testing.assert_allclose(output.numpy(), case["output"], rtol=1e-5, atol=1e-6)
    if case["scores"] is None:
        assert scores is None
    else:
        np.testing.assert_allclose(scores.numpy(), case["scores"], rtol=1e-5, atol=1e-6)
    expected = case["grad_inputs"] + case["grad_weights"]
    assert len(gradients) == len(expected)
    for gradient, reference in zip(gradients, expected):
        assert np.all(np.isfinite(gradient.numpy()))
        assert gradient.dtype == "float32"
        np.testing.assert_allclose(gradient.numpy(), reference, rtol=1e-4, atol=1e-5)


def _check_heads_case(case):
    layer = _heads_layer(case)
    kwargs = _heads_call_kwargs(case)
    _check_against_keras(layer, lambda q, v: layer(q, v, **kwargs), case)


# -- 1. a query whose keys are all masked ---------------------------------------------------
@pytest.mark.parametrize(
    "case",
    _cases("MultiHeadAttention", "fully_masked") + _cases("GroupedQueryAttention", "fully_masked"),
    ids=_case_id,
)
def test_fully_masked_query_matches_keras_on_each_attention_path(case):
    """Explicit path: zero probabilities (so the output is the output bias); fused path:
    `dot_product_attention`'s uniform average. Gradients finite and as Keras's."""
    _check_heads_case(case)


@pytest.mark.parametrize("layer_name", ["MultiHeadAttention", "GroupedQueryAttention"])
def test_fully_masked_query_gets_zero_scores_and_only_the_output_bias(layer_name):
    (case,) = [
        c
        for c in _cases(layer_name, "fully_masked")
        if c["path"] == "scores" and not c["value_mask"]
    ]
    layer = _heads_layer(case)
    output, scores = layer(QUERY, VALUE, **_heads_call_kwargs(case))
    np.testing.assert_array_equal(scores.numpy()[0, :, 1], 0.0)
    np.testing.assert_allclose(output.numpy()[0, 1], layer.weights[-1].numpy(), atol=1e-7)


@pytest.mark.parametrize("layer_name", ["MultiHeadAttention", "GroupedQueryAttention"])
def test_dropout_layer_in_inference_takes_the_explicit_path_as_keras(layer_name):
    """With `dropout > 0` Keras always takes the explicit path (also with training=False),
    so a fully masked query gives the output bias there, not the fused path's average."""
    (case,) = [
        c
        for c in _cases(layer_name, "fully_masked")
        if c["path"] == "dropout" and not c["value_mask"]
    ]
    layer = _heads_layer(case)
    output = layer(QUERY, VALUE, **_heads_call_kwargs(case))
    np.testing.assert_allclose(output.numpy()[0, 1], layer.weights[-1].numpy(), atol=1e-7)


@pytest.mark.parametrize("layer_name", ["MultiHeadAttention", "GroupedQueryAttention"])
def test_fully_masked_query_gets_only_the_output_bias_with_dropout_in_training(layer_name):
    (case,) = [
        c
        for c in _cases(layer_name, "fully_masked")
        if c["path"] == "dropout" and not c["value_mask"]
    ]
    layer = _heads_layer(case)
    kwargs = dict(_heads_call_kwargs(case), training=True)
    output = layer(QUERY, VALUE, **kwargs)
    np.testing.assert_allclose(output.numpy()[0, 1], layer.weights[-1].numpy(), atol=1e-7)
    assert np.all(np.isfinite(output.numpy()))


@pytest.mark.parametrize("case", _cases("Attention"), ids=_case_id)
def test_attention_layer_masks_match_keras(case):
    """`layers.Attention` lowers masked scores by 1e9 without zeroing (as Keras): a query
    whose keys are all masked gets near-uniform weights; non-boolean masks count nonzero
    values as True. Scores, output and gradients as Keras's."""
    layer = layers.Attention(use_scale=True)
    layer.build([QUERY.shape, VALUE.shape])
    layer.set_weights([np.asarray(w, "float32") for w in case["weights"]])
    dtype = MASK_DTYPES[case["mask"]] if case["mask"] != "first_key_masked" else bool
    mask = [np.asarray(case["query_mask"], "float32"), np.asarray(case["value_mask"], dtype)]

    def call(query, value):
        return layer(
            [query, value],
            mask=mask,
            use_causal_mask=case["causal"],
            return_attention_scores=True,
        )

    _check_against_keras(layer, call, case)


# -- 2. non-boolean attention masks ---------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [c for c in REFERENCE["cases"] if c["layer"] != "Attention" and c["mask"] != "fully_masked"],
    ids=_case_id,
)
def test_non_boolean_attention_mask_matches_keras_on_each_attention_path(case):
    """Float and int `attention_mask` values (0.3, 0.5, -1, 2, ...) read as Keras reads
    them on the path taken: see the layers' docstrings."""
    _check_heads_case(case)


def test_grouped_query_attention_lone_float_mask_keeps_values_above_half_on_explicit_path():
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    mask = np.ones((2, 3, 4), "float32")
    mask[0, 0, 1] = 0.3
    _, scores = layer(QUERY, VALUE, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_array_equal(scores.numpy()[0, :, 0, 1], 0.0)
    # Combined with another mask, Keras casts it to bool first: 0.3 counts as True.
    _, scores = layer(
        QUERY,
        VALUE,
        attention_mask=mask,
        value_mask=np.ones((2, 4), bool),
        return_attention_scores=True,
    )
    assert np.all(scores.numpy()[0, :, 0, 1] > 0)


# -- 3. a query passed by keyword keeps its mask ----------------------------------------------
TOKENS = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]])


def _pooled_attention_model(make_attention, by_keyword):
    """Embedding(mask_zero) -> attention -> GlobalAveragePooling1D (which reads the mask)."""
    keras.utils.set_random_seed(3)
    tokens = keras.Input((5,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(tokens)
    attention = make_attention()
    y = attention(query=x, value=x) if by_keyword else attention(x, x)
    return keras.Model(tokens, layers.GlobalAveragePooling1D()(y)), y


@pytest.mark.parametrize(
    "make_attention",
    [
        lambda: layers.MultiHeadAttention(num_heads=2, key_dim=2),
        lambda: layers.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1),
    ],
    ids=["MultiHeadAttention", "GroupedQueryAttention"],
)
def test_query_passed_by_keyword_passes_its_mask_on_in_a_functional_model(make_attention):
    keyword_model, keyword_output = _pooled_attention_model(make_attention, by_keyword=True)
    positional_model, positional_output = _pooled_attention_model(make_attention, by_keyword=False)
    assert keyword_output._keras_mask is not None
    assert keyword_output._keras_mask.shape == positional_output._keras_mask.shape
    positional_model.set_weights(keyword_model.get_weights())
    # The pooling averages the unmasked timesteps only: both models give the same numbers.
    expected = positional_model.predict(TOKENS, verbose=0)
    np.testing.assert_allclose(keyword_model.predict(TOKENS, verbose=0), expected, rtol=1e-6)
    sequence = keras.Model(keyword_model.input, keyword_output).predict(TOKENS, verbose=0)
    weights = (TOKENS != 0)[..., None].astype("float32")
    manual = (sequence * weights).sum(axis=1) / weights.sum(axis=1)
    np.testing.assert_allclose(expected, manual, rtol=1e-5, atol=1e-7)


def test_any_layer_given_its_first_argument_by_keyword_passes_the_mask_on():
    tokens = keras.Input((5,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(tokens)
    dense = layers.Dense(3)(inputs=x)
    assert dense._keras_mask is not None
    # A call that takes `mask` gets the keyword input's mask there, as Keras fills it.
    pooled_by_keyword = layers.GlobalAveragePooling1D()(inputs=dense)
    pooled = layers.GlobalAveragePooling1D()(dense)
    model = keras.Model(tokens, [pooled_by_keyword, pooled])
    by_keyword, positional = model.predict(TOKENS, verbose=0)
    np.testing.assert_allclose(by_keyword, positional, rtol=1e-6)
    # Eagerly too.
    embedded = layers.Embedding(10, 4, mask_zero=True)(TOKENS)
    assert layers.Dense(3)(inputs=embedded)._keras_mask is not None
