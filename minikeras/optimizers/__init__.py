"""Optimizers (`keras.optimizers`): SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax,
Nadam, Lion, Ftrl, Lamb, Adafactor, Muon, ScheduleFreeAdamW, the wrappers
LossScaleOptimizer and MultiOptimizer (with OptimizerMap), and learning-rate `schedules`.

Each one updates its variables in place from their gradients, with the same arithmetic as
Keras 3 (float32, same order of operations), so a training run gives the same numbers.

Example:
    >>> import minikeras as keras
    >>> optimizer = keras.optimizers.get("adam")      # Adam(learning_rate=0.001)
    >>> optimizer.apply(grads, model.trainable_weights)
"""

from minikeras.optimizers import schedules
from minikeras.optimizers._serialization import find_class, serialize_object
from minikeras.optimizers.adadelta import Adadelta
from minikeras.optimizers.adafactor import Adafactor
from minikeras.optimizers.adagrad import Adagrad
from minikeras.optimizers.adam import Adam
from minikeras.optimizers.adamax import Adamax
from minikeras.optimizers.adamw import AdamW
from minikeras.optimizers.ftrl import Ftrl
from minikeras.optimizers.lamb import Lamb
from minikeras.optimizers.lion import Lion
from minikeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from minikeras.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from minikeras.optimizers.muon import Muon
from minikeras.optimizers.nadam import Nadam
from minikeras.optimizers.optimizer import Optimizer
from minikeras.optimizers.rmsprop import RMSprop
from minikeras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from minikeras.optimizers.sgd import SGD
from minikeras.utils.suggestions import did_you_mean

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

_BUILTIN_OPTIMIZERS = (
    Optimizer,
    SGD,
    RMSprop,
    Adam,
    AdamW,
    Adagrad,
    Adadelta,
    Adamax,
    Nadam,
    Lion,
    Ftrl,
    Lamb,
    Adafactor,
    Muon,
    ScheduleFreeAdamW,
)
# Wrappers around other optimizers: read from configs, but not created from a bare name.
_WRAPPERS = (LossScaleOptimizer, MultiOptimizer)


def serialize(optimizer):
    """Returns the Keras-style config dict of an optimizer (its settings, not its state).

    Example:
        >>> serialize(SGD(learning_rate=0.5))["config"]["learning_rate"]
        0.5
    """
    return serialize_object(optimizer, "keras.optimizers", _BUILTIN_OPTIMIZERS + _WRAPPERS)


def deserialize(config, custom_objects=None):
    """Creates an optimizer from the dict `serialize` returned.

    Built-in class names match case-insensitively ("adam", "Adam", "ADAM"), as in Keras.

    Args:
        config: `{"class_name": ..., "config": {...}}`.
        custom_objects: dict of your own optimizer (and schedule) classes by name.
    """
    cls = find_class(
        config, "optimizer", _BUILTIN_OPTIMIZERS + _WRAPPERS, custom_objects, case_sensitive=False
    )
    inner = dict(config.get("config", {}))
    if isinstance(inner.get("learning_rate"), dict):
        inner["learning_rate"] = schedules.deserialize(
            inner["learning_rate"], custom_objects=custom_objects
        )
    return cls.from_config(inner, custom_objects=custom_objects)


def get(identifier):
    """Returns an optimizer from a name, a config dict or an optimizer.

    Args:
        identifier: a name ("sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta",
            "adamax", "nadam", "lion", "ftrl", "lamb", "adafactor", "muon",
            "schedulefreeadamw"; any case), a config dict, an `Optimizer`
            (returned as is) or None (returns None).

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or anything
            else.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        optimizer = deserialize(identifier)
    elif isinstance(identifier, str):
        names = sorted(cls.__name__.lower() for cls in _BUILTIN_OPTIMIZERS[1:])
        if identifier.lower() not in names:
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}."
                f"{did_you_mean(identifier, names)} Valid names: {names}."
            )
        optimizer = deserialize({"class_name": identifier, "config": {}})
    else:
        optimizer = identifier
    if isinstance(optimizer, Optimizer):
        return optimizer
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
