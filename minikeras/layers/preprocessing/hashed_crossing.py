"""`HashedCrossing`: crosses of two or more categorical features, hashed into bins.

As Keras (TensorFlow's `sparse.cross_hashed`): for each sample, a 64-bit key starts at
TensorFlow's default (0xDECAFCAFFE) and is combined in turn with each feature's hash: a
string's FarmHash fingerprint, an integer's own value. The bin is the key modulo
`num_bins`.
"""

import numpy as np

from minikeras.autodiff import Tensor
from minikeras.layers.layer import Layer
from minikeras.layers.preprocessing.category_encoding import as_numpy, encode_categorical
from minikeras.layers.preprocessing.fingerprint import fingerprint64, fingerprint_cat64
from minikeras.ops.symbolic import KerasTensor

_DEFAULT_HASH_KEY = 0xDECAFCAFFE
_MASK = (1 << 64) - 1


def _feature_hashes(values):
    """One 64-bit hash per value of a feature (a 1-D array)."""
    if values.dtype.kind in "SUO":
        texts = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values.tolist()]
        return [fingerprint64(text) for text in texts]
    if values.dtype.kind in "iu":
        return [int(v) & _MASK for v in values.tolist()]
    raise ValueError(
        "All `HashedCrossing` inputs should have an integer or string dtype. "
        f"Received dtype {values.dtype}."
    )


class HashedCrossing(Layer):
    """Hashes the cross of categorical features into `num_bins` bins
    (as `keras.layers.HashedCrossing`).

    Args:
        num_bins: the number of bins.
        output_mode: `"int"` (default: the bin, int64) or `"one_hot"` (float32 vectors).
        sparse: only False (minikeras has no sparse tensors).

    Call arguments:
        inputs: a list or tuple of two or more arrays of strings or integers, of equal
            shape `()`, `(batch,)` or `(batch, 1)`.

    Example:
        >>> layer = HashedCrossing(num_bins=5)
        >>> layer((np.array(["A", "B"]), np.array([101, 101]))).numpy()
        array([1, 4])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                f"Unknown value for `output_mode`: {output_mode!r}. Expected one of "
                "('int', 'one_hot')."
            )
        if sparse:
            raise ValueError("HashedCrossing: `sparse=True` is not supported by minikeras.")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False  # features are hashed as they are

    @staticmethod
    def _check_inputs(shapes):
        first = tuple(shapes[0])
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received shapes {[tuple(s) for s in shapes]}."
            )
        if any(tuple(shape) != first for shape in shapes[1:]):
            raise ValueError(
                "All `HashedCrossing` inputs should have equal shape. Received shapes "
                f"{[tuple(s) for s in shapes]}."
            )

    def __call__(self, inputs, *args, **kwargs):
        # Checked before the layer machinery reads the inputs as a structure.
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs!r:.200}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "`HashedCrossing` should be called on at least two inputs. "
                f"Received: inputs={inputs!r:.200}"
            )
        return super().__call__(tuple(inputs), *args, **kwargs)

    def call(self, inputs):
        features = [as_numpy(x) for x in inputs]
        self._check_inputs([f.shape for f in features])
        shape = features[0].shape
        columns = [_feature_hashes(f.reshape(-1)) for f in features]
        bins = []
        for hashes in zip(*columns):
            key = _DEFAULT_HASH_KEY
            for value in hashes:
                key = fingerprint_cat64(key, value)
            bins.append(key % self.num_bins)
        out = np.array(bins, dtype="int64").reshape(shape)
        if self.output_mode == "one_hot":
            return Tensor(encode_categorical(out, "one_hot", self.num_bins, dtype=self.dtype))
        return Tensor(out.astype(self.dtype))

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2:
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape={input_shape}"
            )
        self._check_inputs(input_shape)
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if not first:
            return (1, self.num_bins)
        if len(first) > 1 and first[-1] == 1:
            return (*first[:-1], self.num_bins)
        return (*first, self.num_bins)

    def compute_output_spec(self, inputs):
        shapes = [tuple(x.shape) for x in inputs]
        return KerasTensor(self.compute_output_shape(shapes), dtype=self.dtype)

    def get_config(self):
        # Keras writes exactly these keys.
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": False,
            "name": self.name,
            "dtype": self.dtype,
        }
