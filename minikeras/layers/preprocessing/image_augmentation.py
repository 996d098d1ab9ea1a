"""What the random image augmentation layers share (RandomFlip, RandomContrast, ...).

Each layer works in two steps, as Keras's image preprocessing layers do:

1. `get_random_transformation(images, training)` draws the random parameters of one call
   (numpy arrays: a flip per image, a contrast factor per image, an affine matrix per
   image, ...) from the layer's `SeedGenerator`;
2. `transform_images(images, transformation, training)` applies them with differentiable
   ops, so a gradient flows back to the layers before.

Called directly, a layer augments (`training=True` is its default, as in Keras); `fit`
passes `training=True`, `evaluate` and `predict` pass `training=False`, and then the images
come back unchanged (cast to float32). An explicit `training=None` with no enclosing
training call also leaves them unchanged, as in Keras.

They also take a dict `{"images": ..., "labels": ...}` and give one back, as Keras's do:
the labels go through `transform_labels` with the images' draw (MixUp and CutMix mix them;
the others pass them through). Bounding boxes and segmentation masks are not supported, and
the layers that clear `_DICT_INPUTS` (RandomGrayscale and
ContrastLimitedAdaptiveHistogramEqualization, where Keras 3.15 fails on a dict) refuse dicts.

The draws happen in Python outside any primitive, so a compiled step cannot replay them:
these layers are not vetted for replay (`layers/replay.py`), and a model holding one trains
eagerly, as with RandomCrop.
"""

import numbers

from minikeras import ops, random
from minikeras.layers._validation import standardize_data_format
from minikeras.layers.layer import Layer


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_factor(factor, bounds, layer_name, argument="factor", open_low=False):
    """`(lower, upper)` from a number `f` (giving `(max(-f, low), f)`) or a pair.

    Keras's rule, with each number checked against `bounds` (`open_low`: the lower bound
    itself is excluded). Keras's colour layers check only that a pair overlaps the bounds,
    so `RandomContrast((-0.5, 0.5))` passes its `[0, 1]` check there; here it raises.
    """
    low, high = bounds

    def inside(value):
        if not _is_number(value):
            return False
        above = low < value if open_low else low <= value
        return above and value <= high

    message = (
        f"{layer_name}: The `{argument}` argument should be a number (or a list of two "
        f"numbers) in the range {'(' if open_low else '['}{low}, {high}]. "
        f"Received: {argument}={factor!r}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(inside(v) for v in factor):
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if not inside(factor):
        raise ValueError(message)
    return max(-abs(factor), low), abs(factor)


def check_value_range(value_range, layer_name):
    """Two numbers, low then high."""
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(_is_number(v) for v in value_range)
    ):
        raise ValueError(
            f"{layer_name}: The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range!r}"
        )
    return value_range


