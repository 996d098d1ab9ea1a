"""Colour-space conversions and `affine_transform` of `keras.ops.image` (the other image
ops are not here yet).

Images are `(height, width, channels)` or batched `(batch, height, width, channels)`
(`data_format="channels_first"` puts channels before height). The conversions are written
with differentiable ops, so gradients flow through them.
"""

import numpy as np

from minikeras import config
from minikeras.ops._arguments import _float_tensor, _tensor
from minikeras.ops.affine import affine_transform
from minikeras.ops.numpy import (
    abs,  # noqa: A004 (the op of the same name)
    clip,
    concatenate,
    expand_dims,
    maximum,
    minimum,
    mod,
    moveaxis,
    multiply,
    subtract,
    tensordot,
    where,
)
from minikeras.ops.symbolic import op

__all__ = ["affine_transform", "hsv_to_rgb", "rgb_to_grayscale", "rgb_to_hsv"]


def _channels_axis(images, data_format, name, channels=(3,)):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{name}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{name}: expected rank 3 (single image) or rank 4 (batch of images), got shape "
            f"{images.shape}."
        )
    axis = images.ndim - 1 if data_format == "channels_last" else images.ndim - 3
    if images.shape[axis] not in channels:
        raise ValueError(
            f"{name}: expected {' or '.join(map(str, channels))} channels on axis {axis}, got "
            f"shape {images.shape}."
        )
    return axis


def _planes(images, axis):
    moved = moveaxis(images, axis, -1)
    return moved[..., 0], moved[..., 1], moved[..., 2]


def _join(planes, axis):
    return concatenate([expand_dims(p, axis) for p in planes], axis=axis)


@op
def rgb_to_grayscale(images, data_format=None):
    """Luma `0.2989 R + 0.5870 G + 0.1140 B` as one channel (a grayscale image is copied)."""
    images = _tensor(images)
    axis = _channels_axis(images, data_format, "rgb_to_grayscale", channels=(1, 3))
    if images.shape[axis] == 1:
        return images * 1
    original = images.data.dtype
    x = _float_tensor(images)
    weights = np.array([0.2989, 0.5870, 0.1140], x.data.dtype)
    gray = expand_dims(tensordot(x, weights, axes=([axis], [0])), axis)
    return gray if original.kind == "f" else _float_tensor(gray.data.astype(original))


@op
def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to hue, saturation, value (each in [0, 1]), float images only."""
    images = _tensor(images)
    if images.data.dtype.kind != "f":
        raise ValueError(f"rgb_to_hsv: expected float images, got dtype {images.data.dtype}.")
    axis = _channels_axis(images, data_format, "rgb_to_hsv")
    eps = np.finfo(images.data.dtype).eps
    images = where(np.abs(images.data) < eps, 0.0, images)
    red, green, blue = _planes(images, axis)
    value = maximum(maximum(red, green), blue)
    spread = subtract(value, minimum(minimum(red, green), blue))
    has_value, has_spread = value.data > 0, spread.data > 0
    saturation = where(has_value, spread / where(has_value, value, 1.0), 0.0)
    scale = 1.0 / multiply(where(has_spread, spread, 1.0), 6.0)
    hue = where(
        value.data == green.data,
        scale * (blue - red) + 2.0 / 6.0,
        scale * (red - green) + 4.0 / 6.0,
    )
    hue = where(value.data == red.data, scale * (green - blue), hue)
    hue = where(has_spread, hue, 0.0) + (hue.data < 0).astype(hue.data.dtype)
    return _join([hue, saturation, value], axis)


@op
def hsv_to_rgb(images, data_format=None):
    """Hue, saturation, value in [0, 1] to RGB, float images only."""
    images = _tensor(images)
    if images.data.dtype.kind != "f":
        raise ValueError(f"hsv_to_rgb: expected float images, got dtype {images.data.dtype}.")
    axis = _channels_axis(images, data_format, "hsv_to_rgb")
    hue, saturation, value = _planes(images, axis)
    sector = multiply(mod(hue, 1.0), 6.0)
    red_share = clip(abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green_share = clip(2.0 - abs(sector - 2.0), 0.0, 1.0)
    blue_share = clip(2.0 - abs(sector - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    return _join(
        [value * (grey + saturation * share) for share in (red_share, green_share, blue_share)],
        axis,
    )
