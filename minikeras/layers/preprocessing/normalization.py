"""`Normalization`: shifts and scales features by a mean and variance learned with `adapt`."""

import itertools
import math

import numpy as np

from minikeras import config as keras_config
from minikeras import ops
from minikeras.autodiff.tensor import Tensor
from minikeras.layers.layer import Layer


def _first_of(batch):
    """The inputs of a batch that may be `(x, y)` or `(x, y, sample_weight)`."""
    return batch[0] if isinstance(batch, tuple) else batch


def _as_array(value):
    return value.numpy() if isinstance(value, Tensor) else np.asarray(value)


class Normalization(Layer):
    """Normalises inputs to `(x - mean) / sqrt(variance)` with a mean and variance per feature.

    The mean and variance come from `adapt(data)` or are given as `mean` and `variance`.
    Each index of the `axis` axes keeps its own mean and variance; all other axes are
    reduced over. The divisor is `max(sqrt(variance), epsilon())`, so a constant feature
    gives zeros, not NaN.

    Args:
        axis: int, tuple of ints or None: the axes that keep separate statistics (-1, the
            features, by default); None gives one scalar mean and variance.
        mean, variance: the statistics to use instead of `adapt` (given together, same
            shape; broadcast to the kept axes, aligned from the right).
        invert: apply the inverse, `mean + x * sqrt(variance)`, turning normalised values
            back into the original scale.

    Example:
        >>> layer = Normalization(axis=None)
        >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
        >>> layer(np.array([1.0, 2.0, 3.0])).numpy()
        array([-1.4142135 , -0.70710677,  0.        ], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        if axis is None:
            axis = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axis = (axis,)
        else:
            try:
                axis = tuple(axis)
            except TypeError:
                axis = None
            if axis is None or not all(type(a) is int for a in axis):
                raise TypeError(
                    "Normalization: `axis` must be an int, a tuple of ints or None. "
                    f"Received axis={axis!r}."
                )
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: `mean` and `variance` must be given together. "
                f"Received mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. Received "
                    f"mean of shape {np.shape(mean)} and variance of shape {np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization: the rank of `mean` must be at most the number of axes "
                    f"({len(self.axis)}). Received mean of shape {np.shape(mean)} for "
                    f"axis={self.axis}."
                )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self._build_input_shape = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f'Layer "{self.name}": every `axis` must be in [-{rank}, {rank}) for inputs '
                f"of shape {input_shape}. Received axis={self.axis}."
            )
        self._keep_axis = tuple(sorted(a % rank for a in self.axis))
        for a in self._keep_axis:
            if input_shape[a] is None:
                raise ValueError(
                    f'Layer "{self.name}": the kept axes must have known sizes. Received '
                    f"axis={self.axis} and input shape {input_shape} (axis {a} is unknown)."
                )
        self._reduce_axis = tuple(a for a in range(rank) if a not in self._keep_axis)
        self._broadcast_shape = tuple(
            input_shape[a] if a in self._keep_axis else 1 for a in range(rank)
        )
        self._stats_shape = tuple(input_shape[a] for a in self._keep_axis)
        self._build_input_shape = input_shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=self._stats_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=self._stats_shape, initializer="ones", trainable=False
            )
            # Keras keeps (and saves) this counter for older files; it is never updated.
            self.count = self.add_weight(
                name="count", shape=(), dtype="int32", initializer="zeros", trainable=False
            )
        else:
            self._given_mean = self._broadcast_given(self.input_mean)
            self._given_variance = self._broadcast_given(self.input_variance)
        self.built = True

    def _broadcast_given(self, value):
        """A given `mean` or `variance` as an array of the broadcast shape."""
        value = np.asarray(value, dtype=self.compute_dtype)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):  # aligned with the kept axes from the right
            expanded[self._keep_axis[-i]] = value.shape[-i]
        try:
            return np.broadcast_to(value.reshape(expanded), self._broadcast_shape).copy()
        except ValueError:
            raise ValueError(
                f'Layer "{self.name}": `mean` and `variance` of shape {value.shape} cannot be '
                f"broadcast to the kept axes {self.axis} of shape {self._stats_shape}."
            ) from None

    def _statistics(self):
        if self.input_mean is not None:
            return self._given_mean, self._given_variance
        mean = self.adapt_mean.numpy().reshape(self._broadcast_shape)
        variance = self.adapt_variance.numpy().reshape(self._broadcast_shape)
        return mean, variance

    @property
    def mean(self):
        """The mean in use, shaped to broadcast against the inputs (None before building)."""
        return ops.convert_to_tensor(self._statistics()[0]) if self.built else None

    @property
    def variance(self):
        """The variance in use, shaped to broadcast against the inputs (None before building)."""
        return ops.convert_to_tensor(self._statistics()[1]) if self.built else None

    def adapt(self, data):
        """Computes the mean and variance of `data` and stores them in the layer.

        Args:
            data: a numpy array or tensor (all of it at once), or an iterable of batches
                (a list of arrays, a generator, a `PyDataset`); a batch may be `(x, y)`
                or `(x, y, sample_weight)`, whose `x` is used.

        Raises:
            ValueError: for an empty iterable, a layer given `mean` and `variance`, or
                data whose kept axes do not match the layer's.
        """
        if self.input_mean is not None:
            raise ValueError(
                f'Layer "{self.name}" was given `mean` and `variance`: it has nothing to adapt.'
            )
        if isinstance(data, (np.ndarray, Tensor)):
            batches = None
            input_shape = tuple(data.shape)
        else:
            if hasattr(data, "on_epoch_end") and hasattr(data, "__len__"):  # a PyDataset
                dataset = data
                data = (dataset[i] for i in range(len(dataset)))
            elif not hasattr(data, "__iter__"):
                raise TypeError(
                    "Normalization.adapt: `data` must be a numpy array, a tensor, a PyDataset "
                    f"or an iterable of batches. Received data of type {type(data).__name__}."
                )
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(
                    "Normalization.adapt received an empty iterable: it needs at least one "
                    "batch, e.g. layer.adapt([x])."
                )
            first = _first_of(first)
            if not hasattr(first, "shape"):
                raise TypeError(
                    "Normalization.adapt: the batches must be arrays or tensors with a "
                    f"`.shape`. Received a batch of type {type(first).__name__}."
                )
            input_shape = tuple(first.shape)
            batches = itertools.chain([first], iterator)
        if not self.built:
            self.build(input_shape)
            self._build_shapes = input_shape
        self._check_adapt_shape(input_shape)
        if batches is None:
            values = _as_array(data)
            if values.dtype.kind != "f":
                values = values.astype(self.compute_dtype)
            # Like Keras, a whole array is reduced in its own precision (float64 data gives
            # float64 sums); the results are stored as float32.
            total_mean = np.mean(values, axis=self._reduce_axis)
            total_variance = np.var(values, axis=self._reduce_axis)
        else:
            total_mean, total_variance = self._combine(batches)
        # Assigned only once every batch has been read: a bad batch leaves the layer as it was.
        self.adapt_mean.assign(np.asarray(total_mean, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(total_variance, dtype=self.adapt_variance.dtype))

    def _check_adapt_shape(self, shape):
        if len(shape) != len(self._build_input_shape) or any(
            shape[a] != self._build_input_shape[a] for a in self._keep_axis
        ):
            raise ValueError(
                f'Layer "{self.name}" was built for inputs of shape {self._build_input_shape} '
                f"(axis={self.axis}), but adapt() received data of shape {tuple(shape)}."
            )

    def _combine(self, batches):
        """Mean and variance of all batches, merged batch by batch."""
        dtype = np.dtype(self.compute_dtype)
        total_mean = np.zeros(self._stats_shape, dtype)
        total_variance = np.zeros(self._stats_shape, dtype)
        total_count = 0
        for batch in batches:
            values = _as_array(_first_of(batch)).astype(dtype, copy=False)
            self._check_adapt_shape(values.shape)
            batch_mean = np.mean(values, axis=self._reduce_axis)
            batch_variance = np.var(values, axis=self._reduce_axis)
            batch_count = math.prod(values.shape[a] for a in self._reduce_axis)
            total_count += batch_count
            batch_weight = dtype.type(batch_count / total_count)
            existing_weight = dtype.type(1.0) - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            # Pooled variance: each part's variance plus its mean's squared distance from the
            # new overall mean, weighted by its share of the values.
            total_variance = (total_variance + (total_mean - new_mean) ** 2) * existing_weight + (
                batch_variance + (batch_mean - new_mean) ** 2
            ) * batch_weight
            total_mean = new_mean
        return total_mean, total_variance

    def call(self, inputs):
        if inputs.dtype != self.compute_dtype:
            inputs = ops.cast(inputs, self.compute_dtype)
        mean, variance = self._statistics()
        scale = np.maximum(np.sqrt(variance), np.asarray(keras_config.epsilon(), variance.dtype))
        if self.invert:
            return ops.add(ops.multiply(inputs, scale), mean)
        return ops.divide(ops.subtract(inputs, mean), scale)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist(),
            }
        )
        return config

    def get_build_config(self):
        if self._build_input_shape is not None:
            return {"input_shape": list(self._build_input_shape)}
        return None
