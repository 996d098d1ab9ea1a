"""minikeras: the Keras 3 training API on a small reverse-mode autodiff core over numpy.

Use it as `import minikeras as keras`.
"""

from minikeras import (
    activations,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from minikeras.autodiff import GradientTape, Tensor, Variable, no_grad
from minikeras.layers import Input, InputSpec, Layer
from minikeras.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "GradientTape",
    "Input",
    "InputSpec",
    "Layer",
    "Model",
    "Sequential",
    "Tensor",
    "Variable",
    "activations",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "no_grad",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "utils",
]
