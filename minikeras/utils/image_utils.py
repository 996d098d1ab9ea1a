"""Images to arrays and back: `load_img`, `img_to_array`, `array_to_img`, `save_img`.

As in Keras, the files are decoded and written by Pillow (`PIL`), which minikeras does not
depend on: it is imported when one of these functions runs, and an ImportError naming it
says to install it (`pip install pillow`) when it is missing.
"""

import io
import pathlib
import warnings

import numpy as np

from minikeras import config

# Keras's names for Pillow's resampling filters (see `load_img`).
INTERPOLATION_METHODS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image(function_name):
    """Pillow's `Image` module, or an ImportError naming Pillow and `function_name`."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            f"Could not import PIL.Image. The use of `{function_name}` requires PIL "
            "(install it with `pip install pillow`)."
        ) from error
    return Image


def _data_format(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            'The `data_format` argument must be one of "channels_first", "channels_last". '
            f"Received: data_format={data_format}"
        )
    return data_format


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image of a `(height, width, channels)` array (as `keras.utils.array_to_img`).

    Args:
        x: the image; 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: `"channels_last"` or `"channels_first"` (the global setting by default).
        scale: whether to stretch the values to 0..255 first (min to 0, max to 255).
        dtype: the dtype the values are read in (floatx by default).

    Returns:
        A `PIL.Image.Image` (values cast to uint8; a one-channel image with values above
        255 becomes a 32-bit integer image).
    """
    data_format = _data_format(data_format)
    image_module = pil_image("array_to_img")
    x = np.array(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a 3D array (as `keras.utils.img_to_array`).

    Args:
        img: a PIL image (or anything `np.asarray` turns into a 2D or 3D array).
        data_format: `"channels_last"` or `"channels_first"` (the global setting by default).
        dtype: the array's dtype (floatx by default).

    Returns:
        `(height, width, channels)` (a grayscale image gets one channel), or channels first.
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        if data_format == "channels_first":
            return x.reshape((1, *x.shape))
        return x.reshape((*x.shape, 1))
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes an image array to a file (as `keras.utils.save_img`).

    Args:
        path: a path or a file object.
        x: the image array (see `array_to_img`).
        data_format: `"channels_last"` or `"channels_first"`.
        file_format: the format (`"png"`, `"jpeg"`, ...); by default the path's suffix
            (needed for a file object).
        scale: whether to stretch the values to 0..255 first.
        **kwargs: passed to `PIL.Image.Image.save`.
    """
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def open_image(path, function_name):
    """A PIL image opened from a path or a `BytesIO` (the file is read at once)."""
    image_module = pil_image(function_name)
    if isinstance(path, io.BytesIO):
        return image_module.open(path)
    if isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as file:
            return image_module.open(io.BytesIO(file.read()))
    raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")


def convert_mode(img, channels):
    """`img` with 1 (grayscale: 8, 16 or 32-bit kept), 3 (RGB) or 4 (RGBA) channels."""
    if channels == 1:
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if channels == 4:
        return img if img.mode == "RGBA" else img.convert("RGBA")
    return img if img.mode == "RGB" else img.convert("RGB")


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Loads an image file as a PIL image (as `keras.utils.load_img`).

    Args:
        path: a path or a `BytesIO`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        target_size: None (the file's size) or `(height, width)`.
        interpolation: the resampling filter for `target_size`: `"nearest"`,
            `"bilinear"`, `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"` (Pillow's).
        keep_aspect_ratio: whether to crop the centre to the target's aspect ratio first.

    Returns:
        A `PIL.Image.Image`.
    """
    img = open_image(path, "load_img")
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}.get(color_mode)
    if channels is None:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    img = convert_mode(img, channels)
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    if interpolation not in INTERPOLATION_METHODS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(INTERPOLATION_METHODS)}"
        )
    resample = getattr(pil_image("load_img").Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    target_width, target_height = width_height
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    box = [left, top, left + crop_width, top + crop_height]
    return img.resize(width_height, resample, box=box)
