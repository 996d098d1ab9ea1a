"""`CenterCrop`: cuts the central `height x width` window of images."""

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


class CenterCrop(Layer):
    """Cuts the central `height x width` window of a batch of images (or of one image).

    When an image is smaller than the target in some dimension, its largest centred window
    with the target aspect ratio is resized (bilinear) to the target instead, as Keras does.
    The same in training and inference.

    Args:
        height, width: the output size.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> CenterCrop(2, 2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].numpy()
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = check_image_size(height, "height", "CenterCrop")
        self.width = check_image_size(width, "width", "CenterCrop")
        self.data_format = standardize_data_format(data_format, "CenterCrop")

    def call(self, inputs):
        if isinstance(inputs, dict):
            return images_and_labels(self, inputs, self.call)
        images, single = image_batch(self, inputs)
        h_axis, w_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
        in_height, in_width = images.shape[h_axis], images.shape[w_axis]
        if in_height >= self.height and in_width >= self.width:
            top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
            outputs = crop(images, top, left, self.height, self.width, self.data_format)
        else:
            window = centered_window(in_height, in_width, self.height, self.width)
            outputs = crop(images, *window, self.data_format)
            outputs = resize_bilinear(outputs, self.height, self.width, self.data_format)
        return outputs[0] if single else outputs

    def compute_output_shape(self, input_shape):
        return image_output_shape(self, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        return config
