"""Preprocessing layers: Normalization, Discretization, image (Rescaling, Resizing, crops,
random augmentation) and text/categorical lookups."""

from minikeras.layers.preprocessing.aug_mix import AugMix
from minikeras.layers.preprocessing.auto_contrast import AutoContrast
from minikeras.layers.preprocessing.category_encoding import CategoryEncoding
from minikeras.layers.preprocessing.center_crop import CenterCrop
from minikeras.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from minikeras.layers.preprocessing.cut_mix import CutMix
from minikeras.layers.preprocessing.discretization import Discretization
from minikeras.layers.preprocessing.equalization import Equalization
from minikeras.layers.preprocessing.hashed_crossing import HashedCrossing
from minikeras.layers.preprocessing.hashing import Hashing
from minikeras.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from minikeras.layers.preprocessing.mix_up import MixUp
from minikeras.layers.preprocessing.normalization import Normalization
from minikeras.layers.preprocessing.pipeline import Pipeline
from minikeras.layers.preprocessing.rand_augment import RandAugment
from minikeras.layers.preprocessing.random_brightness import RandomBrightness
from minikeras.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from minikeras.layers.preprocessing.random_color_jitter import RandomColorJitter
from minikeras.layers.preprocessing.random_contrast import RandomContrast
from minikeras.layers.preprocessing.random_crop import RandomCrop
from minikeras.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from minikeras.layers.preprocessing.random_erasing import RandomErasing
from minikeras.layers.preprocessing.random_flip import RandomFlip
from minikeras.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from minikeras.layers.preprocessing.random_grayscale import RandomGrayscale
from minikeras.layers.preprocessing.random_hue import RandomHue
from minikeras.layers.preprocessing.random_invert import RandomInvert
from minikeras.layers.preprocessing.random_perspective import RandomPerspective
from minikeras.layers.preprocessing.random_posterization import RandomPosterization
from minikeras.layers.preprocessing.random_rotation import RandomRotation
from minikeras.layers.preprocessing.random_saturation import RandomSaturation
from minikeras.layers.preprocessing.random_sharpness import RandomSharpness
from minikeras.layers.preprocessing.random_shear import RandomShear
from minikeras.layers.preprocessing.random_translation import RandomTranslation
from minikeras.layers.preprocessing.random_zoom import RandomZoom
from minikeras.layers.preprocessing.rescaling import Rescaling
from minikeras.layers.preprocessing.resizing import Resizing
from minikeras.layers.preprocessing.solarization import Solarization
from minikeras.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "AugMix",
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Discretization",
    "Equalization",
    "HashedCrossing",
    "Hashing",
    "IntegerLookup",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "Solarization",
    "StringLookup",
    "TextVectorization",
]
