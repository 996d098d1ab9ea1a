"""The reverse-mode autodiff core: tensors, primitives, the backward pass, GradientTape.

Read in import order, each module building only on the ones before it: `backward.py` (the
engine that walks a recorded graph), `tensor.py` (Tensor and Variable), `function.py`
(primitives and `no_grad`), `arithmetic.py` (the basic primitives, which also give Tensor its
operators), `tape.py` (GradientTape). Fast paths beside them: `program.py` (replayed steps)
and `_fast.py` (the primitive call unrolled, installed below as `Function.__call__`).
"""

# arithmetic installs Tensor's operators (+, *, [], ...): it must load with the package.
from minikeras.autodiff import arithmetic  # noqa: F401
from minikeras.autodiff._fast import use_fast_call
from minikeras.autodiff.backward import backward_pass
from minikeras.autodiff.function import Function, enable_grad, is_grad_enabled, no_grad, sum_to
from minikeras.autodiff.tape import GradientTape
from minikeras.autodiff.tensor import Tensor, Variable, convert_to_tensor, to_array

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

use_fast_call()  # Function.__call__ becomes the unrolled copy of Function.plain_call
