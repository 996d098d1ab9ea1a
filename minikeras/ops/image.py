"""`keras.ops.image`: colour-space conversions, `resize`, `pad_images`, `crop_images`,
`affine_transform` and (from `ops/image_warps.py`) `gaussian_blur` and
`perspective_transform` (the other image ops are not here yet).

Images are `(height, width, channels)` or batched `(batch, height, width, channels)`
(`data_format="channels_first"` puts channels before height). The conversions are written
with differentiable ops, so gradients flow through them.

`resize` samples the input at the output pixel centres mapped back to the input
(`(i + 0.5) * in / out - 0.5`, "half-pixel centres"), as `jax.image.resize` (Keras on JAX)
does. Each axis is one small matrix of weights, so a resize is two differentiable
contractions: an output pixel weighs every input pixel by a kernel of their distance
(a triangle for "bilinear", Keys's cubic for "bicubic", Lanczos windows), and the weights
are divided by their sum, so near the border the taps that fall outside are made up by
the pixels inside. With `antialias=True` a downsampling kernel is stretched by the
downsampling factor, so every input pixel contributes. "nearest" picks the input pixel
under each output pixel centre.
"""

import numpy as np

from minikeras import config
from minikeras.ops._arguments import _float_tensor, _tensor
from minikeras.ops.affine import affine_transform
from minikeras.ops.core_more import saturate_cast
from minikeras.ops.image_warps import gaussian_blur, perspective_transform
from minikeras.ops.numpy import (
    abs,  # noqa: A004 (the op of the same name)
    clip,
    concatenate,
    einsum,
    expand_dims,
    full,
    maximum,
    minimum,
    mod,
    moveaxis,
    multiply,
    round,  # noqa: A004 (the op of the same name)
    subtract,
    take,
    tensordot,
    where,
)
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "affine_transform",
    "crop_images",
    "hsv_to_rgb",
    "pad_images",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
]
__all__ += ["gaussian_blur", "perspective_transform"]


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


# -- resize -------------------------------------------------------------------------------
def _triangle(x):
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x):
    """Keys's cubic convolution kernel with a = -0.5 (as `jax.image.resize(..., "cubic")`)."""
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi**2 * x**2)
        return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))

    return kernel


RESIZE_KERNELS = {
    "bilinear": _triangle,
    "bicubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
}
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def resize_weights(in_size, out_size, interpolation, antialias=False, dtype="float32"):
    """`(out_size, in_size)` weights of one axis of a resize (see the module docstring).

    Computed in float32 step by step as `jax.image.resize` does, so that integer images
    round the same way where a value lands near a half.
    """
    f32 = np.float32
    inverse_scale = f32(1.0 / (out_size / in_size))
    stretch = max(inverse_scale, f32(1.0)) if antialias else f32(1.0)
    position = (np.arange(out_size, dtype=f32) + f32(0.5)) * inverse_scale - f32(0.5)
    distance = np.abs(position[:, None] - np.arange(in_size, dtype=f32)[None, :]) / stretch
    with np.errstate(all="ignore"):
        weights = RESIZE_KERNELS[interpolation](distance).astype(f32)
    total = weights.sum(axis=1, keepdims=True, dtype=f32)
    small = np.abs(total) <= 1000 * np.finfo(f32).eps
    weights = np.where(small, f32(0.0), weights / np.where(total != 0, total, f32(1.0)))
    inside = (position >= -0.5) & (position <= f32(in_size) - f32(0.5))
    return np.where(inside[:, None], weights, f32(0.0)).astype(dtype)


def nearest_indices(in_size, out_size):
    """The input index under each output pixel centre, in float32 as `jax.image.resize`."""
    centres = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(in_size)
    index = np.floor(centres / np.float32(out_size)).astype(np.int64)
    return np.minimum(index, in_size - 1)


def _spatial_axes(images, data_format, name):
    """`(height_axis, width_axis, data_format)` of rank-3 or rank-4 images."""
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
    offset = 3 if data_format == "channels_last" else 2
    return images.ndim - offset, images.ndim - offset + 1, data_format


def _window(images, axes, top, left, height, width):
    index = [slice(None)] * images.ndim
    index[axes[0]] = slice(top, top + height)
    index[axes[1]] = slice(left, left + width)
    return images[tuple(index)]


