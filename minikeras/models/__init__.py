"""Models: `Model`, `Sequential`, and Functional models made by `Model(inputs, outputs)`."""

from minikeras.models.functional import Functional
from minikeras.models.model import Model
from minikeras.models.sequential import Sequential

_FROM_SAVING = ("clone_model", "load_model", "model_from_json", "save_model")

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]


def __getattr__(name):
    # `keras.models` also offers the saving functions; saving sits above models, so they
    # load on first use.
    if name in _FROM_SAVING:
        from minikeras.saving import saving_api

        value = getattr(saving_api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'minikeras.models' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
