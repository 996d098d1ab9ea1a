"""LearningRateScheduler, ReduceLROnPlateau, SwapEMAWeights and TensorBoard with a
MultiOptimizer act on each inner optimizer, as Keras 3.15 does (values recorded by
tests/fixtures/generate_multi_optimizer_callbacks.py)."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks, layers, optimizers

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "multi_optimizer_callbacks.json")) as _handle:
    KERAS = json.load(_handle)
X = np.asarray(KERAS["x"], dtype="float32")
Y = np.asarray(KERAS["y"], dtype="float32")


def _model():
    return keras.Sequential(
        [
            keras.Input((3,)),
            layers.Dense(2, kernel_initializer="ones", use_bias=False, name="dense_1"),
            layers.Dense(1, kernel_initializer="ones", use_bias=False, name="dense_2"),
        ]
    )


def _multi(mapping):
    """The generator's MultiOptimizers: SGD(0.1) for dense_1, Adam(0.01) for the rest."""
    if mapping == "callable":
        first, rest = optimizers.SGD(0.1), optimizers.SGD(0.01)
        return optimizers.MultiOptimizer(lambda v: first if "dense_1" in v.path else rest)
    first = optimizers.SGD(0.1, use_ema=mapping == "ema", ema_momentum=0.9)
    rest = optimizers.Adam(0.01)
    return optimizers.MultiOptimizer(
        optimizers.OptimizerMap(default_optimizer=rest, optimizer_map={".*dense_1/.*": first})
    )


def _callback(kind, options):
    if kind == "scheduler":
        return callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, **options)
    if kind == "reduce":
        return callbacks.ReduceLROnPlateau(**options)
    return callbacks.SwapEMAWeights(**options)


def _case_id(case):
    return f"{case['kind']}-{case['mapping']}-{'-'.join(sorted(case['options']))}"


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.utils.clear_session()


@pytest.mark.parametrize("case", KERAS["cases"], ids=_case_id)
def test_callback_with_multi_optimizer_trains_and_logs_as_keras(case, capsys):
    model = _model()
    model.compile(loss="mse", optimizer=_multi(case["mapping"]))
    fit_options = dict(case["fit"])
    if case["validation"]:
        fit_options["validation_data"] = (X[::-1], Y[::-1])
    history = model.fit(
        X,
        Y,
        batch_size=4,
        shuffle=False,
        verbose=0,
        callbacks=[_callback(case["kind"], case["options"])],
        **fit_options,
    )
    printed = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert sorted(history.history) == sorted(case["history"])
    for key, values in case["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5, err_msg=key)
    for weights, expected in zip(model.get_weights(), case["weights"], strict=True):
        np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-7)
    assert printed == case["printed"]


def test_learning_rate_scheduler_sets_each_inner_optimizer_from_its_own_rate():
    # Keras's multi_optimizer_test: one call sets both inner rates.
    model = _model()
    model.compile(loss="mse", optimizer=_multi("map"))
    first, rest = model.optimizer.optimizers
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    scheduler.set_model(model)
    scheduler.on_epoch_begin(1)
    np.testing.assert_allclose(float(first.learning_rate), 0.05)
    np.testing.assert_allclose(float(rest.learning_rate), 0.005)


def test_learning_rate_scheduler_checks_every_rate_before_setting_any():
    model = _model()
    model.compile(loss="mse", optimizer=_multi("map"))
    first, rest = model.optimizer.optimizers
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: 0.5 if lr > 0.05 else "x")
    scheduler.set_model(model)
    with pytest.raises(ValueError, match="should be a float"):
        scheduler.on_epoch_begin(0)
    np.testing.assert_allclose(float(first.learning_rate), 0.1)
    np.testing.assert_allclose(float(rest.learning_rate), 0.01)


def test_reduce_lr_on_plateau_reduces_every_inner_optimizer_once_per_plateau():
    model = _model()
    model.compile(loss="mse", optimizer=_multi("map"))
    first, rest = model.optimizer.optimizers
    reduce_lr = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    reduce_lr.set_model(model)
    reduce_lr.on_train_begin()
    reduce_lr.on_epoch_end(0, {"val_loss": 1.0})
    np.testing.assert_allclose([float(first.learning_rate), float(rest.learning_rate)], [0.1, 0.01])
    reduce_lr.on_epoch_end(1, {"val_loss": 1.0})
    np.testing.assert_allclose(
        [float(first.learning_rate), float(rest.learning_rate)], [0.05, 0.005]
    )


def test_tensorboard_collects_each_inner_learning_rate_as_keras():
    pytest.importorskip("tensorboardX")  # the optional writer; the collection needs no file
    model = _model()
    model.compile(loss="mse", optimizer=_multi("map"))
    board = callbacks.TensorBoard(log_dir="unused")
    board.set_model(model)
    assert board._collect_learning_rate({}) == pytest.approx(KERAS["tensorboard"])
    keras.utils.clear_session()
    model.compile(loss="mse", optimizer=optimizers.LossScaleOptimizer(_multi("map")))
    assert board._collect_learning_rate({}) == pytest.approx(KERAS["tensorboard_loss_scale"])


