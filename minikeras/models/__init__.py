"""Models: `Model`, `Sequential`, and Functional models made by `Model(inputs, outputs)`."""

from minikeras.models.functional import Functional
from minikeras.models.model import Model
from minikeras.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
