"""Callbacks and the stop flags behave as in Keras 3.15: `stop_training`, `stop_evaluating`,
`stop_predicting` set from any hook, monitor callbacks fed 0-d arrays or tensors, and
TerminateOnNaN on a loss that diverges from clean data."""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import callbacks, layers
from tests.fixtures.terminate_on_nan_scenarios import diverging_fit


def _regressor():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data(n=16):
    rng = np.random.default_rng(0)
    return rng.random((n, 4)).astype("float32"), rng.random((n, 1)).astype("float32")


def _endless_batches(limit=50):
    """Batches forever, as far as `fit` can tell (it never sees the end); raising after
    `limit` batches keeps a failing test from hanging."""
    x, y = _data()
    for _ in range(limit):
        yield x[:4], y[:4]
    raise RuntimeError("fit did not stop: the generator ran past the stop request")


def _stop_at(model, seen, at):
    def on_train_batch_end(batch, logs=None):
        seen.append(batch)
        if batch == at:
            model.stop_training = True

    return on_train_batch_end


def test_stop_training_from_a_batch_hook_set_on_the_instance_stops_an_endless_generator():
    model, seen = _regressor(), []
    callback = callbacks.Callback()
    callback.on_train_batch_end = _stop_at(model, seen, 4)
    model.fit(_endless_batches(), epochs=3, verbose=0, callbacks=[callback])
    assert seen == [0, 1, 2, 3, 4]
    assert int(np.asarray(model.optimizer.iterations)) == 5


def test_stop_training_from_a_batch_hook_the_callback_sets_in_on_train_begin():
    model, seen = _regressor(), []

    class SetsItsHookLate(callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.on_train_batch_end = _stop_at(self.model, seen, 4)

    model.fit(_endless_batches(), epochs=3, verbose=0, callbacks=[SetsItsHookLate()])
    assert seen == [0, 1, 2, 3, 4]


def test_a_batch_hook_set_in_on_epoch_begin_is_called_in_that_epoch():
    model, seen = _regressor(), []
    x, y = _data()

    class SetsItsHookPerEpoch(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.on_train_batch_end = lambda batch, logs=None: seen.append((epoch, batch))

    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[SetsItsHookPerEpoch()])
    assert seen == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_stop_training_from_a_lambda_callback_stops_an_endless_generator():
    model, seen = _regressor(), []
    stop = callbacks.LambdaCallback(on_train_batch_end=_stop_at(model, seen, 2))
    model.fit(_endless_batches(), epochs=2, verbose=0, callbacks=[stop])
    assert seen == [0, 1, 2]


class _StopAfter(callbacks.Callback):
    def __init__(self, flag, hook, at):
        super().__init__()
        self.seen = []
        setattr(self, hook, self._on_batch_end)
        self.flag, self.at = flag, at

    def _on_batch_end(self, batch, logs=None):
        self.seen.append(batch)
        if batch == self.at:
            setattr(self.model, self.flag, True)


def test_stop_evaluating_ends_evaluate_after_that_batch():
    model = _regressor()
    x, y = _data()
    stop = _StopAfter("stop_evaluating", "on_test_batch_end", at=1)
    early = model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[stop])
    assert stop.seen == [0, 1]
    # The logs are those of the batches evaluated: the first 4 samples.
    np.testing.assert_allclose(early, model.evaluate(x[:4], y[:4], verbose=0), rtol=1e-6)
    # The next evaluate starts with the flag cleared, as in Keras.
    full = model.evaluate(x, y, batch_size=2, verbose=0)
    np.testing.assert_allclose(full, model.evaluate(x, y, verbose=0), rtol=1e-6)
    assert model.stop_evaluating is False


def test_stop_predicting_ends_predict_after_that_batch():
    model = _regressor()
    x, _ = _data()
    stop = _StopAfter("stop_predicting", "on_predict_batch_end", at=1)
    early = model.predict(x, batch_size=2, verbose=0, callbacks=[stop])
    assert stop.seen == [0, 1]
    np.testing.assert_allclose(early, model.predict(x[:4], verbose=0), rtol=1e-6)
    assert model.predict(x, batch_size=2, verbose=0).shape == (16, 1)
    assert model.stop_predicting is False


FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "terminate_on_nan.json").read_text()
)


