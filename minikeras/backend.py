"""`keras.backend`: the global settings, name counters and `clear_session`.

Example:
    >>> import minikeras as keras
    >>> keras.backend.floatx()
    'float32'
    >>> keras.backend.clear_session()
"""

from minikeras.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from minikeras.utils.naming import get_uid
from minikeras.utils.session import clear_session

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]

# dtype names and promotion, symbolic tensors (`keras.backend`'s helpers of these names).
from minikeras.utils.backend_utils import (
    is_float_dtype,
    is_int_dtype,
    is_keras_tensor,
    result_type,
    standardize_dtype,
)

__all__ += [
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "standardize_dtype",
]
