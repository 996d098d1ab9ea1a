"""Normalization layers: BatchNormalization, LayerNormalization."""

from minikeras.layers.normalization.batch_normalization import BatchNormalization
from minikeras.layers.normalization.layer_normalization import LayerNormalization

__all__ = ["BatchNormalization", "LayerNormalization"]
