"""Behaviours that running Keras's own unit tests against minikeras showed to differ.

Found with tools/run_keras_tests.py (see tools/keras_tests_status.md); the reference values
come from Keras 3.15.1 on JAX (tests/fixtures/generate_keras_tests_sweep.py).
"""

import collections
import json
import os
import warnings

import numpy as np
import pytest

import minikeras as keras

with open(os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_sweep.json")) as f:
    FIXTURE = json.load(f)


class CountingModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.calls = self.add_variable(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.calls.assign(self.calls + 1)
        return inputs


class NormalizedModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.norm = keras.layers.BatchNormalization()
        self.dense = keras.layers.Dense(1, kernel_initializer="ones")

    def call(self, inputs, training=False):
        return self.dense(self.norm(inputs, training=training))


def test_first_call_of_a_subclassed_model_runs_its_call_once():
    expected = FIXTURE["first_call_state"]
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(int(self.model.calls))

    x = np.arange(8, dtype="float32").reshape(8, 1)
    model = CountingModel()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x, batch_size=2, callbacks=[Record()], verbose=0)
    assert seen == expected["counts_after_each_fit_batch"]

    fresh = CountingModel()
    fresh(x)
    assert int(fresh.calls) == expected["count_after_one_call"]

    predicted = CountingModel()
    predicted.predict(x, batch_size=2, verbose=0)
    assert int(predicted.calls) == expected["count_after_predict_of_4_batches"]


def test_first_fit_batch_updates_batch_normalization_statistics_once():
    expected = FIXTURE["first_call_state"]
    model = NormalizedModel()
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(12, dtype="float32").reshape(4, 3)
    model.fit(x, np.ones((4, 1), "float32"), batch_size=4, verbose=0)
    np.testing.assert_allclose(model.norm.moving_mean.numpy(), expected["moving_mean"], rtol=1e-5)
    np.testing.assert_allclose(
        model.norm.moving_variance.numpy(), expected["moving_variance"], rtol=1e-5
    )


def test_explicit_build_of_a_subclassed_model_still_builds_its_sublayers():
    model = NormalizedModel()
    model.build((None, 3))
    assert model.built and model.norm.built and model.dense.built
    assert [tuple(w.shape) for w in model.dense.weights] == [(3, 1), (1,)]


def _group_case_id(case):
    return "execution{steps_per_execution}-epoch{steps_per_epoch}-x{epochs}".format(**case)


@pytest.mark.parametrize("case", FIXTURE["steps_per_epoch_groups"], ids=_group_case_id)
def test_steps_per_epoch_ends_an_epoch_only_after_a_whole_group_of_steps_per_execution(case):
    x = np.arange(40, dtype="float32").reshape(40, 1) / 40
    y = 2 * x + 1
    events = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            events.append(batch)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(
        loss="mse",
        optimizer=keras.optimizers.SGD(0.1),
        steps_per_execution=case["steps_per_execution"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # running out of data warns, as in Keras
        history = model.fit(
            x,
            y,
            batch_size=4,
            epochs=case["epochs"],
            steps_per_epoch=case["steps_per_epoch"],
            shuffle=False,
            callbacks=[Record()],
            verbose=0,
        )
    assert events == case["batch_begin_events"]
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].kernel.numpy()[0, 0], case["kernel"], rtol=1e-5)
    np.testing.assert_allclose(model.layers[0].bias.numpy()[0], case["bias"], rtol=1e-5)


@pytest.mark.parametrize(
    "case",
    FIXTURE["evaluate_predict_steps_groups"],
    ids=lambda case: "execution{steps_per_execution}-steps{steps}".format(**case),
)
def test_evaluate_and_predict_steps_end_only_after_a_whole_group_of_steps_per_execution(case):
    x = np.arange(40, dtype="float32").reshape(40, 1) / 40
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(loss="mse", optimizer="sgd", steps_per_execution=case["steps_per_execution"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = model.evaluate(x, 2 * x + 1, batch_size=4, steps=case["steps"], verbose=0)
        predictions = model.predict(x, batch_size=4, steps=case["steps"], verbose=0)
    np.testing.assert_allclose(loss, case["loss"], rtol=1e-5)
    np.testing.assert_allclose(predictions[:, 0], case["predictions"], rtol=1e-5)


def test_namedtuple_outputs_stay_namedtuples_in_call_predict_and_predict_on_batch():
    expected = FIXTURE["namedtuple_outputs"]
    pair = collections.namedtuple("Pair", ["first", "second"])
    inputs = keras.Input((3,))
    outputs = pair(keras.layers.Dense(1)(inputs), keras.layers.Dense(2)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), "float32")
    model.fit(x, pair(np.ones((4, 1)), np.ones((4, 2))), batch_size=2, verbose=0)
    predicted = model.predict(x, batch_size=2, verbose=0)
    assert type(model.output).__name__ == expected["output"]
    assert type(model(x)).__name__ == expected["call"]
    assert type(predicted).__name__ == expected["predict"]
    assert type(model.predict_on_batch(x)).__name__ == expected["predict_on_batch"]
    assert [a.shape for a in predicted] == [(4, 1), (4, 2)]
    plain = keras.Model(inputs, tuple(outputs))
    assert type(plain.predict_on_batch(x)).__name__ == expected["plain_tuple_predict_on_batch"]


def test_metrics_variables_lists_each_metric_state_variable_in_metrics_order():
    expected = FIXTURE["metrics_variables"]
    keras.utils.clear_session()  # the paths carry auto-names ("auc"), as in a fresh Keras
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="ones")(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", keras.metrics.AUC(num_thresholds=3)])
    assert [v.path for v in model.metrics_variables] == expected["after_compile"]
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    seen = [[v.path, list(v.shape)] for v in model.metrics_variables]
    assert seen == expected["after_fit"]
    assert len(keras.layers.Dense(1).metrics_variables) == expected["layer"]


class CountingLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.counter = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.counter.assign_add(1.0)
        return inputs


def test_symbolic_calls_leave_the_weights_a_layer_assigns_unchanged():
    expected = FIXTURE["symbolic_calls_assign_nothing"]
    sequential = keras.Sequential([keras.Input((3,)), CountingLayer(), keras.layers.Dense(1)])
    assert int(sequential.layers[0].counter.numpy()) == expected["after_sequential_with_input"]
    layer = CountingLayer()
    inputs = keras.Input((None, 3))
    functional = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    assert int(layer.counter.numpy()) == expected["after_functional_with_unknown_sizes"]
    sequential.compile(optimizer="sgd", loss="mse")
    sequential.fit(np.ones((10, 3)), np.ones((10, 1)), batch_size=4, epochs=2, verbose=0)
    counted = int(sequential.layers[0].counter.numpy())
    assert counted == expected["after_fit_of_3_batches_for_2_epochs"]
    functional.predict(np.ones((2, 5, 3)), verbose=0)
    assert int(layer.counter.numpy()) == expected["after_one_predict_batch"]


def test_sequential_built_by_its_first_call_stays_built_through_pop_and_add():
    expected = FIXTURE["sequential_built_by_a_call_then_popped"]
    model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(5)])
    model(np.ones((3, 2), "float32"))
    model.pop()
    after_pop = [len(model.layers), model.built, len(model.weights)]
    after_pop.append(list(model.outputs[0].shape))
    assert after_pop == expected["after_pop"]
    model.add(keras.layers.Dense(7))
    after_add = [model.built, list(model.outputs[0].shape)]
    after_add.append(list(model(np.ones((5, 2), "float32")).shape))
    assert after_add == expected["after_add"]
    model.pop()
    model.pop()
    assert [len(model.layers), model.built] == expected["after_popping_all"]


