"""`ops.image.affine_transform`: resample images at affinely mapped coordinates.

Each output pixel at row `i`, column `j` reads the input at column
`x = a0 * j + a1 * i + a2` and row `y = b0 * j + b1 * i + b2` (`[a0, a1, a2, b0, b1, b2,
c0, c1]` maps output points to input points, as in Keras). "nearest" takes the pixel at
the rounded coordinates (halves away from zero); "bilinear" mixes the four pixels around
them. Points outside the image are read as `fill_mode` says, exactly as
`jax.scipy.ndimage.map_coordinates` (Keras on JAX) does:

- "constant": `fill_value` (for bilinear, each of the four corners outside counts as
  `fill_value`);
- "nearest": the border pixel (`a a | a b c d | d d`);
- "wrap": the opposite side (`c d | a b c d | a b`);
- "mirror": reflected about the border pixel's centre (`c b | a b c d | c b`);
- "reflect": reflected about the border's edge (`b a | a b c d | d c`).

Coordinates are computed in float32 whatever the image dtype, as Keras on JAX does. The
operation is one primitive: forward gathers the (up to four) weighted pixels, backward
scatters the output gradient back to them. The transform gets no gradient (as in Keras).
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Function
from minikeras.ops._arguments import _tensor
from minikeras.ops.numpy import transpose
from minikeras.ops.symbolic import op

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _mirror(index, size):
    if size == 1:
        return np.zeros_like(index)
    period = 2 * (size - 1)
    return np.abs((index + size - 1) % period - (size - 1))


def _reflect(index, size):
    return (_mirror(2 * index + 1, 2 * size + 1) - 1) // 2


_FIXERS = {
    "constant": lambda index, size: np.clip(index, 0, size - 1),  # only valid ones are read
    "nearest": lambda index, size: np.clip(index, 0, size - 1),
    "wrap": lambda index, size: index % size,
    "mirror": _mirror,
    "reflect": _reflect,
}


def _round_half_away_from_zero(values):
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


def _nodes(coordinate, interpolation):
    """`[(index, weight), ...]` of one axis: one node for nearest, two for bilinear."""
    if interpolation == "nearest":
        return [(_round_half_away_from_zero(coordinate).astype(np.int64), None)]
    lower = np.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.astype(np.int64)
    return [(index, 1 - upper_weight), (index + 1, upper_weight)]


class AffineTransform(Function):
    """Resamples `(batch, height, width, channels)` images at the coordinates the
    transforms give (see the module docstring); the images get the gradient."""

    def __init__(self, transform, interpolation, fill_mode, fill_value):
        self.transform = transform  # (batch, 8) float32
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value

    def _coordinates(self, shape):
        """`(y, x)`: the input row and column each output pixel reads, `(batch, height,
        width)` float32 each (a subclass may compute them another way)."""
        _, height, width, _ = shape
        rows = np.arange(height, dtype=np.float32)[None, :, None]
        cols = np.arange(width, dtype=np.float32)[None, None, :]
        t = self.transform[:, :, None, None]
        y = rows * t[:, 4] + cols * t[:, 3] + t[:, 5]
        x = rows * t[:, 1] + cols * t[:, 0] + t[:, 2]
        return y, x

    def _terms(self, shape):
        """`[(flat pixel index, weight, inside), ...]`, each `(batch, height, width)`."""
        batch, height, width, _ = shape
        y, x = self._coordinates(shape)
        fix = _FIXERS[self.fill_mode]
        base = (np.arange(batch) * (height * width))[:, None, None]
        terms = []
        for row, row_weight in _nodes(y, self.interpolation):
            for col, col_weight in _nodes(x, self.interpolation):
                inside = None
                if self.fill_mode == "constant":
                    inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
                if row_weight is None:
                    weight = None
                else:
                    weight = row_weight * col_weight
                flat = base + fix(row, height) * width + fix(col, width)
                terms.append((flat, weight, inside))
        return terms

    def forward(self, images):
        self.shape = images.shape
        flat_images = images.reshape(-1, images.shape[-1])
        self.terms = self._terms(images.shape)
        integer = images.dtype.kind in "iu"
        dtype = np.dtype(np.float32) if integer else images.dtype
        fill = np.asarray(self.fill_value).astype(images.dtype).astype(dtype)
        output = None
        for flat, weight, inside in self.terms:
            values = flat_images[flat].astype(dtype, copy=False)
            if inside is not None:
                values = np.where(inside[..., None], values, fill)
            if weight is not None:
                values = weight.astype(dtype, copy=False)[..., None] * values
            output = values if output is None else output + values
        if integer:
            output = _round_half_away_from_zero(output)
        return output.astype(images.dtype, copy=False)

    def backward(self, gy):
        batch, height, width, channels = self.shape
        flat_gy = gy.reshape(-1, channels)
        grad = np.zeros((batch * height * width, channels), dtype=gy.dtype)
        for flat, weight, inside in self.terms:
            contribution = flat_gy
            if weight is not None:
                contribution = flat_gy * weight.reshape(-1, 1).astype(gy.dtype, copy=False)
            index = flat.reshape(-1)
            if inside is not None:
                keep = inside.reshape(-1)
                index, contribution = index[keep], contribution[keep]
            np.add.at(grad, index, contribution)
        return grad.reshape(self.shape)


def _check_transform(transform, batch):
    transform = np.asarray(getattr(transform, "data", transform))
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            "affine_transform: `transform` must have shape (8,) (one transform) or "
            f"(batch, 8) (one per image). Received transform.shape={transform.shape}"
        )
    transform = np.asarray(transform, dtype=np.float32).reshape(-1, 8)
    if transform.shape[0] == 1:
        transform = np.repeat(transform, batch, axis=0)
    elif transform.shape[0] != batch:
        raise ValueError(
            f"affine_transform: {transform.shape[0]} transforms for a batch of {batch} images "
            f"(transform.shape={transform.shape}); give one, or one per image."
        )
    if np.any(transform[:, 6:] != 0):
        # TensorFlow divides by `c0 * x + c1 * y + 1`; Keras on JAX multiplies them by the
        # channel index instead. Neither is taken over silently.
        raise ValueError(
            "affine_transform: projective transforms (non-zero c0, c1, the last two "
            "entries) are not supported; Keras ignores them on every backend but TensorFlow."
        )
    return transform


@op
def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Applies affine transforms to an image or a batch of images (see the module docstring).

    Args:
        images: `(height, width, channels)` or `(batch, height, width, channels)`
            (channels before height with `data_format="channels_first"`).
        transform: `[a0, a1, a2, b0, b1, b2, c0, c1]`, or one such row per image; it maps
            output points to input points; `c0` and `c1` must be 0.
        interpolation: "nearest" or "bilinear" (default).
        fill_mode: "constant" (default), "nearest", "wrap", "mirror" or "reflect".
        fill_value: the value of points outside the image with "constant".
        data_format: "channels_last" or "channels_first"; default
            `keras.config.image_data_format()`.

    Returns:
        The transformed images, the same shape and dtype.

    Example:
        >>> x = np.arange(16.0).reshape(4, 4, 1)
        >>> affine_transform(x, [1, 0, 1, 0, 1, 0, 0, 0], fill_mode="nearest")[0, :, 0].numpy()
        array([1., 2., 3., 3.])
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected one of "
            f"{list(INTERPOLATIONS)}. Received: interpolation={interpolation!r}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {list(FILL_MODES)}. "
            f"Received: fill_mode={fill_mode!r}"
        )
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "affine_transform: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    images = _tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={tuple(images.shape)}"
        )
    single = images.ndim == 3
    if single:
        images = images[None]
    transform = _check_transform(transform, images.shape[0])
    if data_format == "channels_first":
        images = transpose(images, (0, 2, 3, 1))
    outputs = AffineTransform(transform, interpolation, fill_mode, fill_value)(images)
    if data_format == "channels_first":
        outputs = transpose(outputs, (0, 3, 1, 2))
    return outputs[0] if single else outputs
