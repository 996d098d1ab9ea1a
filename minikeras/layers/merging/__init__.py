"""Merging layers: combine a list of tensors into one."""

from minikeras.layers.merging.add import Add, add
from minikeras.layers.merging.average import Average, average
from minikeras.layers.merging.base_merge import Merge
from minikeras.layers.merging.concatenate import Concatenate, concatenate
from minikeras.layers.merging.dot import Dot, dot
from minikeras.layers.merging.maximum import Maximum, maximum
from minikeras.layers.merging.minimum import Minimum, minimum
from minikeras.layers.merging.multiply import Multiply, multiply
from minikeras.layers.merging.subtract import Subtract, subtract

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Merge",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
