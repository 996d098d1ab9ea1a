"""Utilities (`keras.utils`).

The helpers here (naming, registries, progress bars, packing, `PyDataset`, ...) import
nothing from the rest of minikeras, so every package may use them. The functions of
`keras.utils` built on higher packages (the serialization helpers of `saving`, `plot_model`,
`plot_graph`, `clear_session`, the image and audio helpers) load on first use, through
`__getattr__` below.
"""

import random as _python_random

import numpy as np

from minikeras.utils.config import Config
from minikeras.utils.dataset_utils import split_dataset
from minikeras.utils.file_utils import get_file
from minikeras.utils.history_plot import history_curves, plot_history
from minikeras.utils.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from minikeras.utils.packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from minikeras.utils.progbar import Progbar
from minikeras.utils.py_dataset import PyDataset
from minikeras.utils.sequence_utils import pad_sequences
from minikeras.utils.text_dataset import text_dataset_from_directory
from minikeras.utils.timeseries_dataset import timeseries_dataset_from_array

_FROM_OBJECT_REGISTRATION = (
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
)
_FROM_SERIALIZATION = ("deserialize_keras_object", "serialize_keras_object")
_FROM_BACKEND_UTILS = ("get_source_inputs", "is_keras_tensor", "standardize_dtype")
_FROM_IMAGE_UTILS = ("array_to_img", "img_to_array", "load_img", "save_img")

# Keras 3's old name for PyDataset (the same class).
Sequence = PyDataset

__all__ = [
    "Config",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "audio_dataset_from_directory",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "graph_to_dot",
    "history_curves",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "model_to_dot",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_graph",
    "plot_history",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def to_categorical(x, num_classes=None):
    """One-hot encodes integer labels (as `keras.utils.to_categorical`).

    Args:
        x: array-like of class indices (a trailing dimension of 1 is dropped).
        num_classes: number of classes (`max(x) + 1` by default).

    Returns:
        A float32 numpy array of shape `x.shape + (num_classes,)`.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(x, dtype="int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must be in [0, {num_classes}), got values from "
            f"{labels.min()} to {labels.max()}."
        )
    return np.eye(num_classes, dtype="float32")[labels]


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis` (zero vectors stay zero).

    A float array keeps its dtype, as in Keras; anything else becomes float32 (Keras
    gives numpy's float64 for an integer array).
    """
    array = np.asarray(x)
    array = array if array.dtype.kind == "f" else array.astype("float32")
    norm = np.linalg.norm(array, ord=order, axis=axis, keepdims=True)
    return np.divide(array, norm, out=np.zeros_like(array), where=norm != 0)


def set_random_seed(seed):
    """Seeds Python's `random`, numpy's global state and every minikeras random op.

    After `set_random_seed(s)`, weight initialisation, dropout, shuffling in `fit` and
    `keras.random` calls without a seed repeat exactly.
    """
    if not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Expected an int seed, got {type(seed).__name__}: {seed!r}.")
    from minikeras import random

    _python_random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    random.set_global_seed(int(seed))


def __getattr__(name):
    # `keras.utils` also offers these; they load on first use (see the module docstring).
    if name in _FROM_OBJECT_REGISTRATION:
        from minikeras.saving import object_registration as module
    elif name in _FROM_SERIALIZATION:
        from minikeras.saving import serialization as module
    elif name in ("model_to_dot", "plot_model"):
        from minikeras.utils import model_visualization as module
    elif name in ("graph_to_dot", "plot_graph"):
        from minikeras.utils import graph_visualization as module
    elif name == "clear_session":
        from minikeras.utils import session as module
    elif name in _FROM_BACKEND_UTILS:
        from minikeras.utils import backend_utils as module
    elif name in _FROM_IMAGE_UTILS:
        from minikeras.utils import image_utils as module
    elif name == "image_dataset_from_directory":
        from minikeras.utils import image_dataset as module
    elif name == "audio_dataset_from_directory":
        from minikeras.utils import audio_dataset as module
    else:
        raise AttributeError(f"module 'minikeras.utils' has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
