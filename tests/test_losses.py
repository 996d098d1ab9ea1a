"""Losses against reference numbers from Keras 3 (tests/fixtures/losses_metrics.json), plus
gradients, numerical stability, dtypes, serialization and error messages."""

import json
import pathlib
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, losses, ops
from tests.fixtures import losses_metrics_scenarios as shared
from tests.gradcheck import check_gradients

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "losses_metrics.json").read_text()
)
ARRAYS = shared.decode_arrays(FIXTURE["arrays"])
RTOL, ATOL = 1e-5, 1e-6


def _kwargs(kwargs):
    # JSON turns tuples into lists; an axis given as a list means the same.
    return {k: tuple(v) if k == "axis" and isinstance(v, list) else v for k, v in kwargs.items()}


def _case_id(case):
    extra = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    weight = case.get("sample_weight")
    parts = [case.get("class_name") or case["function"], extra, case["y_true"], case["y_pred"]]
    if "reduction" in case:
        parts.append(str(case["reduction"]))
    if weight:
        parts.append(weight)
    return "-".join(p for p in parts if p)


def _expected(value):
    return np.asarray(value, dtype=np.float64)


def _quiet(fn, *args, **kwargs):
    # Keras warns (SyntaxWarning) for single-class categorical inputs; not under test here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return fn(*args, **kwargs)


# -- reference values ---------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["losses"], ids=_case_id)
def test_loss_class_matches_keras(case):
    loss = getattr(losses, case["class_name"])(
        reduction=case["reduction"], **_kwargs(case["kwargs"])
    )
    weight = case["sample_weight"]
    sample_weight = None if weight is None else ARRAYS[weight]
    value = _quiet(loss, ARRAYS[case["y_true"]], ARRAYS[case["y_pred"]], sample_weight)
    assert isinstance(value, keras.Tensor)
    assert value.dtype == "float32"
    expected = _expected(case["expected"])
    assert value.shape == expected.shape
    np.testing.assert_allclose(value.numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", FIXTURE["loss_functions"], ids=_case_id)
def test_loss_function_matches_keras(case):
    fn = getattr(losses, case["function"])
    value = fn(ARRAYS[case["y_true"]], ARRAYS[case["y_pred"]], **_kwargs(case["kwargs"]))
    assert value.dtype == "float32"
    expected = _expected(case["expected"])
    assert value.shape == expected.shape
    np.testing.assert_allclose(value.numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", FIXTURE["loss_gradients"], ids=_case_id)
def test_loss_gradient_matches_keras(case):
    loss = getattr(losses, case["class_name"])(**_kwargs(case["kwargs"]))
    y_pred = keras.Variable(ARRAYS[case["y_pred"]])
    weight = case["sample_weight"]
    sample_weight = None if weight is None else ARRAYS[weight]
    with GradientTape() as tape:
        value = loss(ARRAYS[case["y_true"]], y_pred, sample_weight=sample_weight)
    (grad,) = tape.gradient(value, [y_pred])
    assert np.asarray(grad).dtype == np.float32
    np.testing.assert_allclose(np.asarray(grad), _expected(case["expected"]), rtol=1e-4, atol=1e-6)


def test_fixture_covers_every_loss_class_and_reduction():
    covered = {(c["class_name"], c["reduction"], c["sample_weight"]) for c in FIXTURE["losses"]}
    classes = {c for c, _, _ in covered}
    expected_classes = {
        name
        for name in losses.__all__
        if isinstance(getattr(losses, name), type)
        and issubclass(getattr(losses, name), losses.Loss)
        # CTC's numbers are in ctc_loss.json (tests/test_keras_tests_losses.py).
        and name not in ("Loss", "LossFunctionWrapper", "CTC")
    }
    assert expected_classes <= classes
    for reduction in ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"):
        for weight in (None, "sw_vec", "sw_col", "sw_scalar"):
            assert ("MeanSquaredError", reduction, weight) in covered


# -- gradients (finite differences, float64) ----------------------------------------------
# The cases whose Keras gradients the fixture holds, and more arguments besides.
GRADIENT_CASES = shared.GRADIENT_SETUPS + [
    ("Huber", {"delta": 1.5}, "reg_true", "reg_pred"),
    ("SquaredHinge", {}, "pm_true", "reg_pred"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bin_true", "bin_logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, "bin_true", "bin_prob_inner"),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "onehot",
        "cat_logits",
    ),
    ("CategoricalFocalCrossentropy", {}, "onehot", "cat_prob"),
    ("Dice", {"axis": (1, 2)}, "mask_true", "mask_pred"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "mask_true", "mask_pred"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.5}, "labels", "cat_prob_normalized"),
]


