"""`Resizing`: resizes images to a fixed height and width."""

from minikeras import ops
from minikeras.layers._image import (
    centered_window,
    check_image_size,
    crop,
    image_batch,
    image_output_shape,
    images_and_labels,
    resize_bilinear,
    resize_nearest,
)
from minikeras.layers._validation import standardize_data_format
from minikeras.layers.layer import Layer
from minikeras.ops.image import RESIZE_INTERPOLATIONS


class Resizing(Layer):
    """Resizes a batch of images (or one image) to `height x width`.

    Args:
        height, width: the output size.
        interpolation: "bilinear" (default; half-pixel centres, as Keras), "nearest",
            "bicubic", "lanczos3" or "lanczos5".
        crop_to_aspect_ratio: first cut the largest centred window with the target aspect
            ratio, so the images are not distorted.
        pad_to_aspect_ratio: first pad the short side evenly with `fill_value` instead.
        fill_mode: "constant" (the only mode, as in Keras).
        fill_value: the value of the padding.
        antialias: stretch the kernel when downsampling (no effect on "nearest").
        data_format: "channels_last" (default) or "channels_first".

    Bicubic, Lanczos, antialiased and padded resizes and those of integer images are
    `ops.image.resize`'s; integer images come out in their dtype, rounded (and saturated),
    as Keras gives them.

    Example:
        >>> Resizing(4, 6)(np.ones((2, 8, 8, 3))).shape
        (2, 4, 6, 3)
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.height = check_image_size(height, "height", "Resizing")
        self.width = check_image_size(width, "width", "Resizing")
        interpolation = str(interpolation).lower()
        if interpolation not in RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Resizing: `interpolation` must be one of {list(RESIZE_INTERPOLATIONS)}. "
                f"Received interpolation={interpolation!r}."
            )
        if fill_mode != "constant":
            raise ValueError(f"Resizing: only fill_mode='constant' exists. Received {fill_mode!r}.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can "
                "be True."
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = standardize_data_format(data_format, "Resizing")

    def call(self, inputs):
        if isinstance(inputs, dict):
            return images_and_labels(self, inputs, self.call)
        images, single = image_batch(self, inputs)
        if inputs.dtype.startswith(("int", "uint")):
            # Keras keeps integer images integer, rounding the resized values back (as
            # `ops.image.resize` does for them).
            images = inputs[None] if single else inputs
        elif self.interpolation in ("bilinear", "nearest") and not (
            self.antialias or self.pad_to_aspect_ratio
        ):
            # The common case keeps its own two small matrices (faster per batch).
            h_axis, w_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
            if self.crop_to_aspect_ratio:
                window = centered_window(
                    images.shape[h_axis], images.shape[w_axis], self.height, self.width
                )
                images = crop(images, *window, self.data_format)
            resize = resize_bilinear if self.interpolation == "bilinear" else resize_nearest
            outputs = resize(images, self.height, self.width, self.data_format)
            return outputs[0] if single else outputs
        outputs = ops.image.resize(
            images,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        return outputs[0] if single else outputs

    def compute_output_shape(self, input_shape):
        return image_output_shape(self, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "antialias": self.antialias,
                "data_format": self.data_format,
            }
        )
        return config
