"""Regularization layers: Dropout and its variants, Gaussian noise, activity penalties."""

from minikeras.layers.regularization.activity_regularization import ActivityRegularization
from minikeras.layers.regularization.alpha_dropout import AlphaDropout
from minikeras.layers.regularization.dropout import Dropout
from minikeras.layers.regularization.gaussian_noise import GaussianDropout, GaussianNoise
from minikeras.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)

__all__ = [
    "ActivityRegularization",
    "AlphaDropout",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]