@pytest.mark.parametrize(
    "class_name, kwargs, true_key, pred_key",
    GRADIENT_CASES,
    ids=[f"{c[0]}-{c[1]}" for c in GRADIENT_CASES],
)
def test_loss_gradients_finite_differences(class_name, kwargs, true_key, pred_key):
    y_true = ARRAYS[true_key][:3]
    y_pred = ARRAYS[pred_key][:3]
    sample_weight = ARRAYS["sw_vec"][:3]

    def fn(prediction):
        loss = getattr(losses, class_name)(**kwargs)
        weight = None if class_name in ("Dice", "Tversky") else sample_weight
        return loss(y_true, prediction, sample_weight=weight)

    check_gradients(fn, y_pred)


@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"]
)
def test_reduction_gradients_finite_differences(reduction):
    def fn(prediction):
        # Built inside: a loss computes in the floatx of its construction (float64 here).
        loss = losses.MeanSquaredError(reduction=reduction)
        return loss(ARRAYS["reg_true"], prediction, sample_weight=ARRAYS["sw_col"])

    check_gradients(fn, ARRAYS["reg_pred"])


def test_float64_computation_when_floatx_is_float64():
    keras.config.set_floatx("float64")
    value = losses.CategoricalCrossentropy(from_logits=True)(ARRAYS["onehot"], ARRAYS["cat_logits"])
    assert value.dtype == "float64"
    keras.config.set_floatx("float32")
    reference = losses.CategoricalCrossentropy(from_logits=True)(
        ARRAYS["onehot"], ARRAYS["cat_logits"]
    )
    np.testing.assert_allclose(float(value), float(reference), rtol=1e-6)


# -- stability ----------------------------------------------------------------------------
@pytest.mark.parametrize("magnitude", [1e4, 1e30])
def test_crossentropies_from_extreme_logits_are_finite(magnitude):
    logits = np.array([[magnitude, -magnitude], [-magnitude, magnitude]], dtype=np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        right = losses.CategoricalCrossentropy(from_logits=True)([[1, 0], [0, 1]], logits)
        wrong = losses.CategoricalCrossentropy(from_logits=True)([[0, 1], [1, 0]], logits)
        sparse = losses.SparseCategoricalCrossentropy(from_logits=True)([1, 0], logits)
        binary_right = losses.BinaryCrossentropy(from_logits=True)([[1, 0], [0, 1]], logits)
        binary = losses.BinaryCrossentropy(from_logits=True)([[0, 1], [1, 0]], logits)
    assert float(right) == 0.0 and float(binary_right) == 0.0
    np.testing.assert_allclose(float(wrong), 2 * magnitude, rtol=1e-6)
    np.testing.assert_allclose(float(sparse), 2 * magnitude, rtol=1e-6)
    np.testing.assert_allclose(float(binary), magnitude, rtol=1e-6)


def test_gradients_at_extreme_logits_are_finite():
    logits = keras.Variable(np.array([[1e4, -1e4, 0.0]], dtype=np.float32))
    for loss in (
        losses.CategoricalCrossentropy(from_logits=True),
        losses.BinaryCrossentropy(from_logits=True),
    ):
        with GradientTape() as tape:
            value = loss([[0.0, 1.0, 0.0]], logits)
        (grad,) = tape.gradient(value, [logits])
        assert np.all(np.isfinite(np.asarray(grad)))
    with GradientTape() as tape:
        value = losses.SparseCategoricalCrossentropy(from_logits=True)([1], logits)
    (grad,) = tape.gradient(value, [logits])
    # softmax - onehot: [1, 0, 0] - [0, 1, 0]
    np.testing.assert_allclose(np.asarray(grad), [[1.0, -1.0, 0.0]], atol=1e-6)


def test_probabilities_of_exactly_zero_and_one_are_clipped():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = losses.BinaryCrossentropy()([[1.0, 0.0]], [[0.0, 1.0]])
        categorical = losses.CategoricalCrossentropy()([[1.0, 0.0]], [[0.0, 1.0]])
    # Clipped in float32 to [eps, 1 - eps]; 1 - (1 - eps) is not exactly eps in float32.
    eps = np.float32(keras.config.epsilon())
    low, high = np.clip(np.array([0.0, 1.0], dtype=np.float32), eps, np.float32(1) - eps)
    expected = (-np.log(low) - np.log(np.float32(1) - high)) / 2
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)
    np.testing.assert_allclose(float(categorical), -np.log(low), rtol=1e-5)


