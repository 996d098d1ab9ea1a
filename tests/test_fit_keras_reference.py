"""Whole `fit`/`evaluate`/`predict` runs against histories recorded from Keras 3.

The fixture is written by tests/fixtures/generate_fit.py (see its docstring); each scenario
starts from fixed weights and trains with shuffle=False, so the numbers must agree.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "fit_histories.json").read_text()
)
X = np.asarray(FIXTURE["x"], dtype=np.float32)
LABELS = np.asarray(FIXTURE["labels"])
ONEHOT = np.eye(3, dtype=np.float32)[LABELS]
WEIGHTS = np.asarray(FIXTURE["sample_weight"], dtype=np.float32)
BINARY = (LABELS == 1).astype(np.float32)[:, None]


def mlp(activation="softmax"):
    inputs = keras.Input(shape=(6,))
    h = keras.layers.Dense(5, activation="relu")(inputs)
    outputs = keras.layers.Dense(3, activation=activation)(h)
    return keras.Model(inputs, outputs)


def two_outputs():
    inputs = keras.Input(shape=(6,))
    h = keras.layers.Dense(5, activation="relu")(inputs)
    a = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    b = keras.layers.Dense(1, name="reg")(h)
    return keras.Model(inputs, {"cls": a, "reg": b})


SCENARIOS = {
    "sparse_rmsprop_accuracy": (
        mlp,
        lambda: dict(
            optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        ),
        dict(x=X, y=LABELS, batch_size=16, epochs=3),
        dict(x=X, y=LABELS, batch_size=16),
    ),
    "categorical_adam_validation_split": (
        mlp,
        lambda: dict(
            optimizer=keras.optimizers.Adam(0.01),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        ),
        dict(x=X, y=ONEHOT, batch_size=8, epochs=3, validation_split=0.2),
        None,
    ),
    "sgd_momentum_sample_weight_weighted_metrics": (
        mlp,
        lambda: dict(
            optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            weighted_metrics=["accuracy"],
        ),
        dict(x=X, y=LABELS, sample_weight=WEIGHTS, batch_size=10, epochs=2),
        dict(x=X, y=LABELS, sample_weight=WEIGHTS, batch_size=10),
    ),
    "class_weight": (
        mlp,
        lambda: dict(
            optimizer=keras.optimizers.SGD(0.05),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        ),
        dict(x=X, y=LABELS, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, batch_size=12, epochs=2),
        None,
    ),
    "binary_logits_regularized": (
        lambda: keras.Sequential(
            [
                keras.Input(shape=(6,)),
                keras.layers.Dense(
                    4, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01)
                ),
                keras.layers.Dense(1),
            ]
        ),
        lambda: dict(
            optimizer=keras.optimizers.Adam(0.02),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            metrics=[keras.metrics.BinaryAccuracy(threshold=0.0), "auc"],
        ),
        dict(x=X, y=BINARY, batch_size=16, epochs=3, validation_data=(X[:20], BINARY[:20])),
        dict(x=X, y=BINARY, batch_size=16),
    ),
    "mse_mae_regression": (
        lambda: keras.Sequential(
            [keras.Input(shape=(6,)), keras.layers.Dense(3), keras.layers.Dense(2)]
        ),
        lambda: dict(
            optimizer=keras.optimizers.RMSprop(0.01, momentum=0.5),
            loss="mse",
            metrics=["mae", keras.metrics.RootMeanSquaredError()],
        ),
        dict(x=X, y=ONEHOT[:, :2], batch_size=7, epochs=3),
        dict(x=X, y=ONEHOT[:, :2], batch_size=7),
    ),
    "two_outputs_dict": (
        two_outputs,
        lambda: dict(
            optimizer="adam",
            loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
            loss_weights={"cls": 1.0, "reg": 0.5},
            metrics={"cls": ["accuracy"], "reg": ["mae"]},
        ),
        dict(x=X, y={"cls": LABELS, "reg": X[:, :1]}, batch_size=16, epochs=2),
        dict(x=X, y={"cls": LABELS, "reg": X[:, :1]}, batch_size=16),
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fit_matches_keras(name):
    build, compile_kwargs, fit_kwargs, eval_kwargs = SCENARIOS[name]
    expected = FIXTURE["scenarios"][name]
    model = build()
    model.set_weights([np.asarray(w, np.float32) for w in expected["initial_weights"]])
    model.compile(**compile_kwargs())
    history = model.fit(verbose=0, shuffle=False, **fit_kwargs)
    assert sorted(history.history) == sorted(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=2e-4, atol=1e-5, err_msg=key)
    for got, want in zip(model.get_weights(), expected["final_weights"]):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-3, atol=1e-5)
    if eval_kwargs is not None:
        logs = model.evaluate(verbose=0, return_dict=True, **eval_kwargs)
        assert sorted(logs) == sorted(expected["evaluate"])
        for key, value in expected["evaluate"].items():
            np.testing.assert_allclose(logs[key], value, rtol=2e-4, atol=1e-5, err_msg=key)
        predictions = model.predict(eval_kwargs["x"], verbose=0)
        if isinstance(predictions, dict):
            for key, value in expected["predict"].items():
                np.testing.assert_allclose(predictions[key], value, rtol=1e-4, atol=1e-5)
        else:
            np.testing.assert_allclose(predictions, expected["predict"], rtol=1e-4, atol=1e-5)
