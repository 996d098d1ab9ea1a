"""The training loop's semantics: data handling, validation, steps, errors, overrides."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops


def small_model(seed=0, units=3):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(units)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 4)).astype("float32"), rng.standard_normal((n, 3)).astype(
        "float32"
    )


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = []
        self.epochs = []

    def on_train_batch_begin(self, batch, logs=None):
        self.batches.append(batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_history_defaults_and_model_history():
    model = small_model()
    x, y = data(70)
    recorder = Recorder()
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[recorder])
    assert model.history is history
    assert history.epoch == [0, 1]
    assert list(history.history) == ["loss"]
    assert history.params["epochs"] == 2 and history.params["steps"] == 3  # ceil(70 / 32)
    assert recorder.batches == [0, 1, 2, 0, 1, 2]


def test_loss_is_batch_size_weighted_running_mean():
    model = small_model()
    x, y = data(10)
    weights = [w.copy() for w in model.get_weights()]
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    kernel, bias = weights
    per_sample = np.mean((x @ kernel + bias - y) ** 2, axis=1)
    batch_losses = [per_sample[0:4].mean(), per_sample[4:8].mean(), per_sample[8:10].mean()]
    expected = (4 * batch_losses[0] + 4 * batch_losses[1] + 2 * batch_losses[2]) / 10
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)


def test_sample_weight_and_class_weight_hand_computed():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    x, _ = data(6)
    labels = np.array([0, 1, 1, 0, 1, 0])
    probs = model.predict(x, verbose=0)
    per_sample = -np.log(probs[np.arange(6), labels])
    class_weight = {0: 2.0, 1: 0.5}
    weights = np.array([class_weight[int(c)] for c in labels])
    logs = model.fit(x, labels, batch_size=6, class_weight=class_weight, verbose=0)
    np.testing.assert_allclose(logs.history["loss"][0], np.mean(per_sample * weights), rtol=1e-5)
    sw = np.linspace(0.1, 1.0, 6)
    logs = model.fit(x, labels, batch_size=6, sample_weight=sw, verbose=0)
    np.testing.assert_allclose(logs.history["loss"][0], np.mean(per_sample * sw), rtol=1e-5)


def test_validation_split_takes_the_tail_before_shuffling():
    model = small_model()
    x, y = data(10)
    seen = []

    class Capture(keras.callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            seen.append(batch)

    history = model.fit(x, y, validation_split=0.3, epochs=1, verbose=0, callbacks=[Capture()])
    expected = model.evaluate(x[7:], y[7:], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], expected, rtol=1e-6)
    assert sorted(history.history) == ["loss", "val_loss"]
    with pytest.raises(ValueError, match="not sufficient"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be in \(0, 1\)"):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_steps_per_epoch_carries_the_iterator_over_and_warns_when_data_runs_out():
    model = small_model()
    x, y = data(10)
    recorder = Recorder()
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(x, y, batch_size=2, steps_per_epoch=2, epochs=3, verbose=0, callbacks=[recorder])
    # 5 batches: epoch 1 takes 2, epoch 2 takes 2, epoch 3 gets the last one.
    assert recorder.batches == [0, 1, 0, 1, 0]


def test_initial_epoch_and_validation_freq():
    model = small_model()
    x, y = data(8)
    history = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3]
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    history = model.fit(x, y, epochs=3, validation_data=(x, y), validation_freq=[1, 3], verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_generators_and_pydataset():
    model = small_model()
    x, y = data(12)

    def batches():
        while True:
            for i in range(0, 12, 4):
                yield x[i : i + 4], y[i : i + 4]

    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.ends = 0

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return x[index * 4 : (index + 1) * 4], y[index * 4 : (index + 1) * 4]

        def on_epoch_end(self):
            self.ends += 1

    dataset = Batches()
    model.fit(dataset, epochs=2, verbose=0)
    assert dataset.ends >= 2
    evaluated = model.evaluate(Batches(), verbose=0)
    np.testing.assert_allclose(evaluated, model.evaluate(x, y, verbose=0), rtol=1e-6)
    assert model.predict(Batches(), verbose=0).shape == (12, 3)


def test_predict_keeps_structure_and_uses_no_gradients():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, {"a": layers.Dense(2)(inputs), "b": [layers.Dense(1)(inputs)]})
    x, _ = data(7)
    out = model.predict(x, batch_size=3, verbose=0)
    assert out["a"].shape == (7, 2) and out["b"][0].shape == (7, 1)
    assert isinstance(out["a"], np.ndarray)


def test_bad_input_errors():
    model = small_model()
    x, y = data(10)
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\).*\(32, 5\)|\(10, 5\)"):
        model.fit(np.ones((10, 5)), y, verbose=0)
    fresh = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="compile"):
        fresh.fit(x, y, verbose=0)
    fresh.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        fresh.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match=r"class_weight. and .sample_weight. together"):
        model.fit(x, y, sample_weight=np.ones(10), class_weight={0: 1.0}, verbose=0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, y, verbose=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["2d", "3d", "fortran", "strided", "1d"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, "inf and -inf", None])
def test_non_finite_inputs_are_found_in_every_layout(dtype, layout, bad):
    from minikeras.trainers.finite_checks import check_finite

    base = np.zeros((6, 12), dtype)
    x = {
        "2d": base,
        "3d": base.reshape(6, 4, 3),
        "fortran": np.asfortranarray(base),
        "strided": base[:, ::2],
        "1d": base.reshape(-1),
    }[layout]
    # Huge finite values whose sums overflow must not be taken for infinities.
    x.flat[3:6] = np.finfo(dtype).max
    if bad == "inf and -inf":  # in one row: their sum is NaN
        x.flat[1], x.flat[2] = np.inf, -np.inf
    elif bad is not None:
        x.flat[-1] = bad
    if bad is None:
        check_finite([x, None], "x")
    else:
        with pytest.raises(ValueError, match="`x` contains NaN or infinite values"):
            check_finite([x, None], "x")


def test_class_weight_rejected_for_multi_output():
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, [layers.Dense(2)(inputs), layers.Dense(2)(inputs)])
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    x, _ = data(4)
    with pytest.raises(ValueError, match="single output"):
        model.fit(x, [np.zeros((4, 2)), np.zeros((4, 2))], class_weight={0: 1.0}, verbose=0)


def test_step_logs_reach_batch_callbacks_and_history_as_python_floats():
    class ExtraLogs(keras.Sequential):
        def train_step(self, data):
            logs = super().train_step(data)
            return {**logs, "zero_d": np.array(2.5), "tensor": ops.convert_to_tensor(1.5)}

        test_step = train_step

    class Sees(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batch_logs = []

        def on_train_batch_end(self, batch, logs=None):
            self.batch_logs.append(logs)

        def on_test_batch_end(self, batch, logs=None):
            self.batch_logs.append(logs)

    x, y = data(8)
    for callbacks in ([], [Sees()]):
        keras.utils.set_random_seed(0)
        model = ExtraLogs([keras.Input(shape=(4,)), layers.Dense(3)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        history = model.fit(x, y, batch_size=4, verbose=0, callbacks=callbacks)
        assert history.history["zero_d"] == [2.5] and history.history["tensor"] == [1.5]
        assert type(history.history["loss"][0]) is float
        logs = model.evaluate(x, y, batch_size=4, verbose=0, callbacks=callbacks, return_dict=True)
        assert logs["zero_d"] == 2.5 and type(logs["tensor"]) is float
        for seen in callbacks:
            assert len(seen.batch_logs) == 4  # two training batches, two test batches
            for batch_logs in seen.batch_logs:
                assert {type(value) for value in batch_logs.values()} == {float}
                assert batch_logs["zero_d"] == 2.5 and batch_logs["tensor"] == 1.5


def test_train_step_override_and_gradient_tape_loop_reach_the_same_weights():
    x, y = data(8)

    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                pred = self(x, training=True)
                loss = ops.mean(ops.square(pred - y))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            return {"custom_loss": loss}

    def build(cls):
        keras.utils.set_random_seed(3)
        inputs = keras.Input(shape=(4,))
        return cls(inputs, layers.Dense(3)(inputs))

    fitted = build(keras.Model)
    fitted.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    fitted.fit(x, y, batch_size=8, epochs=1, verbose=0)

    custom = build(Custom)
    custom.compile(optimizer=keras.optimizers.SGD(0.1))
    history = custom.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert "custom_loss" in history.history

    manual = build(keras.Model)
    optimizer = keras.optimizers.SGD(0.1)
    with keras.GradientTape() as tape:
        loss = ops.mean(ops.square(manual(x) - y))
    optimizer.apply(tape.gradient(loss, manual.trainable_weights), manual.trainable_weights)

    for a, b, c in zip(fitted.get_weights(), custom.get_weights(), manual.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
        np.testing.assert_allclose(a, c, rtol=1e-6)


def test_compute_loss_override_sees_inputs():
    class WithPenalty(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.0 * ops.sum(x)

    inputs = keras.Input(shape=(4,))
    model = WithPenalty(inputs=inputs, outputs=layers.Dense(3)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x, y = data(8)
    assert np.isfinite(model.fit(x, y, verbose=0).history["loss"][0])


def test_endpoint_layer_pattern_trains_with_optimizer_only():
    class LogisticEndpoint(layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
            self.accuracy_fn = keras.metrics.BinaryAccuracy()

        def call(self, targets, logits, sample_weights=None):
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            self.accuracy_fn.update_state(targets, ops.sigmoid(logits), sample_weights)
            return ops.sigmoid(logits)

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")
    rng = np.random.default_rng(0)
    data = {
        "inputs": rng.random((12, 3)).astype("float32"),
        "targets": rng.random((12, 10)).astype("float32"),
    }
    history = model.fit(data, epochs=2, verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss"]
    assert history.history["loss"][1] < history.history["loss"][0] + 1e-3


def test_add_metric_values_reported():
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(3)(inputs)
    model = keras.Model(inputs, hidden)
    model.add_metric(ops.mean(hidden), name="mean_activation")
    model.compile(optimizer="sgd", loss="mse")
    x, y = data(8)
    history = model.fit(x, y, verbose=0, batch_size=8, shuffle=False)
    assert "mean_activation" in history.history


def test_keyboard_interrupt_between_steps_leaves_consistent_weights():
    model = small_model()
    x, y = data(16)

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    before = model.optimizer.iterations.numpy() if model.optimizer.built else 0
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=4, verbose=0, callbacks=[Interrupt()])
    assert int(model.optimizer.iterations.numpy()) == int(before) + 2
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_terminate_on_nan_stops_training():
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(1e30), loss="mse")
    x, y = data(64)
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point here
        history = model.fit(
            x,
            y * 1e20,
            batch_size=4,
            epochs=3,
            verbose=0,
            callbacks=[keras.callbacks.TerminateOnNaN()],
        )
    assert len(history.epoch) <= 1


def test_evaluate_return_forms_and_train_on_batch():
    model = small_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = data(8)
    values = model.evaluate(x, y, verbose=0)
    assert isinstance(values, list) and len(values) == 2
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae"]
    out = model.train_on_batch(x, y, return_dict=True)
    assert sorted(out) == ["loss", "mae"]
    assert model.predict_on_batch(x).shape == (8, 3)
    assert model.metrics_names == ["loss", "compile_metrics"]  # as in Keras 3


def test_compute_loss_override_with_the_keras2_signature():
    class Keras2Style(keras.Model):
        def compute_loss(self, x, y, y_pred, sample_weight):
            return ops.mean(ops.abs(y_pred - y))

    inputs = keras.Input(shape=(4,))
    model = Keras2Style(inputs=inputs, outputs=layers.Dense(3)(inputs))
    model.compile(optimizer="sgd")
    x, y = data(8)
    history = model.fit(x, y, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.isfinite(model.evaluate(x, y, verbose=0))


def test_callbacks_with_a_real_fit(tmp_path):
    model = small_model()
    x, y = data(32)
    checkpoint = tmp_path / "ckpt-{epoch:02d}.weights.h5"
    logger = tmp_path / "log.csv"
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=8,
        verbose=0,
        validation_data=(x, y),
        callbacks=[
            keras.callbacks.ModelCheckpoint(str(checkpoint), save_weights_only=True),
            keras.callbacks.CSVLogger(str(logger)),
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=5, restore_best_weights=True
            ),
        ],
    )
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == [
        "ckpt-01.weights.h5",
        "ckpt-02.weights.h5",
        "ckpt-03.weights.h5",
    ]
    assert logger.read_text().splitlines()[0] == "epoch,loss,val_loss"
    restored = small_model(seed=9)
    restored.load_weights(str(tmp_path / "ckpt-03.weights.h5"))
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6
    )
    assert len(history.epoch) == 3


def test_backup_and_restore_resumes_an_interrupted_fit(tmp_path):
    x, y = data(16)

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("simulated crash")

    model = small_model()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[backup, Crash()])
    resumed = small_model(seed=5)
    history = resumed.fit(
        x,
        y,
        epochs=4,
        batch_size=8,
        verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))],
    )
    # BackupAndRestore ran before the crash at the end of epoch 1: epochs 0 and 1 are done.
    assert history.epoch == [2, 3]


def test_batch_logs_are_built_only_for_callbacks_that_read_them():
    # Without a reader of on_train_batch_end the loop skips each batch's logs dict; the
    # epoch's logs and the weights must not depend on that.
    x, y = data(70)
    seen = []
    reader = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs))
    results = []
    for callbacks in ([], [reader]):
        model = small_model()
        model.compile(optimizer="adam", loss="mse", metrics=["mae"], weighted_metrics=["mse"])
        history = model.fit(
            x,
            y,
            batch_size=16,
            epochs=2,
            verbose=0,
            sample_weight=np.arange(70.0) % 3,
            callbacks=callbacks,
        )
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    assert set(results[0][0]) == {"loss", "mae", "mse"}
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)
    assert len(seen) == 10 and set(seen[-1]) == {"loss", "mae", "mse"}
    assert seen[-1]["mae"] == results[1][0]["mae"][-1]


def test_a_sequential_built_by_its_first_batch_takes_other_batch_sizes():
    # No Input: the model is built by the first batch (16 rows) and keeps that input shape,
    # as Keras does; the last partial batch and the validation batches still fit.
    x, y = data(100)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, verbose=0)
    assert model.input_shape == (16, 4)
    assert set(history.history) == {"loss", "val_loss"}
    assert model.predict(x[:3], verbose=0).shape == (3, 3)
    # As Keras: the first Dense layer, not the model, rejects 5 features.
    with pytest.raises(ValueError, match=r'layer "dense.*value 4.*\(3, 5\)'):
        model.predict(np.ones((3, 5), "float32"), verbose=0)
