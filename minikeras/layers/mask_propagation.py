"""How masks travel through a layer call.

A mask rides on a tensor (`tensor._keras_mask`, see `autodiff/masks.py`). When a layer is
called, `Layer.__call__` finds the mask the call starts from (Keras's "previous mask": an
explicit `mask` argument, or the masks the inputs carry) and hands it to `call` when `call`
takes one; after the call, the layer's `compute_mask` gives the outputs' masks, which are
attached to them. A layer that does not support masking drops the mask, with a warning.

`Layer` inherits `MaskSupport` (its `compute_mask`); it is not used on its own.
"""

import inspect
import warnings

from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.layers.call_arguments import _TENSOR_TYPES, _argument_positions
from minikeras.ops.symbolic import map_structure
from minikeras.tree import flatten


def _named_mask_parameters(cls):
    """`(position, name, mask position, name + "_mask")` for each call parameter that has
    a mask parameter of its own (MultiHeadAttention's `value` and `value_mask`)."""
    cached = cls.__dict__.get("_named_mask_parameters")
    if cached is None:
        names = list(inspect.signature(cls.call).parameters)[1:]  # without `self`
        cached = tuple(
            (i, n, names.index(n + "_mask"), n + "_mask")
            for i, n in enumerate(names)
            if n + "_mask" in names
        )
        cls._named_mask_parameters = cached
    return cached


def _first_parameter(cls):
    """The name of the first parameter of `cls.call` after `self`, cached on the class."""
    cached = cls.__dict__.get("_first_call_parameter")
    if cached is None:
        cached = next(iter(list(inspect.signature(cls.call).parameters)[1:]), "")
        cls._first_call_parameter = cached
    return cached


def _first_argument(layer, args, kwargs):
    """The call's first argument, passed by position or by keyword (`layer(query=x, ...)`):
    as in Keras, the masks a call starts from and passes on are those it carries."""
    if args:
        return args[0]
    return kwargs.get(_first_parameter(type(layer)))


def _passed_mask(cls, args, kwargs):
    """The mask a call received, by keyword or in the `mask` parameter's position."""
    mask = kwargs.get("mask")
    position = _argument_positions(cls)[1]
    if mask is None and 0 <= position < len(args):
        mask = args[position]
    return mask


def _has_mask(masks):
    return masks is not None and any(m is not None for m in flatten(masks))


def _keep_masks(originals, converted):
    """Re-attaches the masks of `originals` to their converted copies (autocast)."""
    for before, after in zip(flatten(originals), flatten(converted)):
        if after is not before:
            mask = get_keras_mask(before)
            if mask is not None:
                set_keras_mask(after, mask)


def _call_masks(layer, args, kwargs, has_mask):
    """The mask a call of `layer` starts from (Keras's "previous mask"), as Keras finds it.

    An explicit `mask` argument wins; otherwise the masks carried by the inputs. When
    the call takes a `mask` and gets one tensor argument (or structure), that
    argument's masks fill `mask` (`kwargs` is updated in place).
    """
    for position, name, mask_position, mask_name in _named_mask_parameters(type(layer)):
        # As Keras: a call with `<name>_mask` parameters gets each argument's mask there.
        value = args[position] if position < len(args) else kwargs.get(name)
        if value is not None and kwargs.get(mask_name) is None and mask_position >= len(args):
            found = map_structure(get_keras_mask, value)
            if _has_mask(found):
                kwargs[mask_name] = found
    passed = _passed_mask(type(layer), args, kwargs)
    if passed is not None:
        return passed
    first = _first_argument(layer, args, kwargs)
    found = map_structure(get_keras_mask, first)
    if not _has_mask(found):
        return None
    skipped = ("mask", "training", "" if args else _first_parameter(type(layer)))
    tensor_kwargs = any(isinstance(v, _TENSOR_TYPES) for k, v in kwargs.items() if k not in skipped)
    if has_mask and len(args) <= 1 and not tensor_kwargs:
        kwargs["mask"] = found
    return found


def _set_output_masks(layer, inputs, outputs, previous_mask):
    """Attaches `layer.compute_mask`'s masks to the outputs, or warns (as Keras) when the
    layer does not support masking and so drops the mask it was given."""
    if not layer.supports_masking:
        if _has_mask(previous_mask) and layer._warns_of_dropped_masks:
            warnings.warn(
                f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input "
                "with a mask attached to it. However, this layer does not support masking "
                "and will therefore destroy the mask information. Downstream layers will "
                "not see the mask.",
                stacklevel=3,
            )
        return
    flat_outputs = flatten(outputs)
    if all(get_keras_mask(t) is not None for t in flat_outputs):
        return  # the call set them itself
    masks = layer.compute_mask(inputs, previous_mask)
    if masks is None:
        return
    for tensor, mask in zip(flat_outputs, flatten(masks)):
        if mask is not None and get_keras_mask(tensor) is None:
            set_keras_mask(tensor, mask)


class MaskSupport:
    """`compute_mask`, which a layer overrides to make or change the mask of its outputs."""

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs: by default the input's mask, passed on unchanged.

        Args:
            inputs: the call's first argument.
            previous_mask: the mask the call received (explicitly or from the inputs).

        Returns:
            booleans of the outputs' leading shape (False = masked out), or None.
        """
        return previous_mask

    _warns_of_dropped_masks = True

    def _makes_masks(self):
        """Whether this layer may make a mask from unmasked inputs (it defines compute_mask)."""
        return self.supports_masking and type(self).compute_mask is not MaskSupport.compute_mask
