"""minikeras: the Keras 3 training API on a small reverse-mode autodiff core over numpy.

Use it as `import minikeras as keras`.

The core (config, ops, random, autodiff) loads with the package; the larger subpackages
(layers, models, losses, ...) load the first time they are used, so `import minikeras` stays
fast.
"""

import importlib

from minikeras import config, ops, random
from minikeras.autodiff import GradientTape, Tensor, Variable, no_grad
from minikeras.autodiff.name_scope import name_scope
from minikeras.config import device
from minikeras.ops.allocator import keep_freed_memory_unless_disabled
from minikeras.ops.symbolic import KerasTensor

# Freed array memory stays in the process for the next training step (see ops/allocator.py).
keep_freed_memory_unless_disabled()

__version__ = "0.1.0"


def version():
    """minikeras's version (Keras's `keras.version()` gives Keras's own)."""
    return __version__


_SUBPACKAGES = (
    "activations",
    "backend",
    "callbacks",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
)
# Top-level names that live in a subpackage: name -> subpackage.
_FROM_SUBPACKAGE = {
    "Initializer": "initializers",
    "Input": "layers",
    "InputSpec": "layers",
    "Layer": "layers",
    "Loss": "losses",
    "Metric": "metrics",
    "Model": "models",
    "Optimizer": "optimizers",
    "Regularizer": "regularizers",
    "Sequential": "models",
}

__all__ = [
    "GradientTape",
    "KerasTensor",
    "Tensor",
    "Variable",
    "config",
    "device",
    "name_scope",
    "no_grad",
    "ops",
    "random",
    "version",
    *_SUBPACKAGES,
    *_FROM_SUBPACKAGE,
]


def __getattr__(name):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"minikeras.{name}")
        globals()[name] = module
        return module
    if name in _FROM_SUBPACKAGE:
        value = getattr(__getattr__(_FROM_SUBPACKAGE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'minikeras' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
