"""Keras masks: a boolean array attached to a tensor, marking the entries that count.

Keras keeps a tensor's mask on the tensor itself (`tensor._keras_mask`). Here it lives in a
small side table keyed by the tensor, so that tensors stay light; the entry goes away when
the tensor is freed. A concrete mask is stored as a numpy bool array; a symbolic tensor's
mask is a symbolic tensor.
"""

import weakref

import numpy as np

# id(tensor) -> (weak reference to the tensor, mask). Empty when no live tensor has a mask,
# which lets a layer call skip all mask handling with one truth test.
live_masks = {}


def _forget(key):
    live_masks.pop(key, None)


def set_keras_mask(tensor, mask):
    """Attaches `mask` to `tensor` (None removes it).

    Args:
        tensor: a Tensor (or a symbolic tensor, or a numpy array).
        mask: booleans of the tensor's leading shape (a Tensor, array or nested lists), a
            symbolic tensor, or None.
    """
    key = id(tensor)
    if mask is None:
        live_masks.pop(key, None)
        return
    if not getattr(mask, "_is_symbolic", False):
        mask = np.asarray(getattr(mask, "data", mask), dtype=bool)
    live_masks[key] = (weakref.ref(tensor, lambda _, key=key: _forget(key)), mask)


def get_keras_mask(tensor):
    """The mask attached to `tensor` by `set_keras_mask`, or None."""
    if not live_masks:
        return None
    entry = live_masks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def any_masks():
    """Whether any live tensor carries a mask (lets calls skip mask handling quickly)."""
    return bool(live_masks)
