"""`Hashing`: strings or integers to bins by hashing (the hashing trick).

As Keras: every value becomes a string (integers in decimal; floats truncated to integers
first), whose UTF-8 bytes are hashed with FarmHash's fingerprint, or with SipHash keyed by
`salt`, and the bin is the hash modulo the number of bins. With a `mask_value`, bin 0 is
kept for it and the others hash into bins 1 and up.
"""

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.layers.layer import Layer
from minikeras.layers.preprocessing.category_encoding import (
    TakesListsOfValues,
    as_numpy,
    encode_categorical,
    encoded_shape,
)
from minikeras.layers.preprocessing.fingerprint import fingerprint64, siphash
from minikeras.ops.symbolic import KerasTensor

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _as_strings(values):
    """`values` as a numpy array of str, as TensorFlow's `as_string` writes them."""
    if values.dtype.kind == "S":
        return np.char.decode(values, "utf-8")
    if values.dtype.kind == "O":
        decoded = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values.reshape(-1)]
        return np.array(decoded, dtype=str).reshape(values.shape)
    if values.dtype.kind == "f":
        values = values.astype("int64")  # truncated toward zero, as Keras's cast
    if values.dtype.kind == "b":
        raise ValueError("Hashing expects strings or numbers. Received booleans.")
    return values.astype(str)


class Hashing(TakesListsOfValues, Layer):
    """Hashes strings or integers into `num_bins` bins (as `keras.layers.Hashing`).

    Args:
        num_bins: the number of bins, mask bin included.
        mask_value: a value that always goes to bin 0 (the others hash into the rest).
        salt: an int or two ints: hash with SipHash keyed by them instead of FarmHash.
        output_mode: `"int"` (default: the bin, int64), `"one_hot"`, `"multi_hot"` or
            `"count"` (vectors of `num_bins`, float32).
        sparse: only False (minikeras has no sparse tensors).

    Example:
        >>> Hashing(num_bins=3)(np.array([["A"], ["B"], ["C"]])).numpy()
        array([[1],
               [0],
               [1]])
    """

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        dtype = kwargs["dtype"]
        dtype = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
        kwargs["dtype"] = dtype
        if output_mode == "int" and dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'int64'. Received: dtype={dtype}"
            )
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {_OUTPUT_MODES}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError("Hashing: `sparse=True` is not supported by minikeras.")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(part) for part in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 "
                    f"integers, or a single integer. Received: salt={salt}."
                )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False  # values are hashed as they are

    def _bins(self, values):
        """The bin of every value (int64, same shape)."""
        bins = self.num_bins
        if values.dtype.kind in "SO":
            values = _as_strings(values)
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = values == self.mask_value
        strings = _as_strings(values)
        uniques, inverse = np.unique(strings, return_inverse=True)
        if self.salt is not None:
            hashes = [siphash(self.salt, text.encode("utf-8")) for text in uniques.tolist()]
        else:
            hashes = [fingerprint64(text.encode("utf-8")) for text in uniques.tolist()]
        found = np.array([value % bins for value in hashes], dtype="int64")
        out = found[inverse.reshape(-1)].reshape(values.shape)
        if masked is not None:
            out = np.where(masked, 0, out + 1)
        return out

    def call(self, inputs):
        values = as_numpy(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        indices = self._bins(values)
        if self.output_mode == "int":
            return Tensor(indices.astype(self.dtype))
        return Tensor(
            encode_categorical(indices, self.output_mode, self.num_bins, dtype=self.dtype)
        )

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if self.output_mode == "one_hot":
            return encoded_shape(input_shape, "one_hot", self.num_bins)
        return (*input_shape[:-1], self.num_bins)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_bins": self.num_bins,
                "salt": self.salt,
                "mask_value": self.mask_value,
                "output_mode": self.output_mode,
                "sparse": False,
            }
        )
        return config
