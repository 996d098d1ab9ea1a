"""How `Layer.__call__` reads its arguments.

The first call of a layer class looks at the signature of its `call` once, to learn whether
it takes `training` and `mask` and where they sit among the positional arguments; the answer
is cached on the class. `Layer.__call__` then rejects the arguments Keras rejects and
converts array inputs to tensors, float ones in the layer's dtype (autocast).
"""

import inspect

import numpy as np

from minikeras.autodiff import Tensor, convert_to_tensor
from minikeras.ops.symbolic import KerasTensor, map_structure
from minikeras.tree import flatten

# What may be passed positionally to a layer (an input tensor or array).
_TENSOR_TYPES = (Tensor, KerasTensor, np.ndarray, np.generic)


def _call_signature_flags(cls):
    """`(takes training, takes mask)` for `cls.call`, cached on the class."""
    cached = cls.__dict__.get("_signature_flags")
    if cached is None:
        parameters = inspect.signature(cls.call).parameters
        cached = ("training" in parameters, "mask" in parameters)
        cls._signature_flags = cached
    return cached


def _argument_positions(cls):
    """Indices in a call's positional arguments (inputs first) that fill `training` and
    `mask` (-1 when the call has no such positional parameter)."""
    cached = cls.__dict__.get("_argument_positions")
    if cached is None:
        positional = [
            name
            for name, parameter in inspect.signature(cls.call).parameters.items()
            if parameter.kind
            in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ][1:]  # without `self`
        cached = tuple(positional.index(n) if n in positional else -1 for n in ("training", "mask"))
        cls._argument_positions = cached
    return cached


def _training_position(cls):
    """Index in a call's positional arguments (inputs first) that fills `training`, or None."""
    position = _argument_positions(cls)[0]
    return None if position < 0 else position


def _check_call_arguments(layer, args, kwargs):
    """Rejects, as Keras does, call arguments that would otherwise be silently misread."""
    cls = type(layer)
    if not layer._allow_non_tensor_positional_args:
        for value in flatten(args[1:]):
            if value is not None and not isinstance(value, _TENSOR_TYPES):
                raise ValueError(
                    f'Layer "{layer.name}": only input tensors may be passed as positional '
                    "arguments. The following argument value should be passed as a "
                    f"keyword argument: {value!r} (of type {type(value).__name__})."
                )
    position = _training_position(cls)
    if position is not None and len(args) > position and args[position] is not None:
        raise TypeError(
            f"{cls.__name__}.call() got multiple values for argument 'training': the "
            f"positional argument number {position + 1} fills `training`. Pass the inputs "
            "as one structure (a list or dict) and training=... as a keyword."
        )
    if kwargs.get("mask") is not None and not _call_signature_flags(cls)[1]:
        raise TypeError(
            f"{cls.__name__}.call() got an unexpected keyword argument 'mask' (its call "
            "takes no mask)."
        )


def _autocast(value, dtype, kinds="f"):
    """An array or tensor as a tensor; those whose dtype kind is in `kinds` (floats) take
    `dtype` (an np.dtype)."""
    if isinstance(value, Tensor):
        array = value.data
        if array.dtype.kind in kinds and array.dtype != dtype:
            return convert_to_tensor(value, dtype)
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in kinds:
            return convert_to_tensor(value, dtype)
        return convert_to_tensor(value)
    if isinstance(value, (list, tuple, dict)):
        return map_structure(lambda item: _autocast(item, dtype, kinds), value)
    return value


def _to_tensors(args, dtype, promote_integers=False):
    """Converts the arrays among a call's positional arguments to tensors (autocast).

    With `promote_integers`, integer and bool inputs take `dtype` too: a layer whose
    arithmetic mixes its inputs with float weights gets float32 out of int inputs in Keras
    (type promotion), where numpy would give float64.
    """
    dtype = np.dtype(dtype)
    kinds = "fiub" if promote_integers else "f"
    return tuple([_autocast(value, dtype, kinds) for value in args])
