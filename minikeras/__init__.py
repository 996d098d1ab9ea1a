"""minikeras: the Keras 3 training API on a small reverse-mode autodiff core over numpy.

Use it as `import minikeras as keras`.
"""

from minikeras import config, ops, random, utils
from minikeras.autodiff import GradientTape, Tensor, Variable, no_grad

__version__ = "0.1.0"

__all__ = ["GradientTape", "Tensor", "Variable", "config", "no_grad", "ops", "random", "utils"]
