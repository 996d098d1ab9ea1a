"""Pooling layers (Keras 3 names, with Keras's `MaxPool*`/`AvgPool*` aliases)."""

from minikeras.layers.pooling.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from minikeras.layers.pooling.average_pooling1d import AveragePooling1D
from minikeras.layers.pooling.average_pooling2d import AveragePooling2D
from minikeras.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D
from minikeras.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D
from minikeras.layers.pooling.global_average_pooling3d import GlobalAveragePooling3D
from minikeras.layers.pooling.global_max_pooling1d import GlobalMaxPooling1D
from minikeras.layers.pooling.global_max_pooling2d import GlobalMaxPooling2D
from minikeras.layers.pooling.global_max_pooling3d import GlobalMaxPooling3D
from minikeras.layers.pooling.max_pooling1d import MaxPooling1D
from minikeras.layers.pooling.max_pooling2d import MaxPooling2D

MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
]
