"""Decoupled weight decay, step 6 of `Optimizer.apply`: `w -= w * weight_decay * lr`.

`WeightDecay` is one of `Optimizer`'s base classes. It reads the `weight_decay` option the
constructor stores; `exclude_from_weight_decay` (Keras's API) names the variables it
leaves alone. Muon overrides `_apply_weight_decay` (its Adam variables decay at their own rate).
"""

import re

import numpy as np

__all__ = ["WeightDecay"]


class WeightDecay:
    """The decoupled weight decay of `Optimizer` (reads `weight_decay`)."""

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay (call it before the first `apply`).

        Args:
            var_list: variables to exclude.
            var_names: strings; a variable whose name contains one of them is excluded
                (e.g. `["bias"]`).
        """
        self._exclude_from_weight_decay = {id(v) for v in var_list or ()}
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names)))
        else:
            self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable):
        cache = self.__dict__.setdefault("_exclude_from_weight_decay_cache", {})
        key = id(variable)
        if key not in cache:
            excluded = key in getattr(self, "_exclude_from_weight_decay", ())
            pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
            if pattern is not None and pattern.search(variable.name) is not None:
                excluded = True
            cache[key] = not excluded
        return cache[key]

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                float_type = variable.data.dtype.type
                (decay,) = self._scratch(variable, 1)[:1]
                np.multiply(variable.data, float_type(self.weight_decay), out=decay)
                decay *= float_type(learning_rate)
                variable.data -= decay
