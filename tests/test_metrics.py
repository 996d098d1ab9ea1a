"""Metrics against reference numbers from Keras 3 (tests/fixtures/losses_metrics.json), plus
state handling, hand-computed values, get/serialize/deserialize and errors."""

import json
import pathlib
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import losses, metrics
from tests.fixtures import losses_metrics_scenarios as shared

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "losses_metrics.json").read_text()
)
ARRAYS = shared.decode_arrays(FIXTURE["arrays"])
RTOL, ATOL = 1e-5, 1e-6


def _build(case):
    kwargs = dict(case["kwargs"])
    if case["class_name"] == "MeanMetricWrapper":
        kwargs["fn"] = getattr(metrics, kwargs["fn"])
    return getattr(metrics, case["class_name"])(**kwargs)


def _result(metric):
    # R2Score warns (as Keras does) when asked for an adjusted score without enough samples,
    # e.g. right after reset_state.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value = metric.result()
    assert isinstance(value, keras.Tensor)
    assert value.dtype == "float32"
    return value.numpy()


def _case_id(case):
    kwargs = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    batch = case["batches"][0]
    inputs = batch.get("values") or f"{batch['y_true']}-{batch['y_pred']}"
    return "-".join(p for p in (case["class_name"], kwargs, inputs, batch["sample_weight"]) if p)


@pytest.mark.parametrize("case", FIXTURE["metrics"], ids=_case_id)
def test_metric_matches_keras(case):
    got = shared.metric_results(_build(case), case["batches"], ARRAYS, _result)
    for step, (value, expected) in enumerate(zip(got, case["results"], strict=True)):
        expected = np.asarray(expected, dtype=np.float64)
        assert value.shape == expected.shape, step
        np.testing.assert_allclose(value, expected, rtol=RTOL, atol=ATOL, err_msg=f"step {step}")


@pytest.mark.parametrize(
    "case", [c for c in FIXTURE["metrics"] if c["config"] is not None], ids=_case_id
)
def test_metric_config_matches_keras_and_round_trips(case):
    metric = _build(case)
    config = metric.get_config()
    assert config["name"] == metric.name
    without_name = {k: v for k, v in config.items() if k != "name"}
    expected = case["config"]
    assert json.loads(json.dumps(without_name)) == expected
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is type(metric) and restored.get_config() == config


def test_fixture_covers_every_metric_class():
    covered = {case["class_name"] for case in FIXTURE["metrics"]}
    classes = {
        name
        for name in metrics.__all__
        if isinstance(getattr(metrics, name), type)
        and issubclass(getattr(metrics, name), metrics.Metric)
        and name != "Metric"
    }
    assert classes <= covered, classes - covered


# -- hand-computed values -----------------------------------------------------------------
def test_mean_weighting_by_hand():
    mean = metrics.Mean()
    mean.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    assert float(mean.result()) == 2.0
    mean.update_state([[2.0, 4.0]], sample_weight=[3.0])  # row mean 3, weight 3
    assert float(mean.result()) == pytest.approx((4.0 + 9.0) / 5.0)
    mean.reset_states()
    assert float(mean.result()) == 0.0
    assert float(mean(10.0)) == 10.0


def test_mean_of_scalars_weighted_by_an_int_matches_the_general_path_bitwise():
    # fit's loss tracker: one scalar per batch weighted by the batch size (a fast path).
    rng = np.random.default_rng(0)
    fast, general = metrics.Mean(), metrics.Mean()
    for value, weight in zip(rng.random(200) * 10, rng.integers(1, 100, 200)):
        loss = keras.ops.convert_to_tensor(np.float64(value))  # float32 0-d tensor
        fast.update_state(loss, sample_weight=int(weight))
        general.update_state(loss, sample_weight=np.float32(weight))  # the general path
        assert fast.total.numpy() == general.total.numpy()
        assert fast.count.numpy() == general.count.numpy()
    assert float(fast.result()) == float(general.result())
    fast.update_state(np.float64(1 / 3), sample_weight=7)  # cast to float32 first
    general.update_state(np.float64(1 / 3), sample_weight=np.float32(7))
    assert fast.total.numpy() == general.total.numpy()
    assert float(fast.result()) == float(general.result())
    fast.reset_state()
    assert float(fast.result()) == 0.0