def _assert_same_values(actual, expected):
    """Equal where Keras's value is finite (up to float32 rounding amplified by the
    divergence), the same kind of non-finite value (inf or nan) where it is a loss."""
    actual, expected = np.asarray(actual, "float64"), np.asarray(expected, "float64")
    assert actual.shape == expected.shape
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(actual), finite)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=1e-3)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("run_eagerly", [False, True])
def test_terminate_on_nan_stops_a_diverging_fit_after_that_batch_update_as_keras(run_eagerly):
    expected = FIXTURE["with_terminate_on_nan"]
    result = diverging_fit(keras, True, run_eagerly)
    # Keras applies the update of the step whose loss is inf, then the callback stops.
    assert [b[0] for b in result["batches"]] == [b[0] for b in expected["batches"]]
    _assert_same_values([b[1] for b in result["batches"]], [b[1] for b in expected["batches"]])
    assert np.isinf(result["batches"][-1][1])
    _assert_same_values([b[2] for b in result["batches"]], [b[2] for b in expected["batches"]])
    assert result["epochs"] == expected["epochs"]
    assert result["iterations"] == expected["iterations"]
    _assert_same_values(result["history"]["loss"], expected["history"]["loss"])
    for actual, wanted in zip(result["weights"], expected["weights"]):
        _assert_same_values(actual, wanted)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("run_eagerly", [False, True])
def test_a_diverging_fit_without_terminate_on_nan_keeps_training_as_keras(run_eagerly):
    expected = FIXTURE["without"]
    result = diverging_fit(keras, False, run_eagerly)
    assert [b[0] for b in result["batches"]] == [b[0] for b in expected["batches"]]
    losses = [b[1] for b in result["batches"]]
    _assert_same_values(losses, [b[1] for b in expected["batches"]])
    np.testing.assert_array_equal(np.isnan(losses), np.isnan([b[1] for b in expected["batches"]]))
    assert result["iterations"] == expected["iterations"] == 16
    assert result["epochs"] == [0, 1]
    _assert_same_values(result["history"]["loss"], expected["history"]["loss"])
    assert np.isnan(result["history"]["loss"][1])
    assert all(np.isnan(w).all() for w in result["weights"])


def test_non_finite_data_is_still_a_clear_error_before_any_update():
    model = _regressor()
    x, y = _data()
    x[5, 2] = np.nan
    before = [np.array(w) for w in model.get_weights()]
    with pytest.raises(ValueError, match="`x` contains NaN or infinite values"):
        model.fit(
            x, y, batch_size=4, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN()]
        )
    # The batch holding the NaN is the second one: only the first batch was applied.
    assert int(np.asarray(model.optimizer.iterations)) == 1
    assert not np.array_equal(before[0], model.get_weights()[0])
    assert all(np.isfinite(w).all() for w in model.get_weights())


_ZERO_D = {
    "float": float,
    "numpy_0d": lambda v: np.array(v, dtype="float32"),
    "numpy_scalar": np.float32,
    "tensor_0d": lambda v: keras.ops.convert_to_tensor(np.float32(v)),
}


def _feed(callback, model, values, monitor="val_loss"):
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()


@pytest.mark.parametrize("kind", sorted(_ZERO_D))
def test_early_stopping_treats_0d_values_as_floats(kind):
    # The expected outcomes in these three tests are what Keras 3.15 gives (for each kind).
    model = _regressor()
    best_weights = [np.array(w) for w in model.get_weights()]
    stop = callbacks.EarlyStopping(patience=1, restore_best_weights=True, baseline=0.6)
    stop.set_model(model)
    stop.on_train_begin()
    stop.on_epoch_end(0, {"val_loss": _ZERO_D[kind](0.5)})
    stop.on_epoch_end(1, {"val_loss": _ZERO_D[kind](0.4)})  # the best epoch
    model.set_weights([w + 1.0 for w in best_weights])
    stop.on_epoch_end(2, {"val_loss": _ZERO_D[kind](0.45)})  # patience runs out
    stop.on_train_end()
    assert stop.stopped_epoch == 2 and model.stop_training
    assert float(stop.best) == pytest.approx(0.4)
    for restored, best in zip(model.get_weights(), best_weights):
        np.testing.assert_array_equal(restored, best)


