"""`minikeras.layers`: the Layer base class and the layer catalogue (Keras 3 names)."""

from minikeras.layers import convolutional, pooling
from minikeras.layers.activations import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from minikeras.layers.attention import (
    AdditiveAttention,
    Attention,
    GroupedQueryAttention,
    GroupQueryAttention,
    MultiHeadAttention,
)
from minikeras.layers.convolutional import *  # noqa: F403
from minikeras.layers.core import Dense, EinsumDense, Embedding, Identity, Lambda, Masking, Wrapper
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
from minikeras.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    SpectralNormalization,
    UnitNormalization,
)
from minikeras.layers.pooling import *  # noqa: F403
from minikeras.layers.preprocessing import (
    AugMix,
    AutoContrast,
    CategoryEncoding,
    CenterCrop,
    ContrastLimitedAdaptiveHistogramEqualization,
    CutMix,
    Discretization,
    Equalization,
    HashedCrossing,
    Hashing,
    IntegerLookup,
    MixUp,
    Normalization,
    Pipeline,
    RandAugment,
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomCrop,
    RandomElasticTransform,
    RandomErasing,
    RandomFlip,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPerspective,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    Solarization,
    StringLookup,
    TextVectorization,
)
from minikeras.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from minikeras.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from minikeras.layers.rnn import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM3D,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)

__all__ = [
    "ELU",
    "Activation",
    "ActivityRegularization",
    "Add",
    "AdditiveAttention",
    "AlphaDropout",
    "Attention",
    "AugMix",
    "AutoContrast",
    "Average",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "Concatenate",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "Discretization",
    "Dot",
    "Dropout",
    "EinsumDense",
    "Embedding",
    "Equalization",
    "Flatten",
    "GRU",
    "GRUCell",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "GaussianDropout",
    "GaussianNoise",
    "HashedCrossing",
    "Hashing",
    "Identity",
    "Masking",
    "LSTM",
    "LSTMCell",
    "Input",
    "InputLayer",
    "InputSpec",
    "IntegerLookup",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "PReLU",
    "Permute",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RNN",
    "RepeatVector",
    "Rescaling",
    "Resizing",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "Solarization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "TextVectorization",
    "TimeDistributed",
    "UpSampling1D",
    "UpSampling2D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "add",
    "deserialize",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "serialize",
    "subtract",
    *convolutional.__all__,
    *pooling.__all__,
]
# Normalization, the other normalization layers and the 3D reshaping layers.
__all__ += ["GroupNormalization", "Normalization", "RMSNormalization", "SpectralNormalization"]
__all__ += ["UnitNormalization"]
__all__ += ["Cropping3D", "UpSampling3D", "ZeroPadding3D"]
__all__ += ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Wrapper"]
# The geometric and mixing image augmentation layers.
__all__ += ["CutMix", "MixUp", "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur"]
__all__ += ["RandomPerspective", "RandomShear"]


def serialize(layer):
    """The Keras 3 config dict of `layer` (as `keras.layers.serialize`).

    Example:
        >>> serialize(Dense(3))["class_name"]
        'Dense'
    """
    from minikeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer a config dict describes (as `keras.layers.deserialize`).

    Args:
        config: a dict from `serialize` (or from a Keras 3 file).
        custom_objects: dict of your own classes and functions by name.

    Raises:
        ValueError: when the config describes something that is not a layer.
    """
    from minikeras.saving.serialization import deserialize_keras_object

    layer = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            "`keras.layers.deserialize` was passed a `config` that does not describe a "
            f"`keras.layers.Layer`. Received: {config!r}"
        )
    return layer


def __getattr__(name):
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
