"""Initializers (`keras.initializers`): the starting values of weights.

Each initializer is a callable `initializer(shape, dtype=None)` returning a tensor of that
shape (dtype `floatx()` by default). Layers accept an instance, a name such as
`"glorot_uniform"` or `"zeros"`, or a config dict, all resolved by `get`.

Example:
    >>> from minikeras import initializers
    >>> initializers.get("he_normal")((3, 3, 16, 32)).shape
    (3, 3, 16, 32)
"""

import inspect

import numpy as np

from minikeras.autodiff import Tensor, convert_to_tensor
from minikeras.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from minikeras.initializers.initializer import Initializer
from minikeras.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)
from minikeras.utils.object_registry import ObjectRegistry

# Keras exports every class under a snake_case name too (`glorot_uniform` is the class).
constant = Constant
identity = Identity
IdentityInitializer = Identity
ones = Ones
zeros = Zeros
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

_CLASSES = (
    Initializer,
    Constant,
    Identity,
    Ones,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)

# Names accepted by `get`/`deserialize`, as in Keras: class names, their snake_case
# forms, and a few historical aliases.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update(
    {
        "initializer": Initializer,
        "constant": Constant,
        "identity": Identity,
        "ones": Ones,
        "zeros": Zeros,
        "glorot_normal": GlorotNormal,
        "glorot_uniform": GlorotUniform,
        "he_normal": HeNormal,
        "he_uniform": HeUniform,
        "lecun_normal": LecunNormal,
        "lecun_uniform": LecunUniform,
        "orthogonal": Orthogonal,
        "random_normal": RandomNormal,
        "random_uniform": RandomUniform,
        "truncated_normal": TruncatedNormal,
        "variance_scaling": VarianceScaling,
        "IdentityInitializer": Identity,
        "OrthogonalInitializer": Orthogonal,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "one": Ones,
        "zero": Zeros,
    }
)


_REGISTRY = ObjectRegistry(
    "initializer", "keras.initializers", ALL_OBJECTS_DICT, "keras.initializers.Initializer"
)


def serialize(initializer):
    """Returns the initializer as a Keras config dict; None stays None."""
    return _REGISTRY.serialize(initializer)


def deserialize(config, custom_objects=None):
    """Creates a initializer from a name or a config dict (the output of `serialize`).

    Args:
        config: a string name or a dict with "class_name" and "config".
        custom_objects: optional dict mapping names to user classes.
    """
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """Returns an initializer for `identifier`.

    Args:
        identifier: None (returns None), a name ("glorot_uniform", "zeros", ...), a config
            dict, an Initializer instance or class, any callable `fn(shape, dtype=None)`, or
            an array/tensor whose values are used as is (the shape must then match).

    Example:
        >>> get("ones")((2,)).numpy()
        array([1., 1.], dtype=float32)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict | str):
        return deserialize(identifier)
    if isinstance(identifier, Tensor | np.ndarray | np.generic):
        values = identifier

        def initialize_fn(shape, dtype=None):
            if tuple(shape) != tuple(values.shape):
                raise ValueError(
                    f"Expected `shape` to be {tuple(values.shape)} for a tensor used as an "
                    f"initializer. Received: shape={tuple(shape)}"
                )
            return convert_to_tensor(values, dtype=dtype or values.dtype)

        return initialize_fn
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
