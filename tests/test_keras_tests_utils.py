"""Where Keras's own keras.utils tests found minikeras differing from Keras 3, pinned with
values recorded from Keras 3.15.1 (tests/fixtures/keras_tests_utils.json, written by
tests/fixtures/generate_keras_tests_utils.py)."""

import json
import os
import re

import pytest

import minikeras as keras
from tests.fixtures import summary_scenarios

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_utils.json")
with open(FIXTURE, encoding="utf-8") as f:
    RECORDED = json.load(f)


def _without_optimizer_bytes(text):
    # The optimizer's step counter is int64 here (4 bytes more than Keras on JAX's int32,
    # README "Deliberate differences", dtypes): its memory is left out of the comparison.
    return re.sub(r"(Total|Optimizer) params: ([\d,]+) \([^)]*\)", r"\1 params: \2", text)


@pytest.mark.parametrize("width", summary_scenarios.WIDTHS)
@pytest.mark.parametrize("name", sorted(summary_scenarios.SCENARIOS))
def test_summary_text_is_keras_s(name, width, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    keras.utils.clear_session()
    text = summary_scenarios.SCENARIOS[name](keras)
    expected = RECORDED["summaries"][f"{name}@{width}"]
    assert _without_optimizer_bytes(text) == _without_optimizer_bytes(expected)


def test_summary_totals_count_the_built_optimizer_s_variables():
    keras.utils.clear_session()
    text = summary_scenarios.trained_functional(keras)
    assert "Total params: 29 " in text and "Optimizer params: 20 " in text
    assert "Trainable params: 9 (36.00 B)" in text


def test_summary_gives_print_fn_the_whole_text_in_one_call():
    calls = []
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.summary(print_fn=calls.append)
    assert len(calls) == 1 and calls[0].startswith('Model: "sequential') and "\n" in calls[0]
