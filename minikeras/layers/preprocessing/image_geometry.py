"""Rectangle masks shared by CutMix and RandomErasing, computed in float32 as Keras does.

(The blur, perspective and elastic warps of the other geometric layers are the
`ops.image` functions of `ops/image_warps.py`.)
"""

import numpy as np


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
