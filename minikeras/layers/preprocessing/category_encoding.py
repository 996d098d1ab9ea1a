"""`CategoryEncoding`: integer ids as one-hot, multi-hot or count vectors.

`encode_categorical` is shared with the lookup layers (`StringLookup`, `IntegerLookup`,
`TextVectorization`), which encode their looked-up indices the same way.
"""

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.layers.layer import Layer
from minikeras.ops.symbolic import KerasTensor

_MODES = ("one_hot", "multi_hot", "count")


def as_numpy(inputs):
    """The values of a Tensor, array, list or scalar as a numpy array (strings kept)."""
    if isinstance(inputs, Tensor):
        return inputs.data
    return np.asarray(inputs)


class TakesListsOfValues:
    """Makes a Python list or tuple given to the layer one input, an array of values (as
    Keras reads it), not a structure of inputs whose values would be taken for shapes.

    Mixed into the preprocessing layers that take raw data before `Layer`. As in Keras, a
    first call on a list records no build shape.
    """

    def __call__(self, *args, **kwargs):
        if not args or not isinstance(args[0], (list, tuple)):
            return super().__call__(*args, **kwargs)
        built = self.built
        outputs = super().__call__(np.asarray(args[0]), *args[1:], **kwargs)
        if not built:
            self._build_shapes = None
        return outputs


def encode_categorical(indices, output_mode, depth, count_weights=None, dtype="float32"):
    """Encodes integer ids as vectors of length `depth`, with Keras's rank rules.

    Ids outside `[0, depth)` count as absent (the lookup layers mark dropped mask tokens
    with -1). `"one_hot"` encodes every id: a scalar becomes one id, a last dimension of 1
    is dropped (from rank 2 up), and the output is the input's shape plus `depth`.
    `"multi_hot"` and `"count"` encode a rank-0 or rank-1 input as one sample, a rank-2
    input as one sample per row.

    Returns:
        A numpy array: `(*shape, depth)` for `"one_hot"`, else `(depth,)` or `(batch, depth)`.
    """
    indices = np.asarray(indices)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        valid = (indices >= 0) & (indices < depth)
        out = np.zeros((*indices.shape, depth), dtype=dtype)
        out[valid, indices[valid]] = 1
        return out
    if indices.ndim > 2:
        # Keras on JAX sums over axis 1 here, which disagrees with its own output shape.
        raise ValueError(
            f"With output_mode={output_mode!r}, inputs of rank at most 2 are supported. "
            f"Received inputs of shape {indices.shape}."
        )
    rows = indices if indices.ndim == 2 else indices[None]
    valid = (rows >= 0) & (rows < depth)
    row_ids = np.broadcast_to(np.arange(rows.shape[0])[:, None], rows.shape)
    out = np.zeros((rows.shape[0], depth), dtype=dtype)
    if output_mode == "count":
        weights = 1 if count_weights is None else np.broadcast_to(count_weights, rows.shape)
        weights = np.ones(rows.shape, dtype) * weights
        np.add.at(out, (row_ids[valid], rows[valid]), weights[valid].astype(dtype))
    else:
        out[row_ids[valid], rows[valid]] = 1
    return out if indices.ndim == 2 else out[0]


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of `encode_categorical` for an input of `input_shape`."""
    input_shape = tuple(input_shape)
    if not input_shape:
        # Keras's shape for a scalar, though its one-hot of a scalar has shape (1, depth).
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return (*input_shape[:-1], depth)
        return (*input_shape, depth)
    return (*input_shape[:-1], depth)


class CategoryEncoding(TakesListsOfValues, Layer):
    """Encodes integer ids in `[0, num_tokens)` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: how many distinct ids there are (the output's last dimension).
        output_mode: `"multi_hot"` (default; a 1 for each id present in the sample, the last
            input axis), `"one_hot"` (one vector per id) or `"count"` (how often each id
            occurs, weighted by the call argument `count_weights` when given).
        sparse: only False (minikeras has no sparse tensors).

    Call arguments:
        inputs: integer ids, rank 0 to 2.
        count_weights: for `"count"`: one weight per id, shaped like `inputs`.

    Example:
        >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 1], [3, 3]]).numpy()
        array([[1., 1., 0., 0.],
               [0., 0., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":  # the Keras 2 name
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(
                f"Unknown value for `output_mode`: {output_mode!r}. Expected one of {_MODES}."
            )
        if num_tokens is None:
            raise ValueError(
                "`num_tokens` must be set to use CategoryEncoding. If the number of tokens "
                "is not known beforehand, use IntegerLookup instead."
            )
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, np.integer)):
            raise ValueError(
                f"`num_tokens` must be an integer. Received: num_tokens={num_tokens!r}."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: `sparse=True` is not supported by minikeras.")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        # Ids are looked up, not computed with: leave integer inputs as they are.
        self.autocast = False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "`count_weights` is not used when `output_mode` is not 'count'. "
                f"Received output_mode={self.output_mode!r}."
            )
        ids = as_numpy(inputs)
        if ids.dtype.kind == "f" and not np.all(ids == np.round(ids)):
            raise ValueError(f"CategoryEncoding expects integer ids. Received: {ids!r}.")
        if ids.dtype.kind not in "biuf":
            raise ValueError(
                f"CategoryEncoding expects integer ids. Received values of dtype {ids.dtype}."
            )
        ids = ids.astype("int64")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            # Keras documents an error here (on JAX it quietly gives zero rows).
            raise ValueError(
                f"CategoryEncoding expects ids in [0, {self.num_tokens}) "
                f"(num_tokens={self.num_tokens}). Received ids from {ids.min()} to {ids.max()}."
            )
        weights = None
        if count_weights is not None:
            weights = as_numpy(count_weights).astype(self.dtype)
            if weights.shape != ids.shape:
                raise ValueError(
                    f"`count_weights` must have the shape of the inputs {ids.shape}. "
                    f"Received count_weights of shape {weights.shape}."
                )
        out = encode_categorical(ids, self.output_mode, self.num_tokens, weights, self.dtype)
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config
