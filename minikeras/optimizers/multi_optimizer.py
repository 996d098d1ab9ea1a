"""MultiOptimizer: different optimizers for different variables, chosen by path."""

import re
from collections.abc import MutableMapping

from minikeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from minikeras.optimizers.optimizer import Optimizer

__all__ = ["MultiOptimizer", "OptimizerMap"]


class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers: exact keys first, then keys read as regular
    expressions that must match the whole path (`"encoder/.*"`); other paths get
    `default_optimizer`.

    Args:
        default_optimizer: the optimizer of unmatched variables.
        optimizer_map: an optional dict `{path or pattern: optimizer}`.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                f"default_optimizer must be a Keras Optimizer instance. Received: "
                f"{default_optimizer}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}: patterns {matches}.")
        if matches:
            return self._optimizer_map[matches[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys."
            )
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise ValueError(f"optimizer cannot be {type(optimizer).__name__}.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        from minikeras.optimizers import serialize

        return {
            "default_optimizer": serialize(self._default_optimizer),
            "optimizer_map": {key: serialize(o) for key, o in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.optimizers import deserialize

        default = deserialize(config["default_optimizer"], custom_objects=custom_objects)
        mapping = {
            key: deserialize(value, custom_objects=custom_objects)
            for key, value in (config.get("optimizer_map") or {}).items()
        }
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Hands each variable to its own optimizer.

    Args:
        optimizer_map: an `OptimizerMap`, or a callable `variable -> optimizer`.
        loss_scale_factor: set on every inner optimizer.
        name: a name.

    It has no learning rate of its own (reading or setting one raises); its `variables`
    are its `iteration` and `learning_rate` followed by each inner optimizer's variables,
    in the order the optimizers were first met.

    Example:
        >>> optimizer = MultiOptimizer(
        ...     OptimizerMap(keras.optimizers.SGD(), {"encoder/.*": keras.optimizers.Adam()}))
    """

    # The inner optimizers do the updates; this class never runs a flat update itself.
    _elementwise_update_step = False

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        values = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        for optimizer in values + ([default] if default is not None else []):
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self._optimizer_of = {}
        groups = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            if not isinstance(optimizer, Optimizer):
                raise ValueError(
                    f"Optimizer for variable {variable.path} is not an Optimizer instance."
                )
            if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
                raise ValueError(
                    f"{type(optimizer).__name__} cannot be used inside a MultiOptimizer."
                )
            if optimizer not in self._inner_optimizers:
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
            self._optimizer_of[id(variable)] = optimizer
            groups.setdefault(id(optimizer), []).append(variable)
        for optimizer in self._inner_optimizers:
            if id(optimizer) in groups:
                optimizer.build(groups[id(optimizer)])
        super().build(var_list)

    @property
    def optimizers(self):
        """The inner optimizers."""
        return self._inner_optimizers

    @property
    def variables(self):
        result = self._variables[:]
        for optimizer in self._inner_optimizers:
            result.extend(optimizer.variables)
        return result

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate "
            "on the individual sub-optimizers instead."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
            "individual sub-optimizers instead."
        )

    @property
    def loss_scale_factor(self):
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self.__dict__["_loss_scale_factor"] = value
        for optimizer in self.__dict__.get("_inner_optimizers", []):
            optimizer.loss_scale_factor = value

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Gradients must match trainable variables one-to-one. Received {len(grads)} "
                f"gradients and {len(trainable_variables)} variables."
            )
        self._check_variables_are_known(trainable_variables)
        pairs = {}
        for gradient, variable in zip(grads, trainable_variables):
            pairs.setdefault(id(self._optimizer_of[id(variable)]), []).append((gradient, variable))
        for optimizer in self._inner_optimizers:
            if id(optimizer) in pairs:
                sub_grads, sub_variables = zip(*pairs[id(optimizer)])
                optimizer.apply(list(sub_grads), list(sub_variables))
        self._increment_iterations()

    def finalize_variable_values(self, var_list):
        if not self.built:
            # No step was taken (`fit` stopped before its first): nothing to finalize, and
            # the error that stopped it must not be hidden by one raised here.
            return
        groups = {}
        for variable in var_list:
            groups.setdefault(id(self._optimizer_of[id(variable)]), []).append(variable)
        for optimizer in self._inner_optimizers:
            if id(optimizer) in groups:
                optimizer.finalize_variable_values(groups[id(optimizer)])

    def set_weights(self, weights):
        own = len(self._variables)
        super().set_weights(weights[:own])
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start : start + count])
                start += count

    def get_config(self):

        if not isinstance(self._optimizer_map, OptimizerMap):
            raise ValueError(
                "MultiOptimizer: only an OptimizerMap can be serialized (a callable "
                "optimizer_map cannot be written to a config)."
            )
        return {
            "optimizer_map": {
                "module": "keras.optimizers",
                "class_name": "OptimizerMap",
                "config": self._optimizer_map.get_config(),
                "registered_name": None,
            },
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict) and mapping.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(
                mapping["config"], custom_objects=custom_objects
            )
        return cls(**config)
