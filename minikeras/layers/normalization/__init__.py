"""Normalization layers: Batch, Layer, Group, Unit, RMS and spectral normalization."""

from minikeras.layers.normalization.batch_normalization import BatchNormalization
from minikeras.layers.normalization.group_normalization import GroupNormalization
from minikeras.layers.normalization.layer_normalization import LayerNormalization
from minikeras.layers.normalization.rms_normalization import RMSNormalization
from minikeras.layers.normalization.spectral_normalization import SpectralNormalization
from minikeras.layers.normalization.unit_normalization import UnitNormalization

__all__ = [
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "RMSNormalization",
    "SpectralNormalization",
    "UnitNormalization",
]
