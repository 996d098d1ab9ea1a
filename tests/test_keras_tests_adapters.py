"""Data adapter, epoch iterator and compile-utils behaviours that running Keras's own tests
against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/trainers/data_adapters/*_test.py,
keras/src/trainers/epoch_iterator_test.py and compile_utils_test.py (see
tools/keras_tests_status.md, section "data adapters, epoch iterator, compile utils").
"""

import functools
import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.trainers.compile_utils import CompileLoss
from tests.fixtures import adapters_compile_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "adapters_compile.json")) as f:
    KERAS = json.load(f)  # recorded with Keras 3.15.1 by fixtures/generate_adapters_compile.py


def _recording_model(n_inputs=4):
    """A Dense model whose `train_step`, `test_step` and `predict_step` record the dtypes of
    the batches they receive."""
    seen = []

    class Recording(keras.Sequential):
        def train_step(self, data):
            seen.append(("train", [str(np.asarray(t).dtype) for t in keras.tree.flatten(data)]))
            return super().train_step(data)

        def test_step(self, data):
            seen.append(("test", [str(np.asarray(t).dtype) for t in keras.tree.flatten(data)]))
            return super().test_step(data)

        def predict_step(self, data):
            seen.append(("predict", [str(np.asarray(t).dtype) for t in keras.tree.flatten(data)]))
            return super().predict_step(data)

    model = Recording([keras.Input((n_inputs,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model, seen


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_float_arrays_of_another_precision_reach_the_steps_as_floatx(dtype):
    # Keras's array adapter casts every floating point array (x, y, sample_weight) to
    # floatx (array_data_adapter_test.test_basic_flow: float64 x gives float32 batches),
    # and leaves integers alone.
    rng = np.random.default_rng(0)
    x = rng.random((34, 4)).astype(dtype)
    y = rng.random((34, 1)).astype(dtype)
    weights = rng.random(34).astype(dtype)
    model, seen = _recording_model()
    model.fit(x, y, sample_weight=weights, batch_size=16, epochs=1, verbose=0)
    model.evaluate(x, y, batch_size=16, verbose=0)
    model.predict(x, batch_size=16, verbose=0)
    assert {dtype for _, dtypes in seen for dtype in dtypes} == {"float32"}
    assert [kind for kind, _ in seen] == ["train"] * 3 + ["test"] * 3 + ["predict"] * 3


def test_integer_and_bool_arrays_keep_their_dtype_in_batches():
    x = np.arange(34 * 4, dtype="int64").reshape(34, 4) % 7
    y = np.arange(34, dtype="int32").reshape(34, 1) % 2 == 0
    model, seen = _recording_model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    assert seen[0] == ("train", ["int64", "bool"])


class _Batches(keras.utils.PyDataset):
    """Keras's ExamplePyDataset: 6 samples in batches of 2 (`infinite`: num_batches None,
    indices wrapping around)."""

    def __init__(self, infinite=False, **kwargs):
        super().__init__(**kwargs)
        self.x = np.ones((6, 11), dtype="int32")
        self.infinite = infinite

    @property
    def num_batches(self):
        return None if self.infinite else 3

    def __getitem__(self, index):
        if self.infinite:
            index %= 3
        # Past the end this gives empty batches rather than IndexError, as Keras's does.
        return self.x[index * 2 : index * 2 + 2], self.x[index * 2 : index * 2 + 2]


def test_iterating_a_py_dataset_gives_its_batches_and_stops():
    # py_dataset_adapter_test.test_iterate_finite: a `for` loop over a PyDataset gives its
    # num_batches batches (Python's fallback iteration would call __getitem__ forever).
    import itertools

    batches = list(itertools.islice(_Batches(), 10))
    assert len(batches) == 3
    assert [batch[0].shape for batch in batches] == [(2, 11)] * 3


def test_iterating_an_infinite_py_dataset_goes_on():
    import itertools

    class NoLength(keras.utils.PyDataset):
        def __getitem__(self, index):
            return np.full((2, 1), index)

    assert len(list(itertools.islice(_Batches(infinite=True), 10))) == 10
    assert [int(b[0, 0]) for b in itertools.islice(NoLength(), 12)] == list(range(12))


class _Loader:
    """What a PyTorch DataLoader is to `fit`: an iterable (not an iterator) of batches with
    a `len`, iterated afresh each epoch, whose batches are tensors numpy can convert."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        for start in range(0, len(self.x), self.batch_size):
            stop = start + self.batch_size
            yield _ArrayLike(self.x[start:stop]), _ArrayLike(self.y[start:stop])


class _ArrayLike:
    """A tensor of another library: a shape, `__array__`, and iteration over its rows."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    def __len__(self):
        return len(self.array)

    def __iter__(self):
        return iter(self.array)


def test_a_data_loader_is_iterated_again_each_epoch():
    # Keras's TorchDataLoaderAdapter iterates the loader anew each epoch and takes its len
    # as the number of steps; a one-pass stream left every epoch after the first empty.
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 4)).astype("float32"), rng.random((40, 1)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    batches = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(batch)
    )
    history = model.fit(_Loader(x, y, 16), epochs=3, verbose=0, callbacks=[record])
    assert batches == [0, 1, 2] * 3
    assert len(history.history["loss"]) == 3
    assert history.params["steps"] == 3
    assert model.predict(_Loader(x, y, 16), verbose=0).shape == (40, 1)


def test_tensors_of_other_libraries_are_arrays_not_streams_of_rows():
    # Keras's array adapter takes any array-like (PyTorch, JAX, TensorFlow tensors) as
    # arrays; iterating one would give its rows as batches.
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 4)).astype("float32"), rng.random((40, 1)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    expected = model.predict(x, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.predict(_ArrayLike(x), batch_size=16, verbose=0), expected)
    history = model.fit(_ArrayLike(x), _ArrayLike(y), batch_size=16, epochs=2, verbose=0)
    assert history.params["steps"] == 3
    assert len(history.history["loss"]) == 2


class _Tracked(keras.utils.PyDataset):
    """A PyDataset of `size` batches that records its hooks and batch reads in `calls`."""

    def __init__(self, calls, tag, size):
        super().__init__()
        self.calls, self.tag, self.size = calls, tag, size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        self.calls.append(f"{self.tag}[{index}]")
        return np.full((2, 1), index, "float32"), np.ones((2, 1), "float32")

    def on_epoch_begin(self):
        self.calls.append(f"{self.tag}.begin")

    def on_epoch_end(self):
        self.calls.append(f"{self.tag}.end")


def test_py_dataset_on_epoch_begin_runs_before_each_epoch_of_batches():
    # epoch_iterator_test.test_epoch_callbacks: on_epoch_begin, then the batches, then
    # on_epoch_end, every epoch. (Keras 3.15.1 on JAX also reads the first training batch
    # once before training, between a begin and an end of its own, and calls a lone
    # on_epoch_end as it resets an iterator before evaluating: its set-up, left out.)
    calls = []
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(
        _Tracked(calls, "t", 3),
        validation_data=_Tracked(calls, "v", 2),
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    epoch = ["t.begin", "t[0]", "t[1]", "t[2]", "t.end", "v.begin", "v[0]", "v[1]", "v.end"]
    assert calls == epoch * 2
    calls.clear()
    model.predict(_Tracked(calls, "p", 2), verbose=0)
    assert calls == ["p.begin", "p[0]", "p[1]", "p.end"]
    calls.clear()
    # steps_per_epoch shorter than the dataset: the second epoch goes on where the first
    # stopped and ends with the data, as in Keras.
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(_Tracked(calls, "s", 3), epochs=2, steps_per_epoch=2, shuffle=False, verbose=0)
    assert calls == ["s.begin", "s[0]", "s[1]", "s.end", "s.begin", "s[2]", "s.end"]


def _empty_generator():
    return
    yield


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_an_empty_generator_is_refused_before_anything_runs(method):
    # generator_data_adapter_test.test_empty_generator_raises_clear_error (fit returned a
    # History of no epoch and evaluate an empty list, silently).
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="the generator must yield at least one batch"):
        getattr(model, method)(_empty_generator(), verbose=0)


def test_a_generator_used_up_by_an_earlier_epoch_warns_that_data_ran_out():
    # Keras warns "Your input ran out of data" when a finite generator is asked for a
    # second epoch (and trains it on the two batches it read first, as minikeras now does:
    # see test_fit_hands_the_steps_the_batches_keras_hands_them). minikeras ran the later
    # epochs empty and silently.
    x, y = np.ones((40, 4), "float32"), np.ones((40, 1), "float32")
    batches = ((x[i : i + 16], y[i : i + 16]) for i in range(0, 40, 16))
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        model.fit(batches, epochs=2, verbose=0)


def test_a_string_is_no_stream_of_batches():
    # epoch_iterator_test.test_unrecognized_data_type: a string was iterated character by
    # character as if each were a batch.
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="Unrecognized data type: x='unsupported_data'"):
        model.predict("unsupported_data", verbose=0)