@pytest.mark.parametrize("kind", sorted(_ZERO_D))
def test_reduce_lr_on_plateau_treats_0d_values_as_floats(kind):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    reduce = callbacks.ReduceLROnPlateau(patience=1, factor=0.5, min_delta=0.01)
    rates = []
    reduce.set_model(model)
    reduce.on_train_begin()
    for epoch, value in enumerate([0.5, 0.55, 0.56, 0.3, 0.31, 0.32]):
        reduce.on_epoch_end(epoch, {"val_loss": _ZERO_D[kind](value)})
        rates.append(float(np.asarray(model.optimizer.learning_rate)))
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.025, 0.025, 0.0125, 0.00625], rtol=1e-6)


@pytest.mark.parametrize("kind", sorted(_ZERO_D))
def test_model_checkpoint_treats_0d_values_as_floats(kind, tmp_path):
    model = _regressor()
    path = str(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.weights.h5")
    checkpoint = callbacks.ModelCheckpoint(path, save_weights_only=True, save_best_only=True)
    _feed(checkpoint, model, [_ZERO_D[kind](v) for v in (0.5, 0.4, 0.45, 0.3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "m-01-0.50.weights.h5",
        "m-02-0.40.weights.h5",
        "m-04-0.30.weights.h5",
    ]
    assert float(checkpoint.best) == pytest.approx(0.3)


class _ThreeUnits(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(3)

    def call(self, x):
        return self.dense(x)


@pytest.mark.parametrize(
    "method, gerund, hook",
    [
        ("fit", "training", "train"),
        ("evaluate", "evaluating", "test"),
        ("predict", "predicting", "predict"),
    ],
)
def test_a_stop_flag_set_from_a_hook_assigned_in_init_ends_an_endless_loop(method, gerund, hook):
    # Keras's trainer_test pins the same: the callback sets its hook on itself in
    # `__init__` (without calling Callback.__init__) and stops after 5 batches.
    model = _ThreeUnits()
    model.compile(optimizer="sgd", loss="mse")

    class Stopper(callbacks.Callback):
        def __init__(self, stop_count):
            self.stop_count, self.counter = stop_count, 0
            setattr(self, f"on_{hook}_batch_end", self.batch_end)

        def batch_end(self, *args, **kwargs):
            self.counter += 1
            if self.counter == self.stop_count:
                setattr(self.model, f"stop_{gerund}", True)

    def endless(limit=100):
        for _ in range(limit):
            x, y = np.ones((2, 2), "float32"), np.ones((2, 3), "float32")
            yield (x,) if method == "predict" else (x, y)
        raise RuntimeError("the loop did not stop")

    stopper = Stopper(5)
    getattr(model, method)(endless(), callbacks=[stopper], verbose=0)
    assert stopper.counter == 5


def test_validation_from_an_endless_generator_runs_validation_steps():
    model = _ThreeUnits()
    model.compile(optimizer="sgd", loss="mse")
    counts = {"train": 0, "test": 0}
    counter = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs=None: counts.__setitem__(
            "train", counts["train"] + 1
        ),
        on_test_batch_end=lambda batch, logs=None: counts.__setitem__("test", counts["test"] + 1),
    )

    def endless():
        while True:
            yield np.ones((2, 2), "float32"), np.ones((2, 3), "float32")

    model.fit(
        endless(),
        validation_data=endless(),
        steps_per_epoch=3,
        validation_steps=4,
        verbose=0,
        callbacks=[counter],
    )
    assert counts == {"train": 3, "test": 4}


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_terminate_on_nan_ends_fit_in_its_first_epoch_for_huge_initial_weights():
    # Keras's callbacks/terminate_on_nan_test.py pins the same: clean data, a model whose
    # constant 1e5 kernels make the loss overflow, 20 epochs asked, one run.
    rng = np.random.default_rng(1337)
    x_train, x_test = rng.random((10, 3)), rng.random((10, 3))
    y_train = keras.utils.to_categorical(rng.integers(0, 2, 10), 2)
    y_test = keras.utils.to_categorical(rng.integers(0, 2, 10), 2)
    model = keras.Sequential(
        [keras.Input((3,))]
        + [
            layers.Dense(2, activation="relu", kernel_initializer=keras.initializers.Constant(1e5))
            for _ in range(5)
        ]
        + [layers.Dense(2)]
    )
    model.compile(loss="mean_squared_error", optimizer="sgd")
    history = model.fit(
        x_train,
        y_train,
        batch_size=4,
        validation_data=(x_test, y_test),
        callbacks=[callbacks.TerminateOnNaN()],
        epochs=20,
        verbose=0,
    )
    loss = history.history["loss"]
    assert len(loss) == 1
    assert np.isnan(loss[0]) or np.isinf(loss[0])
