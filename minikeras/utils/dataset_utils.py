"""`split_dataset`: a dataset cut in two (e.g. training and test), as Keras cuts it.

Keras lists the dataset's samples, shuffles that list with Python's `random` module seeded
with `seed` (when `shuffle=True`), takes the first `left_size` samples for the left part
and the last `right_size` for the right part, stacks each part back into arrays and hands
them to `tf.data.Dataset.from_tensor_slices`. Here the parts are `SampleDataset`s: a
`PyDataset` whose items are the samples (`for sample in left`, `len(left)`), and whose
`batch(n)` gives batches for `fit`, as a `tf.data.Dataset`'s `batch` does.
"""

import random
import time
import warnings

import numpy as np

from minikeras.utils import io_utils
from minikeras.utils.py_dataset import BatchDataset, PyDataset


def split_dataset(
    dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None
):
    """Splits a dataset into a left part and a right part (as `keras.utils.split_dataset`).

    Args:
        dataset: a numpy array, a list or tuple of numpy arrays of the same length (each
            sample is then a tuple of their rows), or a `PyDataset` (its batches are
            split into samples; a dataset whose items are single samples, such as a part
            of another split, is taken sample by sample).
        left_size: a float in (0, 1) (the fraction of the samples) or an int (their
            number) for the left part; None: what `right_size` leaves.
        right_size: the same for the right part; None: what `left_size` leaves.
        shuffle: whether to shuffle the samples first (with Python's `random`, as Keras).
        seed: the seed of that shuffle.
        preferred_backend: accepted for compatibility ("tensorflow", "torch", "jax",
            "numpy" or None); the parts are `SampleDataset`s whatever it is.

    Returns:
        `(left, right)`: two `SampleDataset`s of samples, batched as `dataset` was when
        it was a batched `PyDataset`.

    Example:
        >>> x = np.random.random((1000, 4))
        >>> left, right = split_dataset(x, left_size=0.8)
        >>> len(left), len(right)
        (800, 200)
    """
    if preferred_backend not in (None, "tensorflow", "torch", "jax", "numpy"):
        raise ValueError(
            "`preferred_backend` must be one of 'tensorflow', 'torch', 'jax', 'numpy' or "
            f"None. Received: preferred_backend={preferred_backend!r}"
        )
    if not isinstance(dataset, (tuple, list, np.ndarray, PyDataset)):
        raise TypeError(
            "The `dataset` argument must be either a `PyDataset` object, a NumPy array or "
            f"a list/tuple of arrays. Received: dataset={dataset} of type {type(dataset)}"
        )
    if right_size is None and left_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. "
            "Received: left_size=None and right_size=None"
        )
    samples, batch_size = _samples(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        # As Keras: Python's global generator, seeded, shuffles the list of samples.
        random.seed(seed)
        random.shuffle(samples)
    left_size, right_size = _split_sizes(left_size, right_size, len(samples))
    left = SampleDataset(_stack(samples[:left_size]), batch_size)
    right = SampleDataset(_stack(samples[-right_size:]), batch_size)
    return left, right


class SampleDataset(BatchDataset):
    """Samples kept as a structure of arrays (one row per sample); an item is one sample,
    or with a `batch_size` a batch of them.

    Args:
        data: an array, or a tuple or dict (nested) of arrays of the same length.
        batch_size: samples per item; None: each item is one sample.
    """

    def __init__(self, data, batch_size=None):
        super().__init__()
        self.data, self.batch_size = data, batch_size

    def _count(self):
        return len(_first_array(self.data))

    def __getitem__(self, index):
        return _take(self.data, self._positions(index))

    def batch(self, batch_size):
        """The same samples in batches of `batch_size` (the last one may be smaller)."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: {batch_size}")
        return SampleDataset(self.data, batch_size)


def _first_array(structure):
    if isinstance(structure, dict):
        return _first_array(next(iter(structure.values())))
    if isinstance(structure, tuple):
        return _first_array(structure[0])
    return structure


def _take(structure, positions):
    if isinstance(structure, dict):
        return {key: _take(value, positions) for key, value in structure.items()}
    if isinstance(structure, tuple):
        return tuple(_take(value, positions) for value in structure)
    return structure[positions]


def _stack(samples):
    """Samples of one structure -> that structure of stacked arrays (lists become tuples,
    as Keras restores them)."""
    first = samples[0]
    if isinstance(first, dict):
        return {key: _stack([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        return tuple(_stack([sample[i] for sample in samples]) for i in range(len(first)))
    return np.array(samples)


def _unbatch(batch):
    """A batch (a structure of arrays) -> its samples."""
    if isinstance(batch, dict):
        parts = {key: _unbatch(value) for key, value in batch.items()}
        count = len(next(iter(parts.values())))
        return [{key: part[i] for key, part in parts.items()} for i in range(count)]
    if isinstance(batch, (tuple, list)):
        parts = [_unbatch(value) for value in batch]
        return [tuple(part[i] for part in parts) for i in range(len(parts[0]))]
    return list(np.asarray(batch))


def _samples(dataset):
    """The dataset's samples as a list, and the batch size to give the parts (or None)."""
    if isinstance(dataset, (tuple, list)):
        kind = "tuple" if isinstance(dataset, tuple) else "list"
        if not dataset:
            raise ValueError(
                f"Received an empty {kind} dataset. Please provide a non-empty {kind} of arrays."
            )
        for i, element in enumerate(dataset):
            if not isinstance(element, np.ndarray):
                raise ValueError(
                    f"Expected a {kind} of `numpy.ndarray` objects, Received: "
                    f"{type(element)} at index {i}."
                )
            if len(element) != len(dataset[0]):
                raise ValueError(
                    f"Received a {kind} of NumPy arrays with different lengths. Mismatch "
                    f"found at index {i}, Expected shape={dataset[0].shape} Received "
                    f"shape={element.shape}. Please provide a {kind} of NumPy arrays of "
                    "the same length."
                )
        samples, batch_size = list(zip(*dataset)), None
    elif isinstance(dataset, np.ndarray):
        samples, batch_size = list(dataset), None
    elif isinstance(dataset, SampleDataset):
        samples = _unbatch(dataset.data)
        batch_size = dataset.batch_size
    else:
        samples, batch_size = _py_dataset_samples(dataset)
    if not samples:
        raise ValueError(
            "Received an empty dataset. Argument `dataset` must be a non-empty list/tuple "
            "of `numpy.ndarray` objects or a non-empty `PyDataset`."
        )
    _check_same_shapes(samples)
    return samples, batch_size


def _py_dataset_samples(dataset):
    """A `PyDataset`'s samples: its batches split along their first axis (a dataset whose
    `batch_size` is None gives one sample per item)."""
    unbatched = isinstance(dataset, BatchDataset) and dataset.batch_size is None
    samples, batch_size, start = [], None, time.time()
    for index in range(len(dataset)):
        item = dataset[index]
        if unbatched:
            samples.append(item)
            continue
        batch = _unbatch(item)
        batch_size = batch_size or len(batch)
        samples.extend(batch)
        if start is not None and time.time() - start > 10:
            warnings.warn(
                "The dataset is taking longer than 10 seconds to iterate over. This may be "
                "due to the size of the dataset. Keep in mind that the `split_dataset` "
                "utility is only for small in-memory dataset (e.g. < 10,000 samples).",
                category=ResourceWarning,
                stacklevel=3,
            )
            start = None
    return samples, batch_size


def _check_same_shapes(samples):
    # Keras compares shapes only when the samples are arrays (not tuples or dicts).
    if not isinstance(samples[0], np.ndarray):
        return
    shape = samples[0].shape
    for i, sample in enumerate(samples[1:]):
        if np.shape(sample) != shape:
            raise ValueError(
                f"All `dataset` samples must have same shape, Expected shape: {shape} "
                f"Received shape: {np.shape(sample)} at index {i}."
            )


def _split_sizes(left_size, right_size, total_length):
    """Keras's rules: the sizes as numbers of samples (a float is a fraction, rounded)."""
    left_type, right_type = type(left_size), type(right_size)
    numbers = (int, float)
    if (left_size is not None and left_type not in numbers) and (
        right_size is not None and right_type not in numbers
    ):
        raise TypeError(
            "Invalid `left_size` and `right_size` Types. Expected: integer or float or "
            f"None, Received: type(left_size)={left_type} and type(right_size)={right_type}"
        )
    if left_size is not None and left_type not in numbers:
        raise TypeError(
            "Invalid `left_size` Type. Expected: int or float or None, Received: "
            f"type(left_size)={left_type}."
        )
    if right_size is not None and right_type not in numbers:
        raise TypeError(
            "Invalid `right_size` Type. Expected: int or float or None, Received: "
            f"type(right_size)={right_type}."
        )
    if left_size == 0 and right_size == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes "
            "must be non-zero."
        )
    for size, kind, side in ((left_size, left_type, "left"), (right_size, right_type, "right")):
        if (kind is int and not 0 < size < total_length) or (kind is float and not 0 < size < 1):
            # (Keras words the two messages slightly differently.)
            smaller = "smaller than {}," if side == "left" else "and smaller than {}"
            raise ValueError(
                f"`{side}_size` should be either a positive integer "
                f"{smaller.format(total_length)} or a float within the range `[0, 1]`. "
                f"Received: {side}_size={size}"
            )
    if left_type is right_type is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less "
            "than or equal to 1."
        )
    if left_type is float:
        left_size = round(left_size * total_length)
    if right_type is float:
        right_size = round(right_size * total_length)
    if left_size is None:
        left_size = total_length - right_size
    elif right_size is None:
        right_size = total_length - left_size
    if left_size + right_size > total_length:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the "
            f"{total_length}. Received: left_size + right_size = {left_size + right_size} "
            f"and total_length = {total_length}"
        )
    for size, side in ((left_size, "left"), (right_size, "right")):
        if size == 0:
            raise ValueError(
                f"With `dataset` of length={total_length}, `left_size`={left_size} and "
                f"`right_size`={right_size}. Resulting {side} side dataset split will be "
                "empty. Adjust any of the aforementioned parameters"
            )
    return int(left_size), int(right_size)


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training part (all but the last `validation_split` of the samples) or the
    validation part (the last ones), as the `*_dataset_from_directory` functions split.

    As Keras 3.15 computes it, a split that rounds down to 0 samples leaves the training
    part empty and gives the validation part everything.

    Returns:
        `(samples, labels)` of the part (labels None stays None).
    """
    if not validation_split:
        return samples, labels
    count = int(validation_split * len(samples))
    if subset == "training":
        io_utils.print_msg(f"Using {len(samples) - count} files for training.")
        chosen = slice(None, -count)
    elif subset == "validation":
        io_utils.print_msg(f"Using {count} files for validation.")
        chosen = slice(-count, None)
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples[chosen], None if labels is None else labels[chosen]
