"""`InputLayer` and `Input`: where a Functional model's graph starts."""

import warnings

import numpy as np

from minikeras import config
from minikeras.layers.layer import Layer
from minikeras.ops.symbolic import KerasTensor, Node


def _shape_of_input_tensor(tensor, shape, batch_size, batch_shape, dtype):
    """The batch shape and dtype of an `Input` made around `tensor`, checked against the
    other arguments as Keras does: each one given must agree with the tensor."""
    if not isinstance(tensor, KerasTensor):
        raise ValueError(
            "Argument `input_tensor` must be a KerasTensor. Received: "
            f"input_tensor={tensor!r} (of type {type(tensor).__name__})."
        )
    full = tuple(tensor.shape)
    checks = (
        ("batch_size", batch_size, lambda: len(full) >= 1 and full[0] == batch_size),
        ("shape", shape, lambda: tuple(np.atleast_1d(shape).tolist()) == full[1:]),
        ("batch_shape", batch_shape, lambda: tuple(batch_shape) == full),
        ("dtype", dtype, lambda: dtype == tensor.dtype or np.dtype(dtype).name == tensor.dtype),
    )
    for name, value, agrees in checks:
        if value is not None and not agrees():
            raise ValueError(
                f"When providing the `input_tensor` argument, you cannot provide an "
                f"incompatible `{name}` argument. Received: {name}={value!r}, "
                f"input_tensor.shape={full}, input_tensor.dtype={tensor.dtype}."
            )
    return full, tensor.dtype


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
        ragged=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        if "input_shape" in kwargs:
            warnings.warn(
                "Argument `input_shape` is deprecated. Use `shape` instead.", stacklevel=2
            )
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if ragged:
            raise ValueError("`ragged=True` is not supported: minikeras has no ragged tensors.")
        if sparse:
            # Keras on JAX turns the data of a sparse Input into sparse arrays, which some
            # layers then refuse (ReLU) and some ops treat apart: dense data would not be
            # the same model, so it is refused rather than run dense.
            raise ValueError(
                "`sparse=True` is not supported: minikeras has no sparse tensors. Pass "
                f"dense arrays to an Input with sparse=False. Received: sparse={sparse!r}."
            )
        if input_tensor is not None:
            batch_shape, dtype = _shape_of_input_tensor(
                input_tensor, shape, batch_size, batch_shape, dtype
            )
        elif shape is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `shape` and `batch_shape` at the same time (`shape` "
                f"has no batch dimension). Received: shape={shape}, batch_shape={batch_shape}."
            )
        elif batch_size is not None and batch_shape is not None:
            raise ValueError(
                "Pass either `batch_size` or `batch_shape` to Input, not both (batch_shape "
                f"holds the batch size). Received: batch_size={batch_size}, "
                f"batch_shape={batch_shape}."
            )
        if batch_shape is None:
            if shape is None:
                raise ValueError("You must pass a `shape` argument (without the batch dimension).")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        # "string" inputs feed the text layers (TextVectorization, StringLookup).
        self._dtype = "string" if dtype == "string" else np.dtype(dtype or config.floatx()).name
        self.sparse = False
        self.ragged = False
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
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    ragged=None,
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
        ragged=ragged,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output
