"""`image_dataset_from_directory`: batches of image files and their labels.

The files are listed, labelled, shuffled and split as `text_dataset_from_directory` lists
them (the same code), keeping the image files (`.bmp`, `.gif`, `.jpeg`, `.jpg`, `.png`).
Each image is read when its batch is asked for, as Keras's Grain format reads it: decoded
by Pillow (needed, as in Keras), given the channels of `color_mode`, turned into float32
and resized by `ops.image.resize` (bilinear by default, `crop_to_aspect_ratio` or
`pad_to_aspect_ratio` as asked), so the values are those Keras gives on JAX.
"""

import numpy as np

from minikeras import config
from minikeras.ops import image as image_ops
from minikeras.utils import image_utils
from minikeras.utils.text_dataset import TextFileDataset, _check_arguments, datasets_from_files

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",  # noqa: A002 (Keras's argument name)
    verbose=True,
):
    """A dataset of the images under `directory` (as
    `keras.utils.image_dataset_from_directory`).

    Args:
        directory: with `labels="inferred"`, one subdirectory per class holding its images
            (at any depth); otherwise the images themselves.
        labels: `"inferred"`, a list of integer labels (one per image, in the sorted order
            of the files' paths) or None (images only).
        label_mode: `"int"` (int32), `"categorical"` (float32 one-hot), `"binary"`
            (float32 of shape `(batch, 1)`, two classes) or None (no labels).
        class_names: the subdirectories to use, in label order (all, sorted, by default).
        color_mode: `"rgb"`, `"rgba"` or `"grayscale"`: 3, 4 or 1 channels.
        batch_size: images per batch; None gives one image per item.
        image_size: `(height, width)` every image is resized to (an int: a square).
        shuffle: whether the images come in a random order, drawn once from `seed` as
            Keras's first shuffle is (without Keras's second, buffered shuffle); False:
            sorted by class, then by path.
        seed: the seed of that order (needed with `validation_split` and `shuffle`).
        validation_split: the fraction of the images (the last ones) kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (then a list of both datasets).
        interpolation: the resize method: "bilinear", "nearest", "bicubic", "lanczos3" or
            "lanczos5" (see `ops.image.resize`); TensorFlow's "area", "gaussian" and
            "mitchellcubic" raise at once (Keras on JAX fails at the first batch).
        follow_links: whether to follow symbolic links to subdirectories.
        crop_to_aspect_ratio: resize the largest centred crop of the target's aspect ratio.
        pad_to_aspect_ratio: pad (with zeros) to the target's aspect ratio, then resize.
        data_format: `"channels_last"` or `"channels_first"` (the global setting by default).
        format: `"tf"` or `"grain"`, accepted for compatibility: the result is a `PyDataset`.
        verbose: whether to print how many files and classes were found.

    Returns:
        A `PyDataset` of `(images, labels)` batches (of `images` without labels): float32
        `(batch, height, width, channels)`; a `class_names` attribute; with
        `subset="both"`, `[training, validation]`.
    """
    _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    if labels is None or label_mode is None:
        labels = label_mode = None
    channels = _CHANNELS.get(color_mode)
    if channels is None:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
            f"image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. Received: "
            f"interpolation={interpolation}"
        )
    if interpolation in ("area", "gaussian", "mitchellcubic"):
        # Keras accepts these and fails at the first batch unless TensorFlow resizes.
        raise ValueError(
            f"`interpolation={interpolation!r}` needs TensorFlow's resize; the resize here "
            "(as Keras's on JAX) takes 'bilinear', 'nearest', 'bicubic', 'lanczos3' or "
            "'lanczos5'."
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    image_utils.pil_image("image_dataset_from_directory")
    data_format = data_format or config.image_data_format()
    return datasets_from_files(
        directory,
        labels,
        label_mode,
        class_names,
        shuffle,
        seed,
        follow_links,
        verbose,
        validation_split,
        subset,
        ALLOWLIST_FORMATS,
        "No {kind}images found in directory {directory}. Allowed formats: "
        + str(ALLOWLIST_FORMATS),
        lambda paths, labels, class_count: ImageFileDataset(
            paths,
            labels,
            label_mode,
            class_count,
            batch_size,
            image_size=tuple(image_size),
            channels=channels,
            interpolation=interpolation,
            crop_to_aspect_ratio=crop_to_aspect_ratio,
            pad_to_aspect_ratio=pad_to_aspect_ratio,
            data_format=data_format,
        ),
    )


class ImageFileDataset(TextFileDataset):
    """Batches of the images of `paths` (decoded and resized when asked for) and their
    labels; the labels are those of `TextFileDataset`.

    Args:
        paths, labels, label_mode, num_classes, batch_size: as `TextFileDataset`'s.
        image_size: `(height, width)` of the output images.
        channels: 1, 3 or 4.
        interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio: the resize's.
        data_format: `"channels_last"` or `"channels_first"`.
    """

    def __init__(self, paths, labels, label_mode, num_classes, batch_size, **image_options):
        super().__init__(paths, labels, label_mode, num_classes, batch_size, None)
        self.image_options = image_options

    def __getitem__(self, index):
        chosen = self._positions(index)
        if self.batch_size is None:
            image = self._read(self.paths[chosen])
            if self.label_mode is None:
                return image
            return image, self._encode([self.labels[chosen]])[0]
        images = np.stack([self._read(path) for path in self.paths[chosen]])
        return images if self.label_mode is None else (images, self._encode(self.labels[chosen]))

    def _read(self, path):
        return load_resized(path, **self.image_options)


def load_resized(
    path,
    image_size,
    channels,
    interpolation="bilinear",
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format="channels_last",
):
    """One image file as float32 `(height, width, channels)` (or channels first), resized."""
    img = image_utils.convert_mode(
        image_utils.open_image(path, "image_dataset_from_directory"), channels
    )
    array = np.array(img).astype("float32")
    if array.ndim == 2:
        array = array[:, :, None]
    if data_format == "channels_first":
        array = array.transpose(2, 0, 1)
    resized = image_ops.resize(
        array,
        size=image_size,
        interpolation=interpolation,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
        pad_to_aspect_ratio=pad_to_aspect_ratio,
        data_format=data_format,
    )
    return np.asarray(resized, dtype="float32")