def test_log_cosh_does_not_overflow():
    value = losses.log_cosh([[0.0]], [[1e4]])
    np.testing.assert_allclose(value.numpy(), [1e4 - np.log(2.0)], rtol=1e-6)


# -- reduction arithmetic (hand-computed) -------------------------------------------------
def test_reductions_by_hand():
    y_true = np.array([[0.0], [0.0], [0.0], [0.0]], dtype=np.float32)
    y_pred = np.array([[1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
    weights = np.array([1.0, 0.0, 2.0, 1.0], dtype=np.float32)
    squares = np.array([1.0, 4.0, 9.0, 16.0])
    weighted = squares * weights
    make = losses.MeanSquaredError
    assert float(make()(y_true, y_pred)) == squares.mean()
    assert float(make()(y_true, y_pred, weights)) == weighted.sum() / 4
    assert float(make(reduction="sum")(y_true, y_pred, weights)) == weighted.sum()
    assert float(make(reduction="mean")(y_true, y_pred, weights)) == weighted.sum() / 4
    assert float(make(reduction="mean_with_sample_weight")(y_true, y_pred, weights)) == (
        weighted.sum() / weights.sum()
    )
    np.testing.assert_array_equal(make(reduction=None)(y_true, y_pred, weights).numpy(), weighted)
    # Keras's rank rule: (batch,) values against (batch, 1) weights are expanded, not the
    # weights squeezed.
    np.testing.assert_array_equal(
        make(reduction="none")(y_true, y_pred, weights[:, None]).numpy(), weighted[:, None]
    )
    # Zero total weight divides to 0, not NaN.
    zero = np.zeros(4, dtype=np.float32)
    assert float(make(reduction="mean_with_sample_weight")(y_true, y_pred, zero)) == 0.0


def test_ignore_class_is_left_out_of_the_mean():
    probs = np.array([[0.2, 0.3, 0.5], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], dtype=np.float32)
    value = losses.SparseCategoricalCrossentropy(ignore_class=0)([0, 1, 2], probs)
    np.testing.assert_allclose(float(value), -(np.log(0.8) + np.log(0.4)) / 2, rtol=1e-6)
    values = losses.sparse_categorical_crossentropy([0, 1, 2], probs, ignore_class=0)
    np.testing.assert_allclose(values.numpy(), [0.0, -np.log(0.8), -np.log(0.4)], rtol=1e-6)
    assert losses.get_keras_mask(values).tolist() == [False, True, True]


def test_label_smoothing_by_hand():
    # Binary: targets 1 -> 0.9, 0 -> 0.1 with label_smoothing=0.2.
    value = losses.BinaryCrossentropy(label_smoothing=0.2)([[1.0, 0.0]], [[0.7, 0.4]])
    expected = -np.mean(
        [0.9 * np.log(0.7) + 0.1 * np.log(0.3), 0.1 * np.log(0.4) + 0.9 * np.log(0.6)]
    )
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)
    # Categorical over 4 classes: 1 -> 0.85, 0 -> 0.05 with label_smoothing=0.2.
    probs = np.array([[0.1, 0.6, 0.2, 0.1]], dtype=np.float32)
    value = losses.CategoricalCrossentropy(label_smoothing=0.2)([[0.0, 1.0, 0.0, 0.0]], probs)
    target = np.array([0.05, 0.85, 0.05, 0.05])
    np.testing.assert_allclose(float(value), -np.sum(target * np.log(probs[0])), rtol=1e-6)


def test_functions_return_one_value_per_sample():
    for name in ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "hinge"):
        value = getattr(losses, name)(ARRAYS["reg_true"], ARRAYS["reg_pred"])
        assert value.shape == (6,)
    assert losses.kld is losses.kl_divergence
    assert losses.mse is losses.mean_squared_error


def test_custom_loss_subclass():
    class Absolute(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.sum(ops.abs(y_pred - y_true), axis=-1)

    loss = Absolute(reduction="sum")
    assert loss.name == "absolute" or loss.name.startswith("absolute_")
    assert float(loss([[0.0, 0.0]], [[1.0, -2.0]])) == 3.0


def test_wrapper_matches_rank_of_labels_and_predictions():
    wrapped = losses.LossFunctionWrapper(losses.mean_squared_error)
    value = wrapped(ARRAYS["reg_true_vec"], ARRAYS["reg_pred_col"])
    expected = np.mean((ARRAYS["reg_true_vec"] - ARRAYS["reg_pred_col"][:, 0]) ** 2)
    np.testing.assert_allclose(float(value), expected, rtol=1e-6)


def test_crossentropy_shorthand_picks_by_shapes():
    ce = losses.get("crossentropy")
    assert losses.get("ce") is ce
    probs = ARRAYS["cat_prob"]
    np.testing.assert_allclose(
        ce(ARRAYS["labels"], probs).numpy(),
        losses.sparse_categorical_crossentropy(ARRAYS["labels"], probs).numpy(),
    )
    np.testing.assert_allclose(
        ce(ARRAYS["labels_col"], probs).numpy(),
        losses.sparse_categorical_crossentropy(ARRAYS["labels_col"], probs).numpy(),
    )
    np.testing.assert_allclose(
        ce(ARRAYS["onehot"], probs).numpy(),
        losses.categorical_crossentropy(ARRAYS["onehot"], probs).numpy(),
    )
    np.testing.assert_allclose(
        ce(ARRAYS["bin_true_col"], ARRAYS["bin_prob_col"]).numpy(),
        losses.binary_crossentropy(ARRAYS["bin_true_col"], ARRAYS["bin_prob_col"]).numpy(),
    )


# -- get / serialize / deserialize / config -----------------------------------------------
@pytest.mark.parametrize(
    "name, expected",
    [
        ("mse", "mean_squared_error"),
        ("MSE", "mean_squared_error"),
        ("mae", "mean_absolute_error"),
        ("mape", "mean_absolute_percentage_error"),
        ("msle", "mean_squared_logarithmic_error"),
        ("kld", "kl_divergence"),
        ("bce", "binary_crossentropy"),
        ("categorical_crossentropy", "categorical_crossentropy"),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
        ("huber", "huber"),
        ("log_cosh", "log_cosh"),
    ],
)
def test_get_function_names(name, expected):
    assert losses.get(name) is getattr(losses, expected)


def test_get_class_names_config_dicts_and_objects():
    loss = losses.get("CategoricalCrossentropy")
    assert isinstance(loss, losses.CategoricalCrossentropy)
    assert losses.get(None) is None
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Huber(delta=3.0)
    assert losses.get(instance) is instance
    from_dict = losses.get(
        {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    )
    assert from_dict.from_logits is True


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'msq'") as info:
        losses.get("msq")
    assert "mean_squared_error" in str(info.value) and "'mse'" in str(info.value)
    with pytest.raises(ValueError, match=r"Unknown loss: 'Nope'.*MeanSquaredError"):
        losses.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(42)


@pytest.mark.parametrize("class_name", sorted(FIXTURE["loss_configs"]))
def test_config_matches_keras_and_round_trips(class_name):
    cls = getattr(losses, class_name)
    kwargs = {"q": 0.5} if class_name == "CategoricalGeneralizedCrossEntropy" else {}
    loss = cls(**kwargs)
    config = loss.get_config()
    keras_config = FIXTURE["loss_configs"][class_name]
    assert set(config) == set(keras_config)
    for key, value in keras_config.items():
        got = config[key]
        assert (list(got) if isinstance(got, tuple) else got) == value, key
    clone = cls.from_config(config)
    assert clone.get_config() == config
    serialized = losses.serialize(loss)
    assert serialized == {
        "module": "keras.losses",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
    }
    restored = losses.deserialize(serialized)
    assert type(restored) is cls and restored.get_config() == config


def test_non_default_config_round_trips():
    loss = losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.4, gamma=3.0, from_logits=True, reduction="sum"
    )
    restored = losses.deserialize(losses.serialize(loss))
    assert restored.get_config() == loss.get_config()
    assert restored.reduction == "sum" and restored.gamma == 3.0
    huber = losses.deserialize(losses.serialize(losses.Huber(delta=2.5)))
    assert huber.delta == 2.5


def test_function_serialization_matches_keras_format():
    assert losses.serialize(losses.mean_squared_error) == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }
    assert losses.deserialize(losses.serialize(losses.huber)) is losses.huber
    assert losses.deserialize("mse") is losses.mean_squared_error


def test_wrapper_config_round_trip_with_custom_function():
    def scaled_error(y_true, y_pred, scale=1.0):
        return scale * ops.mean(ops.abs(y_pred - y_true), axis=-1)

    wrapper = losses.LossFunctionWrapper(scaled_error, name="scaled", scale=3.0)
    config = losses.serialize(wrapper)
    assert config["config"]["scale"] == 3.0
    restored = losses.deserialize(config, custom_objects={"scaled_error": scaled_error})
    assert restored.fn is scaled_error and restored.name == "scaled"
    np.testing.assert_allclose(float(restored([[0.0]], [[2.0]])), 6.0)
    builtin = losses.LossFunctionWrapper(losses.huber, delta=2.0, name="h")
    assert losses.LossFunctionWrapper.from_config(builtin.get_config()).fn is losses.huber


def test_custom_class_round_trip_needs_custom_objects():
    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_pred - y_true), axis=-1)

    config = losses.serialize(MyLoss(name="mine"))
    assert config["registered_name"] == "MyLoss"
    with pytest.raises(ValueError, match="Unknown loss: 'MyLoss'"):
        losses.deserialize(config)
    restored = losses.deserialize(config, custom_objects={"MyLoss": MyLoss})
    assert isinstance(restored, MyLoss) and restored.name == "mine"


