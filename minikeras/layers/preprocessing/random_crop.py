"""`RandomCrop`: random crops of images during training, centre crops at inference."""

from minikeras import random
from minikeras.layers._image import (
    centered_window,
    check_image_size,
    crop,
    image_batch,
    image_output_shape,
    images_and_labels,
    resize_bilinear,
)
from minikeras.layers._validation import standardize_data_format
from minikeras.layers.layer import Layer


class RandomCrop(Layer):
    """Crops images to `height x width`: at a random place in training, centred otherwise.

    Training (`training=True`, the default when called directly, as in Keras): when the
    images are larger than the target in both dimensions, one random window of the target
    size is cut from every image of the batch (Keras draws one offset per batch).
    Otherwise the window starts where the centred crop of the target aspect ratio starts,
    and a window smaller than the target is resized to it (bilinear).

    Inference (`training=False`, as in `predict`/`evaluate`): the largest centred window
    with the target aspect ratio is cut and resized (bilinear) to `height x width`, the
    behaviour Keras documents. Keras 3.15 itself returns the images unchanged at inference
    (keras-team/keras#21868), so its validation and predictions get a different shape
    from training; minikeras does not copy that bug.

    Args:
        height, width: the output size.
        seed: optional int seed.
        data_format: "channels_last" (`(batch, height, width, channels)`, default) or
            "channels_first". A single image (rank 3) is accepted too.

    Example:
        >>> RandomCrop(4, 4, seed=1)(np.ones((2, 6, 8, 3))).shape
        (2, 4, 4, 3)
    """

    _allow_non_tensor_positional_args = True  # as Keras's preprocessing layers

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.height = check_image_size(height, "height", "RandomCrop")
        self.width = check_image_size(width, "width", "RandomCrop")
        self.seed = seed if seed is not None else random.make_default_seed()
        self.generator = random.SeedGenerator(seed)
        self.data_format = standardize_data_format(data_format, "RandomCrop")

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return images_and_labels(self, inputs, self.call, training=training)
        images, single = image_batch(self, inputs)
        h_axis, w_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
        in_height, in_width = images.shape[h_axis], images.shape[w_axis]
        top, left, crop_height, crop_width = centered_window(
            in_height, in_width, self.height, self.width
        )
        if training:
            if in_height > self.height and in_width > self.width:
                generator = self.generator.next()
                top = int(generator.uniform(0, in_height - self.height + 1))
                left = int(generator.uniform(0, in_width - self.width + 1))
            crop_height, crop_width = self.height, self.width
        outputs = crop(images, top, left, crop_height, crop_width, self.data_format)
        outputs = resize_bilinear(outputs, self.height, self.width, self.data_format)
        return outputs[0] if single else outputs

    def compute_output_shape(self, input_shape):
        return image_output_shape(self, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "seed": self.seed,
                "data_format": self.data_format,
            }
        )
        return config
