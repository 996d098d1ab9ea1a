"""Adaptive pooling: pools any spatial size down (or up) to a fixed output size.

Output position `i` of an axis of size `n` pooled to `out` covers the input entries
`floor(i * n / out)` to `ceil((i + 1) * n / out)` (end excluded), the rule Keras 3 and
PyTorch use; neighbouring windows may overlap by one entry. Both the mean and the maximum
over a box are the same as pooling one axis after the other, so one primitive,
`AdaptivePoolAxis`, pools a single axis and the public functions apply it per spatial axis.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, Tensor
from minikeras.autodiff.arithmetic import cast
from minikeras.autodiff.tensor import to_array
from minikeras.ops.symbolic import op

__all__ = ["adaptive_average_pool", "adaptive_max_pool"]


def adaptive_windows(size, output_size):
    """The `(start, end)` of each of the `output_size` windows over an axis of `size`."""
    return [
        ((i * size) // output_size, -((-(i + 1) * size) // output_size)) for i in range(output_size)
    ]


class AdaptivePoolAxis(Function):
    """Mean or maximum of each adaptive window along one axis.

    The mean is a product with an `(output_size, size)` averaging matrix (its backward is
    the product with the transpose). The maximum keeps the position of each window's first
    largest entry, and its backward sends the gradient there.
    """

    def __init__(self, axis, output_size, mode):
        self.axis, self.output_size, self.mode = axis, output_size, mode

    def forward(self, x):
        moved = np.moveaxis(x, self.axis, -1)
        windows = adaptive_windows(moved.shape[-1], self.output_size)
        self.windows, self.size = windows, moved.shape[-1]
        if self.mode == "average":
            matrix = np.zeros((self.output_size, self.size), dtype=x.dtype)
            for i, (start, end) in enumerate(windows):
                matrix[i, start:end] = 1.0 / (end - start)
            self.matrix = matrix
            pooled = moved @ matrix.T
        else:
            self.argmax = np.stack(
                [np.argmax(moved[..., start:end], axis=-1) + start for start, end in windows],
                axis=-1,
            )
            pooled = np.take_along_axis(moved, self.argmax, axis=-1)
        return np.ascontiguousarray(np.moveaxis(pooled, -1, self.axis))

    def backward(self, gy):
        moved = np.moveaxis(gy, self.axis, -1)
        if self.mode == "average":
            gx = moved @ self.matrix
        else:
            gx = np.zeros((*moved.shape[:-1], self.size), dtype=gy.dtype)
            # Windows may share an entry, so each output adds its gradient in turn.
            for i in range(self.output_size):
                index = self.argmax[..., i : i + 1]
                gradient = np.take_along_axis(gx, index, axis=-1) + moved[..., i : i + 1]
                np.put_along_axis(gx, index, gradient, axis=-1)
        return (np.ascontiguousarray(np.moveaxis(gx, -1, self.axis)),)


def _adaptive_pool(x, output_size, data_format, mode):
    x = x if isinstance(x, Tensor) else Tensor._wrap(to_array(x), None, 0)
    if mode == "average" and x.data.dtype.kind not in "fc":
        # As Keras: integers average to floatx() (an integer matrix product would give
        # zeros), and bools raise (there is no bool mean).
        if x.data.dtype == bool:
            raise TypeError(
                "adaptive_average_pool: inputs must be numbers, not bool. Cast them first."
            )
        x = cast(x, config.floatx())
    spatial = x.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(
            f"adaptive pooling needs inputs of rank 3, 4 or 5 (batch, spatial axes, channels). "
            f"Received input shape {tuple(x.shape)}."
        )
    if isinstance(output_size, int):
        output_size = (output_size,) * spatial
    output_size = tuple(output_size)
    if len(output_size) != spatial or not all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in output_size
    ):
        raise ValueError(
            f"adaptive pooling: `output_size` must be {spatial} positive integer(s) for input "
            f"shape {tuple(x.shape)}. Received output_size={output_size!r}."
        )
    if data_format is None:
        data_format = config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "adaptive pooling: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received data_format={data_format!r}."
        )
    first = 1 if data_format == "channels_last" else 2
    for offset, size in enumerate(output_size):
        x = AdaptivePoolAxis(first + offset, size, mode)(x)
    return x


@op
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Averages adaptive windows so each spatial axis gets the size in `output_size`.

    Args:
        inputs: a tensor `(batch, *spatial, channels)` (or channels first), 1 to 3 spatial axes.
        output_size: an int (every spatial axis) or one int per spatial axis.
        data_format: "channels_last" or "channels_first" (None: `config.image_data_format()`).

    Example:
        >>> adaptive_average_pool(np.arange(5.0).reshape(1, 5, 1), 2).numpy().ravel()
        array([1., 3.], dtype=float32)
    """
    return _adaptive_pool(inputs, output_size, data_format, "average")


@op
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Takes the maximum of adaptive windows so each spatial axis gets `output_size`.

    Args:
        inputs: a tensor `(batch, *spatial, channels)` (or channels first), 1 to 3 spatial axes.
        output_size: an int (every spatial axis) or one int per spatial axis.
        data_format: "channels_last" or "channels_first" (None: `config.image_data_format()`).

    Example:
        >>> adaptive_max_pool(np.arange(5.0).reshape(1, 5, 1), 2).numpy().ravel()
        array([2., 4.], dtype=float32)
    """
    return _adaptive_pool(inputs, output_size, data_format, "max")