def test_sum_and_call():
    total = metrics.Sum()
    assert float(total([1.0, 2.0], sample_weight=[2.0, 0.5])) == 3.0
    assert float(total(np.ones((2, 3)))) == 9.0


def test_accuracy_family_by_hand():
    assert float(metrics.Accuracy()([1, 2, 3, 4], [0, 2, 3, 4])) == 0.75
    assert float(metrics.BinaryAccuracy()([[1], [0]], [[0.8], [0.6]])) == 0.5
    onehot = [[0, 0, 1], [0, 1, 0]]
    scores = [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]
    assert float(metrics.CategoricalAccuracy()(onehot, scores)) == 0.5
    assert float(metrics.SparseCategoricalAccuracy()([[2], [1]], scores)) == 0.5
    assert float(metrics.TopKCategoricalAccuracy(k=2)(onehot, scores)) == 1.0
    assert float(metrics.SparseTopKCategoricalAccuracy(k=1)([2, 1], scores)) == 0.5


def test_precision_recall_auc_by_hand():
    y_true, y_pred = [0, 1, 1, 1], [1, 0, 1, 1]
    assert float(metrics.Precision()(y_true, y_pred)) == pytest.approx(2 / 3)
    assert float(metrics.Recall()(y_true, y_pred)) == pytest.approx(2 / 3)
    assert float(metrics.TruePositives()(y_true, y_pred)) == 2.0
    assert float(metrics.FalsePositives()(y_true, y_pred)) == 1.0
    assert float(metrics.FalseNegatives()(y_true, y_pred)) == 1.0
    assert float(metrics.TrueNegatives()(y_true, y_pred)) == 0.0
    # ROC with thresholds [-eps, 0.5, 1 + eps]: points (1, 1), (0.5, 0.5), (0, 0).
    assert float(metrics.AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])) == 0.75
    many = metrics.Precision(thresholds=[0.0, 0.5, 0.95])
    # Threshold 0: all four positive (TP 2, FP 2); 0.5: three (TP 2, FP 1); 0.95: one (TP 1).
    np.testing.assert_allclose(many([0, 1, 1, 0], [0.6, 0.7, 0.99, 0.1]).numpy(), [0.5, 2 / 3, 1])


def test_regression_and_iou_by_hand():
    assert float(metrics.MeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])) == 0.25
    assert float(metrics.RootMeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])) == 0.5
    assert float(metrics.R2Score()([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])) == 0.5
    # Class 0: TP 1, FP 1, FN 1 -> 1/3; class 1 the same.
    assert float(metrics.MeanIoU(num_classes=2)([0, 0, 1, 1], [0, 1, 0, 1])) == pytest.approx(1 / 3)


def test_f1_by_hand():
    metric = metrics.F1Score(threshold=0.5)
    value = metric([[1, 0], [0, 1], [1, 1]], [[0.9, 0.6], [0.2, 0.7], [0.1, 0.8]]).numpy()
    # Class 0: TP 1, FP 0, FN 1 -> P 1, R 1/2, F1 2/3. Class 1: TP 2, FP 1, FN 0 -> F1 4/5.
    np.testing.assert_allclose(value, [2 / 3, 4 / 5], rtol=1e-5)


# -- state --------------------------------------------------------------------------------
def test_state_is_float32_variables_updated_in_place():
    metric = metrics.AUC(num_thresholds=5)
    variables = metric.variables
    assert [v.name for v in variables] == [
        "true_positives",
        "false_positives",
        "true_negatives",
        "false_negatives",
    ]
    assert all(v.dtype == "float32" and not v.trainable for v in variables)
    metric.update_state([0, 1], [0.2, 0.9])
    assert metric.variables[0] is variables[0]
    assert variables[0].numpy().sum() > 0
    metric.reset_state()
    assert all(not v.numpy().any() for v in variables)


