"""`timeseries_dataset_from_array`: batches of sliding windows over a timeseries.

Keras builds a `tf.data.Dataset` (or a Grain dataset); here the windows come from a
`PyDataset`, so `fit`, `evaluate` and `predict` take the result as they take any other,
`for batch in dataset` walks the batches and `dataset.map(function)` transforms them.
Each window is gathered from the array when its batch is asked for: nothing is copied
ahead.
"""

import numpy as np

from minikeras.utils.py_dataset import BatchDataset


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
    format="tf",  # noqa: A002 (Keras's argument name)
):
    """Batches of windows over `data` (as `keras.utils.timeseries_dataset_from_array`).

    Window `k` starts at `start_index + p_k`, with `p_k = k * sequence_stride`, and holds
    the timesteps `p_k, p_k + sampling_rate, ...` (`sequence_length` of them); its target is
    `targets[start_index + p_k]`. Windows that would reach `end_index` (or past `targets`)
    are left out.

    Args:
        data: an array whose first axis is time.
        targets: an array (`targets[i]` goes with the window starting at `i`), or None for
            a dataset of windows alone.
        sequence_length: timesteps per window.
        sequence_stride: timesteps between the starts of consecutive windows.
        sampling_rate: timesteps between consecutive steps of a window.
        batch_size: windows per batch (the last may be smaller); None: one window per item.
        shuffle: whether the windows come in a random order (drawn once, from
            `np.random.RandomState(seed)` as Keras draws it; Keras then also shuffles
            within a buffer of `8 * batch_size` windows with TensorFlow's or Grain's
            generator, which is not reproduced: the order is a random one, not Keras's).
        seed: the seed of that order.
        start_index, end_index: the part of `data` the windows are drawn from (`end_index`
            exclusive).
        format: `"tf"` or `"grain"`, accepted for compatibility: either way the result is
            a `PyDataset` (no TensorFlow or Grain is needed).

    Returns:
        A `PyDataset` of `(windows, targets)` batches, or of `windows` when `targets` is
        None; windows keep `data`'s dtype, shape `(batch, sequence_length) + data.shape[1:]`.

    Example:
        >>> dataset = timeseries_dataset_from_array(np.arange(10), None, 3, batch_size=2)
        >>> dataset[0]
        array([[0, 1, 2],
               [1, 2, 3]])
    """
    _check(data, sequence_stride, sampling_rate, start_index, end_index, format)
    start_index = start_index or 0
    end_index = len(data) if end_index is None else end_index
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    starts = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    return TimeseriesDataset(
        data, targets, starts + start_index, sequence_length, sampling_rate, batch_size
    )


class TimeseriesDataset(BatchDataset):
    """The windows of `timeseries_dataset_from_array`, `batch_size` per item.

    Args:
        data, targets: the arrays (`targets` may be None).
        starts: the index in `data` of each window's first timestep, in dataset order.
        sequence_length, sampling_rate: as `timeseries_dataset_from_array`'s.
        batch_size: windows per item, or None for one window (not batched) per item.
    """

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        super().__init__()
        self.data, self.targets, self.starts = data, targets, starts
        self.steps = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def _count(self):
        return len(self.starts)

    def __getitem__(self, index):
        starts = self.starts[self._positions(index)]
        windows = np.asarray(self.data)[np.add.outer(starts, self.steps)]
        if self.targets is None:
            return windows
        return windows, np.asarray(self.targets)[starts]


def _check(data, sequence_stride, sampling_rate, start_index, end_index, dataset_format):
    """Keras's argument checks, with its messages."""
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= length:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {length}"
            )
    if dataset_format not in ("tf", "grain"):
        raise ValueError(
            f'`format` should be either "tf" or "grain". Received: format={dataset_format}'
        )
