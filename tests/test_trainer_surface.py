"""`model.metrics`, `metrics_names` and the list/dict forms of `evaluate` and the
`*_on_batch` methods, against what Keras 3 reports.

The fixture is written by tests/fixtures/generate_trainer_surface.py (see its docstring),
which builds the same models with the same initial weights.
"""

import json
import pathlib
import warnings

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "trainer_surface.json").read_text()
)["scenarios"]
RTOL = 1e-5


class SquarePenalty(layers.Layer):
    """Passes its input through and adds `0.1 * mean(x ** 2)` to the model's losses."""

    def call(self, inputs):
        self.add_loss(0.1 * ops.mean(ops.square(inputs)))
        return inputs


def one_output(penalty=False):
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(4, activation="relu")(inputs)
    if penalty:
        h = SquarePenalty()(h)
    return keras.Model(inputs, layers.Dense(2)(h))


def two_outputs_list():
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(4, activation="relu")(inputs)
    a = layers.Dense(2, name="out_a")(h)
    b = layers.Dense(1, activation="sigmoid", name="out_b")(h)
    return keras.Model(inputs, [a, b])


def two_outputs_dict():
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(4, activation="relu")(inputs)
    zeta = layers.Dense(2, name="zeta")(h)
    alpha = layers.Dense(1, activation="sigmoid", name="alpha")(h)
    return keras.Model(inputs, {"zeta": zeta, "alpha": alpha})


def data(n=12):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, 6)).astype("float32")
    regression = rng.standard_normal((n, 2)).astype("float32")
    binary = (rng.random((n, 1)) > 0.5).astype("float32")
    sample_weight = np.linspace(0.5, 1.5, n).astype("float32")
    return x, regression, binary, sample_weight


def scenarios():
    _, regression, binary, _ = data()
    return {
        "one_output_mae": (one_output, dict(loss="mse", metrics=["mae"]), regression, False),
        "one_output_no_metrics": (one_output, dict(loss="mse"), regression, False),
        "one_output_weighted_metrics": (
            one_output,
            dict(loss="mse", metrics=["mae", "mse"], weighted_metrics=["mae", "mse", "mae"]),
            regression,
            True,
        ),
        "two_outputs_list": (
            two_outputs_list,
            dict(loss=["mse", "binary_crossentropy"], metrics=[["mse"], ["accuracy"]]),
            [regression, binary],
            False,
        ),
        "two_outputs_list_weighted_metrics": (
            two_outputs_list,
            dict(
                loss=["mse", "binary_crossentropy"],
                loss_weights=[0.5, 2.0],
                metrics=["mae", "mse"],
                weighted_metrics=[["mse"], ["accuracy", "mse"]],
            ),
            [regression, binary],
            True,
        ),
        "two_outputs_dict": (
            two_outputs_dict,
            dict(
                loss={"zeta": "mse", "alpha": "binary_crossentropy"},
                metrics={"alpha": ["accuracy"], "zeta": ["mae"]},
            ),
            {"zeta": regression, "alpha": binary},
            False,
        ),
        "two_outputs_dict_loss_in_another_order": (
            two_outputs_dict,
            dict(
                loss={"alpha": "binary_crossentropy", "zeta": "mse"},
                metrics={"zeta": ["mae"], "alpha": ["accuracy"]},
            ),
            {"zeta": regression, "alpha": binary},
            False,
        ),
        "two_outputs_dict_one_loss": (
            two_outputs_dict,
            dict(loss="mse", metrics={"alpha": ["accuracy"]}, weighted_metrics={"zeta": ["mse"]}),
            {"zeta": regression, "alpha": binary},
            True,
        ),
        "two_outputs_dict_lists": (
            two_outputs_dict,
            dict(
                loss=["binary_crossentropy", "mse"],
                loss_weights=[2.0, 0.5],
                metrics=["accuracy", "mae"],
                weighted_metrics=[None, ["mse"]],
            ),
            {"zeta": regression, "alpha": binary},
            True,
        ),
        "two_outputs_dict_loss_list_weights": (
            two_outputs_dict,
            dict(
                loss={"zeta": "mse", "alpha": "binary_crossentropy"},
                loss_weights=[2.0, 0.5],
                metrics={"zeta": ["mae"]},
            ),
            {"zeta": regression, "alpha": binary},
            False,
        ),
        "add_loss": (
            lambda: one_output(penalty=True),
            dict(loss="mse", metrics=["mae"]),
            regression,
            False,
        ),
        "add_loss_without_compiled_loss": (
            lambda: one_output(penalty=True),
            dict(metrics=["mae"]),
            regression,
            False,
        ),
    }


