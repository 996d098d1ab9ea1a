"""The reverse-mode autodiff core: tensors, primitives, the backward pass, GradientTape.

Read in this order: `function.py` (primitives and the engine), `tensor.py` (Tensor and
Variable), `arithmetic.py` (the operators), `tape.py` (GradientTape).
"""

# function.py must load first: tensor.py builds on it.
from minikeras.autodiff.function import (  # noqa: I001
    Function,
    backward_pass,
    enable_grad,
    is_grad_enabled,
    no_grad,
    sum_to,
)
from minikeras.autodiff.tensor import Tensor, Variable, convert_to_tensor, to_array
from minikeras.autodiff.tape import GradientTape

__all__ = [
    "Function",
    "GradientTape",
    "Tensor",
    "Variable",
    "backward_pass",
    "convert_to_tensor",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "sum_to",
    "to_array",
]
