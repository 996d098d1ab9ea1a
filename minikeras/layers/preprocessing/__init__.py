"""Preprocessing layers: Rescaling, RandomCrop."""

from minikeras.layers.preprocessing.random_crop import RandomCrop
from minikeras.layers.preprocessing.rescaling import Rescaling

__all__ = ["RandomCrop", "Rescaling"]