@pytest.mark.parametrize("argument", ["y", "sample_weight"])
def test_targets_beside_a_generator_are_refused_in_keras_words(argument):
    # data_adapter_utils_test.test_generator_with_y_error
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    batches = iter([(np.ones((2, 1)), np.ones((2, 1)))])
    with pytest.raises(ValueError, match=f"providing `x` as a generator, `{argument}` should not"):
        model.fit(batches, **{argument: np.ones((2, 1))}, verbose=0)


# --- compile utils -------------------------------------------------------------------------


def test_targets_for_only_the_outputs_with_a_loss_go_to_those_outputs():
    # compile_utils_test.test_y_true_partial_y_pred_span, and the losses Keras gives for a
    # model whose first output has no loss, fitted with `y=[y_1, y_2]` (an IndexError before).
    found = scenarios.partial_targets_logs(keras)
    for case, expected in KERAS["partial_targets"].items():
        assert sorted(found[case]) == sorted(expected)
        for key, value in expected.items():
            np.testing.assert_allclose(found[case][key], value, rtol=1e-5)


@pytest.mark.parametrize(
    "losses",
    [
        ["mse", None, None],
        [None, "mse", None],
        [None, None, "mse"],
        [None, "mse", "mse"],
        ["mse", None, "mse"],
    ],
)
def test_compile_loss_places_partial_targets_by_their_losses(losses):
    # The Keras test's own case: each target equals its output's prediction, so the loss is
    # 0 only when every target meets its own output.
    outputs = [np.zeros((32, 3)), np.ones((32, 3)), np.full((32, 3), 2.0)]
    targets = [y for y, loss in zip(outputs, losses) if loss is not None]
    targets = targets[0] if len(targets) == 1 else targets
    compile_loss = CompileLoss(losses, output_names=["a", "b", "c"])
    assert float(compile_loss(targets, outputs)) == 0.0
    assert float(compile_loss(targets, outputs)) == 0.0


