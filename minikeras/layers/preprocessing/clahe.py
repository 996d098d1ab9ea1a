"""`ContrastLimitedAdaptiveHistogramEqualization` (CLAHE): histogram equalization per tile."""

import numpy as np

from minikeras import ops
from minikeras.layers.preprocessing.color_augmentation import (
    ColorAugmentationLayer,
    reciprocal,
    refuse_seed,
    to_range,
)
from minikeras.layers.preprocessing.image_augmentation import _is_number, check_value_range


class ContrastLimitedAdaptiveHistogramEqualization(ColorAugmentationLayer):
    """Equalizes the histogram of each tile of each channel, with a limit on the contrast.

    Each image (in the `(0, 255)` scale) is cut into `tile_grid_size` tiles (the bottom
    and right edges first mirrored out to a whole number of tiles). Each tile's histogram
    of the integer pixel levels is clipped at `clip_limit * tile_pixels / 256` counts per
    level, the clipped counts spread evenly over the 256 levels, and its cumulative sum
    scaled to `[0, 255]` maps each level to a new value. A pixel's new value mixes the maps
    of the four tiles around it bilinearly, as Keras 3.15 computes it. Applied in training
    and at inference alike; the output is piecewise constant in the input, so no gradient
    flows through it. Integer images come out float32 (Keras casts them back).

    Args:
        value_range: `(low, high)` of the pixel values; default `(0, 255)`.
        clip_limit: how many times the mean count a level may hold; 0 or less: no limit.
            Default 4.0.
        tile_grid_size: `(rows, columns)` of tiles; default `(8, 8)`.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
        >>> layer(np.random.uniform(0, 255, (1, 8, 8, 3))).shape
        (1, 8, 8, 3)
    """

    _DICT_INPUTS = False  # Keras 3.15 fails on `{"images", "labels"}` here

    def __init__(
        self,
        value_range=(0, 255),
        clip_limit=4.0,
        tile_grid_size=(8, 8),
        data_format=None,
        **kwargs,
    ):
        name = "ContrastLimitedAdaptiveHistogramEqualization"
        refuse_seed(name, kwargs)
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = check_value_range(value_range, name)
        if not _is_number(clip_limit):
            raise ValueError(f"{name}: `clip_limit` must be a number. Received: {clip_limit!r}")
        if (
            not isinstance(tile_grid_size, (tuple, list))
            or len(tile_grid_size) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in tile_grid_size)
            or min(tile_grid_size) < 1
        ):
            raise ValueError(
                f"{name}: `tile_grid_size` must be two positive integers (rows, columns). "
                f"Received: tile_grid_size={tile_grid_size!r}"
            )
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def call(self, inputs, training=True):
        # Applied whatever `training` says, as in Keras.
        return super().call(inputs, training=True)

    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def transform_batch(self, images, transformation):
        images = ops.convert_to_numpy(to_range(images, self.value_range, (0, 255)))
        if self.data_format == "channels_first":
            images = np.transpose(images, (0, 2, 3, 1))
        outputs = self._equalize_tiles(images.astype(np.float32))
        if self.data_format == "channels_first":
            outputs = np.transpose(outputs, (0, 3, 1, 2))
        outputs = to_range(outputs, (0, 255), self.value_range)
        return ops.convert_to_tensor(np.asarray(outputs, self.dtype))

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        config.update(
            {
                "value_range": self.value_range,
                "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size,
            }
        )
        return config

    def _equalize_tiles(self, images):
        """CLAHE of channels-last float32 images in the `(0, 255)` scale."""
        f32 = np.float32
        batch, height, width, channels = images.shape
        rows, columns = self.tile_grid_size
        tile_height, tile_width = -(-height // rows), -(-width // columns)
        padding = ((0, 0), (0, tile_height * rows - height), (0, tile_width * columns - width))
        padded = np.pad(images, (*padding, (0, 0)), mode="symmetric")
        levels = _levels(padded)  # (batch, height, width, channels)

        # One histogram of 256 levels per tile and channel.
        tiles = levels.reshape(batch, rows, tile_height, columns, tile_width, channels)
        tiles = tiles.transpose(0, 1, 3, 5, 2, 4).reshape(-1, tile_height * tile_width)
        index = np.arange(len(tiles))[:, None] * 256 + tiles
        counts = np.bincount(index.ravel(), minlength=len(tiles) * 256).astype(f32)
        counts = counts.reshape(batch, rows, columns, channels, 256)
        if self.clip_limit > 0:
            limit = f32(self.clip_limit * (tile_height * tile_width) / 256.0)
            clipped = np.clip(counts, 0, limit)
            excess = np.sum(counts - clipped, axis=-1, keepdims=True, dtype=f32)
            counts = clipped + excess * f32(1 / 256)
        cumulative = np.cumsum(counts, axis=-1, dtype=f32)
        lowest = cumulative.min(axis=-1, keepdims=True)
        denominator = f32(tile_height * tile_width) - lowest
        denominator = np.where(denominator == 0, f32(1), denominator)
        # Divisions by a broadcast value are products with its reciprocal, as XLA computes them.
        maps = np.clip((cumulative - lowest) * f32(255) * reciprocal(denominator), 0, 255)
        # The tiles beyond the borders repeat the border tiles' maps.
        maps = np.pad(maps, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

        # Each pixel's place among the tile centres, and its four neighbouring maps.
        y0, y1, wy = _neighbours(padded.shape[1], tile_height, rows)
        x0, x1, wx = _neighbours(padded.shape[2], tile_width, columns)
        b = np.arange(batch)[:, None, None, None]
        c = np.arange(channels)[None, None, None, :]
        y0, y1, wy = y0[None, :, None, None], y1[None, :, None, None], wy[None, :, None, None]
        x0, x1, wx = x0[None, None, :, None], x1[None, None, :, None], wx[None, None, :, None]
        top = maps[b, y0, x0, c, levels] * (f32(1) - wx) + maps[b, y0, x1, c, levels] * wx
        bottom = maps[b, y1, x0, c, levels] * (f32(1) - wx) + maps[b, y1, x1, c, levels] * wx
        outputs = top * (f32(1) - wy) + bottom * wy
        return outputs[:, :height, :width, :]


def _levels(values):
    """float32 pixel values to integer levels 0..255 (truncated, as a cast, then clipped)."""
    return np.clip(np.trunc(np.nan_to_num(values)), 0, 255).astype(np.int64)


def _neighbours(size, tile, tiles):
    """The two tile rows (or columns) around each pixel, in the edge-padded grid, and the
    weight of the second, in float32 as Keras computes them."""
    f32 = np.float32
    position = (np.arange(size, dtype=f32) - f32(tile / 2.0)) * reciprocal(tile) + f32(1)
    first = np.floor(position)
    weight = position - first
    second = np.clip(first + 1, 0, tiles + 1).astype(np.int64)
    return np.clip(first, 0, tiles + 1).astype(np.int64), second, weight
