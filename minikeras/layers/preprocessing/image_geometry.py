"""Deterministic pieces shared by the geometric and mixing image layers.

Rectangle masks (CutMix, RandomErasing), Gaussian blur (RandomGaussianBlur,
RandomElasticTransform), homographies (RandomPerspective) and resampling at any
coordinates (RandomPerspective, RandomElasticTransform), each computed in float32 as Keras
on JAX computes it.
"""

import numpy as np

from minikeras import ops
from minikeras.ops.affine import AffineTransform


def box_masks(images_shape, x0, x1, y0, y1, data_format):
    """Boolean masks, True on the pixels with `x0 <= column < x1` and `y0 <= row < y1`.

    Args:
        images_shape: the shape of the images (rank 3 or 4).
        x0, x1, y0, y1: `(batch,)` float corners of one box per image.
        data_format: "channels_last" or "channels_first".

    Returns:
        A `(batch, height, width, channels)` (or channels first) numpy bool array.
    """
    if data_format == "channels_last":
        height, width, channels = images_shape[-3], images_shape[-2], images_shape[-1]
    else:
        channels, height, width = images_shape[-3], images_shape[-2], images_shape[-1]
    rows = np.arange(height, dtype=np.float32)[None, :, None]
    cols = np.arange(width, dtype=np.float32)[None, None, :]

    def column(value):
        return np.asarray(value, np.float32).reshape(-1, 1, 1)

    masks = (cols >= column(x0)) & (cols < column(x1)) & (rows >= column(y0)) & (rows < column(y1))
    axis = 3 if data_format == "channels_last" else 1
    return np.repeat(np.expand_dims(masks, axis), channels, axis=axis)


def crop_bounds(uniform_draws, length, ratio):
    """`(start, end)` of boxes `ratio * length` long starting at `draw * (length - size)`."""
    size = (np.asarray(ratio, np.float32) * np.float32(length)).astype(np.float32)
    start = np.asarray(uniform_draws, np.float32) * (np.float32(length) - size)
    return start, start + size


def gaussian_kernel(size, sigma):
    """The normalised 1D Gaussian of `size` taps (float32, as Keras)."""
    x = np.arange(size, dtype=np.float32) - np.float32((size - 1) / 2)
    kernel = np.exp(np.float32(-0.5) * (x / np.float32(sigma)) ** 2)
    return (kernel / np.sum(kernel)).astype(np.float32)


def _blur_matrix(length, kernel):
    """`(length, length)` matrix of a "same" convolution with zero padding along one axis."""
    half = (len(kernel) - 1) // 2
    offsets = np.arange(length)[None, :] - np.arange(length)[:, None] + half
    inside = (offsets >= 0) & (offsets < len(kernel))
    return np.where(inside, kernel[np.clip(offsets, 0, len(kernel) - 1)], 0).astype(np.float32)


def gaussian_blur(images, kernel_size, sigma, data_format):
    """Blurs a batch of images with a separable Gaussian, zeros beyond the border.

    As Keras's `ops.image.gaussian_blur`: `kernel_size = (kx, ky)` and `sigma = (sx, sy)`
    give the kernel along the width from `kx, sx` and along the height from `ky, sy`. The
    2D kernel is the outer product of the two, so the blur is one contraction per axis.
    """
    row_matrix = _blur_matrix(
        images.shape[-3 if data_format == "channels_last" else -2],
        gaussian_kernel(kernel_size[1], sigma[1]),
    )
    col_matrix = _blur_matrix(
        images.shape[-2 if data_format == "channels_last" else -1],
        gaussian_kernel(kernel_size[0], sigma[0]),
    )
    if data_format == "channels_last":
        images = ops.einsum("bhwc,Hh->bHwc", images, row_matrix)
        return ops.einsum("bhwc,Ww->bhWc", images, col_matrix)
    images = ops.einsum("bchw,Hh->bcHw", images, row_matrix)
    return ops.einsum("bchw,Ww->bchW", images, col_matrix)


def homographies(start_points, end_points):
    """`(batch, 8)` projective transforms taking each `end_points` corner to its
    `start_points` one (four `(x, y)` corners per image), solved in float32 as Keras."""
    start = np.asarray(start_points, np.float32)
    end = np.asarray(end_points, np.float32)
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = np.zeros_like(ex), np.ones_like(ex)
    x_rows = np.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = np.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    matrix = np.concatenate([x_rows, y_rows], axis=1)
    target = np.concatenate([sx, sy], axis=-1)[..., None]
    return np.linalg.solve(matrix, target)[..., 0].astype(np.float32)


def projective_coordinates(transforms, height, width):
    """`(y, x)` each `(batch, height, width)`: where each output pixel reads the input."""
    t = np.asarray(transforms, np.float32)[:, :, None, None]
    cols = np.arange(width, dtype=np.float32)[None, None, :]
    rows = np.arange(height, dtype=np.float32)[None, :, None]
    denominator = t[:, 6] * cols + t[:, 7] * rows + np.float32(1.0)
    x = (t[:, 0] * cols + t[:, 1] * rows + t[:, 2]) / denominator
    y = (t[:, 3] * cols + t[:, 4] * rows + t[:, 5]) / denominator
    return y, x


class _Resample(AffineTransform):
    """`AffineTransform` reading at given coordinates instead of affinely mapped ones."""

    def __init__(self, y, x, interpolation, fill_mode, fill_value):
        super().__init__(None, interpolation, fill_mode, fill_value)
        self.y, self.x = y, x

    def _coordinates(self, shape):
        return self.y, self.x


def resample(images, y, x, interpolation, fill_mode, fill_value, data_format):
    """A batch of images read at rows `y` and columns `x` (`(batch, height, width)` each),
    interpolated and filled as `ops.image.affine_transform` does; differentiable in
    `images`."""
    y = np.broadcast_to(np.asarray(y, np.float32), (images.shape[0],) + np.shape(y)[-2:])
    x = np.broadcast_to(np.asarray(x, np.float32), y.shape)
    if data_format == "channels_first":
        images = ops.transpose(images, (0, 2, 3, 1))
    outputs = _Resample(y, x, interpolation, fill_mode, fill_value)(images)
    if data_format == "channels_first":
        outputs = ops.transpose(outputs, (0, 3, 1, 2))
    return outputs
