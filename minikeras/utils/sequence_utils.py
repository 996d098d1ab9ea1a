"""`pad_sequences`: a list of variable-length sequences as one rectangular array."""

import numpy as np

_SIDES = ("pre", "post")


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
):
    """Pads (or truncates) sequences to one length (as `keras.utils.pad_sequences`).

    Args:
        sequences: a list of sequences (lists or arrays; each item may itself be an array,
            all of one shape).
        maxlen: the length of every row; the longest sequence's length by default.
        dtype: dtype of the result (`"int32"`; use `object` for strings of any length).
        padding: `"pre"` or `"post"`: where the `value`s go in short sequences.
        truncating: `"pre"` or `"post"`: which end of a long sequence is cut off.
        value: the padding value.

    Returns:
        A numpy array of shape `(len(sequences), maxlen) + item_shape`.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2)
        array([[0, 1],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f"`{name}` must be one of {_SIDES}. Received: {name}={side!r}.")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"`sequences` must be a list of sequences. Received: {sequences!r}.")
    lengths, item_shape = [], None
    for sequence in sequences:
        if not hasattr(sequence, "__len__"):
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {sequence!r}."
            )
        lengths.append(len(sequence))
        if item_shape is None and len(sequence):
            # The first non-empty sequence fixes the shape of one step.
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        if not lengths:
            raise ValueError("`sequences` is empty: pass `maxlen` to get a (0, maxlen) array.")
        maxlen = max(lengths)
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"`maxlen` must be a non-negative integer. Received: maxlen={maxlen!r}.")
    maxlen = int(maxlen)
    is_text_dtype = dtype is object or np.dtype(dtype).kind in "USO"
    if isinstance(value, str) and not is_text_dtype:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}. "
            "Set `dtype=object` for variable length strings."
        )
    result = np.full((len(lengths), maxlen, *item_shape), value, dtype=dtype)
    if maxlen == 0:
        return result
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {index} is "
                f"different from expected shape {item_shape}."
            )
        if padding == "post":
            result[index, : len(kept)] = kept
        else:
            result[index, -len(kept) :] = kept
    return result
