"""Core layers: Dense, EinsumDense, Embedding, Identity, Lambda, Masking, Wrapper."""

from minikeras.layers.core.dense import Dense
from minikeras.layers.core.einsum_dense import EinsumDense
from minikeras.layers.core.embedding import Embedding
from minikeras.layers.core.identity import Identity
from minikeras.layers.core.lambda_layer import Lambda
from minikeras.layers.core.masking import Masking
from minikeras.layers.core.wrapper import Wrapper

__all__ = ["Dense", "EinsumDense", "Embedding", "Identity", "Lambda", "Masking", "Wrapper"]
