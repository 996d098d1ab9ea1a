"""How a batch is packed for `train_step`: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

Custom `train_step`s unpack their `data` argument with `unpack_x_y_sample_weight`, as the
Keras guides do (`keras.utils.unpack_x_y_sample_weight`).
"""


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch as a `train_step` receives it: `x`, `(x, y)` or `(x, y, sample_weight)`.

    A tuple or list `x` without `y` is wrapped as `(x,)`, so that unpacking it again does
    not mistake its items for `x` and `y`.

    Example:
        >>> pack_x_y_sample_weight(x, y)
        (x, y)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Splits a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    Returns:
        `(x, y, sample_weight)`, with None for the parts that are missing.

    Example:
        >>> x, y, sample_weight = unpack_x_y_sample_weight(data)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be x, (x,), (x, y) or (x, y, sample_weight); received a tuple "
        f"of length {len(data)}."
    )