def check_choice(value, choices, argument, layer_name):
    """`value`, if it is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"{layer_name}: unknown `{argument}` {value!r}. Expected one of {list(choices)}."
        )
    return value


class ImageAugmentationLayer(Layer):
    """Base of the random image augmentation layers (see the module docstring).

    Args:
        seed: optional int seed of the layer's `SeedGenerator`.
        data_format: "channels_last" (default) or "channels_first". Images are
            `(batch, height, width, channels)` or a single `(height, width, channels)`.
        bounding_box_format: None; Keras's argument, any other value raises (bounding
            boxes are not supported).
    """

    _allow_non_tensor_positional_args = True  # as Keras's preprocessing layers
    _FACTOR_BOUNDS = (-1, 1)  # of `factor`, for the layers that take one

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        if bounding_box_format is not None:
            # Keras takes the argument on every image layer; the boxes are not here.
            raise ValueError(
                f"{type(self).__name__}: bounding boxes are not supported. "
                f"Received: bounding_box_format={bounding_box_format!r}"
            )
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = random.SeedGenerator(seed)
        self.data_format = standardize_data_format(data_format, type(self).__name__)
        self.built = True  # no weights

    _DICT_INPUTS = True  # whether `{"images": ..., "labels": ...}` inputs are taken

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        images = self._check_images(inputs)
        transformation = self.get_random_transformation(images, training=training)
        return self.transform_images(images, transformation, training=training)

    def _call_dict(self, data, training):
        """`{"images", "labels"}` in, the same keys out: the labels go through
        `transform_labels` with the images' transformation (a single image's labels get a
        batch axis for it, as in Keras)."""
        unsupported = sorted(set(data) - {"images", "labels"})
        if not self._DICT_INPUTS or unsupported or "images" not in data:
            raise ValueError(
                f"{type(self).__name__}: dict inputs (bounding boxes, segmentation masks, "
                "labels) are not supported; pass the images only."
                if not self._DICT_INPUTS
                else f"{type(self).__name__}: dict inputs take the keys 'images' and "
                f"'labels' (bounding boxes and segmentation masks are not supported). "
                f"Received keys: {list(data)}"
            )
        images = self._check_images(data["images"])
        transformation = self.get_random_transformation(images, training=training)
        outputs = dict(data)
        outputs["images"] = self.transform_images(images, transformation, training=training)
        if "labels" in data:
            labels = ops.convert_to_tensor(data["labels"])
            single = images.ndim == 3
            labels = self.transform_labels(
                labels[None] if single else labels, transformation, training=training
            )
            outputs["labels"] = labels[0] if single else labels
        return outputs

    def transform_labels(self, labels, transformation, training=True):
        """The labels of the transformed images: unchanged, but for the mixing layers."""
        return labels

    def _set_factor(self, factor):
        """Checks `factor` and sets `self.factor = (lower, upper)` (see `check_factor`)."""
        self.factor = check_factor(factor, self._FACTOR_BOUNDS, type(self).__name__)

    def get_random_transformation(self, data, training=True, seed=None):
        """The random parameters of one call (None or zeros when not training)."""
        raise NotImplementedError

    def transform_images(self, images, transformation, training=True):
        """`images` with `transformation` applied when training, in the layer's dtype
        (float32 by default) either way."""
        raise NotImplementedError

    def _check_images(self, images):
        images = ops.convert_to_tensor(images)
        if images.ndim not in (3, 4):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): Expected the input image to be '
                "rank 3 or 4 (one image or a batch of images). Received: "
                f"inputs.shape={tuple(images.shape)}"
            )
        if images.dtype != self.dtype:
            images = ops.cast(images, self.dtype)
        return images

    def _spatial_axes(self, rank):
        """The (height, width) axes of images of `rank`."""
        return (rank - 3, rank - 2) if self.data_format == "channels_last" else (rank - 2, rank - 1)

    def _per_image_shape(self, images):
        """`(batch, 1, 1, 1)`, or `(1, 1, 1)` for one image: one draw per image."""
        return (1, 1, 1) if len(images.shape) == 3 else (images.shape[0], 1, 1, 1)

    def _draw_inputs(self, data, seed):
        """What `get_random_transformation` draws for: `(images, seed, batch)`, the images of
        `data` (an image batch, or a dict's "images"), the seed to draw from (the layer's
        generator by default) and the number of images (1 for one image)."""
        images = data["images"] if isinstance(data, dict) else data
        return images, self.generator if seed is None else seed, self._batch_size(images)

    def _batch_size(self, images):
        """The number of draws: one per image."""
        return 1 if len(images.shape) == 3 else images.shape[0]

    def _uniform(self, shape, low, high, seed):
        seed = self.generator if seed is None else seed
        return random.uniform(shape, low, high, dtype="float32", seed=seed).numpy()

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(
                f'Layer "{self.name}": {type(self).__name__} expects images of rank 4 or 3, '
                f"got input shape {tuple(input_shape)}."
            )
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "data_format": self.data_format})
        return config


class AffineAugmentationLayer(ImageAugmentationLayer):
    """Base of RandomRotation, RandomTranslation and RandomZoom: a random affine transform
    per image, applied with `ops.image.affine_transform`.

    Args:
        fill_mode: how points outside the image are filled: "reflect" (default), "wrap",
            "constant" or "nearest" (see `ops.image.affine_transform`).
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value outside the image with "constant".
        seed, data_format: as in `ImageAugmentationLayer`.
    """

    _FILL_MODES = ("reflect", "wrap", "constant", "nearest")
    _INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(
        self,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = type(self).__name__
        # Keras raises NotImplementedError for these; a ValueError names the choices.
        self.fill_mode = check_choice(fill_mode, self._FILL_MODES, "fill_mode", name)
        self.interpolation = check_choice(
            interpolation, self._INTERPOLATIONS, "interpolation", name
        )
        if not _is_number(fill_value):
            raise ValueError(f"{name}: `fill_value` must be a number. Received: {fill_value!r}")
        self.fill_value = fill_value

    def _image_size(self, images):
        height_axis, width_axis = self._spatial_axes(len(images.shape))
        return images.shape[height_axis], images.shape[width_axis]

    def _affine(self, images, matrices):
        """`images` resampled through one `[a0, a1, a2, b0, b1, b2, 0, 0]` row per image."""
        return ops.image.affine_transform(
            images,
            matrices if len(images.shape) == 4 else matrices[0],
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "interpolation": self.interpolation,
            }
        )
        return config
