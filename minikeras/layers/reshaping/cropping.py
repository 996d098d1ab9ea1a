"""`Cropping1D`, `Cropping2D` and `Cropping3D`: remove entries at the borders of sequences,
images and volumes."""

from minikeras.layers._validation import before_after_pairs, int_tuple, standardize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class _Cropping(Layer):
    """Crops the spatial axes of `(batch, *spatial, channels)` inputs (or channels first)."""

    _replayable = True  # see Layer._replayable

    rank = None

    def _spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return range(first, first + self.rank)

    def _check(self, shape):
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            if shape[axis] is not None and before + after >= shape[axis]:
                raise ValueError(
                    f'Layer "{self.name}": cropping {self.cropping} removes everything from an '
                    f"input of shape {tuple(shape)}; it must be smaller than the spatial sizes."
                )

    def call(self, inputs):
        self._check(inputs.shape)
        key = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            key[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes(), self.cropping):
            if shape[axis] is not None:
                shape[axis] -= before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        return config


class Cropping1D(_Cropping):
    """Crops a batch of sequences `(batch, steps, features)` along the steps.

    Args:
        cropping: an int (both ends) or a pair `(start, end)` of steps to remove.

    Example:
        >>> Cropping1D((1, 2))(np.ones((2, 6, 4))).shape
        (2, 3, 4)
    """

    rank = 1
    data_format = "channels_last"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = (int_tuple(cropping, 2, "cropping", "Cropping1D", allow_zero=True),)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping[0]
        return config


class Cropping2D(_Cropping):
    """Crops a batch of images along height and width.

    Args:
        cropping: an int (all sides), a pair `(symmetric_height, symmetric_width)`, or
            `((top, bottom), (left, right))`.
        data_format: "channels_last" (`(batch, height, width, channels)`, the default) or
            "channels_first".

    Example:
        >>> Cropping2D(((2, 2), (4, 4)))(np.ones((2, 28, 28, 3))).shape
        (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "Cropping2D")
        self.cropping = before_after_pairs(cropping, 2, "cropping", "Cropping2D")
        self.input_spec = InputSpec(ndim=4)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Cropping3D(_Cropping):
    """Crops a batch of volumes `(batch, dim1, dim2, dim3, channels)` along the three
    spatial axes.

    Args:
        cropping: an int (all sides), three ints (symmetric per axis), or three
            `(before, after)` pairs.
        data_format: "channels_last" (default) or "channels_first"
            (`(batch, channels, dim1, dim2, dim3)`).

    Example:
        >>> Cropping3D(((1, 1), (2, 2), (0, 1)))(np.ones((2, 4, 6, 3, 5))).shape
        (2, 2, 2, 2, 5)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "Cropping3D")
        self.cropping = before_after_pairs(cropping, 3, "cropping", "Cropping3D")
        self.input_spec = InputSpec(ndim=5)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
