"""`MixUp`: blends each image (and its one-hot label) with another image of the batch."""

import numpy as np

from minikeras import ops, random
from minikeras.layers.preprocessing.image_augmentation import ImageAugmentationLayer, _is_number


def check_mixing_labels(labels, layer_name):
    """The labels, if they are one row per image (Keras broadcasts integer class labels
    `(batch,)` against the weights into a meaningless `(batch, batch)`)."""
    if labels.ndim < 2:
        raise ValueError(
            f"{layer_name} mixes one-hot (or soft) labels of shape (batch, classes); "
            f"received labels.shape={tuple(labels.shape)}. Encode integer labels first, "
            "e.g. with `ops.one_hot`."
        )
    return labels


class MixUp(ImageAugmentationLayer):
    """MixUp (Zhang et al. 2017): each image becomes `w * image + (1 - w) * other`, where
    `other` is the image a random permutation of the batch puts there and `w` is drawn
    per image from Beta(alpha, alpha); labels given as `{"images", "labels"}` mix with the
    same weights.

    At inference images come back unchanged, in their own dtype (as in Keras); when
    training they come out float32.

    Args:
        alpha: the Beta distribution's parameter, > 0 (default 0.2): smaller values keep
            the images closer to themselves.
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> labels = np.eye(4, dtype="float32")
        >>> out = MixUp(seed=1)({"images": np.ones((4, 8, 8, 3)), "labels": labels})
        >>> out["images"].shape, out["labels"].shape
        ((4, 8, 8, 3), (4, 4))
    """

    _DICT_INPUTS = True

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _is_number(alpha) or not alpha > 0:
            raise ValueError(f"MixUp: `alpha` must be a number > 0. Received: alpha={alpha!r}")
        self.alpha = alpha

    def _check_images(self, images):
        # MixUp leaves the dtype alone at inference (Keras casts only when it mixes).
        images = ops.convert_to_tensor(images)
        if images.ndim not in (3, 4):
            return super()._check_images(images)  # raises naming the shape
        return images

    def get_random_transformation(self, data, training=True, seed=None):
        _, seed, batch = self._draw_inputs(data, seed)
        order = random.shuffle(np.arange(batch, dtype=np.int64), seed=seed).numpy()
        weight = random.beta((batch,), self.alpha, self.alpha, dtype="float32", seed=seed)
        return {"mix_weight": weight.numpy(), "permutation_order": order}

    def transform_images(self, images, transformation, training=True):
        images = self._check_images(images)
        if not training:
            return images
        single = images.ndim == 3
        images = ops.cast(images[None] if single else images, self.compute_dtype)
        weight = np.asarray(transformation["mix_weight"], np.float32).reshape(-1, 1, 1, 1)
        others = ops.take(images, np.asarray(transformation["permutation_order"]), axis=0)
        images = weight * images + (np.float32(1.0) - weight) * others
        return images[0] if single else images

    def transform_labels(self, labels, transformation, training=True):
        if not training:
            return labels
        labels = check_mixing_labels(ops.convert_to_tensor(labels), "MixUp")
        weight = np.asarray(transformation["mix_weight"], np.float32).reshape(-1, 1)
        others = ops.take(labels, np.asarray(transformation["permutation_order"]), axis=0)
        return weight * labels + (np.float32(1.0) - weight) * others

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
