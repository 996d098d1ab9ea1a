"""Models: `Model`, `Sequential`, and Functional models made by `Model(inputs, outputs)`."""

from minikeras.models.functional import Functional
from minikeras.models.model import Model
from minikeras.models.sequential import Sequential
from minikeras.saving.saving_api import clone_model, load_model, model_from_json, save_model

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