def test_tensorboard_writes_each_inner_learning_rate_during_fit(tmp_path, monkeypatch):
    pytest.importorskip("tensorboardX")
    written = []
    model = _model()
    model.compile(loss="mse", optimizer=_multi("map"))
    board = callbacks.TensorBoard(log_dir=str(tmp_path))
    monkeypatch.setattr(
        board, "_write", lambda which, logs, prefix, step: written.append((which, dict(logs)))
    )
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[board])
    (train,) = [logs for which, logs in written if which == "train"]
    assert train["learning_rate_sgd"] == pytest.approx(0.1)
    assert train["learning_rate_adam"] == pytest.approx(0.01)
    assert "learning_rate" not in train


def test_swap_ema_weights_swaps_only_the_inner_optimizers_with_ema():
    # Keras's multi_optimizer_test, on minikeras.
    model = _model()
    model.compile(loss="mse", optimizer=_multi("ema"))
    first = model.optimizer.optimizers[0]
    model.train_on_batch(X[:1], Y[:1])
    model.layers[0].kernel.assign(np.full((3, 2), 2.0, "float32"))
    model.layers[1].kernel.assign(np.full((2, 1), 3.0, "float32"))
    first._model_variables_moving_average[0].assign(np.full((3, 2), 9.0, "float32"))
    swap = callbacks.SwapEMAWeights()
    swap.set_model(model)
    swap.on_test_begin()
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.full((3, 2), 9.0))
    np.testing.assert_array_equal(first._model_variables_moving_average[0].numpy(), 2.0)
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), np.full((2, 1), 3.0))
    swap.on_test_end()
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.full((3, 2), 2.0))
    np.testing.assert_array_equal(first._model_variables_moving_average[0].numpy(), 9.0)


def test_swap_ema_weights_refuses_a_multi_optimizer_without_ema_before_training():
    model = _model()
    model.compile(loss="mse", optimizer=_multi("map"))
    before = [w.copy() for w in model.get_weights()]
    expected = KERAS["swap_ema_without_ema"]
    with pytest.raises(ValueError) as raised:
        model.fit(X, Y, verbose=0, validation_data=(X, Y), callbacks=[callbacks.SwapEMAWeights()])
    assert str(raised.value) == expected["message"]
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_swap_ema_weights_reads_the_optimizer_inside_a_loss_scale_optimizer():
    model = _model()
    model.compile(
        loss="mse",
        optimizer=optimizers.LossScaleOptimizer(optimizers.SGD(0.1, use_ema=True)),
    )
    model.fit(X, Y, epochs=1, verbose=0)
    trained = [w.copy() for w in model.get_weights()]
    inner = model.optimizer.inner_optimizer
    averages = [a.numpy().copy() for a in inner._model_variables_moving_average]
    swap = callbacks.SwapEMAWeights()
    swap.set_model(model)
    swap.on_test_begin()
    for weights, average in zip(model.get_weights(), averages, strict=True):
        np.testing.assert_array_equal(weights, average)
    swap.on_test_end()
    for weights, expected in zip(model.get_weights(), trained, strict=True):
        np.testing.assert_array_equal(weights, expected)


@pytest.mark.parametrize("which", ["scheduler_loss_scale", "reduce_loss_scale"])
def test_rate_callbacks_refuse_a_multi_optimizer_inside_a_loss_scale_optimizer_as_keras(which):
    # Keras reads the learning rate of the LossScaleOptimizer here, which a MultiOptimizer
    # does not have; minikeras raises the same error, before any weight changes.
    model = _model()
    model.compile(loss="mse", optimizer=optimizers.LossScaleOptimizer(_multi("map")))
    before = [w.copy() for w in model.get_weights()]
    expected = KERAS[which]
    if which == "scheduler_loss_scale":
        callback = callbacks.LearningRateScheduler(lambda epoch, lr: lr)
    else:
        callback = callbacks.ReduceLROnPlateau()
    with pytest.raises((ValueError, AttributeError)) as raised:
        model.fit(X, Y, verbose=0, validation_data=(X, Y), callbacks=[callback])
    assert type(raised.value).__name__ == expected["type"]
    assert str(raised.value) == expected["message"]
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_multi_optimizer_finalize_before_any_step_changes_nothing():
    # `fit` finalizes in a `finally`: an error before the first step must stay the error.
    optimizer = _multi("ema")
    model = _model()
    model.build((None, 3))
    before = [w.copy() for w in model.get_weights()]
    optimizer.finalize_variable_values(model.trainable_weights)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
