"""`StringLookup` and `IntegerLookup`: vocabulary terms to integer indices, and back.

Both are an `IndexLookup`: a vocabulary (given, or learnt by `adapt` from token counts),
laid out as Keras lays it out:

    [mask_token]  (index 0, only when `mask_token` is set and `output_mode="int"`)
    [oov_token] * num_oov_indices
    the terms, most frequent first (ties: the larger term first)

These layers run on numpy outside the autodiff graph (as Keras runs them outside the
compiled graph): they take lists or numpy arrays of strings or integers and return tensors
of indices (int64) or of encoded vectors (float32). `invert=True` maps indices back to terms.
"""

import collections
import itertools
import os

import numpy as np

from minikeras.autodiff import convert_to_tensor
from minikeras.layers.layer import Layer
from minikeras.layers.preprocessing.category_encoding import (
    TakesListsOfValues,
    as_numpy,
    encode_categorical,
    encoded_shape,
)
from minikeras.layers.preprocessing.fingerprint import fingerprint64, siphash
from minikeras.ops.symbolic import KerasTensor

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
VOCABULARY_FILENAME = "vocabulary.txt"


def _as_list(values):
    if values is None:
        return None
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values) if isinstance(values, tuple) else values


class _Table:
    """The vocabulary without its special tokens, and each term's index.

    Kept in a plain object rather than in list and dict attributes: the layer machinery
    walks list and dict attributes looking for weights, and a vocabulary can be long.
    """

    def __init__(self, tokens=(), start=0):
        self.tokens = list(tokens)
        self.index = {token: start + i for i, token in enumerate(self.tokens)}


class _Counts:
    """What `update_state` has counted so far (see `_Table` for why an object)."""

    def __init__(self):
        self.tokens = collections.Counter()
        self.documents = collections.Counter()  # in how many documents each term occurs
        self.num_documents = 0


class _Given:
    """The `vocabulary` and `idf_weights` the constructor received, as its config returns
    them (see `_Table` for why an object)."""

    def __init__(self, vocabulary, idf_weights):
        self.vocabulary = vocabulary
        self.idf_weights = idf_weights


