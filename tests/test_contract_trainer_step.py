"""`fit` runs `model.train_step(data)` for every batch, as Keras does.

Keras 3 (checked on JAX with `run_eagerly=True`) calls the model's `train_step` once per
batch whatever the callbacks and `steps_per_execution`, including a `train_step` replaced
on the instance; so does minikeras, with no second copy of the step that skips it. The
step returns `get_metrics_result()`: the metrics' values as Keras returns them, turned into
Python floats only where the loops read them.
"""

import numpy as np
import pytest

import minikeras as keras


def _data():
    rng = np.random.default_rng(0)
    return rng.random((100, 3), dtype=np.float32), rng.random((100, 1), dtype=np.float32)


def _model(**compile_kwargs):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", **compile_kwargs)
    return model


def _spy_on_train_step(model):
    """Replaces the instance's `train_step` by one that records each batch it gets."""
    seen = []
    original = model.train_step

    def spy(data):
        seen.append(data)
        return original(data)

    model.train_step = spy
    return seen


@pytest.mark.parametrize("steps_per_execution", [1, 3])
def test_fit_calls_train_step_for_every_batch(steps_per_execution):
    x, y = _data()
    model = _model(steps_per_execution=steps_per_execution)
    seen = _spy_on_train_step(model)
    # verbose=0 and no callbacks: nobody reads the batch logs, and the step still runs.
    model.fit(x, y, batch_size=10, epochs=2, verbose=0, shuffle=False)
    assert len(seen) == 20  # 10 batches x 2 epochs, as Keras counts them
    batch_x, batch_y = seen[-1]
    np.testing.assert_array_equal(batch_x, x[90:])
    np.testing.assert_array_equal(batch_y, y[90:])


def test_fit_epoch_logs_come_from_the_replaced_train_step():
    x, y = _data()
    model = _model()
    original = model.train_step

    def step(data):
        logs = original(data)
        return {**logs, "extra": 1.5}  # keys that differ from the metrics' names

    model.train_step = step
    history = model.fit(x, y, batch_size=25, epochs=1, verbose=0)
    # As in Keras: a step whose logs have other keys than the metrics gives the epoch logs.
    assert history.history["extra"] == [1.5]
    assert set(history.history) == {"loss", "extra"}


def test_fit_default_step_gives_batch_logs_equal_to_the_running_metrics():
    x, y = _data()
    model = _model()
    batch_logs = []
    model.fit(
        x,
        y,
        batch_size=25,
        epochs=1,
        verbose=0,
        shuffle=False,
        callbacks=[
            keras.callbacks.LambdaCallback(
                on_train_batch_end=lambda b, logs: batch_logs.append(logs)
            )
        ],
    )
    assert [sorted(logs) for logs in batch_logs] == [["loss"]] * 4
    assert batch_logs[-1] == {k: float(v) for k, v in model.get_metrics_result().items()}
    assert all(type(logs["loss"]) is float for logs in batch_logs)


def test_get_metrics_result_gives_float32_scalars_as_keras_does():
    # Keras 3 returns the metrics' `result()` values (0-d float32 arrays on JAX), in
    # `model.metrics` order; the loops turn them into Python floats where they are read.
    x, y = _data()
    model = _model(metrics=["mae"])
    history = model.fit(x, y, batch_size=25, epochs=1, verbose=0)
    results = model.get_metrics_result()
    assert list(results) == ["loss", "mae"]
    for name, value in results.items():
        assert value.shape == () and value.dtype == "float32"
        assert float(value) == history.history[name][-1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_loss_trackers_result_is_a_fresh_scalar_of_its_dtype(dtype):
    # The value each batch's logs hold: it must not move when the tracker updates again.
    tracker = keras.metrics.Mean(name="loss", dtype=dtype)
    assert float(tracker.result()) == 0.0
    tracker.update_state(np.float32(3.0), sample_weight=2)
    first = tracker.result()
    tracker.update_state(np.float32(6.0), sample_weight=1)
    assert first.shape == () and first.dtype == dtype
    assert float(first) == 3.0 and float(tracker.result()) == 4.0


def test_round_of_a_logged_tensor_works_as_on_a_jax_array():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    logs = model.train_step((np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")))
    rounded = round(logs["loss"], 3)
    assert rounded.dtype == "float32"
    assert float(rounded) == float(np.round(np.float32(float(logs["loss"])), 3))
    whole = round(keras.ops.convert_to_tensor(np.float32(2.6)))
    assert whole.dtype == "int32" and int(whole) == 3
