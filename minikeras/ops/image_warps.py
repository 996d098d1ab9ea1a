"""`ops.image.gaussian_blur` and `perspective_transform`, and the elastic warp of
RandomElasticTransform given its noise field, computed in float32 as Keras on JAX does.

- The Gaussian blur is separable: the 2D kernel is the outer product of a 1D kernel along
  the height and one along the width, so it is one contraction per axis with a banded
  matrix. Beyond the border the image counts as zeros (Keras's "same" convolution), so
  border pixels darken.
- The perspective transform reads each output pixel `(x, y)` at
  `((a0 x + a1 y + a2) / d, (b0 x + b1 y + b2) / d)`, `d = c0 x + c1 y + 1`, the
  homography taking the `end_points` corners to the `start_points` ones; points outside
  are `fill_value`.
- The elastic warp moves each pixel by `alpha` times a normal noise field scaled by
  `sigma` and blurred with a Gaussian of width `sigma`. Keras draws the row and the column
  displacement with the same seed, so they are one field: pixels move along the diagonal.
  (`ops.image.elastic_transform`, which draws the field itself, is not here: ops sit left
  of `random` in the reading order.)

The resampling is `affine_transform`'s primitive reading at other coordinates, so the
images get a gradient (the points and the noise do not, as in Keras).
"""

import numpy as np

from minikeras import config
from minikeras.ops._arguments import _tensor
from minikeras.ops.affine import INTERPOLATIONS, AffineTransform
from minikeras.ops.numpy import einsum, transpose
from minikeras.ops.symbolic import KerasTensor, op


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected one of {list(choices)}. "
            f"Received: {name}={value!r}"
        )


def _check_images(images):
    images = _tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={tuple(images.shape)}"
        )
    return images


def _data_format(data_format, name):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{name}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


# -- Gaussian blur ---------------------------------------------------------------------------
def gaussian_kernel(size, sigma):
    """The normalised 1D Gaussian of `size` taps, float32."""
    x = np.arange(size, dtype=np.float32) - np.float32((size - 1) / 2)
    kernel = np.exp(np.float32(-0.5) * (x / np.float32(sigma)) ** 2)
    return (kernel / np.sum(kernel)).astype(np.float32)


def _blur_matrix(length, kernel):
    """`(length, length)`: a "same" convolution with zero padding along one axis."""
    half = (len(kernel) - 1) // 2
    offsets = np.arange(length)[None, :] - np.arange(length)[:, None] + half
    inside = (offsets >= 0) & (offsets < len(kernel))
    return np.where(inside, kernel[np.clip(offsets, 0, len(kernel) - 1)], 0).astype(np.float32)


def blur(images, kernel_size, sigma, data_format):
    """`gaussian_blur` of a batch (rank 4), arguments already checked."""
    height_axis = 1 if data_format == "channels_last" else 2
    rows = _blur_matrix(images.shape[height_axis], gaussian_kernel(kernel_size[1], sigma[1]))
    cols = _blur_matrix(images.shape[height_axis + 1], gaussian_kernel(kernel_size[0], sigma[0]))
    if data_format == "channels_last":
        images = einsum("bhwc,Hh->bHwc", images, rows.astype(images.dtype))
        return einsum("bhwc,Ww->bhWc", images, cols.astype(images.dtype))
    images = einsum("bchw,Hh->bcHw", images, rows.astype(images.dtype))
    return einsum("bchw,Ww->bchW", images, cols.astype(images.dtype))


def _pair(value, name):
    pair = np.ravel(np.asarray(getattr(value, "data", value), dtype=np.float64))
    if pair.size == 1:
        pair = np.repeat(pair, 2)
    if pair.size != 2:
        raise ValueError(f"gaussian_blur: `{name}` must be one or two numbers. Received: {value!r}")
    return pair


