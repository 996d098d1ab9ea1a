"""`CutMix`: pastes a random box of another image of the batch into each image."""

import numpy as np

from minikeras import ops, random
from minikeras.layers.preprocessing.image_augmentation import ImageAugmentationLayer
from minikeras.layers.preprocessing.image_geometry import box_masks, crop_bounds
from minikeras.layers.preprocessing.mix_up import check_mixing_labels


class CutMix(ImageAugmentationLayer):
    """CutMix (Yun et al. 2019): a box of each image is replaced by the same box of the
    image a random permutation of the batch puts there; labels given as
    `{"images", "labels"}` mix in proportion to the areas.

    Per call, `a` is drawn uniformly from `factor` (plus 1e-6), then per image a weight
    `w ~ Beta(a, a)`; the box has sides `sqrt(1 - w)` times the image's and a uniformly
    drawn position. The label weight is `1 - box area / image area` (the box's real-valued
    area, as Keras computes it). A single image (rank 3) is returned unchanged, as in Keras.
    Images come out float32.

    Args:
        factor: a number in [0, 1] (`a` drawn from `[0, factor]`) or two numbers
            `(lower, upper)` in [0, 1]; default 1.0.
        seed: optional int seed.
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> labels = np.eye(4, dtype="float32")
        >>> out = CutMix(seed=1)({"images": np.ones((4, 8, 8, 3)), "labels": labels})
        >>> out["images"].shape, out["labels"].shape
        ((4, 8, 8, 3), (4, 4))
    """

    _DICT_INPUTS = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)

    def get_random_transformation(self, data, training=True, seed=None):
        images, seed, batch = self._draw_inputs(data, seed)
        if not training or len(images.shape) == 3:
            return None
        height_axis, width_axis = self._spatial_axes(4)
        height, width = images.shape[height_axis], images.shape[width_axis]
        alpha = self._uniform((), self.factor[0], self.factor[1], seed) + np.float32(1e-6)
        weight = random.beta((batch,), alpha, alpha, dtype="float32", seed=seed).numpy()
        ratio = np.sqrt(np.float32(1.0) - weight)
        x0, x1 = crop_bounds(self._uniform((batch,), 0.0, 1.0, seed), width, ratio)
        y0, y1 = crop_bounds(self._uniform((batch,), 0.0, 1.0, seed), height, ratio)
        order = random.shuffle(np.arange(batch, dtype=np.int32), seed=seed).numpy()
        return {
            "permutation_order": order,
            "batch_masks": box_masks(images.shape, x0, x1, y0, y1, self.data_format),
            "mix_weight": self.mix_weight(x0, x1, y0, y1, height, width),
        }

    @staticmethod
    def mix_weight(x0, x1, y0, y1, height, width):
        """The labels' weight of each image: one minus its box's share of the area."""
        area = (np.asarray(x1) - np.asarray(x0)) * (np.asarray(y1) - np.asarray(y0))
        return (np.float32(1.0) - area / np.float32(width * height)).astype(np.float32)

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training or transformation is None:
            return images
        others = ops.take(images, np.asarray(transformation["permutation_order"]), axis=0)
        return ops.where(np.asarray(transformation["batch_masks"]), others, images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = check_mixing_labels(ops.convert_to_tensor(labels), "CutMix")
        weight = np.asarray(transformation["mix_weight"], np.float32).reshape(-1, 1)
        others = ops.take(labels, np.asarray(transformation["permutation_order"]), axis=0)
        return weight * labels + (np.float32(1.0) - weight) * others

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config
