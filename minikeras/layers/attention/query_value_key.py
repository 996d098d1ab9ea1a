"""Building an attention layer from the shapes of its `query`, `value` and `key` inputs,
shared by MultiHeadAttention and GroupedQueryAttention."""

import numpy as np


class BuildsFromQueryValueKey:
    """`_maybe_build`, `get_build_config` and `build_from_config` of a layer whose
    `build(query_shape, value_shape, key_shape=None)` records `_build_shapes_dict`.

    The first call builds the layer from its `query`, `value` (and `key`) arguments, given
    by position or keyword; the build config is those shapes, as Keras writes it.
    """

    def _maybe_build(self, args, kwargs):
        if self.built:
            return
        names = ("query", "value", "key")
        tensors = dict(zip(names, args))
        tensors.update({name: kwargs[name] for name in names if kwargs.get(name) is not None})
        if "query" not in tensors or "value" not in tensors:
            raise ValueError(f"{type(self).__name__} must be called with `query` and `value`.")
        shapes = {
            name: tuple(tensor.shape if hasattr(tensor, "shape") else np.shape(tensor))
            for name, tensor in tensors.items()
        }
        self.build(shapes["query"], shapes["value"], shapes.get("key"))

    def get_build_config(self):
        if not self.built:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._build_shapes_dict.items()}}

    def build_from_config(self, config):
        shapes = config.get("shapes_dict") if config else None
        if shapes:
            self.build(**{k: tuple(v) for k, v in shapes.items()})
