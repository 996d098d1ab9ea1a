"""Argument checks and output-shape arithmetic shared by the convolution and pooling layers.

The shape functions accept `None` for unknown sizes (batch or spatial), so layers can be
called on `keras.Input((None, None, 3))`: an unknown input size gives an unknown output size.
"""

# The layers reach these shared checks through this module, as in Keras.
from minikeras.layers._validation import (  # noqa: F401
    int_tuple,
    is_integer,
    standardize_data_format,
)

# Keras's name for an int-or-tuple argument check.
standardize_tuple = int_tuple


def standardize_padding(value, allow_causal=False):
    """Returns the lowercase padding name, or raises listing the valid names."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {list(allowed)}. Received padding={value!r}."
        )
    return padding


def channel_axis(data_format):
    """Index of the channels axis: -1 for channels_last, 1 for channels_first."""
    return -1 if data_format == "channels_last" else 1


def spatial_dims(input_shape, data_format):
    """The spatial sizes of `input_shape` (a tuple, `None` for unknown)."""
    shape = tuple(input_shape)
    return shape[1:-1] if data_format == "channels_last" else shape[2:]


def with_spatial(input_shape, spatial, channels, data_format):
    """Assembles `(batch, *spatial, channels)` (or channels first) for `data_format`."""
    batch = input_shape[0]
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


def _check_rank(input_shape, rank, layer_name):
    if len(tuple(input_shape)) != rank + 2:
        raise ValueError(
            f'Layer "{layer_name}" expects inputs of rank {rank + 2} (batch, {rank} spatial '
            f"dimension(s) and channels), but received input shape {tuple(input_shape)}."
        )


def conv_output_size(size, kernel, stride, padding, dilation):
    """Length of one spatial axis after a convolution or a pooling window."""
    if size is None:
        return None
    if padding == "valid":
        return (size - dilation * (kernel - 1) - 1) // stride + 1
    # "same" and "causal" keep ceil(size / stride) positions.
    return (size - 1) // stride + 1


def conv_output_shape(
    input_shape, filters, kernel_size, strides, padding, data_format, dilation_rate, layer_name
):
    """Output shape of a convolution (or pooling when `filters` is the input channels).

    Raises ValueError naming the layer when a known spatial size would become <= 0.
    """
    rank = len(kernel_size)
    _check_rank(input_shape, rank, layer_name)
    spatial = spatial_dims(input_shape, data_format)
    output = tuple(
        conv_output_size(size, k, s, padding, d)
        for size, k, s, d in zip(spatial, kernel_size, strides, dilation_rate)
    )
    if any(size is not None and size <= 0 for size in output):
        raise ValueError(
            f'Layer "{layer_name}": the output would have zero or negative size {output} for '
            f"input shape {tuple(input_shape)}, kernel/pool size {kernel_size}, "
            f"strides={strides}, dilation_rate={dilation_rate}, padding={padding!r}."
        )
    return with_spatial(input_shape, output, filters, data_format)


def conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation):
    """Length of one spatial axis after a transposed convolution (Keras/TensorFlow rule)."""
    if size is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel, stride) - kernel
        return (size - 1) * stride + kernel + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + kernel % 2 + output_padding


def conv_transpose_output_shape(
    input_shape, filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate
):
    """Output shape of a transposed convolution; `output_padding` may be None."""
    paddings = output_padding or (None,) * len(kernel_size)
    spatial = spatial_dims(input_shape, data_format)
    output = tuple(
        conv_transpose_output_size(size, k, s, padding, p, d)
        for size, k, s, p, d in zip(spatial, kernel_size, strides, paddings, dilation_rate)
    )
    return with_spatial(input_shape, output, filters, data_format)