def test_reduction_namespace_and_validation():
    assert losses.Reduction.SUM_OVER_BATCH_SIZE == "sum_over_batch_size"
    assert losses.MeanSquaredError(reduction=losses.Reduction.AUTO).reduction == (
        "sum_over_batch_size"
    )
    assert losses.MeanSquaredError(reduction="auto").reduction == "sum_over_batch_size"
    assert losses.MeanSquaredError(reduction=losses.Reduction.NONE).reduction == "none"
    assert losses.Reduction.SUM in losses.Reduction.all()
    with pytest.raises(ValueError, match=r"Invalid value for argument `reduction`.*'sum'.*'avg'"):
        losses.MeanSquaredError(reduction="avg")


# -- errors -------------------------------------------------------------------------------
def test_incompatible_shapes_name_both():
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(2, 3\).*\(2, 2\)"):
        losses.MeanSquaredError()(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"binary_crossentropy.*\(2, 3\).*\(2, 2\)"):
        losses.BinaryCrossentropy()(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(2, 3\).*\(2, 4\)"):
        losses.CategoricalCrossentropy()(np.zeros((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\).*\(2,\)"):
        losses.MeanSquaredError()(np.zeros((2, 3)), np.zeros((2, 3)), sample_weight=np.ones(3))


def test_sparse_label_out_of_range_names_label_and_classes():
    with pytest.raises(ValueError, match=r"label value of 7 .*\[0, 4\).*4 classes"):
        losses.SparseCategoricalCrossentropy()([1, 7], np.ones((2, 4), dtype=np.float32) / 4)
    with pytest.raises(ValueError, match=r"label value of -1"):
        losses.sparse_categorical_crossentropy([-1, 0], np.zeros((2, 4)), from_logits=True)


def test_single_class_categorical_warns_like_keras():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy([[1.0]], [[0.5]])


def test_categorical_generalized_q_is_checked():
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)


def test_loss_results_are_float32_for_integer_inputs():
    value = losses.MeanAbsoluteError()([[1, 2]], [[2, 4]])
    assert value.dtype == "float32" and float(value) == 1.5
    grad_input = keras.Variable(np.array([[0.5, 0.5]], dtype=np.float32))
    with GradientTape() as tape:
        value = losses.MeanSquaredError()([[1, 0]], grad_input)
    (grad,) = tape.gradient(value, [grad_input])
    assert np.asarray(grad).dtype == np.float32
    np.testing.assert_allclose(np.asarray(grad), [[-0.5, 0.5]])


def test_every_keras_loss_name_exists():
    missing = [name for name in FIXTURE["public_names"]["losses"] if not hasattr(losses, name)]
    assert missing == []


def test_circle_masks_samples_without_positives():
    labels = ARRAYS["embedding_labels"]  # the last two labels occur once
    values = losses.circle(labels, ARRAYS["embeddings"])
    assert values.numpy()[-2:].tolist() == [0.0, 0.0]
    assert losses.get_keras_mask(values).tolist() == [True] * 4 + [False] * 2
    mean = float(losses.Circle()(labels, ARRAYS["embeddings"]))
    np.testing.assert_allclose(mean, values.numpy()[:4].mean(), rtol=1e-6)
