"""`minikeras.layers`: the Layer base class and the layer catalogue (Keras 3 names)."""

from minikeras.layers import convolutional, pooling
from minikeras.layers.activations import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from minikeras.layers.convolutional import *  # noqa: F403
from minikeras.layers.core import Dense, Embedding, Identity, Lambda
from minikeras.layers.input_layer import Input, InputLayer
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from minikeras.layers.normalization import BatchNormalization, LayerNormalization
from minikeras.layers.pooling import *  # noqa: F403
from minikeras.layers.preprocessing import CenterCrop, RandomCrop, Rescaling, Resizing
from minikeras.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from minikeras.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)

__all__ = [
    "ELU",
    "Activation",
    "ActivityRegularization",
    "Add",
    "Average",
    "BatchNormalization",
    "CenterCrop",
    "Concatenate",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Maximum",
    "Minimum",
    "Multiply",
    "PReLU",
    "Permute",
    "RandomCrop",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Resizing",
    "Reshape",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "Subtract",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
    *convolutional.__all__,
    *pooling.__all__,
]


def __getattr__(name):
    # `Masking` is the one Keras layer that only makes masks: say why it is missing.
    if name == "Masking":
        raise AttributeError(
            "minikeras.layers has no Masking layer: minikeras does not support masking yet."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
