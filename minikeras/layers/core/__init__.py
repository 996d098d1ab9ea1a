"""Core layers: Dense, EinsumDense, Embedding, Identity, Lambda."""

from minikeras.layers.core.dense import Dense
from minikeras.layers.core.einsum_dense import EinsumDense
from minikeras.layers.core.embedding import Embedding
from minikeras.layers.core.identity import Identity
from minikeras.layers.core.lambda_layer import Lambda

__all__ = ["Dense", "EinsumDense", "Embedding", "Identity", "Lambda"]
