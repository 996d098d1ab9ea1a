"""Checks of the arguments of `fit`, `evaluate` and `predict`, made once per call.

Keras lets several mistakes through silently (a negative `batch_size` trains nothing, a
`batch_size` of 2.5 trains with 2, a `class_weight` key the model cannot predict weighs
nothing). minikeras raises a `ValueError` naming the argument instead, before any weight
changes. Every check here runs once per call, never per batch.
"""

import numbers
import warnings

import numpy as np

from minikeras.tree import flatten


def _is_integer(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def check_positive_integer(value, name):
    """Raises unless `value` is None or a positive integer (numpy integers too, not bools).

    For `batch_size` and the step counts (`steps_per_epoch`, `steps`, ...): Keras reads 0
    as "not given" and a negative count as an empty epoch.
    """
    if value is None:
        return
    if not _is_integer(value) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive integer or None, received {name}={value!r} "
            f"(of type {type(value).__name__})."
        )


def check_epochs(epochs):
    """Raises unless `epochs` is an integer >= 0."""
    if not _is_integer(epochs) or epochs < 0:
        raise ValueError(
            f"`epochs` must be an integer >= 0, received epochs={epochs!r} "
            f"(of type {type(epochs).__name__})."
        )


def check_not_empty(adapter, method, what="`x` (and `y`) have"):
    """Raises when array data has no samples (a whole call would do nothing silently)."""
    if getattr(adapter, "num_samples", None) == 0:
        x = adapter.data[0]
        shapes = [tuple(leaf.shape) for leaf in flatten(x) if leaf is not None]
        raise ValueError(
            f"`{method}()` received empty data: {what} 0 samples (x shapes: "
            f"{shapes}). Pass at least one sample."
        )


def check_sample_weight(sample_weight):
    """Raises on a negative sample weight (it would make the model maximise that loss)."""
    for leaf in flatten(sample_weight):
        if leaf is None or not leaf.size or leaf.dtype.kind not in "biuf":
            continue
        smallest = leaf.min()
        if smallest < 0:
            raise ValueError(f"`sample_weight` must be >= 0, received a weight of {smallest}.")


def _number_of_classes(model):
    """The classes the model's single output can predict, or None when not known yet."""
    outputs = getattr(model, "outputs", None)
    if outputs is None:
        return None
    outputs = flatten(outputs)
    if len(outputs) != 1 or not outputs[0].shape:
        return None
    units = outputs[0].shape[-1]
    if units is None:
        return None
    return 2 if units == 1 else int(units)  # one sigmoid unit: classes 0 and 1


def check_class_weight(class_weight, model):
    """Raises unless `class_weight` maps classes of the model's output to weights >= 0.

    Args:
        class_weight: None or a dict `{class index: weight}`.
        model: the model being trained; when its output shape is known (Functional and
            built Sequential models), every key must be one of its classes.
    """
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise ValueError(
            "`class_weight` must be a dict mapping class indices to weights, received "
            f"class_weight={class_weight!r} (of type {type(class_weight).__name__})."
        )
    classes = _number_of_classes(model)
    for key, weight in class_weight.items():
        if not _is_integer(key) or key < 0:
            raise ValueError(
                f"`class_weight` keys must be class indices (integers >= 0), received the "
                f"key {key!r} (of type {type(key).__name__})."
            )
        if classes is not None and key >= classes:
            raise ValueError(
                f"`class_weight` has the key {key}, which is not a class of the model's "
                f"output: it predicts {classes} classes (0 to {classes - 1})."
            )
        if not isinstance(weight, (numbers.Real, np.number)) or weight < 0:
            raise ValueError(
                f"`class_weight` values must be numbers >= 0, received {weight!r} for class {key}."
            )


def _is_sparse_crossentropy(loss):
    from minikeras import losses

    if isinstance(loss, (list, tuple)) and len(flatten(loss)) == 1:
        loss = flatten(loss)[0]
    if isinstance(loss, str):
        return loss in ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")
    return loss is losses.sparse_categorical_crossentropy or isinstance(
        loss, losses.SparseCategoricalCrossentropy
    )


def check_sparse_labels(compile_loss, adapter):
    """Raises on float labels with a fractional part for a sparse cross-entropy, before the
    first batch (the loss's own check would only see them in their batch, after earlier
    batches have changed the weights). One pass over `y`, for array data only."""
    y = getattr(adapter, "data", (None, None))[1]
    if compile_loss is None or not isinstance(y, np.ndarray) or y.dtype.kind != "f":
        return
    if not _is_sparse_crossentropy(compile_loss.user_loss):
        return
    fractional = np.flatnonzero(y != np.trunc(y))
    if fractional.size:
        raise ValueError(
            "sparse_categorical_crossentropy expects integer class indices as labels; `y` "
            f"holds the float label {y.flat[fractional[0]]}, which is not a whole number. "
            "Use categorical_crossentropy for one-hot or probability labels."
        )


def resolve_jit_compile(jit_compile, run_eagerly):
    """`compile`'s `jit_compile` as Keras on JAX resolves it: `"auto"` (or None) is True,
    and `run_eagerly=True` turns it off (with a warning if True was asked for)."""
    if jit_compile == "auto" or jit_compile is None:
        return not run_eagerly
    if jit_compile and run_eagerly:
        warnings.warn(
            "If `run_eagerly` is True, then `jit_compile` cannot also be True. "
            "Disabling `jit_compile`.",
            stacklevel=3,
        )
        return False
    return jit_compile