def test_reset_state_restores_initial_values_of_custom_metric():
    class Countdown(metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.left = self.add_weight(shape=(), initializer="ones", name="left")

        def update_state(self, values):
            self.left.assign_sub(np.float32(len(values)) / 10)

        def result(self):
            return self._result_tensor(self.left.data)

    metric = Countdown(name="countdown")
    assert float(metric([1, 2, 3])) == pytest.approx(0.7)
    metric.reset_state()
    assert float(metric.result()) == 1.0
    assert metric.get_config() == {"name": "countdown", "dtype": "float32"}


def test_sub_metrics_variables_are_tracked():
    class Pair(metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.first = metrics.Mean()
            self.second = metrics.Sum()

        def update_state(self, values):
            self.first.update_state(values)
            self.second.update_state(values)

        def result(self):
            return self.first.result()

    pair = Pair()
    assert len(pair.variables) == 3
    pair.update_state([1.0, 3.0])
    pair.reset_state()
    assert float(pair.second.result()) == 0.0


def test_metric_names():
    assert metrics.Mean().name == "mean"
    assert metrics.BinaryAccuracy().name == "binary_accuracy"
    assert metrics.LogCoshError().name == "logcosh"
    first, second = metrics.Precision(), metrics.Precision()
    assert first.name.startswith("precision") and first.name != second.name
    assert repr(metrics.Mean(name="loss")) == "<Mean name=loss>"


def test_int_state_and_float_results_for_iou():
    metric = metrics.MeanIoU(num_classes=3)
    assert metric.dtype == "int32" and metric.total_cm.dtype == "int32"
    metric.update_state([0, 1, 2], [0, 1, 1], sample_weight=[1, 2, 1])
    assert metric.total_cm.numpy().tolist() == [[1, 0, 0], [0, 2, 0], [0, 1, 0]]
    assert metric.result().dtype == "float32"
    with pytest.warns(UserWarning, match="weight as `float`"):
        metric.update_state([0], [0], sample_weight=np.array([0.5], dtype=np.float32))


def test_metrics_record_no_gradients():
    y_pred = keras.Variable(np.array([[0.2, 0.8]], dtype=np.float32))
    with keras.GradientTape() as tape:
        loss = losses.CategoricalCrossentropy()([[0.0, 1.0]], y_pred)
        metric = metrics.CategoricalCrossentropy()
        metric.update_state([[0.0, 1.0]], y_pred)
    (grad,) = tape.gradient(loss, [y_pred])
    assert grad is not None
    assert metric.result().creator is None
    np.testing.assert_allclose(float(metric.result()), float(loss), rtol=1e-6)


# -- get / serialize ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls",
    [
        ("accuracy", "Accuracy"),
        ("binary_accuracy", "BinaryAccuracy"),
        ("categorical_accuracy", "CategoricalAccuracy"),
        ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"),
        ("AUC", "AUC"),
        ("auc", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("mse", "MeanSquaredError"),
        ("MSE", "MeanSquaredError"),
        ("mae", "MeanAbsoluteError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("bce", "BinaryCrossentropy"),
        ("mean_squared_error", "MeanSquaredError"),
        ("root_mean_squared_error", "RootMeanSquaredError"),
        ("f1_score", "F1Score"),
        ("r2_score", "R2Score"),
        ("kl_divergence", "KLDivergence"),
    ],
)
def test_get_names_like_keras(name, cls):
    metric = metrics.get(name)
    assert type(metric) is getattr(metrics, cls)


def test_get_other_identifiers():
    assert metrics.get(None) is None
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    instance = metrics.Recall()
    assert metrics.get(instance) is instance
    assert isinstance(metrics.get(metrics.AUC), metrics.AUC)
    auc = metrics.get({"class_name": "AUC", "config": {"curve": "PR", "num_thresholds": 10}})
    assert auc.curve == "PR" and auc.num_thresholds == 10


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'acc'") as info:
        metrics.get("acc")
    message = str(info.value)
    assert "'binary_accuracy'" in message and "'auc'" in message and "compile()" in message
    with pytest.raises(ValueError, match=r"Unknown metric: 'Nope'.*'AUC'"):
        metrics.deserialize({"class_name": "Nope", "config": {}})


def test_function_forms():
    values = metrics.binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]])
    assert values.dtype == "float32"
    np.testing.assert_array_equal(values.numpy(), [[1.0], [0.0]])
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy([1, 0], [[0.1, 0.9], [0.2, 0.8]]).numpy(), [1.0, 0.0]
    )
    np.testing.assert_array_equal(
        metrics.top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.3, 0.2]], k=2).numpy(), [0.0]
    )
    assert metrics.mean_squared_error is losses.mean_squared_error
    assert metrics.mse is losses.mean_squared_error


