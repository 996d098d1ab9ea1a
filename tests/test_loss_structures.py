"""Loss, loss-weight and metric structures nested more than one level deep in `compile`,
against the fit histories and evaluate lists Keras 3 gives (tests/fixtures/loss_structures.json,
written by tests/fixtures/generate_loss_structures.py)."""

import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "generate_loss_structures", os.path.join(HERE, "fixtures", "generate_loss_structures.py")
)
GENERATOR = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(GENERATOR)
with open(os.path.join(HERE, "fixtures", "loss_structures.json")) as f:
    FIXTURE = json.load(f)

ACCEPTED = [
    name
    for name in GENERATOR.CASES
    if "error" not in FIXTURE[name] and name not in GENERATOR.REFUSED
]
REJECTED = [name for name in GENERATOR.CASES if "error" in FIXTURE[name]]


@pytest.mark.parametrize("name", ACCEPTED)
def test_nested_compile_structure_trains_with_keras_log_names_and_numbers(name):
    expected = FIXTURE[name]
    with warnings.catch_warnings():
        # An output without a loss leaves its layer untrained: minikeras warns about the
        # missing gradients (Keras on JAX does not); the numbers are what is checked here.
        warnings.filterwarnings("ignore", "Gradients do not exist", UserWarning)
        seen = GENERATOR.run_case(keras, name)
    assert "error" not in seen, seen
    assert [key for key, _ in seen["history"]] == [key for key, _ in expected["history"]]
    for (key, values), (_, reference) in zip(seen["history"], expected["history"]):
        np.testing.assert_allclose(values, reference, rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(seen["evaluate"], expected["evaluate"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", REJECTED)
def test_compile_structure_keras_refuses_raises_before_any_weight_changes(name):
    kind, arguments = GENERATOR.CASES[name]
    model = GENERATOR._model(keras, kind)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises((ValueError, TypeError, KeyError)) as info:
        model.compile(optimizer="sgd", **arguments)
        model.fit(GENERATOR.X, GENERATOR._targets(kind), batch_size=4, verbose=0)
    assert type(info.value).__name__ == FIXTURE[name]["error"]
    argument = next(
        key for key in ("loss_weights", "weighted_metrics", "metrics", "loss") if key in arguments
    )
    assert argument in str(info.value)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_several_losses_for_a_single_output_raise_rather_than_drop_all_but_the_first():
    # Keras 3.15 trains this but adds only the first loss to the total; minikeras refuses.
    model = GENERATOR._model(keras, "single")
    model.compile(optimizer="sgd", loss={"out": ["mse", "mae"]})
    with pytest.raises(ValueError, match="2 losses for the model's single output"):
        model.fit(GENERATOR.X, GENERATOR.Y, batch_size=4, verbose=0)


@pytest.mark.parametrize("name", sorted(GENERATOR.REFUSED))
def test_nested_loss_of_another_container_type_than_the_outputs_raises(name):
    # Keras 3.15 trains these, applying every loss to all outputs stacked together (its
    # history has one "a_b_loss" key); minikeras refuses rather than give other numbers.
    assert [key for key, _ in FIXTURE[name]["history"]] == ["a_b_loss", "loss"]
    kind, arguments = GENERATOR.CASES[name]
    model = GENERATOR._model(keras, kind)
    before = [w.copy() for w in model.get_weights()]
    model.compile(optimizer="sgd", **arguments)
    with pytest.raises(ValueError, match="container type"):
        model.fit(GENERATOR.X, GENERATOR._targets(kind), batch_size=4, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
