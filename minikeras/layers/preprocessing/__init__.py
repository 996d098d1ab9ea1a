"""Preprocessing layers: Normalization, Rescaling, Resizing, CenterCrop, RandomCrop."""

from minikeras.layers.preprocessing.center_crop import CenterCrop
from minikeras.layers.preprocessing.normalization import Normalization
from minikeras.layers.preprocessing.random_crop import RandomCrop
from minikeras.layers.preprocessing.rescaling import Rescaling
from minikeras.layers.preprocessing.resizing import Resizing

__all__ = ["CenterCrop", "Normalization", "RandomCrop", "Rescaling", "Resizing"]