def test_input_structure_warning_is_given_on_calls_with_data_only():
    first = keras.Input(shape=(3,), batch_size=2, name="a")
    second = keras.Input(shape=(3,), batch_size=2, name="b")
    one = keras.Model({"a": first}, keras.layers.Dense(2)(first))
    two = keras.Model({"a": first, "b": second}, keras.layers.Add()([first, second]))
    calls = {
        "extra_key": lambda make: one({"a": make(), "c": make()}),
        "list_for_one_key": lambda make: one([make()]),
        "list_for_two_keys": lambda make: two([make(), make()]),
    }
    makers = {
        "eager": lambda: np.ones((2, 3), "float32"),
        "symbolic": lambda: keras.Input(shape=(3,), batch_size=2),
    }
    counts = {}
    for call_name, call in calls.items():
        for kind, make in makers.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call(make)
            counts[f"{call_name} {kind}"] = sum(
                "structure of `inputs`" in str(w.message) for w in caught
            )
    assert counts == FIXTURE["structure_warnings"]


def test_config_max_epochs_and_max_steps_per_epoch_cap_fit_evaluate_and_predict():
    expected = FIXTURE["max_epochs_and_steps"]
    events = []

    class RecordAll(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            events.append(batch)

        def on_test_batch_begin(self, batch, logs=None):
            events.append(f"test {batch}")

        def on_predict_batch_begin(self, batch, logs=None):
            events.append(f"predict {batch}")

    x = np.arange(40, dtype="float32").reshape(40, 1) / 40
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(
                x,
                2 * x + 1,
                batch_size=4,
                epochs=4,
                shuffle=False,
                callbacks=[RecordAll()],
                verbose=0,
                validation_data=(x, x),
            )
            loss = model.evaluate(x, x, batch_size=4, callbacks=[RecordAll()], verbose=0)
            predictions = model.predict(x, batch_size=4, callbacks=[RecordAll()], verbose=0)
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)
    assert events == expected["events"]
    assert sorted(history.history) == sorted(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-5)
    np.testing.assert_allclose(loss, expected["evaluate"], rtol=1e-5)
    assert len(predictions) == expected["predict_rows"]
    assert sorted({str(w.message) for w in caught}) == expected["warnings"]


class Endless(keras.utils.PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        x = np.full((4, 1), (index % 7) / 7, "float32")
        return x, 2 * x + 1


def test_py_dataset_without_end_trains_and_evaluates_for_the_steps_given():
    expected = FIXTURE["endless_py_dataset"]
    events = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch {epoch}")

        def on_train_batch_begin(self, batch, logs=None):
            events.append(batch)

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    history = model.fit(Endless(), steps_per_epoch=3, epochs=3, callbacks=[Record()], verbose=0)
    loss = model.evaluate(Endless(), steps=2, verbose=0)
    predictions = model.predict(Endless(), steps=2, verbose=0)
    assert events == expected["events"]
    np.testing.assert_allclose(history.history["loss"], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(loss, expected["evaluate"], rtol=1e-5)
    np.testing.assert_allclose(predictions[:, 0], expected["predictions"], rtol=1e-5)


def test_py_dataset_with_neither_len_nor_num_batches_is_rejected():
    class Nothing(keras.utils.PyDataset):
        def __getitem__(self, index):
            return np.ones((2, 1), "float32"), np.ones((2, 1), "float32")

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    with pytest.raises(NotImplementedError, match="__len__ or num_batches"):
        model.fit(Nothing(), epochs=1, verbose=0)
