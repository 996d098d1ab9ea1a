"""Recurrent and attention behaviours that running Keras's own tests against minikeras showed
to differ.

Found with tools/run_keras_tests.py on keras/src/layers/rnn/*_test.py and
keras/src/layers/attention/*_test.py (see tools/keras_tests_status.md, section "rnn and
attention"). Expected values are the Keras tests' own literals.
"""

import numpy as np
import pytest

from minikeras import layers


def test_attention_score_mask_takes_keras_v_mask_keyword():
    scores = np.random.random((2, 3, 4)).astype("float32")
    layer = layers.Attention()
    v_mask = np.array([[True, False, True, False]])

    assert layer._calculate_score_mask(scores, v_mask=None, use_causal_mask=False) is None
    causal = layer._calculate_score_mask(scores, v_mask=None, use_causal_mask=True)
    expected_causal = np.tril(np.ones((1, 3, 4)), k=0)
    np.testing.assert_array_equal(causal, expected_causal)
    combined = layer._calculate_score_mask(scores, v_mask=v_mask, use_causal_mask=True)
    np.testing.assert_array_equal(combined, np.logical_and(expected_causal, v_mask[:, None, :]))


def test_gru_use_cudnn_true_runs_the_same_numbers_as_auto():
    x = np.random.default_rng(0).random((2, 3, 4)).astype("float32")
    reference = layers.GRU(2, use_cudnn="auto")
    expected = reference(x)
    layer = layers.GRU(2, use_cudnn=True)
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(expected))


@pytest.mark.parametrize(
    "arguments, call_arguments",
    [
        ({"reset_after": False}, {}),
        ({"unroll": True}, {}),
        ({"recurrent_dropout": 0.5}, {}),
        ({}, {"mask": np.array([[True, True, False], [True, True, True]])}),
    ],
    ids=["reset_after_false", "unroll", "recurrent_dropout", "mask"],
)
def test_gru_use_cudnn_true_raises_at_call_where_keras_has_no_fused_path(arguments, call_arguments):
    x = np.ones((2, 3, 4), dtype="float32")
    layer = layers.GRU(2, use_cudnn=True, **arguments)
    with pytest.raises(ValueError, match="use_cudnn=True"):
        layer(x, **call_arguments)


def test_lstm_use_cudnn_true_is_accepted_when_made_and_raises_when_called():
    layer = layers.LSTM(2, use_cudnn=True)
    with pytest.raises(ValueError, match="use_cudnn=True"):
        layer(np.ones((2, 3, 4), dtype="float32"))


@pytest.mark.parametrize("use_cudnn", [True, False, "auto"])
@pytest.mark.parametrize("rnn_class", [layers.GRU, layers.LSTM], ids=["GRU", "LSTM"])
def test_bidirectional_keeps_use_cudnn_of_its_layer(rnn_class, use_cudnn):
    bidi = layers.Bidirectional(rnn_class(1, use_cudnn=use_cudnn))
    assert bidi.forward_layer.use_cudnn == use_cudnn
    assert bidi.backward_layer.use_cudnn == use_cudnn


@pytest.mark.parametrize("return_attention_scores", [False, True], ids=["fused", "scores"])
def test_mha_compute_attention_applies_use_causal_mask_with_an_explicit_mask(
    return_attention_scores,
):
    t = 5
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    layer.build(query_shape=(1, t, 8), value_shape=(1, t, 8))
    rng = np.random.RandomState(0)
    query, key, value = (rng.randn(1, t, 2, 4).astype("float32") for _ in range(3))
    extra = np.ones((1, t, t), dtype=bool)
    extra[:, 3, 1] = False
    causal = np.tril(np.ones((t, t), dtype=bool))[None]

    def attend(attention_mask, use_causal_mask):
        output, _ = layer._compute_attention(
            query,
            key,
            value,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
            return_attention_scores=return_attention_scores,
        )
        return np.asarray(output)

    np.testing.assert_allclose(attend(extra, True), attend(extra & causal, False), atol=1e-5)
    np.testing.assert_allclose(attend(None, True), attend(causal, False), atol=1e-5)
    assert not np.allclose(attend(extra, True), attend(extra, False), atol=1e-5)
