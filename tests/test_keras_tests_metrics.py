"""Metric behaviours found different from Keras 3 by running Keras's own metrics tests.

Found with `tools/run_keras_tests.py /path/to/keras/src/metrics/*_test.py` (see
tools/keras_tests_status.md). Expected counts come from the literals of Keras's tests
(keras/src/metrics/metric_test.py); the reset value was checked with Keras 3.15.1 on JAX.
"""

import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras


class SquaredErrorSum(keras.metrics.Metric):
    """A two-variable metric, like Keras's test `ExampleMetric`."""

    def __init__(self, name="squared_error_sum"):
        super().__init__(name=name)
        self.sum = self.add_variable((), "zeros", name="sum")
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, y_true, y_pred):
        y_true, y_pred = np.asarray(y_true, "float32"), np.asarray(y_pred, "float32")
        self.sum.assign_add(np.sum((y_true - y_pred) ** 2))
        self.total.assign_add(np.float32(len(y_true)))

    def result(self):
        return keras.ops.convert_to_tensor(self.sum.numpy())


def test_variables_held_in_lists_and_dicts_are_tracked():
    metric = SquaredErrorSum()
    metric.more = [keras.Variable(0.0), keras.Variable(1.0)]
    assert len(metric.variables) == 4
    metric = SquaredErrorSum()
    metric.more = {"a": keras.Variable(0.0), "b": keras.Variable(1.0)}
    assert len(metric.variables) == 4
    metric = SquaredErrorSum()
    metric.more = {"a": [keras.Variable(0.0), keras.Variable(1.0)]}
    assert len(metric.variables) == 4


def test_submetrics_held_in_lists_and_dicts_are_tracked():
    metric = SquaredErrorSum()
    metric.parts = [SquaredErrorSum(name="one"), SquaredErrorSum(name="two")]
    assert len(metric.variables) == 6
    metric = SquaredErrorSum()
    metric.parts = {"1": SquaredErrorSum(name="one"), "2": SquaredErrorSum(name="two")}
    assert len(metric.variables) == 6


def test_reset_state_resets_submetrics_held_in_a_list():
    class MeanPlusSum(keras.metrics.Metric):
        def __init__(self, name="mean_plus_sum"):
            super().__init__(name=name)
            self.parts = [keras.metrics.Mean(name="mean"), keras.metrics.Sum(name="sum")]

        def update_state(self, values):
            for part in self.parts:
                part.update_state(values)

        def result(self):
            return self.parts[0].result() + self.parts[1].result()

    metric = MeanPlusSum()
    metric.update_state([1.0, 3.0])
    assert float(metric.result()) == 6.0
    metric.reset_state()
    metric.update_state([5.0])
    # Keras 3.15.1: 10.0 (mean 5 + sum 5); without the reset the parts would still hold [1, 3].
    assert float(metric.result()) == 10.0


def test_auc_curve_and_summation_method_are_the_metrics_utils_enums():
    from minikeras.metrics import metrics_utils

    auc = keras.metrics.AUC(num_thresholds=10, curve="pr", summation_method="Majoring")
    assert auc.curve == metrics_utils.AUCCurve.PR
    assert auc.summation_method == metrics_utils.AUCSummationMethod.MAJORING
    config = auc.get_config()
    assert type(config["curve"]) is str and config["curve"] == "PR"
    assert type(config["summation_method"]) is str and config["summation_method"] == "majoring"
    restored = keras.metrics.AUC.from_config(config)
    assert restored.curve == metrics_utils.AUCCurve.PR
    assert keras.metrics.AUC(curve=metrics_utils.AUCCurve.PRGAIN).curve == "PRGAIN"


def _r2_cases():
    path = os.path.join(os.path.dirname(__file__), "fixtures", "r2_score_adjusted.json")
    with open(path) as f:
        return json.load(f)["cases"]


@pytest.mark.parametrize("case", _r2_cases())
def test_adjusted_r2_counts_every_entry_as_a_sample_as_keras_3_15(case):
    """Keras 3.15.1's adjusted R2 (tests/fixtures/generate_r2_score_adjusted.py).

    Keras's newer test file (3.16-dev) expects a count of rows instead; this pins the released
    behaviour, which minikeras already matched, so the two are not confused.
    """
    metric = keras.metrics.R2Score(case["class_aggregation"], case["num_regressors"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metric.update_state(case["y_true"], case["y_pred"], case["sample_weight"])
        result = metric.result()
    np.testing.assert_allclose(np.asarray(result), case["result"], rtol=1e-5, atol=1e-6)
