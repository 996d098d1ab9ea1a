"""Turning what users pass to `fit`/`evaluate`/`predict` into batches.

Three sources are understood, as in Keras:
- arrays (numpy arrays, tensors, other libraries' tensors, nested lists/tuples/dicts of
  them): sliced into batches of `batch_size`, the last batch partial; shuffling permutes an
  index array once per epoch and gathers each batch, so the dataset itself is never copied;
  floating point batches come in `floatx()`, as Keras casts them;
- Python generators and iterators yielding `x`, `(x, y)` or `(x, y, sample_weight)`, and
  iterables such as a PyTorch `DataLoader` (iterated again each epoch);
- `PyDataset` objects (`__len__` and `__getitem__(index)` returning batches).

`EpochIterator` adds the epoch logic: `steps_per_epoch` (an array iterator carries over
between epochs until the data runs out), and the "ran out of data" warning.
"""

import itertools
import math
import warnings

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor
from minikeras.trainers import argument_checks
from minikeras.tree import flatten, map_structure
from minikeras.utils.packing import unpack_x_y_sample_weight


def _is_pandas_series(value):
    kind = type(value)
    return kind.__name__ == "Series" and kind.__module__.startswith("pandas")


def _as_array(value, name="data"):
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.data
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    if _is_pandas_series(value):
        array = array[:, None]  # one column, as Keras slices a pandas Series
    if array.dtype == object:
        raise ValueError(
            f"`{name}` must be numeric arrays (numpy arrays, tensors, lists of numbers); "
            f"received a value of type {type(value).__name__} holding Python objects (dtype "
            "object), e.g. a None or rows of different lengths."
        )
    if array.dtype.kind in "US":
        # Keras on JAX refuses strings here too ("Invalid dtype"): text layers run on the
        # data before the numeric model, as in the Keras guides for JAX.
        raise ValueError(
            f"`{name}` holds strings (dtype {array.dtype}); a model computes on numbers. Apply "
            "the text layer (TextVectorization, StringLookup) to the data first, e.g. "
            "`ids = vectorizer(texts)`, and give those ids to a model that starts from them."
        )
    return array


def _is_array_leaf(value):
    # Tensors of other libraries (PyTorch, JAX, TensorFlow) and pandas objects are arrays
    # too, as in Keras: they have a shape and convert with `np.asarray`.
    return (
        value is None
        or isinstance(value, (np.ndarray, Tensor, int, float, np.generic))
        or (hasattr(value, "__array__") and hasattr(value, "shape"))
    )


def is_array_structure(data):
    """True when `data` is arrays (possibly nested in lists/tuples/dicts)."""
    if (
        isinstance(data, (list, tuple))
        and data
        and all(isinstance(v, (int, float, np.generic)) for v in flatten(data))
    ):
        return True  # a plain list of numbers is one array
    return all(_is_array_leaf(leaf) or isinstance(leaf, list) for leaf in flatten(data))


def _to_arrays(structure, name):
    if (
        isinstance(structure, list)
        and structure
        and all(isinstance(v, (int, float, np.generic, list)) for v in structure)
        and not any(isinstance(v, np.ndarray) for v in flatten(structure))
    ):
        return _as_array(structure, name)
    return map_structure(lambda value: _as_array(value, name), structure)


def class_weight_to_sample_weights(y, class_weight):
    """One weight per sample: the weight of its class (1.0 for classes not listed)."""
    labels = _as_array(y, "y")
    if labels.ndim > 1:
        labels = labels[..., 0] if labels.shape[-1] == 1 else np.argmax(labels, axis=-1)
    labels = np.round(labels).astype(np.int64)
    weights = np.ones(labels.shape[0], dtype=np.float32)
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = weight
    return weights


def check_cardinality(x, y, sample_weight):
    sizes = {}
    for label, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        leaves = [leaf for leaf in flatten(part) if leaf is not None]
        if leaves:
            sizes[label] = [int(leaf.shape[0]) if leaf.ndim else 1 for leaf in leaves]
    distinct = {size for values in sizes.values() for size in values}
    if len(distinct) > 1:
        details = "\n".join(
            f"'{label}' sizes: {', '.join(map(str, values))}" for label, values in sizes.items()
        )
        raise ValueError(
            "Data cardinality is ambiguous. Make sure all arrays contain the same number of "
            f"samples.\n{details}"
        )
    if not distinct:
        raise ValueError("No data was provided (x is None).")
    return distinct.pop()


