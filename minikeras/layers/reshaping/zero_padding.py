"""`ZeroPadding1D/2D/3D`: add zeros around sequences, images and volumes."""

from minikeras import ops
from minikeras.layers._validation import before_after_pairs, int_tuple, standardize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class _ZeroPadding(Layer):
    """Pads the spatial axes of `(batch, *spatial, channels)` inputs (or channels first)."""

    _replayable = True  # see Layer._replayable

    rank = None

    def _spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return range(first, first + self.rank)

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(self._spatial_axes(), self.padding):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.padding):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class ZeroPadding1D(_ZeroPadding):
    """Pads a batch of sequences `(batch, steps, features)` with zeros along the steps.

    Args:
        padding: an int (both ends) or a pair `(before, after)`.
        data_format: "channels_last" (default) or "channels_first" (`(batch, features, steps)`).

    Example:
        >>> ZeroPadding1D((1, 2))(np.ones((2, 3, 4))).shape
        (2, 6, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "ZeroPadding1D")
        self.padding = (int_tuple(padding, 2, "padding", "ZeroPadding1D", allow_zero=True),)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding[0]
        return config


class ZeroPadding2D(_ZeroPadding):
    """Pads a batch of images with rows and columns of zeros.

    Args:
        padding: an int (all sides), a pair `(symmetric_height, symmetric_width)`, or
            `((top, bottom), (left, right))`.
        data_format: "channels_last" (`(batch, height, width, channels)`, the default) or
            "channels_first".

    Example:
        >>> ZeroPadding2D(((1, 0), (2, 2)))(np.ones((1, 3, 3, 1))).shape
        (1, 4, 7, 1)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "ZeroPadding2D")
        self.padding = before_after_pairs(padding, 2, "padding", "ZeroPadding2D")
        self.input_spec = InputSpec(ndim=4)


class ZeroPadding3D(_ZeroPadding):
    """Pads a batch of volumes `(batch, dim1, dim2, dim3, channels)` with zeros.

    Args:
        padding: an int (all sides), three ints (symmetric per axis), or three
            `(before, after)` pairs.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> ZeroPadding3D(((1, 0), 2, (0, 1)))(np.ones((1, 2, 2, 2, 3))).shape
        (1, 3, 6, 3, 3)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "ZeroPadding3D")
        self.padding = before_after_pairs(padding, 3, "padding", "ZeroPadding3D")
        self.input_spec = InputSpec(ndim=5)
