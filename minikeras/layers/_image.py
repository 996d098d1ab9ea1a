"""Image helpers shared by the image layers: resizing, cropping, rank and size checks.

Bilinear resizing samples the input at the output pixel centres mapped back to the input
(`(i + 0.5) * in / out - 0.5`, "half-pixel centres") and mixes the two nearest input
pixels on each axis; samples beyond the border use the border pixel. This is what Keras
(`ops.image.resize(..., "bilinear", antialias=False)`, i.e. `jax.image.resize`) computes.
Each axis is one small interpolation matrix, so the resize is two differentiable
contractions. Nearest resizing picks the input pixel under each output pixel centre,
`floor((i + 0.5) * in / out)`, as `jax.image.resize(..., "nearest")` does.
"""

import numpy as np

from minikeras import config, ops
from minikeras.ops.image import resize_weights  # `ops.image.resize`'s kernels, as JAX's


def _interpolation_matrix(in_size, out_size, dtype):
    """`(out_size, in_size)` weights of bilinear sampling with half-pixel centres."""
    position = (np.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    position = np.clip(position, 0, in_size - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, in_size - 1)
    fraction = position - lower
    matrix = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, lower), 1.0 - fraction)
    np.add.at(matrix, (rows, upper), fraction)
    return matrix.astype(dtype)


def resize_bilinear(images, height, width, data_format="channels_last"):
    """Resizes a batch of images `(batch, h, w, c)` (or channels first) to `(height, width)`."""
    images = ops.convert_to_tensor(images)
    if not images.dtype.startswith("float"):
        images = ops.cast(images, config.floatx())  # interpolated values are fractions
    h_axis, w_axis = (1, 2) if data_format == "channels_last" else (2, 3)
    in_height, in_width = images.shape[h_axis], images.shape[w_axis]
    dtype = images.dtype
    if (in_height, in_width) == (height, width):
        return images
    if data_format == "channels_last":
        rows, cols = "bhwc,Hh->bHwc", "bHwc,Ww->bHWc"
    else:
        rows, cols = "bchw,Hh->bcHw", "bcHw,Ww->bcHW"
    if in_height != height:
        images = ops.einsum(rows, images, _interpolation_matrix(in_height, height, dtype))
    if in_width != width:
        images = ops.einsum(cols, images, _interpolation_matrix(in_width, width, dtype))
    return images


def resize_with_kernel(images, height, width, method, data_format="channels_last"):
    """Resizes images with the "bicubic", "lanczos3" or "lanczos5" kernel (no antialiasing)."""
    h_axis, w_axis = (1, 2) if data_format == "channels_last" else (2, 3)
    in_height, in_width = images.shape[h_axis], images.shape[w_axis]
    if data_format == "channels_last":
        rows, cols = "bhwc,Hh->bHwc", "bHwc,Ww->bHWc"
    else:
        rows, cols = "bchw,Hh->bcHw", "bcHw,Ww->bcHW"
    if in_height != height:
        matrix = resize_weights(in_height, height, method, dtype=images.dtype)
        images = ops.einsum(rows, images, matrix)
    if in_width != width:
        images = ops.einsum(
            cols, images, resize_weights(in_width, width, method, dtype=images.dtype)
        )
    return images


def crop(images, top, left, height, width, data_format="channels_last"):
    """The `height x width` window of a batch of images starting at `(top, left)`."""
    if data_format == "channels_last":
        return images[:, top : top + height, left : left + width, :]
    return images[:, :, top : top + height, left : left + width]


def resize_nearest(images, height, width, data_format="channels_last"):
    """Resizes a batch of images to `(height, width)` by picking the nearest pixels."""
    images = ops.convert_to_tensor(images)
    h_axis, w_axis = (1, 2) if data_format == "channels_last" else (2, 3)
    for axis, size in ((h_axis, height), (w_axis, width)):
        in_size = images.shape[axis]
        if in_size != size:
            index = np.floor((np.arange(size) + 0.5) * (in_size / size)).astype(np.int64)
            images = ops.take(images, np.minimum(index, in_size - 1), axis=axis)
    return images


def centered_window(in_height, in_width, height, width):
    """The largest centred window with the aspect ratio of `height x width`.

    Returns `(top, left, window_height, window_width)`, computed as Keras does.
    """
    window_height = max(min(in_height, int(in_width * height / width)), 1)
    window_width = max(min(in_width, int(in_height * width / height)), 1)
    top = int((in_height - window_height) / 2)
    left = int((in_width - window_width) / 2)
    return top, left, window_height, window_width


def check_image_size(value, name, layer_name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer_name}: `{name}` must be a positive integer. Received {value!r}.")
    return value


def images_and_labels(layer, data, call, **kwargs):
    """`{"images", "labels"}` in and out, as Keras's image layers: the images through
    `call(images, **kwargs)`, the labels unchanged; bounding boxes and masks are refused."""
    if "images" not in data or set(data) - {"images", "labels"}:
        raise ValueError(
            f"{type(layer).__name__}: dict inputs take the keys 'images' and 'labels' "
            f"(bounding boxes and segmentation masks are not supported). "
            f"Received keys: {list(data)}"
        )
    outputs = dict(data)
    outputs["images"] = call(data["images"], **kwargs)
    return outputs


def image_batch(layer, inputs):
    """`(images, single)`: a rank-3 image gets a batch axis; other ranks are refused."""
    if isinstance(inputs, dict):
        raise ValueError(
            f"{type(layer).__name__}: dict inputs (bounding boxes, segmentation masks, "
            "labels) are not supported; pass the images only."
        )
    if inputs.ndim not in (3, 4):
        raise ValueError(
            f'Layer "{layer.name}": {type(layer).__name__} expects images of rank 4 (a batch) '
            f"or 3 (one image); received an input of shape {tuple(inputs.shape)}."
        )
    if inputs.dtype != layer.dtype:
        inputs = ops.cast(inputs, layer.dtype)
    return (inputs[None], True) if inputs.ndim == 3 else (inputs, False)


def image_output_shape(layer, input_shape):
    """`input_shape` with the height and width replaced by the layer's."""
    shape = list(input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f'Layer "{layer.name}": {type(layer).__name__} expects images of rank 4 or 3, got '
            f"input shape {tuple(input_shape)}."
        )
    offset = 3 if layer.data_format == "channels_last" else 2
    shape[len(shape) - offset] = layer.height
    shape[len(shape) - offset + 1] = layer.width
    return tuple(shape)
