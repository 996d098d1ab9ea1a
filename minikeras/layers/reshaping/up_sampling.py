"""`UpSampling1D/2D/3D`: enlarge sequences, images and volumes by repeating entries."""

from minikeras import ops
from minikeras.layers._image import resize_bilinear, resize_with_kernel
from minikeras.layers._validation import int_tuple, standardize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class UpSampling1D(Layer):
    """Repeats each step `size` times: `(batch, steps, f)` -> `(batch, steps * size, f)`.

    Args:
        size: the upsampling factor (a positive integer, 2 by default).

    Example:
        >>> UpSampling1D(2)(np.ones((1, 3, 4))).shape
        (1, 6, 4)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"UpSampling1D: `size` must be an integer, got {type(size).__name__}.")
        if size <= 0:
            raise ValueError(
                f"UpSampling1D: `size` must be a positive integer. Received size={size}."
            )
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(Layer):
    """Enlarges images by `size` along height and width.

    Args:
        size: an int or a pair `(height_factor, width_factor)` (2 by default).
        data_format: "channels_last" (default) or "channels_first".
        interpolation: "nearest" (repeat each pixel, the default), "bilinear", "bicubic",
            "lanczos3" or "lanczos5" (half-pixel centres, no antialiasing, as Keras's
            `ops.image.resize` on JAX).

    Example:
        >>> UpSampling2D((1, 2))(np.ones((2, 2, 1, 3))).shape
        (2, 2, 2, 3)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "UpSampling2D")
        self.size = int_tuple(size, 2, "size", "UpSampling2D")
        interpolation = str(interpolation).lower()
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: `interpolation` must be one of {list(_INTERPOLATIONS)}. "
                f"Received interpolation={interpolation!r}."
            )
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def _spatial_axes(self):
        return (1, 2) if self.data_format == "channels_last" else (2, 3)

    def call(self, inputs):
        h_axis, w_axis = self._spatial_axes()
        if self.interpolation == "nearest":
            outputs = inputs
            if self.size[0] != 1:
                outputs = ops.repeat(outputs, self.size[0], axis=h_axis)
            if self.size[1] != 1:
                outputs = ops.repeat(outputs, self.size[1], axis=w_axis)
            return outputs
        height = inputs.shape[h_axis] * self.size[0]
        width = inputs.shape[w_axis] * self.size[1]
        if self.interpolation == "bilinear":
            return resize_bilinear(inputs, height, width, self.data_format)
        return resize_with_kernel(inputs, height, width, self.interpolation, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "size": self.size,
                "data_format": self.data_format,
                "interpolation": self.interpolation,
            }
        )
        return config


class UpSampling3D(Layer):
    """Repeats each voxel `size` times along the three spatial axes.

    Args:
        size: an int or three ints `(dim1, dim2, dim3)` (2 by default).
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> UpSampling3D((2, 1, 3))(np.ones((1, 2, 2, 2, 4))).shape
        (1, 4, 2, 6, 4)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, "UpSampling3D")
        self.size = int_tuple(size, 3, "size", "UpSampling3D")
        self.input_spec = InputSpec(ndim=5)

    def _spatial_axes(self):
        return (1, 2, 3) if self.data_format == "channels_last" else (2, 3, 4)

    def call(self, inputs):
        outputs = inputs
        for axis, factor in zip(self._spatial_axes(), self.size):
            if factor != 1:
                outputs = ops.repeat(outputs, factor, axis=axis)
        return outputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
