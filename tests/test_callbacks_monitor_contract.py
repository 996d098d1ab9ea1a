"""Callbacks inside real `fit` calls, against what Keras 3 does in the same fits.

tests/fixtures/callbacks_contract.json is written by
tests/fixtures/generate_callbacks_contract.py with real Keras; each test runs the same small
fit with minikeras. tests/test_callbacks.py drives the callbacks by hand on a fake model.
"""

import json
import operator
import pathlib

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import callbacks_contract_scenarios as shared

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "callbacks_contract.json").read_text()
)

X, Y = shared.X, shared.Y


def small_model(metrics=()):
    return shared.small_model(keras, metrics)


# -- mode="auto" ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    FIXTURE["monitor_auto"],
    ids=[f"{case['monitor']}-{case['metrics']}" for case in FIXTURE["monitor_auto"]],
)
def test_monitor_auto_mode_in_fit_matches_keras(case):
    record = shared.run_monitor_auto(keras, case["monitor"], case["metrics"], case["validation"])
    assert record == case


def test_monitor_auto_mode_raises_for_a_name_that_is_not_logged():
    # "acc" is not logged when the metric was compiled as "accuracy": Keras cannot tell the
    # direction and raises; guessing "up" from the name would train on, watching nothing.
    model = small_model(["accuracy"])
    callback = keras.callbacks.EarlyStopping(monitor="acc", patience=0)
    with pytest.raises(ValueError, match=r"monitor='acc'.*Logged values: accuracy, loss"):
        model.fit(X, Y, epochs=3, batch_size=5, verbose=0, callbacks=[callback])


@pytest.mark.parametrize(
    "make_callback",
    [
        lambda: keras.callbacks.ReduceLROnPlateau(monitor="val_acc"),
        lambda: keras.callbacks.ModelCheckpoint("unused.keras", monitor="val_acc"),
    ],
    ids=["ReduceLROnPlateau", "ModelCheckpoint"],
)
def test_monitor_auto_mode_raises_for_a_name_that_is_not_logged_in_every_monitor_callback(
    make_callback, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    model = small_model(["accuracy"])
    with pytest.raises(ValueError, match="monitor='val_acc'"):
        model.fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y), callbacks=[make_callback()])
    assert not (tmp_path / "unused.keras").exists()


def test_monitor_auto_mode_still_guesses_a_logged_output_metric():
    # Beyond Keras 3 (which raises): a multi-output key such as `val_b_mae` is logged, so
    # its direction is read from the name.
    inputs = keras.Input((3,))
    outputs = {
        "a": keras.layers.Dense(1, activation="sigmoid", name="a")(inputs),
        "b": keras.layers.Dense(1, name="b")(inputs),
    }
    model = keras.Model(inputs, outputs)
    model.compile("sgd", {"a": "binary_crossentropy", "b": "mse"}, metrics={"b": ["mae"]})
    callback = keras.callbacks.EarlyStopping(monitor="val_b_mae", patience=5)
    model.fit(
        X,
        {"a": Y, "b": Y},
        epochs=1,
        verbose=0,
        validation_data=(X, {"a": Y, "b": Y}),
        callbacks=[callback],
    )
    assert callback.monitor_op is operator.lt


# -- ModelCheckpoint ---------------------------------------------------------------------------
@pytest.mark.parametrize("filename", ["model.h5", "model.weights.h5"])
def test_model_checkpoint_refuses_a_legacy_h5_model_path_before_training(filename, tmp_path):
    # Keras 3 writes a legacy .h5 model there; minikeras's `model.save` cannot, so the name
    # must be refused when the callback is made, not after an epoch has trained.
    with pytest.raises(ValueError, match=r"must end in `\.keras`.*save_weights_only=True"):
        keras.callbacks.ModelCheckpoint(tmp_path / filename)


