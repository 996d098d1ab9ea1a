"""`minikeras.layers`: the Layer base class and the layer catalogue (Keras 3 names)."""

from minikeras.layers.core.dense import Dense
from minikeras.layers.input_layer import Input, InputLayer
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer

__all__ = ["Dense", "Input", "InputLayer", "InputSpec", "Layer"]