@op
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs an image or a batch of images with a Gaussian kernel (zeros beyond the border).

    Args:
        images: `(height, width, channels)` or `(batch, height, width, channels)`
            (channels before height with `data_format="channels_first"`).
        kernel_size: `(kx, ky)`: taps along the width and along the height.
        sigma: `(sx, sy)`: standard deviations along the width and along the height.
        data_format: "channels_last" or "channels_first"; default
            `keras.config.image_data_format()`.

    Returns:
        The blurred images, the same shape.

    Example:
        >>> x = np.zeros((5, 5, 1), "float32"); x[2, 2] = 1
        >>> round(float(gaussian_blur(x, (3, 3), (1.0, 1.0))[2, 2, 0]), 4)
        0.2042
    """
    images = _check_images(images)
    data_format = _data_format(data_format, "gaussian_blur")
    sizes = _pair(kernel_size, "kernel_size")
    if np.any(sizes < 1) or np.any(sizes != np.round(sizes)):
        raise ValueError(
            f"gaussian_blur: `kernel_size` must be positive integers. Received: {kernel_size!r}"
        )
    sizes = tuple(int(k) for k in sizes)
    sigmas = _pair(sigma, "sigma").astype(np.float32)
    single = images.ndim == 3
    outputs = blur(images[None] if single else images, sizes, sigmas, data_format)
    return outputs[0] if single else outputs


# -- resampling at given coordinates ---------------------------------------------------------
class _Resample(AffineTransform):
    """`AffineTransform` reading at given coordinates instead of affinely mapped ones."""

    def __init__(self, y, x, interpolation, fill_mode, fill_value):
        super().__init__(None, interpolation, fill_mode, fill_value)
        self.y, self.x = y, x

    def _coordinates(self, shape):
        return self.y, self.x


def resample(images, y, x, interpolation, fill_mode, fill_value, data_format):
    """A batch of images read at rows `y` and columns `x` (`(batch, height, width)` each),
    interpolated and filled as `affine_transform` does; differentiable in `images`."""
    y = np.broadcast_to(np.asarray(y, np.float32), (images.shape[0],) + np.shape(y)[-2:])
    x = np.broadcast_to(np.asarray(x, np.float32), y.shape)
    if data_format == "channels_first":
        images = transpose(images, (0, 2, 3, 1))
    outputs = _Resample(y, x, interpolation, fill_mode, fill_value)(images)
    if data_format == "channels_first":
        outputs = transpose(outputs, (0, 3, 1, 2))
    return outputs


# -- perspective -----------------------------------------------------------------------------
def homographies(start_points, end_points):
    """`(batch, 8)` float32 transforms taking each `end_points` corner to its `start_points`
    one (four `(x, y)` corners per image), solved in float32 as Keras."""
    start = np.asarray(getattr(start_points, "data", start_points), np.float32)
    end = np.asarray(getattr(end_points, "data", end_points), np.float32)
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = np.zeros_like(ex), np.ones_like(ex)
    x_rows = np.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = np.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    matrix = np.concatenate([x_rows, y_rows], axis=-2)
    target = np.concatenate([sx, sy], axis=-1)[..., None]
    try:
        return np.linalg.solve(matrix, target)[..., 0].astype(np.float32)
    except np.linalg.LinAlgError:
        # Keras's solve gives NaNs here, and so NaN images.
        raise ValueError(
            "perspective_transform: no homography maps `end_points` to `start_points` "
            "(the corners are degenerate, e.g. three of them on one line)."
        ) from None


def projective_coordinates(transforms, height, width):
    """`(y, x)` each `(batch, height, width)`: where each output pixel reads the input."""
    t = np.asarray(transforms, np.float32)[:, :, None, None]
    cols = np.arange(width, dtype=np.float32)[None, None, :]
    rows = np.arange(height, dtype=np.float32)[None, :, None]
    denominator = t[:, 6] * cols + t[:, 7] * rows + np.float32(1.0)
    x = (t[:, 0] * cols + t[:, 1] * rows + t[:, 2]) / denominator
    y = (t[:, 3] * cols + t[:, 4] * rows + t[:, 5]) / denominator
    return y, x


def _check_points(points, name):
    shape = np.shape(getattr(points, "data", points))
    if len(shape) not in (2, 3) or tuple(shape[-2:]) != (4, 2):
        raise ValueError(
            f"Invalid {name} shape: expected (4, 2) for a single image or (N, 4, 2) for a "
            f"batch. Received shape: {tuple(shape)}"
        )
    return shape


def _perspective_transform_spec(fn, images, start_points, end_points, *args, **kwargs):
    """The images' shape: the points may be symbolic, so no probe solves for them."""
    if len(images.shape) not in (3, 4):
        _check_images(np.zeros([1 if d is None else d for d in images.shape]))  # raises
    _check_points(start_points, "start_points")
    _check_points(end_points, "end_points")
    return KerasTensor(tuple(images.shape), dtype=images.dtype)