# -- ReduceLROnPlateau -------------------------------------------------------------------------
def test_reduce_lr_refuses_a_scheduled_learning_rate_before_any_weight_changes():
    # Keras raises the same TypeError, but only at the first reduction, after training.
    model = small_model()
    model.compile(
        keras.optimizers.SGD(keras.optimizers.schedules.ExponentialDecay(0.5, 10, 0.9)),
        "binary_crossentropy",
    )
    before = [weight.copy() for weight in model.get_weights()]
    callback = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=100)
    with pytest.raises(TypeError, match="created with a `LearningRateSchedule`"):
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[callback])
    assert int(model.optimizer.iterations) == 0
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_reduce_lr_keeps_a_settable_learning_rate_unchanged_at_the_start():
    model = small_model()
    callback = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)
    history = model.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
    assert history.history["learning_rate"] == [float(np.float32(0.5))]


# -- SwapEMAWeights ----------------------------------------------------------------------------
def ema_model(use_ema=True):
    return shared.ema_model(keras, use_ema)


@pytest.mark.parametrize(
    "case", FIXTURE["swap_ema"], ids=[str(case["swap_kwargs"]) for case in FIXTURE["swap_ema"]]
)
def test_swap_ema_weights_matches_keras(case):
    record = shared.run_swap_ema(keras, case["swap_kwargs"], case["epochs"])
    assert sorted(record["history"]) == sorted(case["history"])
    for key, values in case["history"].items():
        np.testing.assert_allclose(record["history"][key], values, rtol=1e-5, atol=1e-7)
    assert [entry[:2] for entry in record["seen"]] == [entry[:2] for entry in case["seen"]]
    for (_, _, mine), (_, _, theirs) in zip(record["seen"], case["seen"]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(record["final"], case["final"], rtol=1e-5, atol=1e-7)


def test_swap_ema_weights_without_use_ema_is_refused_before_training():
    # Keras raises the same ValueError, but only at the first validation, after an epoch.
    model = ema_model(use_ema=False)
    before = [weight.copy() for weight in model.get_weights()]
    with pytest.raises(ValueError, match=r"use_ema=True.*Received: use_ema=False"):
        model.fit(
            X,
            Y,
            epochs=2,
            verbose=0,
            validation_data=(X, Y),
            callbacks=[keras.callbacks.SwapEMAWeights()],
        )
    assert int(model.optimizer.iterations) == 0
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def trained_ema_model():
    """A model after two steps (no `fit`, so its weights are not the averages yet)."""
    model = ema_model()
    model.train_on_batch(X[:5], Y[:5])
    model.train_on_batch(X[5:], Y[5:])
    averages = [average.data.copy() for average in model.optimizer._model_variables_moving_average]
    assert not np.array_equal(averages[0], model.get_weights()[0])
    return model, averages


def test_swap_ema_weights_evaluates_and_predicts_with_the_averages_then_puts_weights_back():
    model, averages = trained_ema_model()
    weights = [weight.copy() for weight in model.get_weights()]
    swap = keras.callbacks.SwapEMAWeights()
    loss = model.evaluate(X, Y, verbose=0, callbacks=[swap])
    predictions = model.predict(X, verbose=0, callbacks=[swap])

    for weight, kept in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(weight, kept)
    for average, kept in zip(model.optimizer._model_variables_moving_average, averages):
        np.testing.assert_array_equal(average.data, kept)
    model.set_weights(averages)
    assert loss == model.evaluate(X, Y, verbose=0)
    np.testing.assert_array_equal(predictions, model.predict(X, verbose=0))


def test_swap_ema_weights_before_any_training_step_is_an_error():
    model = ema_model()
    with pytest.raises(ValueError, match="no moving averages"):
        model.evaluate(X, Y, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])


def test_swap_ema_weights_on_epoch_keeps_the_averages_after_an_early_stop():
    # Beyond Keras 3: when an earlier callback stops training, the final weights are the
    # averages, as on the last epoch, not the raw trained weights.
    stop = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1)
    )
    model = ema_model()
    seen = shared.weights_seen(keras)
    model.fit(
        X,
        Y,
        epochs=5,
        batch_size=4,
        shuffle=False,
        verbose=0,
        callbacks=[stop, keras.callbacks.SwapEMAWeights(swap_on_epoch=True), seen],
    )
    final = np.concatenate([np.ravel(w) for w in model.get_weights()])
    np.testing.assert_array_equal(final, seen.seen[-1][2])  # the averages seen at epoch end
