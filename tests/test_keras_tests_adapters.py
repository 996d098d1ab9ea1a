"""Data adapter, epoch iterator and compile-utils behaviours that running Keras's own tests
against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/trainers/data_adapters/*_test.py,
keras/src/trainers/epoch_iterator_test.py and compile_utils_test.py (see
tools/keras_tests_status.md, section "data adapters, epoch iterator, compile utils").
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


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
