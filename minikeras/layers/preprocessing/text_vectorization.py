"""`TextVectorization`: strings to sequences of token indices, or to bag-of-words vectors.

Each string goes through four steps, as in Keras:

1. standardize: lowercase (ASCII letters only, as TensorFlow's `strings.lower`) and/or
   drop ASCII punctuation, or a callable of a numpy array of str;
2. split: on ASCII whitespace, into characters, not at all, or a callable;
3. ngrams: all n-grams of the requested widths, joined by a space, width by width;
4. look up each token in a `StringLookup` (index 0 is padding `""`, 1 is `[UNK]`), then pad
   or truncate to `output_sequence_length` (`"int"`) or encode each string as one vector.
"""

import itertools
import re
import string

import numpy as np

from minikeras.autodiff import convert_to_tensor
from minikeras.layers.layer import Layer
from minikeras.layers.preprocessing.category_encoding import TakesListsOfValues
from minikeras.layers.preprocessing.index_lookup import StringLookup, _as_list
from minikeras.ops.symbolic import KerasTensor

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
# TensorFlow's string split (what Keras's "whitespace" runs) breaks on ASCII whitespace
# only; Python's str.split() also breaks on no-break spaces and other Unicode spaces.
_ASCII_WHITESPACE = re.compile("[ \t\n\v\f\r]+")


def _check_choice(value, choices, name):
    if value is None or callable(value) or value in choices:
        return
    raise ValueError(
        f"TextVectorization: unknown value for `{name}`: {value!r}. Expected one of "
        f"{choices}, None or a callable."
    )


def _ngrams(tokens, widths):
    grams = []
    for width in widths:
        grams.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return grams