def train_validation_split(x, y, sample_weight, validation_split):
    """Keeps the first `1 - validation_split` of the samples for training, the rest for
    validation (views, no copy), before any shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
    n = check_cardinality(x, y, sample_weight)
    split_at = math.floor(n * (1.0 - validation_split))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by validation_split="
            f"{validation_split}. Either provide more data, or a different value."
        )

    def part(structure, start, stop):
        return map_structure(lambda a: None if a is None else a[start:stop], structure)

    train = (part(x, 0, split_at), part(y, 0, split_at), part(sample_weight, 0, split_at))
    val = (part(x, split_at, n), part(y, split_at, n), part(sample_weight, split_at, n))
    return train, val


def _floats_to_cast(structure):
    """Whether any array in `structure` is floating point of another precision than
    `floatx()` (float64 or float16 data, which Keras's array adapter casts)."""
    floatx = np.dtype(config.floatx())
    return any(
        leaf.dtype.kind == "f" and leaf.dtype != floatx
        for leaf in flatten(structure)
        if leaf is not None
    )


def _cast_floats(structure):
    """`structure` with its floating point arrays in `floatx()` (integers and booleans
    stay as they are), as Keras casts the batches of arrays given to `fit`."""
    floatx = config.floatx()
    return map_structure(
        lambda a: a.astype(floatx) if a is not None and a.dtype.kind == "f" else a, structure
    )


def _take_rows(structure, indices):
    """The rows `indices` of every array in `structure`: views for a slice, copies for an
    index array (`take` copies whole rows at once: faster than fancy indexing)."""
    if structure is None:
        return None
    if isinstance(structure, np.ndarray):
        if isinstance(indices, slice):
            return structure[indices]
        return structure.take(indices, axis=0)
    return map_structure(lambda array: _take_rows(array, indices), structure)


class ArrayAdapter:
    """Batches of arrays, optionally shuffled each epoch, floating point ones in `floatx()`."""

    def __init__(
        self,
        x,
        y=None,
        sample_weight=None,
        batch_size=None,
        steps=None,
        shuffle=False,
        class_weight=None,
    ):
        x, y = _to_arrays(x, "x"), _to_arrays(y, "y")
        sample_weight = _to_arrays(sample_weight, "sample_weight")
        argument_checks.check_sample_weight(sample_weight)
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` together.")
            if isinstance(y, (list, tuple, dict)) and len(flatten(y)) > 1:
                raise ValueError(
                    "`class_weight` is only supported for models with a single output."
                )
            sample_weight = class_weight_to_sample_weights(flatten(y)[0], class_weight)
        if sample_weight is not None and isinstance(y, (list, tuple, dict)):
            if not isinstance(sample_weight, (list, tuple, dict)):
                sample_weight = map_structure(lambda _: sample_weight, y)
        self.num_samples = check_cardinality(x, y, sample_weight)
        if not batch_size:
            batch_size = math.ceil(self.num_samples / steps) if steps else 32
        self.batch_size = int(batch_size)
        self.num_batches = math.ceil(self.num_samples / self.batch_size)
        self.shuffle = shuffle
        self.data = (x, y, sample_weight)
        # Decided once: float32 data (the common case) is passed on without a cast.
        self._cast = _floats_to_cast(self.data)

    def __iter__(self):
        from minikeras.random import global_seed_generator

        n, size = self.num_samples, self.batch_size
        x, y, sample_weight = self.data
        permutation = None
        generator = global_seed_generator().next()
        if self.shuffle and self.shuffle != "batch":
            permutation = generator.permutation(n)
        for i in range(self.num_batches):
            start, stop = i * size, min((i + 1) * size, n)
            if self.shuffle == "batch":
                indices = generator.permutation(stop - start) + start
            elif permutation is not None:
                indices = permutation[start:stop]
            else:
                indices = slice(start, stop)
            batch = (
                _take_rows(x, indices),
                _take_rows(y, indices),
                _take_rows(sample_weight, indices),
            )
            yield _cast_floats(batch) if self._cast else batch

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


def _to_numpy(value):
    """A batch's tensor from another library (PyTorch, JAX, TensorFlow) as a numpy array,
    as Keras's numpy iterator converts everything with `__array__`."""
    if isinstance(value, (np.ndarray, Tensor)) or not hasattr(value, "__array__"):
        return value
    return np.asarray(value)


class Replaying:
    """A one-pass stream of batches as Keras keeps it: its first two batches are read at
    once (an empty stream is refused), and every pass over it gives those two again, then
    goes on with the stream where it stands.

    This is why, in Keras, a finite generator trains each epoch after the first on its
    first two batches only, and validation data given as a generator with
    `validation_steps=2` is the same two batches at every epoch.
    """

    def __init__(self, stream):
        self.stream = stream
        self.first = list(itertools.islice(stream, 2))
        if not self.first:
            raise ValueError(
                "When passing a Python generator to a model, the generator must yield at "
                "least one batch. Received an empty generator."
            )
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        return itertools.chain(self.first, self.stream)


def replay(data):
    """`data` as a `Replaying` stream when it is a one-pass iterator, else as it is (for
    validation data, which `fit` goes over once per validation)."""
    is_stream = hasattr(data, "__next__") and not isinstance(data, Replaying)
    return Replaying(data) if is_stream else data


class GeneratorAdapter:
    """Batches from a Python generator or iterator (see `Replaying`), or from an iterable
    such as a PyTorch `DataLoader` (each epoch iterates it again, and its `len`, when it
    has one, is the number of batches)."""

    def __init__(self, generator):
        self.iterable = replay(generator) if iter(generator) is generator else generator
        self.num_batches = None
        if not isinstance(self.iterable, Replaying) and hasattr(generator, "__len__"):
            try:
                self.num_batches = len(generator)
            except TypeError:  # a DataLoader over an IterableDataset has no length
                pass

    @property
    def replayed(self):
        """Whether the stream is on a second pass or later (its end means data ran out)."""
        return getattr(self.iterable, "passes", 0) > 1

    def __iter__(self):
        for batch in self.iterable:
            yield map_structure(_to_numpy, unpack_x_y_sample_weight(batch))

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


class PyDatasetAdapter:
    """Batches from a `PyDataset`: `dataset[i]` for i in range(len(dataset)), or for
    i = 0, 1, ... without end when its `num_batches` is None (as in Keras)."""

    def __init__(self, dataset, shuffle=False, class_weight=None):
        from minikeras.utils.py_dataset import PyDataset

        self.dataset = dataset
        self.shuffle = shuffle
        self.class_weight = class_weight
        infinite = type(dataset).num_batches is not PyDataset.num_batches and (
            dataset.num_batches is None
        )
        self.num_batches = None if infinite else len(dataset)

    def __iter__(self):
        from minikeras.random import global_seed_generator

        if self.num_batches is None:
            order = itertools.count()
        else:
            order = np.arange(self.num_batches)
        if self.shuffle and self.num_batches is not None:
            order = global_seed_generator().next().permutation(self.num_batches)
        batches = (self.dataset[int(index)] for index in order)
        if (getattr(self.dataset, "workers", 1) or 1) > 1:
            batches = self._read_ahead(order)
        for batch in batches:
            x, y, sample_weight = map_structure(_to_numpy, unpack_x_y_sample_weight(batch))
            if self.class_weight is not None and y is not None:
                sample_weight = class_weight_to_sample_weights(y, self.class_weight)
            yield x, y, sample_weight

    def _read_ahead(self, order):
        """The batches of `order`, in order, read by `dataset.workers` threads up to
        `max_queue_size` batches ahead (Keras's `workers`; with `use_multiprocessing` Keras
        reads them in processes, minikeras in threads too: the same batches, in the same
        order). An error in `__getitem__` is raised when its batch is reached."""
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        ahead = max(int(getattr(self.dataset, "max_queue_size", 10) or 1), self.dataset.workers)
        pool = ThreadPoolExecutor(max_workers=self.dataset.workers)
        pending, order = deque(), iter(order)
        try:
            for index in itertools.islice(order, ahead):
                pending.append(pool.submit(self.dataset.__getitem__, int(index)))
            while pending:
                batch = pending.popleft().result()
                for index in itertools.islice(order, 1):
                    pending.append(pool.submit(self.dataset.__getitem__, int(index)))
                yield batch
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()


def _check_no_targets(y, sample_weight, kind):
    """Raises, with Keras's words, for a `y` or `sample_weight` beside a dataset `x`."""
    for argument, value, what in (
        ("y", y, "the targets"),
        ("sample_weight", sample_weight, "the sample weights"),
    ):
        if value is not None:
            raise ValueError(
                f"When providing `x` as a {kind}, `{argument}` should not be passed. Instead, "
                f"{what} should be included as part of the {kind}."
            )


def get_adapter(
    x,
    y=None,
    sample_weight=None,
    batch_size=None,
    steps=None,
    shuffle=False,
    class_weight=None,
    x_may_hold_y=True,
):
    """Picks the adapter for `x` and checks the arguments that go with it.

    `x_may_hold_y`: whether a tuple `x` of 2 or 3 items without `y` is `(x, y)` or
    `(x, y, sample_weight)` (for `fit`/`evaluate`); `predict` passes False, so a tuple is
    the inputs of a multi-input model.
    """
    from minikeras.utils.py_dataset import PyDataset

    if isinstance(x, (str, bytes)):
        # A string is iterable, but no stream of batches.
        raise ValueError(f"Unrecognized data type: x={x!r} (of type {type(x).__name__}).")
    if isinstance(x, PyDataset):
        _check_no_targets(y, sample_weight, "PyDataset")
        return PyDatasetAdapter(x, shuffle=shuffle, class_weight=class_weight)
    if hasattr(x, "__next__") or (
        hasattr(x, "__iter__")
        and not is_array_structure(x)
        and not isinstance(x, (dict, list, tuple))
    ):
        _check_no_targets(y, sample_weight, "generator")
        if class_weight is not None:
            raise ValueError(
                "Argument `class_weight` is not supported for Python generator inputs. "
                f"Received: class_weight={class_weight}"
            )
        return GeneratorAdapter(x)
    if (
        x_may_hold_y
        and y is None
        and sample_weight is None
        and isinstance(x, tuple)
        and len(x) in (2, 3)
    ):
        # (x, y) or (x, y, sample_weight) passed as x, as a dataset would give them.
        x, y, sample_weight = unpack_x_y_sample_weight(x)
    return ArrayAdapter(
        x,
        y,
        sample_weight,
        batch_size=batch_size,
        steps=steps,
        shuffle=shuffle,
        class_weight=class_weight,
    )


def capped_epochs(epochs):
    """`epochs`, or the cap `keras.config.set_max_epochs` put on it (with a warning)."""
    cap = config.max_epochs()
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


class EpochIterator:
    """Yields `(step, batch)` for one epoch at a time, honouring `steps_per_epoch`."""

    def __init__(
        self,
        x,
        y=None,
        sample_weight=None,
        batch_size=None,
        steps_per_epoch=None,
        shuffle=False,
        class_weight=None,
        x_may_hold_y=True,
        steps_per_execution=1,
    ):
        cap = config.max_steps_per_epoch()
        if cap and (not steps_per_epoch or cap < steps_per_epoch):
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
            steps_per_epoch = cap
        self.adapter = get_adapter(
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            steps=steps_per_epoch,
            shuffle=shuffle,
            class_weight=class_weight,
            x_may_hold_y=x_may_hold_y,
        )
        self.steps_per_epoch = steps_per_epoch
        self.steps_per_execution = steps_per_execution
        self._iterator = None
        self._steps_seen = 0
        self._exhausted_size = None

    @property
    def num_batches(self):
        return self.steps_per_epoch or self.adapter.num_batches or self._exhausted_size

    def _warn_out_of_data(self):
        warnings.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset "
            "or generator can generate at least `steps_per_epoch * epochs` batches.",
            stacklevel=3,
        )

    def __iter__(self):
        total = self.adapter.num_batches
        self.adapter.on_epoch_begin()  # a PyDataset's hook, as Keras calls it
        if self.steps_per_epoch is None and total is not None:
            # One whole pass over data of known size (the common case): nothing to count.
            self._iterator = None
            yield from enumerate(self.adapter)
            self.adapter.on_epoch_end()
            return
        if self._iterator is None or self.steps_per_epoch is None:
            self._iterator = iter(self.adapter)
            self._steps_seen = 0
        step, group = 0, self.steps_per_execution
        # As in Keras, the end of the epoch and of the data are checked only between groups
        # of `steps_per_execution` batches: an epoch's last group is whole, even when that
        # takes it past `steps_per_epoch`.
        while self.steps_per_epoch is None or step < self.steps_per_epoch or step % group:
            if step % group == 0 and total is not None and self._steps_seen >= total:
                if self.steps_per_epoch:
                    self._warn_out_of_data()
                break
            try:
                batch = next(self._iterator)
            except StopIteration:
                if total is None and self.steps_per_epoch is None:
                    # The end of a stream of unknown length ends the epoch; on a later
                    # pass it means a generator used up by an earlier epoch (Keras warns).
                    if step == 0 or getattr(self.adapter, "replayed", False):
                        self._warn_out_of_data()
                    self._exhausted_size = step
                else:
                    self._warn_out_of_data()
                self._iterator = None
                break
            self._steps_seen += 1
            yield step, batch
            step += 1
        if total is not None and self._steps_seen >= total:
            self._iterator = None
        self.adapter.on_epoch_end()
