"""`PyDataset`: a dataset of batches defined by `__len__` and `__getitem__`, as in Keras."""

import itertools


class PyDataset:
    """Base class for datasets that return whole batches.

    Subclasses implement `__len__` (the number of batches per epoch) and
    `__getitem__(index)` returning `x`, `(x, y)` or `(x, y, sample_weight)` for one batch;
    `on_epoch_begin` and `on_epoch_end` run before and after every epoch (e.g. to
    reshuffle). With `workers > 1`, `fit`/`evaluate`/`predict` read batches in that many
    threads, up to `max_queue_size` ahead, in order; `use_multiprocessing=True` uses
    threads too (Keras starts processes): the batches and their order are the same.

    Example:
        >>> class Batches(PyDataset):
        ...     def __init__(self, x, y, batch_size):
        ...         super().__init__()
        ...         self.x, self.y, self.batch_size = x, y, batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, i):
        ...         s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        ...         return self.x[s], self.y[s]
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        num_batches = self.num_batches
        if num_batches is None:
            raise NotImplementedError("A PyDataset must define __len__ or num_batches.")
        return num_batches

    @property
    def num_batches(self):
        return None

    def __iter__(self):
        """Every batch in order: `len(self)` of them, or without end for an infinite dataset
        (`num_batches` None, or neither it nor `__len__` defined), as Keras iterates."""
        count = batch_count(self)
        for index in itertools.count() if count is None else range(count):
            yield self[index]

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


def batch_count(dataset):
    """The number of batches of a `PyDataset`, or None when it has no end.

    It is `len(dataset)`, unless the subclass defines a `num_batches` that gives None, or
    defines neither `num_batches` nor `__len__` (Keras's `for` loop takes both for an
    infinite dataset; `fit` refuses the latter, as in Keras).
    """
    if type(dataset).num_batches is not PyDataset.num_batches and dataset.num_batches is None:
        return None
    try:
        return len(dataset)
    except NotImplementedError:
        return None


class BatchDataset(PyDataset):
    """The datasets `keras.utils` functions return (`timeseries_dataset_from_array`, the
    `*_dataset_from_directory` functions, `split_dataset`): a `PyDataset` that `for` walks
    batch by batch, and whose `map(function)` gives a dataset of `function(*batch)` (of
    `function(batch)` for a batch that is not a tuple), as a `tf.data.Dataset`'s `map` does.

    Subclasses with items of their own set `batch_size` (None: each item is one example,
    not a batch), give `_count()`, the number of examples, and find an item's examples with
    `_positions(index)`."""

    batch_size = None

    def _count(self):
        raise NotImplementedError

    def __len__(self):
        count = self._count()
        return count if self.batch_size is None else -(-count // self.batch_size)

    def _positions(self, index):
        """The positions of item `index`'s examples (negative counts from the end): a slice
        of `batch_size` of them, or the one position when the dataset is not batched."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch {index} of a dataset of {len(self)} batches.")
        index %= len(self)
        if self.batch_size is None:
            return index
        return slice(index * self.batch_size, (index + 1) * self.batch_size)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def map(self, function):
        """A dataset of this one's batches passed through `function`, each when asked for."""
        return MappedDataset(self, function)


class MappedDataset(BatchDataset):
    """`dataset`'s batches passed through `function` (see `BatchDataset.map`)."""

    def __init__(self, dataset, function):
        super().__init__()
        self.dataset, self.function = dataset, function

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        batch = self.dataset[index]
        return self.function(*batch) if isinstance(batch, tuple) else self.function(batch)