def test_wrapper_serialization_matches_keras_format():
    wrapper = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc_03", threshold=0.3)
    assert metrics.serialize(wrapper) == {
        "module": "keras.metrics",
        "class_name": "MeanMetricWrapper",
        "config": {
            "name": "acc_03",
            "dtype": "float32",
            "fn": {
                "module": "builtins",
                "class_name": "function",
                "config": "binary_accuracy",
                "registered_name": "function",
            },
            "threshold": 0.3,
        },
        "registered_name": None,
    }
    restored = metrics.deserialize(metrics.serialize(wrapper))
    assert restored._fn is metrics.binary_accuracy and restored._fn_kwargs == {"threshold": 0.3}
    loss_wrapper = metrics.deserialize(
        metrics.serialize(metrics.MeanMetricWrapper(losses.mean_squared_error, name="m"))
    )
    assert loss_wrapper._fn is losses.mean_squared_error


def test_custom_metric_round_trip_needs_custom_objects():
    def doubled_error(y_true, y_pred):
        return 2.0 * losses.mean_absolute_error(y_true, y_pred)

    wrapper = metrics.MeanMetricWrapper(doubled_error, name="doubled")
    config = metrics.serialize(wrapper)
    with pytest.raises(ValueError, match="Unknown metric: 'doubled_error'"):
        metrics.deserialize(config)
    restored = metrics.deserialize(config, custom_objects={"doubled_error": doubled_error})
    assert float(restored([[0.0]], [[3.0]])) == 6.0


# -- errors -------------------------------------------------------------------------------
def test_argument_errors():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match='Invalid AUC curve value: "XY"'):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="Invalid AUC summation method"):
        metrics.AUC(summation_method="average")
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="Invalid `average` argument value"):
        metrics.F1Score(average="sum")
    with pytest.raises(ValueError, match="`beta` argument value"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="`specificity` must be in the range"):
        metrics.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match=r"Target class id 5 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 5])


def test_shape_errors_name_shapes():
    with pytest.raises(ValueError, match=r"R2Score expects 2D inputs.*\(3,\)"):
        metrics.R2Score().update_state([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(2, 3\).*\(2, 2\)"):
        metrics.MeanSquaredError().update_state(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3, 3\).*\(3,\)"):
        metrics.MeanSquaredError().update_state(
            np.zeros((3, 3)), np.zeros((3, 3)), sample_weight=np.ones((3, 3))
        )
    with pytest.raises(ValueError, match=r"label value of 4.*4 classes"):
        metrics.SparseCategoricalCrossentropy().update_state([4], [[0.25] * 4])


def test_missing_super_init_is_reported():
    class Broken(metrics.Metric):
        def __init__(self):
            self.total = 0

    with pytest.raises(RuntimeError, match="super"):
        Broken().add_variable((), "zeros")


def test_every_keras_metric_name_exists():
    missing = [name for name in FIXTURE["public_names"]["metrics"] if not hasattr(metrics, name)]
    assert missing == []