class IndexLookup(TakesListsOfValues, Layer):
    """The shared machinery of `StringLookup` and `IntegerLookup` (not used directly)."""

    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary_dtype,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        frozen_vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)  # the config's float policy: lookups are not float layers
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method`: {oov_method!r}. Expected one of "
                "('floormod', 'farmhash')."
            )
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(part) for part in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"Unknown value for `output_mode`: {output_mode!r}. Expected one of "
                f"{_OUTPUT_MODES}."
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(f"{type(self).__name__}: `sparse=True` is not supported by minikeras.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        super().__init__(name=name, **kwargs)
        self.autocast = False  # terms and indices pass through untouched
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        # A file path is read now and then saved as an asset, as Keras does.
        self._given = _Given(vocabulary if not isinstance(vocabulary, str) else None, idf_weights)
        self._has_input_vocabulary = has_input_vocabulary
        self._frozen_vocab_size = frozen_vocabulary_size
        self._table = _Table()
        self.idf_weights = None
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    @property
    def input_vocabulary(self):
        return self._given.vocabulary

    @property
    def input_idf_weights(self):
        return self._given.idf_weights

    # -- vocabulary -------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self):
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included."""
        return self._token_start_index() + len(self._table.tokens)

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary: a term's position is its index when `include_special_tokens`."""
        if include_special_tokens:
            return self._special_tokens() + list(self._table.tokens)
        return list(self._table.tokens)

    def _read_vocabulary_file(self, path):
        from minikeras.saving.serialization import in_safe_mode

        if in_safe_mode():
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive, "
                "which safe mode does not allow. If you trust the file, pass "
                f"`safe_mode=False` to the loading function. Vocabulary file: {path!r}"
            )
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(
                "output_mode `'tf_idf'` does not support loading a vocabulary from file."
            )
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        return self._parse_terms(lines)

    def _parse_terms(self, lines):
        return list(lines)

    def _normalize_terms(self, values):
        """Terms as plain Python values (str or int) in a list."""
        return [v.item() if isinstance(v, np.generic) else v for v in values]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, for `"tf_idf"`, the idf weights) directly.

        Args:
            vocabulary: a list, tuple or 1-D array of terms, or the path of a text file with
                one term per line. It may start with the special tokens in their order.
            idf_weights: one weight per vocabulary entry (`"tf_idf"` only, required there).
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                f"Received: output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, str):
            terms = self._read_vocabulary_file(vocabulary)
        else:
            terms = self._normalize_terms(np.asarray(vocabulary).reshape(-1).tolist())
            terms = self._parse_terms(terms)
        if not terms:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        special = self._special_tokens()
        token_start = len(special)
        found_special = terms[:token_start] == special
        tokens = terms[token_start:] if found_special else terms
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"mask_token={self.mask_token!r}"
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token!r}"
            )
        size = token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {size}; `max_tokens` is {self.max_tokens}."
            )
        weights = None
        if self.output_mode == "tf_idf":
            weights = np.asarray(idf_weights, dtype="float32")
            if weights.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: {idf_weights!r}")
            if len(weights) != len(terms):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) "
                    f"is {len(weights)}; len(vocabulary) is {len(terms)}"
                )
            # Without given special tokens, their weights are the mean weight (no counts).
            front = 0 if found_special else token_start
            front_value = 0.0 if found_special else np.average(weights)
            back = 0
            if self.pad_to_max_tokens:
                back = self.max_tokens - front - len(weights)
            weights = np.pad(weights, (front, back), constant_values=(front_value, 0.0))
        self._set_tokens(tokens)
        if weights is not None:
            self.idf_weights = weights.astype("float32")

    def _set_tokens(self, tokens):
        self._table = _Table(tokens, self._token_start_index())
        self._record_vocabulary_size()

    def _record_vocabulary_size(self):
        size = self.vocabulary_size()
        if (
            self.output_mode != "int"
            and not self.pad_to_max_tokens
            and self._frozen_vocab_size is not None
            and size != self._frozen_vocab_size
            and self.built
        ):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {size}"
            )
        self._frozen_vocab_size = size

    # -- adapt ------------------------------------------------------------------------------
    def reset_state(self):
        """Forgets the counts gathered by `update_state` (not the vocabulary)."""
        self._counts = _Counts()

    def _check_adaptable(self):
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )

    def _documents(self, data):
        """A batch of data as a list of documents (each a list of terms)."""
        array = self._terms_array(data)
        if array.ndim == 0:
            array = array.reshape(1)
        if array.ndim == 1:
            return [self._normalize_terms(array.tolist())]
        return [self._normalize_terms(row) for row in array.reshape(array.shape[0], -1).tolist()]

    def update_state(self, data):
        """Counts the terms of one batch (a rank-1 batch is one document)."""
        self._check_adaptable()
        self._count_documents(self._documents(data))

    def _count_documents(self, documents):
        for document in documents:
            self._counts.tokens.update(document)
            if self.output_mode == "tf_idf":
                self._counts.documents.update(set(document))
        self._counts.num_documents += len(documents)

    def adapt(self, data, steps=None):
        """Learns the vocabulary from `data`: the most frequent terms, up to `max_tokens`.

        Args:
            data: a list or numpy array of terms (one batch), or any other iterable of
                batches (a generator, say).
            steps: how many batches of an iterable to use (all by default).
        """
        self._check_adaptable()
        self.reset_state()
        for batch in self._batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def _batches(self, data, steps):
        if isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "numpy"):
            array = self._terms_array(data)
            return [array[:, None] if array.ndim == 1 else array]
        if not hasattr(data, "__iter__"):
            raise ValueError(
                f"`adapt` expects a list, an array or an iterable of batches. Received: {data!r}"
            )
        # islice stops reading after `steps` batches: a generator may be endless.
        return itertools.islice(data, steps)

    def finalize_state(self):
        """Turns the counts into the vocabulary (and idf weights)."""
        counts = self._counts
        if self._has_input_vocabulary or not counts.tokens:
            self._record_vocabulary_size()
            return
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.tokens.pop(special, None)
        # Most frequent first; ties broken by the term itself, larger first (Keras's order).
        ordered = sorted(counts.tokens.items(), key=lambda item: (item[1], item[0]))
        tokens = [token for token, _ in reversed(ordered)]
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start_index()]
        self._frozen_vocab_size = None
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            frequency = np.array([counts.documents[t] for t in tokens], dtype="float64")
            weights = np.log(1.0 + counts.num_documents / (1.0 + frequency)).astype("float32")
            front = np.full(self._token_start_index(), np.mean(weights), dtype="float32")
            weights = np.concatenate([front, weights])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - len(weights)))
            self.idf_weights = weights.astype("float32")
        self.reset_state()

    # -- call -------------------------------------------------------------------------------
    def _terms_array(self, data):
        """`data` as a numpy array of terms (overridden for strings)."""
        return as_numpy(data)

    def _lookup(self, terms):
        """Indices (int64) of an array of terms; -1 marks dropped mask tokens."""
        uniques, inverse = np.unique(terms, return_inverse=True)
        keys = self._normalize_terms(uniques.tolist())
        index = self._table.index
        found = np.array([index.get(key, -2) for key in keys], dtype="int64")
        if self.mask_token is not None:
            is_mask = np.array([key == self.mask_token for key in keys], dtype=bool)
            found[is_mask] = 0 if self.output_mode == "int" else -1
        missing = found == -2
        if missing.any():
            if self.num_oov_indices == 0:
                raise ValueError(
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                    f"values {[k for k, m in zip(keys, missing) if m]}, consider setting "
                    "`num_oov_indices=1`."
                )
            if self.num_oov_indices == 1:
                found[missing] = self._oov_start_index()
            elif self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
                found[missing] = (
                    np.mod(uniques[missing].astype("int64"), self.num_oov_indices)
                    + self._oov_start_index()
                )
            else:
                # As Keras: TensorFlow's hash of the term's text (integers in decimal).
                texts = [str(key).encode("utf-8") for key, m in zip(keys, missing) if m]
                if self.salt is not None:
                    hashes = [siphash(self.salt, text) for text in texts]
                else:
                    hashes = [fingerprint64(text) for text in texts]
                found[missing] = [
                    value % self.num_oov_indices + self._oov_start_index() for value in hashes
                ]
        return found[inverse.reshape(-1)].reshape(terms.shape)

    def _invert(self, indices):
        """Terms of an array of indices."""
        table = self.get_vocabulary()
        uniques, inverse = np.unique(indices, return_inverse=True)
        start = self._token_start_index()
        terms = []
        for index in uniques.tolist():
            if self.mask_token is not None and index == 0:
                terms.append(self.mask_token)
            elif start <= index < len(table):
                terms.append(table[index])
            else:
                terms.append(self.oov_token)
        return np.array(terms, dtype=self._terms_dtype())[inverse.reshape(-1)].reshape(
            indices.shape
        )

    def _terms_dtype(self):
        return "int64"

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data."
            )
        return self._frozen_vocab_size

    def _encode(self, indices):
        """Encodes looked-up indices (array or list of rows) as `output_mode` asks."""
        if self.output_mode == "int":
            return indices
        depth = self._depth()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        if isinstance(indices, list):  # rows of different lengths (TextVectorization)
            out = np.stack([encode_categorical(row, mode, depth) for row in indices])
            out = out.reshape(len(indices), depth)
        else:
            out = encode_categorical(indices, mode, depth)
        if self.output_mode == "tf_idf":
            out = out * self.idf_weights
        return out

    def call(self, inputs):
        if self.invert:
            indices = as_numpy(inputs)
            if indices.dtype.kind not in "iu":
                raise ValueError(
                    f"{type(self).__name__} with invert=True expects integer indices. "
                    f"Received values of dtype {indices.dtype}."
                )
            terms = self._invert(indices.astype("int64"))
            return terms if terms.dtype.kind in "US" else convert_to_tensor(terms)
        terms = self._terms_array(inputs)
        return convert_to_tensor(self._encode(self._lookup(terms)))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return encoded_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs):
        dtype = "int64" if self.output_mode == "int" else "float32"
        if self.invert:
            dtype = "string" if self.vocabulary_dtype == "string" else "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- configuration and saving -----------------------------------------------------------
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "invert": self.invert,
                "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices,
                "oov_token": self.oov_token,
                "mask_token": self.mask_token,
                "output_mode": self.output_mode,
                "sparse": False,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype,
                "idf_weights": _as_list(self.input_idf_weights),
                "vocabulary": _as_list(self.input_vocabulary),
                "vocabulary_size": self._frozen_vocab_size,
                "oov_method": self.oov_method,
                "salt": self.salt,
            }
        )
        return config

    def save_own_variables(self, store):
        """Stores the idf weights (`"tf_idf"` only), under the key Keras uses."""
        if self.output_mode == "tf_idf":
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            weights = np.asarray(store["idf_weights"])
            if weights.ndim != 1 or weights.dtype.kind != "f":
                raise ValueError(
                    f"Layer '{self.name}': the stored idf_weights must be a 1-D float array. "
                    f"Received shape {weights.shape}, dtype {weights.dtype}."
                )
            self.idf_weights = weights.astype("float32")

    def save_assets(self, dir_path):
        """Writes the learnt vocabulary to `vocabulary.txt` (a given one is in the config)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, VOCABULARY_FILENAME), "w", encoding="utf-8") as file:
            file.write("\n".join(str(term) for term in self.get_vocabulary()))

    def load_assets(self, dir_path):
        if self.input_vocabulary is not None or dir_path is None:
            return
        path = os.path.join(dir_path, VOCABULARY_FILENAME)
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        terms = self._parse_terms(lines)
        has_input_vocabulary = self._has_input_vocabulary
        self._has_input_vocabulary = False
        self._frozen_vocab_size = None
        if self.output_mode == "tf_idf":
            self.set_vocabulary(terms, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(terms)
        self._has_input_vocabulary = has_input_vocabulary


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (as `keras.layers.StringLookup`).

    Args:
        max_tokens: the largest vocabulary (special tokens included); no limit by default.
        num_oov_indices: how many indices out-of-vocabulary strings get; with more than one,
            each goes to the index its FarmHash fingerprint (SipHash with `salt`) picks.
        mask_token: a string for padding, index 0 in `"int"` mode (dropped in other modes).
        oov_token: the term `invert=True` returns for unknown indices (`"[UNK]"`).
        vocabulary: a list/array of strings or the path of a text file, one per line.
        idf_weights: `"tf_idf"` only: one weight per vocabulary entry.
        invert: map indices back to strings (returns a numpy array of str).
        output_mode: `"int"` (default), `"one_hot"`, `"multi_hot"`, `"count"`, `"tf_idf"`.
        pad_to_max_tokens: encoded outputs have `max_tokens` columns.
        sparse: only False.
        encoding: how bytes inputs are decoded (`"utf-8"`).

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c"])
        >>> layer(np.array([["a", "c"], ["d", "b"]])).numpy()
        array([[1, 3],
               [0, 2]])
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        salt=None,
        **kwargs,
    ):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            vocabulary_dtype="string",
            **kwargs,
        )

    def _terms_array(self, data):
        array = as_numpy(data) if not isinstance(data, (list, tuple)) else np.asarray(data)
        if array.dtype.kind == "S":
            return np.char.decode(array, self.encoding)
        if array.dtype.kind == "O":
            decoded = [
                v.decode(self.encoding) if isinstance(v, bytes) else v for v in array.reshape(-1)
            ]
            if not all(isinstance(v, str) for v in decoded):
                raise ValueError(f"{type(self).__name__} expects strings. Received: {data!r:.200}")
            return np.array(decoded, dtype=str).reshape(array.shape)
        if array.dtype.kind != "U":
            raise ValueError(
                f"{type(self).__name__} expects strings. Received values of dtype {array.dtype}."
            )
        return array

    def _terms_dtype(self):
        return str

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]  # always strings
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to indices from a vocabulary (as `keras.layers.IntegerLookup`).

    Args:
        max_tokens: the largest vocabulary (special tokens included); no limit by default.
        num_oov_indices: how many indices out-of-vocabulary values get; with more than one,
            a value `v` gets `v mod num_oov_indices` (after the mask index), or the index
            its decimal text hashes to with `oov_method="farmhash"` (SipHash with `salt`).
        mask_token: an integer for padding, index 0 in `"int"` mode (dropped otherwise).
        oov_token: the value `invert=True` returns for unknown indices (-1).
        vocabulary: a list/array of integers or the path of a text file, one per line.
        vocabulary_dtype: only `"int64"`.
        idf_weights: `"tf_idf"` only: one weight per vocabulary entry.
        invert: map indices back to values.
        output_mode: `"int"` (default), `"one_hot"`, `"multi_hot"`, `"count"`, `"tf_idf"`.
        pad_to_max_tokens: encoded outputs have `max_tokens` columns.
        sparse: only False.

    Example:
        >>> IntegerLookup(vocabulary=[12, 36, 1138, 42])(np.array([12, 1138, 7])).numpy()
        array([1, 3, 0])
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def _terms_array(self, data):
        array = as_numpy(data)
        if array.dtype.kind == "f" and np.all(array == np.round(array)):
            array = array.astype("int64")
        if array.dtype.kind not in "biu":
            raise ValueError(
                f"IntegerLookup expects integers. Received values of dtype {array.dtype}."
            )
        return array.astype("int64")

    def _parse_terms(self, lines):
        return [int(line) for line in lines]

    def _normalize_terms(self, values):
        return [int(v) for v in values]

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
