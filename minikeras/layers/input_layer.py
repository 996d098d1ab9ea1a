"""`InputLayer` and `Input`: where a Functional model's graph starts."""

import numpy as np

from minikeras import config
from minikeras.layers.layer import Layer
from minikeras.ops.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """The layer behind `keras.Input`: it holds the symbolic input tensor.

    Args:
        shape: shape without the batch dimension (None entries are unknown).
        batch_size: optional fixed batch size.
        dtype: input dtype (`floatx()` by default).
        batch_shape: full shape including the batch dimension (instead of shape).
        name: the input's name (also the key of dict inputs).
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("Pass either `shape` or `batch_shape` to Input, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a `shape` (without the batch dimension).")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        # "string" inputs feed the text layers (TextVectorization, StringLookup).
        self._dtype = "string" if dtype == "string" else np.dtype(dtype or config.floatx()).name
        self.sparse = bool(sparse)
        self.optional = optional
        if input_tensor is not None:
            output = input_tensor
        else:
            output = KerasTensor(self.batch_shape, dtype=self._dtype, name=self.name)
        output.node = Node(self, (), {}, output)
        output.index = 0
        self._inbound_nodes.append(output.node)
        self.built = True

    @property
    def output(self):
        return self._inbound_nodes[0].outputs

    def call(self, inputs=None):
        return inputs

    def get_config(self):
        return {
            "batch_shape": self.batch_shape,
            "dtype": self._dtype,
            "sparse": self.sparse,
            "name": self.name,
        }


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
):
    """Creates a symbolic input tensor for building a Functional model.

    Args:
        shape: shape without the batch dimension, e.g. `(784,)` or `(None, None, 3)`.
        batch_size: optional fixed batch size.
        dtype: input dtype (`floatx()` by default; use "int32" for token ids).
        name: the input's name (dict inputs are matched by it).

    Returns:
        A `KerasTensor` of shape `(batch_size, *shape)`.

    Example:
        >>> inputs = keras.Input(shape=(784,), name="digits")
        >>> inputs.shape
        (None, 784)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output
