"""Preprocessing layers: Normalization, image (Rescaling, Resizing, crops) and text/categorical
lookups."""

from minikeras.layers.preprocessing.category_encoding import CategoryEncoding
from minikeras.layers.preprocessing.center_crop import CenterCrop
from minikeras.layers.preprocessing.index_lookup import IntegerLookup, StringLookup
from minikeras.layers.preprocessing.normalization import Normalization
from minikeras.layers.preprocessing.random_crop import RandomCrop
from minikeras.layers.preprocessing.rescaling import Rescaling
from minikeras.layers.preprocessing.resizing import Resizing
from minikeras.layers.preprocessing.text_vectorization import TextVectorization

__all__ = [
    "CategoryEncoding",
    "CenterCrop",
    "IntegerLookup",
    "Normalization",
    "RandomCrop",
    "Rescaling",
    "Resizing",
    "StringLookup",
    "TextVectorization",
]
