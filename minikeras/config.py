"""Global settings, as in `keras.config`: default float type, fuzz factor, image layout.

Every other module reads these through the functions below, so there is one place to
change them. Example:

>>> import minikeras as keras
>>> keras.config.floatx()
'float32'
"""

import os

_FLOAT_TYPES = ("float16", "float32", "float64")
_IMAGE_DATA_FORMATS = ("channels_last", "channels_first")

_floatx = "float32"
_floatx_dtype = None  # np.dtype(_floatx), cached because comparing dtype names is slow
_epsilon = 1e-7
_image_data_format = "channels_last"


def floatx():
    """Returns the default float type as a string (`"float32"` unless changed)."""
    return _floatx


def floatx_dtype():
    """The default float type as a numpy dtype."""
    global _floatx_dtype
    if _floatx_dtype is None:
        import numpy as np

        _floatx_dtype = np.dtype(_floatx)
    return _floatx_dtype


def set_floatx(value):
    """Sets the default float type.

    Args:
        value: one of `"float16"`, `"float32"`, `"float64"`.
    """
    global _floatx, _floatx_dtype
    value = str(value)
    if value not in _FLOAT_TYPES:
        raise ValueError(f"Unknown floatx {value!r}. Expected one of {list(_FLOAT_TYPES)}.")
    _floatx = value
    _floatx_dtype = None


def epsilon():
    """Returns the fuzz factor used to avoid division by zero (1e-7 by default)."""
    return _epsilon


def set_epsilon(value):
    """Sets the fuzz factor returned by `epsilon()`."""
    global _epsilon
    _epsilon = float(value)


def image_data_format():
    """Returns `"channels_last"` (the only layout the image ops implement natively)."""
    return _image_data_format


def set_image_data_format(data_format):
    """Sets the default image layout (`"channels_last"` or `"channels_first"`)."""
    global _image_data_format
    data_format = str(data_format).lower()
    if data_format not in _IMAGE_DATA_FORMATS:
        raise ValueError(
            f"Unknown data_format {data_format!r}. Expected one of {list(_IMAGE_DATA_FORMATS)}."
        )
    _image_data_format = data_format


def backend():
    """Returns the name of the array library computations run on: always `"numpy"`."""
    return "numpy"


# Debugging caps on every fit/evaluate/predict, as Keras's `KERAS_MAX_EPOCHS` and
# `KERAS_MAX_STEPS_PER_EPOCH` environment variables set them.
_max_epochs = int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None
_max_steps_per_epoch = (
    int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
    if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ
    else None
)


def max_epochs():
    """The cap on the epochs of any `fit` (None: no cap)."""
    return _max_epochs


def set_max_epochs(max_epochs):
    """Caps the epochs of every `fit` (a debugging aid; None removes the cap)."""
    global _max_epochs
    _max_epochs = max_epochs


def max_steps_per_epoch():
    """The cap on the steps of one epoch of `fit`, `evaluate` or `predict` (None: no cap)."""
    return _max_steps_per_epoch


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the steps of each epoch of `fit`, `evaluate` and `predict`, as if
    `steps_per_epoch`/`steps` were that number (a debugging aid; None removes the cap)."""
    global _max_steps_per_epoch
    _max_steps_per_epoch = max_steps_per_epoch