class TextVectorization(TakesListsOfValues, Layer):
    """Turns strings into token indices or token vectors (as `keras.layers.TextVectorization`).

    Args:
        max_tokens: the largest vocabulary, padding and OOV tokens included.
        standardize: `"lower_and_strip_punctuation"` (default), `"lower"`,
            `"strip_punctuation"`, None, or a callable taking and returning a numpy array
            of str.
        split: `"whitespace"` (default), `"character"`, None (each string is one token), or
            a callable taking a 1-D numpy array of str and returning one list of tokens
            per string.
        ngrams: None, an int n (all widths 1..n) or a tuple of widths.
        output_mode: `"int"` (default), `"multi_hot"`, `"count"` or `"tf_idf"`.
        output_sequence_length: `"int"` only: pad with 0 or cut every sequence to this
            length (by default, to the longest sequence in the batch).
        pad_to_max_tokens: encoded outputs have `max_tokens` columns.
        vocabulary: a list of terms or the path of a text file (instead of `adapt`).
        idf_weights: `"tf_idf"` with a `vocabulary`: one weight per term.
        sparse, ragged: only False.
        encoding: how bytes inputs are decoded (`"utf-8"`).

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["The cat sat.", "The dog ran!"])
        >>> layer(np.array(["the dog sat"])).numpy()
        array([[2, 4, 5, 0]])
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        if sparse or ragged:
            raise ValueError(
                "TextVectorization: `sparse=True` and `ragged=True` are not supported by "
                f"minikeras. Received: sparse={sparse}, ragged={ragged}"
            )
        _check_choice(standardize, _STANDARDIZE, "standardize")
        _check_choice(split, _SPLIT, "split")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"TextVectorization: unknown value for `output_mode`: {output_mode!r}. "
                f"Expected one of {_OUTPUT_MODES}."
            )
        if not (
            ngrams is None
            or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(item, int) for item in ngrams))
        ):
            raise ValueError(
                "`ngrams` must be None, an integer, or a tuple of integers. "
                f"Received: ngrams={ngrams}"
            )
        if output_mode == "int" and not (
            output_sequence_length is None or isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when "
                f"`output_mode` is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self.autocast = False  # strings pass through untouched
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )

    # -- the steps before the lookup --------------------------------------------------------
    def _standardized(self, strings):
        if callable(self._standardize):
            return np.asarray(self._standardize(strings), dtype=str)
        if self._standardize is None:
            return strings
        lower = self._standardize in ("lower", "lower_and_strip_punctuation")
        strip = self._standardize in ("strip_punctuation", "lower_and_strip_punctuation")
        flat = []
        for text in strings.reshape(-1).tolist():
            if lower:
                text = text.translate(_ASCII_LOWER)
            if strip:
                text = text.translate(_NO_PUNCTUATION)
            flat.append(text)
        return np.array(flat, dtype=str).reshape(strings.shape)

    def _preprocess(self, inputs):
        """Strings -> an array of tokens (split None) or a list of token lists."""
        strings = self._lookup_layer._terms_array(inputs)
        strings = self._standardized(strings)
        if self._split is None:
            if self._ngrams is not None:
                raise ValueError("TextVectorization: `ngrams` needs a `split`.")
            return strings
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must "
                    f"be 1 or the last shape dimension must be 1. Received: inputs.shape="
                    f"{strings.shape} with rank={strings.ndim}"
                )
            strings = strings.reshape(strings.shape[:-1])
        if strings.ndim > 1:
            raise ValueError(
                f"TextVectorization expects a batch of strings. Received shape {strings.shape}."
            )
        batch = strings.reshape(-1)
        if self._split == "whitespace":
            documents = [
                [token for token in _ASCII_WHITESPACE.split(text) if token]
                for text in batch.tolist()
            ]
        elif self._split == "character":
            documents = [list(text) for text in batch.tolist()]
        else:
            documents = [list(tokens) for tokens in self._split(batch)]
        if self._ngrams is not None:
            documents = [_ngrams(tokens, self._ngrams) for tokens in documents]
        return documents if strings.ndim else documents[0]

    # -- adapt ------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from a list or array of strings, or a generator of batches.

        Args:
            data: a list/array of strings (one batch), or an iterable of such batches.
            batch_size: accepted for Keras compatibility (the data is read as one batch).
            steps: how many batches of an iterable to use (all by default).
        """
        self._lookup_layer._check_adaptable()
        self.reset_state()
        if isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "numpy"):
            batches = [data]
        elif hasattr(data, "__iter__"):
            # islice stops reading after `steps` batches: a generator may be endless.
            batches = itertools.islice(data, steps)
        else:
            raise ValueError(
                f"`adapt` expects a list, an array or an iterable of batches. Received: {data!r}"
            )
        for batch in batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Counts the tokens of one batch of strings."""
        lookup = self._lookup_layer
        lookup._check_adaptable()
        documents = self._preprocess(data)
        if isinstance(documents, np.ndarray):  # split=None: each row is one document
            documents = lookup._documents(documents)
        elif documents and not isinstance(documents[0], list):
            documents = [documents]
        lookup._count_documents(documents)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary: a term's position is its index when `include_special_tokens`."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The size of the vocabulary, padding and OOV tokens included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and idf weights for `"tf_idf"`) directly."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    @property
    def idf_weights(self):
        return self._lookup_layer.idf_weights

    # -- call -------------------------------------------------------------------------------
    def call(self, inputs):
        lookup = self._lookup_layer
        documents = self._preprocess(inputs)
        if isinstance(documents, np.ndarray):
            indices = lookup._lookup(documents)
        else:
            rows = documents if documents and isinstance(documents[0], list) else [documents]
            rank = 2 if not documents or isinstance(documents[0], list) else 1
            indices = [lookup._lookup(np.array(row, dtype=str)).reshape(-1) for row in rows]
            if self._output_mode != "int":
                out = lookup._encode(indices)
                return convert_to_tensor(out if rank == 2 else out[0])
            length = self._output_sequence_length
            if length is None:
                length = max((len(row) for row in indices), default=0)
            padded = np.zeros((len(indices), length), dtype="int64")
            for i, row in enumerate(indices):
                row = row[:length]
                padded[i, : len(row)] = row
            return convert_to_tensor(padded if rank == 2 else padded[0])
        if self._output_mode != "int":
            return convert_to_tensor(lookup._encode(indices))
        if self._output_sequence_length is not None:
            length = self._output_sequence_length
            indices = indices[..., :length]
            pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
            indices = np.pad(indices, pad)
        return convert_to_tensor(indices)

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = (*input_shape, 1)
        else:
            input_shape = (*input_shape, None)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs):
        dtype = "int64" if self._output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- configuration and saving -----------------------------------------------------------
    def get_config(self):
        from minikeras.saving.serialization import serialize_keras_object

        lookup = self._lookup_layer
        config = super().get_config()
        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": self._standardize
                if not callable(self._standardize)
                else serialize_keras_object(self._standardize),
                "split": self._split
                if not callable(self._split)
                else serialize_keras_object(self._split),
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": False,
                "ragged": False,
                "vocabulary": _as_list(lookup.input_vocabulary),
                "idf_weights": _as_list(lookup.input_idf_weights),
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)