@op(output_spec=_perspective_transform_spec)
def perspective_transform(
    images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None
):
    """Warps images so that the `start_points` corners move to the `end_points` ones.

    Args:
        images: `(height, width, channels)` or `(batch, height, width, channels)`
            (channels before height with `data_format="channels_first"`).
        start_points, end_points: four `(x, y)` corners, `(4, 2)` or one set per image
            `(batch, 4, 2)`.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value of points outside the image.
        data_format: "channels_last" or "channels_first"; default
            `keras.config.image_data_format()`.

    Returns:
        The warped images, the same shape.
    """
    _check_choice("interpolation", interpolation, INTERPOLATIONS)
    images = _check_images(images)
    data_format = _data_format(data_format, "perspective_transform")
    start_shape = _check_points(start_points, "start_points")
    end_shape = _check_points(end_points, "end_points")
    if start_shape != end_shape:
        raise ValueError(
            "start_points and end_points must have the same shape. Received "
            f"start_points.shape={tuple(start_shape)}, end_points.shape={tuple(end_shape)}"
        )
    single = images.ndim == 3
    batch = images[None] if single else images
    transforms = homographies(
        np.reshape(getattr(start_points, "data", start_points), (-1, 4, 2)),
        np.reshape(getattr(end_points, "data", end_points), (-1, 4, 2)),
    )
    height_axis = 1 if data_format == "channels_last" else 2
    y, x = projective_coordinates(
        transforms, batch.shape[height_axis], batch.shape[height_axis + 1]
    )
    outputs = resample(batch, y, x, interpolation, "constant", fill_value, data_format)
    return outputs[0] if single else outputs


# -- elastic ---------------------------------------------------------------------------------
def elastic_coordinates(noise, alpha, sigma, data_format):
    """`(y, x)` each `(batch, height, width)`: pixel positions moved by `alpha` times the
    noise field `(batch, height, width)` scaled by `sigma` and blurred with a Gaussian of
    width `sigma` (`int(6 * sigma) | 1` taps), as Keras derives them."""
    alpha, sigma = np.float32(alpha), np.float32(sigma)
    noise = np.asarray(noise, np.float32)
    _, height, width = noise.shape
    size = int(np.float32(6) * sigma) | 1
    field = _tensor((noise * sigma)[..., None])
    if data_format == "channels_first":
        field = transpose(field, (0, 3, 1, 2))
    field = blur(field, (size, size), (sigma, sigma), data_format)
    field = field.numpy().reshape(-1, height, width)
    rows = np.arange(height, dtype=np.float32)[None, :, None]
    cols = np.arange(width, dtype=np.float32)[None, None, :]
    return rows + alpha * field, cols + alpha * field


def elastic_warp(images, noise, alpha, sigma, interpolation, fill_mode, fill_value, data_format):
    """Keras's `ops.image.elastic_transform` of a batch given the noise field
    `(batch, height, width)` its seed draws."""
    y, x = elastic_coordinates(noise, alpha, sigma, data_format)
    return resample(images, y, x, interpolation, fill_mode, fill_value, data_format)