def test_targets_of_another_structure_than_the_outputs_are_refused():
    # compile_utils_test.test_structure_mismatch (an IndexError before)
    compile_loss = CompileLoss(["mse", "mse"], output_names=["a", "b"])
    outputs = [np.ones((1, 1)), np.ones((1, 1))]
    compile_loss([np.ones((1, 1))] * 2, outputs)
    with pytest.raises(ValueError, match="y_true and y_pred have different structures"):
        compile_loss([np.ones((1, 1))], outputs)


def test_metrics_of_partially_targeted_outputs_use_their_own_targets():
    # Keras 3.15.1 pairs the targets with the first outputs here (o1's MAE against o2's
    # target) and drops o2's MAE: minikeras gives each output's metrics its own target.
    x = np.linspace(0, 1, 24, dtype="float32").reshape(8, 3)
    targets = [np.ones((8, 3), "float32"), np.full((8, 3), 2.0, "float32")]
    inputs = keras.Input((3,))
    model = keras.Model(inputs, [layers.Dense(3, name=f"o{i}")(inputs) for i in range(3)])
    model.compile(optimizer="sgd", loss=[None, "mse", "mse"], metrics=[None, ["mae"], ["mae"]])
    logs = model.evaluate(x, targets, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    for name, prediction, target in zip(("o1", "o2"), predictions[1:], targets):
        np.testing.assert_allclose(logs[f"{name}_mae"], np.mean(np.abs(prediction - target)), 1e-6)
    model.compile(optimizer="sgd", loss=[None, "mse", "mse"], metrics=["mae", None, None])
    with pytest.raises(ValueError, match="Output o0 has `metrics` but no target"):
        model.evaluate(x, targets, verbose=0)


def test_flat_loss_weights_must_match_the_losses_of_nested_outputs():
    # compile_utils_test.test_struct_loss_invalid_weights (accepted silently before)
    y = {"a": {"c": np.ones((3, 2)), "d": np.ones((3, 2))}, "b": np.ones((3, 2))}
    compile_loss = CompileLoss(
        {"a": {"c": "mse", "d": "mae"}}, output_names=["c", "d", "b"], loss_weights=[1]
    )
    with pytest.raises(ValueError, match="must match the number of losses"):
        compile_loss(y, y)


def test_nested_dict_outputs_log_keys_as_keras_names_them():
    # compile_utils_test.test_deeply_nested_outputs_and_metrics: a subclassed model's metrics
    # have no prefix and a loss tracker of a list item is named after its loss (Functional:
    # after its layer); minikeras prefixed the dict keys and named list items by position.
    assert scenarios.nested_output_log_keys(keras) == KERAS["nested_log_keys"]


@pytest.mark.parametrize("run", sorted(KERAS["batch_orders"]))
def test_fit_hands_the_steps_the_batches_keras_hands_them(run):
    # Batches (first column, sample weights) and epochs Keras 3.15.1 gives for arrays, dicts,
    # validation splits and data, class weights, steps_per_epoch, and generators: a finite
    # generator's later epochs, and a validation generator at each validation, go over the
    # two batches Keras read first, then on with the stream (minikeras's later epochs ran
    # empty, and its validation went on down the stream).
    assert _batch_orders()[run] == KERAS["batch_orders"][run]


@functools.cache
def _batch_orders():
    return scenarios.batch_orders(keras)


class _Concurrent(keras.utils.PyDataset):
    """Batch 0 waits (up to 5 s) for batch 1 to be read: it is read in time only when two
    batches are read at once. Batch `failing` raises."""

    def __init__(self, failing=None, **kwargs):
        import threading

        super().__init__(**kwargs)
        self.second_read, self.failing = threading.Event(), failing
        self.waited = None

    def __len__(self):
        return 6

    def __getitem__(self, index):
        if index == self.failing:
            raise ValueError("Expected exception")
        if index == 0:
            self.waited = self.second_read.wait(timeout=5)
        if index == 1:
            self.second_read.set()
        return np.full((2, 1), index, "float32"), np.ones((2, 1), "float32")


def test_py_dataset_workers_read_batches_in_threads_in_order():
    # py_dataset_adapter_test.test_speedup and test_exception_reported_multithreading:
    # `workers` read batches at once (minikeras ignored the argument), in order, and an
    # error in a batch is raised when that batch is reached.
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    dataset = _Concurrent(workers=2, max_queue_size=4)
    model.fit(dataset, epochs=1, shuffle=False, verbose=0)
    assert dataset.waited is True
    predictions = model.predict(_Concurrent(workers=3), verbose=0)
    expected = model.predict(np.repeat(np.arange(6, dtype="float32"), 2)[:, None], verbose=0)
    np.testing.assert_array_equal(predictions, expected)
    batches = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(batch)
    )
    with pytest.raises(ValueError, match="Expected exception"):
        model.fit(_Concurrent(failing=2, workers=2), shuffle=False, verbose=0, callbacks=[record])
    assert batches == [0, 1]