def _pad_to_aspect_ratio(images, axes, target_height, target_width, fill_value):
    """Pads the short side evenly with `fill_value` to the target aspect ratio (as Keras)."""
    height, width = images.shape[axes[0]], images.shape[axes[1]]
    padded_height = max(height, int(float(width * target_height) / target_width))
    padded_width = max(width, int(float(height * target_width) / target_height))
    top = int(float(padded_height - height) / 2)
    left = int(float(padded_width - width) / 2)
    # Keras pads one side only (height first), by the same amount on both ends.
    axis, amount = (axes[0], top) if top > 0 else (axes[1], left)
    if amount <= 0:
        return images
    shape = list(images.shape)
    shape[axis] = amount
    band = full(shape, fill_value, dtype=images.dtype)
    return concatenate([band, images, band], axis=axis)


@op
def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Resizes images to `size = (height, width)` as `keras.ops.image.resize` (on JAX).

    Args:
        images: `(height, width, channels)` or a batch `(batch, height, width, channels)`
            (channels first with `data_format="channels_first"`).
        size: `(height, width)` of the output.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3", "lanczos5".
        antialias: stretch the kernel when downsampling (no effect on "nearest").
        crop_to_aspect_ratio: first cut the largest centred window with the target aspect
            ratio, so the images are not distorted.
        pad_to_aspect_ratio: first pad the short side evenly with `fill_value` instead.
        fill_mode: "constant" (the only mode, as in Keras).

    Returns:
        The resized images; integer images are rounded back to their dtype.
    """
    images = _tensor(images)
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"resize: `interpolation` must be one of {RESIZE_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' exists. Received: {fill_mode!r}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "resize: only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True."
        )
    if len(size) != 2:
        raise ValueError(
            f"resize: `size` must be a tuple of two elements (height, width). Received: {size}"
        )
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"resize: `size` must have positive height and width. Received: {size}")
    target_height, target_width = (int(value) for value in size)
    *axes, data_format = _spatial_axes(images, data_format, "resize")
    if crop_to_aspect_ratio:
        height, width = images.shape[axes[0]], images.shape[axes[1]]
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        top = int(float(height - crop_height) / 2)
        left = int(float(width - crop_width) / 2)
        images = _window(images, axes, top, left, crop_height, crop_width)
    elif pad_to_aspect_ratio:
        images = _pad_to_aspect_ratio(images, axes, target_height, target_width, fill_value)
    if interpolation == "nearest":
        for axis, size_out in zip(axes, (target_height, target_width), strict=True):
            if images.shape[axis] != size_out:
                images = take(images, nearest_indices(images.shape[axis], size_out), axis=axis)
        return images
    original = images.data.dtype
    x = _float_tensor(images)
    letters = "abcd"[: x.ndim]
    for axis, size_out in zip(axes, (target_height, target_width), strict=True):
        if x.shape[axis] == size_out:
            continue
        weights = resize_weights(x.shape[axis], size_out, interpolation, antialias, x.data.dtype)
        output = letters[:axis] + "z" + letters[axis + 1 :]
        x = einsum(f"{letters},z{letters[axis]}->{output}", x, weights)
    if original.kind in "iub":
        # Keras rounds the interpolated values back to the images' integer dtype.
        return saturate_cast(round(x), original.name)
    return x


# -- pad_images / crop_images -------------------------------------------------------------
def _two_of_three(name, first, second, target, names):
    if [first, second, target].count(None) != 1:
        raise ValueError(
            f"{name}: must specify exactly two of {', '.join(names)}. Received: "
            + ", ".join(f"{n}={v}" for n, v in zip(names, (first, second, target), strict=True))
        )


def _non_negative(name, **values):
    for key, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name}: {key} must be >= 0. Received: {key}={value}")


def _pad_arguments(shape, axes, top, left, bottom, right, target_height, target_width):
    """`(top, bottom, left, right, height, width)` of a padding, an unknown (None) input
    size leaving what depends on it unknown."""
    name = "pad_images"
    _two_of_three(
        name, top, bottom, target_height, ("top_padding", "bottom_padding", "target_height")
    )
    _two_of_three(
        name, left, right, target_width, ("left_padding", "right_padding", "target_width")
    )
    _non_negative(
        name,
        top_padding=top,
        bottom_padding=bottom,
        target_height=target_height,
        left_padding=left,
        right_padding=right,
        target_width=target_width,
    )
    resolved = []
    for size, before, after, target, names in (
        (shape[axes[0]], top, bottom, target_height, ("top_padding", "bottom_padding")),
        (shape[axes[1]], left, right, target_width, ("left_padding", "right_padding")),
    ):
        if size is not None:
            if before is None:
                before = target - after - size
            if after is None:
                after = target - before - size
            _non_negative(name, **dict(zip(names, (before, after), strict=True)))
            target = before + size + after
        resolved.append((before, after, target))
    (top, bottom, height), (left, right, width) = resolved
    return top, bottom, left, right, height, width


def _spatial_spec(name, images, data_format, height, width):
    *axes, _ = _spatial_axes(images, data_format, name)
    shape = list(images.shape)
    shape[axes[0]], shape[axes[1]] = height, width
    return KerasTensor(tuple(shape), dtype=images.dtype)


def _pad_images_spec(
    fn,
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    *axes, _ = _spatial_axes(images, data_format, "pad_images")
    *_, height, width = _pad_arguments(
        images.shape,
        axes,
        top_padding,
        left_padding,
        bottom_padding,
        right_padding,
        target_height,
        target_width,
    )
    return _spatial_spec("pad_images", images, data_format, height, width)


@op(output_spec=_pad_images_spec)
def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Pads images with zeros to `target_height x target_width` (or by the paddings given).

    Exactly two of `top_padding`, `bottom_padding`, `target_height` and two of
    `left_padding`, `right_padding`, `target_width` are given; the third is inferred.
    """
    from minikeras.ops.numpy import pad

    images = _tensor(images)
    *axes, _ = _spatial_axes(images, data_format, "pad_images")
    top, bottom, left, right, _, _ = _pad_arguments(
        images.shape,
        axes,
        top_padding,
        left_padding,
        bottom_padding,
        right_padding,
        target_height,
        target_width,
    )
    width_pairs = [(0, 0)] * images.ndim
    width_pairs[axes[0]] = (top, bottom)
    width_pairs[axes[1]] = (left, right)
    return pad(images, width_pairs)


