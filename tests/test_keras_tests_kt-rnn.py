"""Recurrent and attention behaviours that running Keras's own tests against minikeras showed
to differ.

Found with tools/run_keras_tests.py on keras/src/layers/rnn/*_test.py and
keras/src/layers/attention/*_test.py (see tools/keras_tests_status.md, section "rnn and
attention"). Expected values are the Keras tests' own literals.
"""

import numpy as np

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