def test_a_pandas_series_is_one_column():
    # array_data_adapter_test.test_basic_flow[pandas_series]: Keras slices a Series of n
    # values as an (n, 1) array, so a custom step sees (batch, 1) batches. The stand-in has
    # what minikeras looks at: pandas's class name and module, and `__array__`.
    Series = type("Series", (_ArrayLike,), {"__module__": "pandas.core.series"})
    values = np.arange(34, dtype="float32")
    shapes = []

    class Recording(keras.Sequential):
        def train_step(self, data):
            shapes.append([tuple(np.shape(part)) for part in data])
            return super().train_step(data)

    model = Recording([keras.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(Series(values), Series(2 * values), batch_size=16, verbose=0)
    assert shapes == [[(16, 1), (16, 1)], [(16, 1), (16, 1)], [(2, 1), (2, 1)]]


def test_a_data_loader_without_a_length_runs_to_its_end_each_epoch():
    # trainer_test.test_fit_with_data_adapter[torch_dataloader_iterable]: a DataLoader over
    # an IterableDataset has `__len__` but raises TypeError from it.
    class NoLength(_Loader):
        def __len__(self):
            raise TypeError("object of type 'IterableDataset' has no len()")

    x, y = np.ones((40, 4), "float32"), np.ones((40, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    batches = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(batch)
    )
    history = model.fit(NoLength(x, y, 16), epochs=2, verbose=0, callbacks=[record])
    assert batches == [0, 1, 2] * 2
    assert len(history.history["loss"]) == 2


def test_compile_metrics_name_dict_outputs_by_their_keys_when_output_names_differ():
    # compile_utils_test.test_dict_outputs_outputs_ordering and
    # test_dict_outputs_ignore_mismatched_output_names: output names that are not the dict
    # outputs' keys (op names) give way to the keys (minikeras raised "Unknown output name").
    from minikeras.trainers.compile_utils import CompileMetrics

    compile_metrics = CompileMetrics(
        metrics={
            "b": keras.metrics.MeanAbsolutePercentageError(),
            "a": keras.metrics.MeanSquaredError(),
        },
        weighted_metrics=None,
        output_names=["dense_1", "dense_2"],
    )
    y_true = {"a": np.ones((3, 2), "float32"), "b": np.ones((3, 5), "float32")}
    y_pred = {"a": np.full((3, 2), 2.0, "float32"), "b": np.zeros((3, 5), "float32")}
    compile_metrics.update_state(y_true, y_pred)
    result = compile_metrics.result()
    assert list(result) == ["a_mean_squared_error", "b_mean_absolute_percentage_error"]
    np.testing.assert_allclose(result["a_mean_squared_error"], 1.0)
    np.testing.assert_allclose(result["b_mean_absolute_percentage_error"], 100.0)


def test_compile_metrics_of_nested_outputs_take_given_output_names_as_prefixes():
    # compile_utils_test.test_deeply_nested_outputs_and_metrics[output_names=True]
    from minikeras.trainers.compile_utils import CompileMetrics

    def mse(name):
        return keras.metrics.MeanSquaredError(name=name)

    compile_metrics = CompileMetrics(
        metrics={"a": mse("mse_a"), "b": {"c": mse("mse_c"), "d": [mse("mse_d1"), mse("mse_d2")]}},
        weighted_metrics=None,
        output_names=["dense", "dense_1", "dense_2", "dense_3"],
    )
    y_true = {
        "a": np.zeros((3, 2), "float32"),
        "b": {"c": np.zeros((3, 5), "float32"), "d": [np.zeros((3, 7), "float32")] * 2},
    }
    y_pred = {
        "a": np.zeros((3, 2), "float32"),
        "b": {
            "c": np.ones((3, 5), "float32"),
            "d": [np.full((3, 7), 2.0, "float32"), np.full((3, 9), 3.0, "float32")],
        },
    }
    y_true["b"]["d"][1] = np.zeros((3, 9), "float32")
    compile_metrics.update_state(y_true, y_pred)
    result = compile_metrics.result()
    assert list(result) == ["dense_mse_a", "dense_1_mse_c", "dense_2_mse_d1", "dense_3_mse_d2"]
    np.testing.assert_allclose(list(result.values()), [0.0, 1.0, 4.0, 9.0])
