"""Global settings, as in `keras.config`: default float type, fuzz factor, image layout.

Every other module reads these through the functions below, so there is one place to
change them. Example:

>>> import minikeras as keras
>>> keras.config.floatx()
'float32'
"""

import os

# Also `keras.config` functions (as in Keras): where messages and progress bars go.
from minikeras.utils.io_utils import (  # noqa: F401
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

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


# -- Switches of `keras.config` ---------------------------------------------------------------

_traceback_filtering = [True]
_flash_attention = [None]


def enable_traceback_filtering():
    """Turns traceback filtering on (the state only: minikeras's tracebacks are never filtered)."""
    _traceback_filtering[0] = True


def disable_traceback_filtering():
    """Turns traceback filtering off (the state only, as `enable_traceback_filtering`)."""
    _traceback_filtering[0] = False


def is_traceback_filtering_enabled():
    """Whether traceback filtering is on (True by default, as in Keras)."""
    return _traceback_filtering[0]


def enable_flash_attention():
    """Lets attention use flash attention where it can (the default), as in Keras, which
    then reports None. The state only: minikeras has no flash attention kernel, and
    `ops.dot_product_attention` computes the same values either way."""
    _flash_attention[0] = None


def disable_flash_attention():
    """Keeps attention from using flash attention (the state only, see above)."""
    _flash_attention[0] = False


def is_flash_attention_enabled():
    """False after `disable_flash_attention()`, else None (used where supported), as in
    Keras."""
    return _flash_attention[0]


def enable_unsafe_deserialization():
    """Lets every load restore Python lambdas stored as bytecode, as if `safe_mode=False`
    were passed (so `load_model` reads a `.keras` file with a `Lambda` layer)."""
    from minikeras.saving.serialization import enable_unsafe_deserialization as enable

    enable()


_MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")


def dtype_policy():
    """The global dtype policy: minikeras's layers use one dtype, `floatx()`, for weights
    and computations, so its name is `floatx()`."""
    from minikeras.layers.operation import DTypePolicy

    return DTypePolicy(floatx())


def set_dtype_policy(policy):
    """Sets the global dtype policy: `"float16"`, `"float32"` or `"float64"` (or a
    `DTypePolicy` of one of them).

    Unlike Keras, which leaves `floatx()` alone and only changes the dtype of layers made
    afterwards, this sets `floatx()`: minikeras's layers take their dtype from it. Mixed
    precision (`"mixed_float16"`, `"mixed_bfloat16"`) and bfloat16 are not available.

    Raises:
        ValueError: for any other policy.
    """
    name = getattr(policy, "name", policy)
    if not isinstance(name, str):
        raise ValueError(
            "Invalid `policy` argument. Expected the string name of a policy (one of "
            f"{list(_FLOAT_TYPES)}) or a `DTypePolicy` instance. Received: policy={policy!r} "
            f"(of type {type(policy)})"
        )
    if name not in _FLOAT_TYPES:
        reason = (
            "minikeras does not do mixed precision"
            if name in _MIXED_POLICIES
            else "minikeras computes in one float dtype"
        )
        raise ValueError(
            f"Unsupported dtype policy {name!r}: {reason}. Supported policies: "
            f"{list(_FLOAT_TYPES)}."
        )
    set_floatx(name)


# -- Devices (`keras.device`) ----------------------------------------------------------------


class device:
    """`keras.device(name)`: places computations on a device. minikeras runs on the CPU
    only, so `"cpu"` and `"cpu:0"` (any case, also as `"/device:CPU:0"`) are accepted and
    change nothing.

    Raises:
        ValueError: for any other device (a GPU or TPU, another CPU index).
    """

    def __init__(self, device_name):
        name = str(device_name).lower()
        name = name.removeprefix("/device:").removeprefix("/")
        if name not in ("cpu", "cpu:0"):
            raise ValueError(
                f"Unsupported device {device_name!r}: minikeras runs on the CPU only. "
                "Use 'cpu' or 'cpu:0'."
            )
        self.device_name = device_name

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        return None
