"""Intersection-over-union metrics for segmentation, from an accumulated confusion matrix."""

import warnings

import numpy as np

from minikeras import config
from minikeras.autodiff import convert_to_tensor
from minikeras.metrics.metric import Metric, to_numpy
from minikeras.metrics.metrics_utils import confusion_matrix


class IoU(Metric):
    """Mean IoU `TP / (TP + FP + FN)` over the classes in `target_class_ids`.

    Classes that never appear (zero denominator) are left out of the mean. The state is the
    accumulated `(num_classes, num_classes)` confusion matrix (rows = true class), integer by
    default (as in Keras); pass `dtype="float32"` for fractional sample weights.

    Args:
        num_classes: number of classes.
        target_class_ids: the classes averaged.
        ignore_class: a label left out (e.g. "void" pixels).
        sparse_y_true / sparse_y_pred: False when the input holds scores or one-hot vectors
            along `axis` (argmax is taken).

    Example:
        >>> metric = IoU(num_classes=2, target_class_ids=[0])
        >>> round(float(metric([0, 0, 1, 1], [0, 1, 0, 1])), 4)
        0.3333
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(name=name, dtype=dtype or "int")
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        self._direction = "up"
        self.num_classes = num_classes
        self.target_class_ids = list(target_class_ids)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (num_classes, num_classes), "zeros", dtype=self.dtype, name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds the batch to the confusion matrix.

        Entries whose label or prediction lies outside `[0, num_classes)`, or whose label is
        `ignore_class`, are left out.
        """
        y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        y_true = y_true.astype(self.dtype).reshape(-1)
        y_pred = y_pred.astype(self.dtype).reshape(-1)
        if sample_weight is not None:
            given = to_numpy(sample_weight)
            if given.dtype.kind == "f" and np.dtype(self.dtype).kind in "iu":
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result "
                    "in an incorrect weight due to type casting. Consider using integer "
                    "weights.",
                    stacklevel=2,
                )
        weights = to_numpy(1 if sample_weight is None else sample_weight, self.dtype)
        if weights.ndim > 1:
            weights = weights.reshape(-1)
        weights = np.broadcast_to(weights, y_true.shape)
        in_bounds = (y_true >= 0) & (y_true < self.num_classes)
        in_bounds &= (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            in_bounds &= y_true != self.ignore_class
        y_true = np.where(in_bounds, y_true, 0)
        y_pred = np.where(in_bounds, y_pred, 0)
        weights = np.where(in_bounds, weights, 0).astype(self.dtype)
        self.total_cm.assign_add(
            confusion_matrix(y_true, y_pred, self.num_classes, weights=weights, dtype=self.dtype)
        )

    def reset_state(self):
        self.total_cm.assign(np.zeros(self.total_cm.shape, dtype=self.total_cm.data.dtype))

    def result(self):
        matrix = self.total_cm.data
        sum_over_row = np.sum(matrix, axis=0).astype(self.dtype)
        sum_over_col = np.sum(matrix, axis=1).astype(self.dtype)
        true_positives = np.diag(matrix).astype(self.dtype)
        denominator = sum_over_row + sum_over_col - true_positives
        ids = np.asarray(self.target_class_ids, dtype=np.int64)
        true_positives = true_positives[ids].astype(np.float32)
        denominator = denominator[ids].astype(np.float32)
        valid = (denominator > 1e-9).astype(np.float32)
        eps = np.float32(config.epsilon())
        iou = np.where(valid != 0, true_positives / (denominator + eps), 0.0).astype(np.float32)
        value = np.sum(iou, axis=self.axis) / (np.sum(valid) + eps)
        return convert_to_tensor(np.asarray(value, dtype=np.float32), dtype="float32")

    # Arguments a subclass fixes itself, left out of its config (as Keras leaves them out).
    _fixed_arguments = ()

    def get_config(self):
        config = {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
        for name in self._fixed_arguments:
            del config[name]
        return config


class BinaryIoU(IoU):
    """IoU for binary labels, predictions thresholded at `threshold` (`>=` counts as 1).

    Example:
        >>> metric = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> round(float(metric([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])), 4)
        0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_numpy(y_true).astype(self.dtype)
        y_pred = (to_numpy(y_pred, np.float32) >= self.threshold).astype(self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes.

    Example:
        >>> round(float(MeanIoU(num_classes=2)([0, 0, 1, 1], [0, 1, 0, 1])), 4)
        0.3333
    """

    _fixed_arguments = ("target_class_ids",)

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotIoU(IoU):
    """IoU for one-hot labels (and, by default, score vectors as predictions)."""

    _fixed_arguments = ("sparse_y_true",)

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(MeanIoU):
    """Mean IoU for one-hot labels (and, by default, score vectors as predictions)."""

    _fixed_arguments = ("target_class_ids", "sparse_y_true")

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
