"""`Discretization`: numbers to the index of the range (bin) each falls in.

Bin boundaries are given, or learnt by `adapt` as approximate quantiles, the way Keras
learns them (so the same data gives the same boundaries):

1. each batch is summarised: its values sorted, then every `step`-th value kept (about
   `1 / epsilon` of them), each standing for `step` values (its weight);
2. summaries are merged by sorting their values together, then compressed: the cumulative
   weights are read at the fractions `epsilon, 2 * epsilon, ..., 1` by linear interpolation,
   which gives new values and their weights;
3. the boundaries are the summary compressed to `num_bins` fractions, without its last value.

A summary short enough (fewer than `1 / fraction` entries) is kept as it is, so a small
sample can give fewer than `num_bins - 1` boundaries, as in Keras.
"""

import itertools

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.layers.layer import Layer
from minikeras.layers.preprocessing.category_encoding import TakesListsOfValues, as_numpy
from minikeras.ops.symbolic import KerasTensor

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _summarize(values, epsilon):
    """A summary (2 rows: values, weights) of one batch of float32 values."""
    values = np.sort(values.reshape(-1))
    # Values per kept entry; written as Keras computes it, so it rounds the same way.
    step = max(values.size / (1.0 / epsilon), 1)
    kept = values[int(step - 1) :: int(step)]
    return np.stack([kept, np.ones_like(kept) * step])


def _compress(summary, epsilon):
    """The summary read at the cumulative-weight fractions epsilon, 2 epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_fraction = cumulative / cumulative[-1]
    values = np.interp(fractions, cumulative_fraction, summary[0])
    cumulative = np.interp(fractions, cumulative_fraction, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack([values, weights]).astype("float32")


def _merge(first, second, epsilon):
    merged = np.concatenate([first, second], axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(TakesListsOfValues, Layer):
    """Buckets numbers by ranges (as `keras.layers.Discretization`).

    `bin_boundaries=[0., 1., 2.]` makes the bins `(-inf, 0)`, `[0, 1)`, `[1, 2)` and
    `[2, inf)`, numbered 0 to 3. Values are compared in float32.

    Args:
        bin_boundaries: the increasing boundaries between bins (then do not `adapt`).
        num_bins: how many bins `adapt` should make from the data's quantiles.
        epsilon: the quantiles' error tolerance (smaller: more exact, more memory).
        output_mode: `"int"` (default: the bin index, int32), `"one_hot"` (a vector per
            value), `"multi_hot"` or `"count"` (a vector per sample, over axis 1).
        sparse: only False (minikeras has no sparse tensors).

    Example:
        >>> layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]])).numpy()
        array([[0, 2, 3, 1]], dtype=int32)
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("Discretization: `sparse=True` is not supported by minikeras.")
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"Unknown value for `output_mode`: {output_mode!r}. Expected one of "
                f"{_OUTPUT_MODES}."
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: num_bins={num_bins}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"num_bins={num_bins} and bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False  # inputs are compared in float32 whatever the layer's dtype
        self.reset_state()

    @property
    def output_dtype(self):
        """int32 for `"int"`, else the layer's float dtype (as Keras)."""
        return "int32" if self.output_mode == "int" else self.compute_dtype

    # -- adapt ------------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learns `num_bins` bins of about equal counts from `data`'s quantiles.

        Args:
            data: an array (one batch) or an iterable of batches (a list of arrays, a
                generator).
            steps: how many batches of an iterable to read (all by default).
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        if isinstance(data, (np.ndarray, Tensor)) or not hasattr(data, "__iter__"):
            batches = [data]
        else:
            # islice stops reading after `steps` batches: a generator may be endless.
            batches = itertools.islice(data, steps)
        summary = np.zeros((2, 0), dtype="float32")
        for batch in batches:
            values = as_numpy(batch).astype("float32")
            summary = _merge(_summarize(values, self.epsilon), summary, self.epsilon)
        # Set only once every batch has been read: a bad batch leaves the layer as it was.
        self._summary = summary
        self.finalize_state()

    def update_state(self, data):
        """Adds one batch to the summary that `finalize_state` turns into boundaries."""
        values = as_numpy(data).astype("float32")
        self._summary = _merge(_summarize(values, self.epsilon), self._summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        self._summary = np.zeros((2, 0), dtype="float32")

    # -- call -------------------------------------------------------------------------------
    def _depth(self):
        return len(self.bin_boundaries) + 1

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` "
                "layer."
            )
        values = as_numpy(inputs).astype("float32")
        boundaries = np.asarray(self.bin_boundaries, dtype="float32")
        indices = np.digitize(values, boundaries).astype("int32")
        if self.output_mode == "int":
            return Tensor(indices)
        depth = self._depth()
        if indices.ndim == 0:
            indices = indices.reshape(1)
        if self.output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        one_hot = (indices[..., None] == np.arange(depth)).astype(self.output_dtype)
        if self.output_mode == "one_hot":
            return Tensor(one_hot)
        # As Keras: a sample is axis 1 (axis 0 of a rank-1 input), whatever the rank.
        axis = 1 if indices.ndim > 1 else 0
        if self.output_mode == "multi_hot":
            return Tensor(one_hot.max(axis=axis))
        return Tensor(one_hot.sum(axis=axis))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth() if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return (*input_shape[:-1], depth)
            return (*input_shape, depth)
        if len(input_shape) >= 2:
            return (input_shape[0], *input_shape[2:], depth)
        return (depth,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    # -- configuration ----------------------------------------------------------------------
    def get_config(self):
        # Keras writes exactly these keys (no `trainable`) and the dtype as a plain name.
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": False,
            "name": self.name,
            "dtype": self.dtype,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # An adapted layer has both; the constructor takes one, so set the other after.
            del config["bin_boundaries"]
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)