def initial_weights(model):
    rng = np.random.default_rng(3)
    return [(rng.standard_normal(w.shape) * 0.5).astype("float32") for w in model.get_weights()]


def rows(y, index):
    if isinstance(y, dict):
        return {key: value[index] for key, value in y.items()}
    if isinstance(y, list):
        return [value[index] for value in y]
    return y[index]


def pairs(logs):
    return [[key, float(value)] for key, value in logs.items()]


def record(build, compile_kwargs, y, weighted):
    """The same calls, in the same order, as the fixture generator makes in Keras."""
    x, _, _, sample_weight = data()
    weights = sample_weight if weighted else None
    first, second = slice(0, 5), slice(5, None)
    model = build()
    model.set_weights(initial_weights(model))
    out = {"metrics_before_compile": [m.name for m in model.metrics]}
    model.compile(optimizer=keras.optimizers.SGD(0.1), **compile_kwargs)
    out["metrics_after_compile"] = [m.name for m in model.metrics]
    out["metrics_names_after_compile"] = list(model.metrics_names)
    evaluate = dict(x=x, y=y, sample_weight=weights, batch_size=5, verbose=0)
    out["evaluate_list"] = model.evaluate(**evaluate)
    out["metrics_after_evaluate"] = [m.name for m in model.metrics]
    out["metrics_names_after_evaluate"] = list(model.metrics_names)
    out["evaluate_dict"] = pairs(model.evaluate(return_dict=True, **evaluate))
    batch = dict(sample_weight=None if weights is None else weights[first])
    out["train_on_batch_list"] = model.train_on_batch(x[first], rows(y, first), **batch)
    model.evaluate(**evaluate)
    out["train_on_batch_dict"] = pairs(
        model.train_on_batch(x[first], rows(y, first), return_dict=True, **batch)
    )
    model.evaluate(**evaluate)
    batch = dict(sample_weight=None if weights is None else weights[second])
    out["test_on_batch_list"] = model.test_on_batch(x[second], rows(y, second), **batch)
    model.evaluate(**evaluate)
    out["test_on_batch_dict"] = pairs(
        model.test_on_batch(x[second], rows(y, second), return_dict=True, **batch)
    )
    out["evaluate_after"] = model.evaluate(**evaluate)
    return out


@pytest.fixture(scope="module")
def recorded():
    with warnings.catch_warnings():
        # Without a compiled loss the last Dense layer gets no gradient (Keras warns too).
        warnings.filterwarnings("ignore", "Gradients do not exist", UserWarning)
        return {name: record(*scenario) for name, scenario in scenarios().items()}


NAMES = sorted(FIXTURE)


def test_fixture_and_test_cover_the_same_models():
    assert sorted(scenarios()) == NAMES


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "moment", ["before_compile", "after_compile", "names_after_compile", "after_evaluate"]
)
def test_model_metrics_lists_the_objects_keras_lists(recorded, name, moment):
    key = "metrics_" + moment
    assert recorded[name][key] == FIXTURE[name][key]


@pytest.mark.parametrize("name", NAMES)
def test_metrics_names_are_the_names_of_model_metrics(recorded, name):
    assert (
        recorded[name]["metrics_names_after_evaluate"]
        == FIXTURE[name]["metrics_names_after_evaluate"]
    )
    assert (
        recorded[name]["metrics_names_after_evaluate"] == recorded[name]["metrics_after_evaluate"]
    )


def assert_same_values(ours, theirs):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL)
    else:
        assert isinstance(ours, float)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "key", ["evaluate_list", "train_on_batch_list", "test_on_batch_list", "evaluate_after"]
)
def test_list_results_come_in_keras_order(recorded, name, key):
    assert_same_values(recorded[name][key], FIXTURE[name][key])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("key", ["evaluate_dict", "train_on_batch_dict", "test_on_batch_dict"])
def test_dict_results_have_keras_keys_order_and_values(recorded, name, key):
    ours, theirs = recorded[name][key], FIXTURE[name][key]
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    np.testing.assert_allclose([v for _, v in ours], [v for _, v in theirs], rtol=RTOL)
