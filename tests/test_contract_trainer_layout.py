"""trainer.py reads in one sitting; the pieces split out of it keep their contracts.

`trainers/trainer.py` holds the story (compile, fit, the steps, evaluate, predict) in at most
500 lines; the metrics bookkeeping (`model_metrics.py`), the `*_on_batch` methods
(`on_batch.py`), the loops' helpers (`loop_helpers.py`), the logs' conversion (`logs.py`) and
the NaN checks (`finite_checks.py`) live beside it.
"""

import collections
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras.trainers import loop_helpers, trainer
from minikeras.trainers.logs import pythonify
from minikeras.trainers.model_metrics import ModelMetrics
from minikeras.trainers.on_batch import OnBatchMethods


def test_trainer_module_is_at_most_500_lines():
    lines = pathlib.Path(trainer.__file__).read_text().splitlines()
    assert len(lines) <= 500


def test_models_get_the_metrics_and_on_batch_methods_from_the_split_modules():
    for name in ("metrics", "metrics_names", "reset_metrics", "get_metrics_result"):
        assert getattr(keras.Model, name) is getattr(ModelMetrics, name)
    for name in ("train_on_batch", "test_on_batch", "predict_on_batch"):
        assert getattr(keras.Sequential, name) is getattr(OnBatchMethods, name)


def test_a_nested_models_metrics_stay_its_own():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    inner.compile("sgd", "mse", metrics=["mae"])
    outer = keras.Sequential([keras.Input((3,)), inner, keras.layers.Dense(1)])
    outer.compile("sgd", "mse")
    x = np.ones((4, 3), "float32")
    outer.fit(x, np.ones((4, 1), "float32"), verbose=0)
    assert outer.metrics_names == ["loss"]


def _batches(count):
    return iter([(step, f"batch {step}") for step in range(count)])


def test_groups_number_the_batches_as_keras_steps_per_execution_does():
    assert [
        (first, last, len(group)) for first, last, group in loop_helpers.groups(_batches(7), 3)
    ] == [
        (0, 2, 3),
        (3, 5, 3),
        (6, 8, 1),  # the last group reports `first + size - 1`, past the last batch
    ]
    assert [(first, last) for first, last, _ in loop_helpers.groups(_batches(2), 1)] == [
        (0, 0),
        (1, 1),
    ]


def test_should_validate_reads_validation_freq_as_keras_does():
    assert [loop_helpers.should_validate(epoch, 2) for epoch in range(4)] == [
        False,
        True,
        False,
        True,
    ]
    assert [loop_helpers.should_validate(epoch, [1, 3]) for epoch in range(3)] == [
        True,
        False,
        True,
    ]
    with pytest.raises(ValueError, match="validation_freq must be >= 1"):
        loop_helpers.should_validate(0, 0)
    with pytest.raises(ValueError, match="validation_freq must be an int or a list"):
        loop_helpers.should_validate(0, "2")


def test_concatenate_keeps_the_structure_of_predict_outputs():
    Pair = collections.namedtuple("Pair", ["a", "b"])
    batches = [Pair(np.zeros((2, 1)), {"c": np.ones(2)}), Pair(np.ones((1, 1)), {"c": np.zeros(1)})]
    joined = loop_helpers.concatenate(batches)
    assert isinstance(joined, Pair)
    np.testing.assert_array_equal(joined.a, [[0], [0], [1]])
    np.testing.assert_array_equal(joined.b["c"], [1, 1, 0])


def test_pythonify_gives_sorted_python_floats_and_merges_dict_values():
    logs = {"loss": keras.ops.convert_to_tensor(0.5), "compile_metrics": {"mae": np.float32(2)}}
    assert pythonify(logs) == {"loss": 0.5, "mae": 2.0}
    assert list(pythonify({"b": 1.0, "a": 2.0})) == ["a", "b"]
    assert all(type(value) is float for value in pythonify(logs).values())