def _crop_arguments(shape, axes, top, left, bottom, right, target_height, target_width):
    """`(top, left, height, width)` of a crop window, an unknown (None) input size leaving
    what depends on it unknown."""
    name = "crop_images"
    _two_of_three(
        name, top, bottom, target_height, ("top_cropping", "bottom_cropping", "target_height")
    )
    _two_of_three(
        name, left, right, target_width, ("left_cropping", "right_cropping", "target_width")
    )
    _non_negative(
        name,
        top_cropping=top,
        bottom_cropping=bottom,
        target_height=target_height,
        left_cropping=left,
        right_cropping=right,
        target_width=target_width,
    )
    resolved = []
    for size, start, end, target, names in (
        (shape[axes[0]], top, bottom, target_height, ("top_cropping", "target_height")),
        (shape[axes[1]], left, right, target_width, ("left_cropping", "target_width")),
    ):
        if size is None and (start is None or target is None):
            side = names[1].removeprefix("target_")
            raise ValueError(
                f"{name}: when the {side} of the images is unknown (shape {tuple(shape)}), "
                f"give `{names[0]}` and `{names[1]}`."
            )
        if size is not None:
            if start is None:
                start = size - target - end
            if target is None:
                target = size - end - start
            _non_negative(name, **dict(zip(names, (start, target), strict=True)))
            if start + target > size:
                raise ValueError(
                    f"{name}: a window of {target} from {start} does not fit in a size of "
                    f"{size} (images of shape {tuple(shape)})."
                )
        resolved.append((start, target))
    (top, height), (left, width) = resolved
    return top, left, height, width


def _crop_images_spec(
    fn,
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    *axes, _ = _spatial_axes(images, data_format, "crop_images")
    *_, height, width = _crop_arguments(
        images.shape,
        axes,
        top_cropping,
        left_cropping,
        bottom_cropping,
        right_cropping,
        target_height,
        target_width,
    )
    return _spatial_spec("crop_images", images, data_format, height, width)


@op(output_spec=_crop_images_spec)
def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Cuts images to `target_height x target_width` (or by the croppings given).

    Exactly two of `top_cropping`, `bottom_cropping`, `target_height` and two of
    `left_cropping`, `right_cropping`, `target_width` are given; the third is inferred.
    """
    images = _tensor(images)
    *axes, _ = _spatial_axes(images, data_format, "crop_images")
    window = _crop_arguments(
        images.shape,
        axes,
        top_cropping,
        left_cropping,
        bottom_cropping,
        right_cropping,
        target_height,
        target_width,
    )
    return _window(images, axes, *window)
