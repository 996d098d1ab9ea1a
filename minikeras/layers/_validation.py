"""Argument checks shared by the layers of the catalogue (padding sizes, data formats, ...)."""

import operator

from minikeras import config

_DATA_FORMATS = ("channels_last", "channels_first")


def is_integer(value):
    """True for Python and numpy integers (not for bools)."""
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def checked_trainable(value):
    """`trainable` as a layer is given it: a Python bool, as Keras requires (`None` or `1`
    would otherwise pass as a truth value)."""
    if not isinstance(value, bool):
        raise ValueError(
            f"Expected `trainable` to be a boolean. Received: trainable={value!r} "
            f"(of type {type(value)})"
        )
    return value


def weight_shape(shape, layer=None):
    """The shape given to `add_weight` as a tuple of ints (`()` for None), once `layer` is
    known to take new weights (not after its build, as in Keras).

    A string is the Keras 2 habit of passing the name first (`add_weight("kernel", ...)`).
    """
    if layer is not None and layer.__dict__.get("_state_locked"):
        raise ValueError(
            f'Layer "{layer.name}": you cannot add new elements of state (variables or '
            "sub-layers) to a layer that is already built. All state must be created in the "
            "`__init__()` method or in the `build()` method."
        )
    if shape is None:
        return ()
    if isinstance(shape, str):
        raise ValueError(
            f"`name` must be passed as a keyword argument. Received: add_weight({shape!r}, "
            f"...). Use: add_weight(shape=..., name={shape!r})."
        )
    return tuple(int(d) for d in shape)


def _subject(name, layer_name):
    """How an error message names the argument: with its layer when one is given."""
    return f"{layer_name}: `{name}`" if layer_name else f"The `{name}` argument"


def standardize_data_format(data_format, layer_name=None):
    """`None` gives `config.image_data_format()`; otherwise checks the name."""
    if data_format is None:
        return config.image_data_format()
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(
            f"{_subject('data_format', layer_name)} must be one of {list(_DATA_FORMATS)}. "
            f"Received data_format={data_format!r}."
        )
    return value


def int_tuple(value, n, name, layer_name=None, allow_zero=False):
    """Returns an int, or `n` ints, as a tuple of `n` positive (or non-negative) ints.

    Args:
        value: int or iterable of ints.
        n: length of the result (e.g. the number of spatial dimensions).
        name: argument name, for the error message.
        layer_name: the layer named by the error message (optional).
        allow_zero: accept zeros (paddings); otherwise every entry must be > 0.

    Example:
        >>> int_tuple(2, 2, "size", "UpSampling2D")
        (2, 2)
    """
    subject = _subject(name, layer_name)
    items = (value,) * n if is_integer(value) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if items is None or len(items) != n or not all(is_integer(v) for v in items):
        raise ValueError(
            f"{subject} must be an integer or a tuple of {n} integers. Received {name}={value!r}."
        )
    items = tuple(operator.index(v) for v in items)
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in items):
        raise ValueError(
            f"{subject} must be {'>= 0' if allow_zero else '> 0'} in every dimension. "
            f"Received {name}={value!r}."
        )
    return items


def before_after_pairs(value, n, name, layer_name):
    """Normalises padding/cropping amounts to `n` `(before, after)` pairs.

    Accepts an int (same everywhere), `n` ints (symmetric per dimension) or `n` pairs.

    Example:
        >>> before_after_pairs(((1, 2), 3), 2, "padding", "ZeroPadding2D")
        ((1, 2), (3, 3))
    """
    if is_integer(value):
        pair = int_tuple(value, 2, name, layer_name, allow_zero=True)
        return (pair,) * n
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != n:
        raise ValueError(
            f"{layer_name}: `{name}` must be an int, a tuple of {n} ints or a tuple of {n} "
            f"(before, after) pairs. Received {name}={value!r}."
        )
    return tuple(
        int_tuple(item, 2, f"{name}[{i}]", layer_name, allow_zero=True)
        for i, item in enumerate(items)
    )
