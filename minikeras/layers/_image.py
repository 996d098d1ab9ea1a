"""Image helpers shared by UpSampling2D and RandomCrop: bilinear resizing and cropping.

Bilinear resizing samples the input at the output pixel centres mapped back to the input
(`(i + 0.5) * in / out - 0.5`, "half-pixel centres") and mixes the two nearest input
pixels on each axis; samples beyond the border use the border pixel. This is what Keras
(`ops.image.resize(..., "bilinear", antialias=False)`, i.e. `jax.image.resize`) computes.
Each axis is one small interpolation matrix, so the resize is two differentiable
contractions.
"""

import numpy as np

from minikeras import ops


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


def crop(images, top, left, height, width, data_format="channels_last"):
    """The `height x width` window of a batch of images starting at `(top, left)`."""
    if data_format == "channels_last":
        return images[:, top : top + height, left : left + width, :]
    return images[:, :, top : top + height, left : left + width]
