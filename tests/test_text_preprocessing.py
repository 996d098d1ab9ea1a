"""Text preprocessing: pad_sequences, StringLookup, IntegerLookup, CategoryEncoding and
TextVectorization against numbers recorded from Keras 3 (tests/fixtures/text.json, written
by tests/fixtures/generate_text.py), config round trips, adapt and `.keras` files."""

import gzip
import io
import json
import os
import zipfile

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.layer_test_helper import run_layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "text.json"), encoding="utf-8") as _handle:
    KERAS = json.load(_handle)


def _layer_from_case(case):
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    layer = getattr(layers, case["class_name"])(**kwargs)
    if case["adapt"] is not None:
        layer.adapt(np.array(case["adapt"]))
    return layer


def _call(layer, case):
    call_kwargs = {k: np.array(v, dtype="float32") for k, v in case["call_kwargs"].items()}
    output = layer(np.array(case["inputs"]), **call_kwargs)
    return output if isinstance(output, np.ndarray) else output.numpy()


# -- pad_sequences ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(KERAS["pad_sequences"]))
def test_pad_sequences_matches_keras(name):
    case = KERAS["pad_sequences"][name]
    result = keras.utils.pad_sequences(case["sequences"], **case["kwargs"])
    np.testing.assert_array_equal(result, np.array(case["output"]))
    assert result.dtype == np.dtype(case["kwargs"].get("dtype", "int32"))


def test_pad_sequences_pads_strings_with_object_dtype():
    result = keras.utils.pad_sequences([["a", "bb"], ["c"]], dtype=object, value="")
    assert result.tolist() == [["a", "bb"], ["", "c"]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "mid"}, "`padding` must be one of"),
        ({"truncating": "middle"}, "`truncating` must be one of"),
        ({"value": "x"}, "dtype=object"),
        ({"maxlen": -1}, "`maxlen` must be a non-negative integer"),
    ],
)
def test_pad_sequences_rejects_bad_arguments_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.utils.pad_sequences([[1, 2, 3]], **kwargs)


def test_pad_sequences_rejects_a_flat_list_and_items_of_other_shapes():
    with pytest.raises(ValueError, match="non-iterable"):
        keras.utils.pad_sequences([1, 2])
    with pytest.raises(ValueError, match="different from expected shape"):
        keras.utils.pad_sequences([[[1, 2]], [[1, 2, 3]]])


# -- layer outputs against Keras ----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(KERAS["cases"]))
def test_text_layer_outputs_match_keras(name):
    case = KERAS["cases"][name]
    layer = _layer_from_case(case)
    output = _call(layer, case)
    expected = np.array(case["output"])
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(output, expected, rtol=1e-6, atol=1e-6)
        assert output.dtype == np.float32
    else:
        np.testing.assert_array_equal(output, expected)
    if "vocabulary" in case:
        assert layer.get_vocabulary() == case["vocabulary"]
        assert layer.vocabulary_size() == case["vocabulary_size"]
    if "idf_weights" in case:
        np.testing.assert_allclose(layer.idf_weights, case["idf_weights"], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(KERAS["cases"]))
def test_text_layer_config_matches_keras_and_round_trips(name):
    case = KERAS["cases"][name]
    layer = _layer_from_case(case)
    config = layer.get_config()
    json.dumps(config)
    expected = dict(case["config"])
    ours = {k: v for k, v in config.items() if k not in ("name", "dtype")}
    if isinstance(ours.get("ngrams"), tuple):
        ours["ngrams"] = list(ours["ngrams"])
    assert ours == expected
    clone = type(layer).from_config(config)
    if case["adapt"] is None:
        assert clone.get_config() == config
    else:  # the learnt vocabulary is an asset, not part of the config (as in Keras)
        del config["vocabulary_size"]
        assert {k: v for k, v in clone.get_config().items() if k != "vocabulary_size"} == config
    if case["adapt"] is None:
        np.testing.assert_array_equal(_call(clone, case), _call(layer, case))


def test_text_vectorization_adapts_from_a_generator_of_batches():
    sentences = KERAS["cases"]["text_default"]["inputs"]

    def batches():
        for start in range(0, len(sentences), 2):
            yield np.array(sentences[start : start + 2])

    layer = layers.TextVectorization(max_tokens=10)
    layer.adapt(batches())
    assert layer.get_vocabulary() == KERAS["generator_adapt"]["vocabulary"]
    np.testing.assert_array_equal(
        layer(np.array(sentences)).numpy(), KERAS["generator_adapt"]["output"]
    )


def test_text_vectorization_takes_lists_bytes_and_object_arrays_alike():
    layer = layers.TextVectorization(vocabulary=["earth", "wind", "fire"])
    expected = layer(np.array(["wind and fire"])).numpy()
    np.testing.assert_array_equal(layer(["wind and fire"]).numpy(), expected)
    np.testing.assert_array_equal(layer(np.array([b"wind and fire"])).numpy(), expected)
    np.testing.assert_array_equal(
        layer(np.array(["wind and fire"], dtype=object)).numpy(), expected
    )


def test_text_vectorization_callable_standardize_and_split():
    layer = layers.TextVectorization(
        standardize=lambda strings: np.char.upper(strings),
        split=lambda strings: [text.split(",") for text in strings],
    )
    layer.adapt(["a,b,b", "c,b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    np.testing.assert_array_equal(layer(["b,a,x"]).numpy(), [[2, 4, 1]])


def test_string_lookup_invert_maps_indices_back_to_strings():
    # Keras on JAX cannot return strings from this layer; its documented result:
    layer = layers.StringLookup(vocabulary=["a", "b", "c", "d"], invert=True)
    result = layer(np.array([[1, 3, 4], [4, 0, 2]]))
    assert result.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_lookup_outputs_are_int64_tensors_and_encodings_float32():
    ids = layers.StringLookup(vocabulary=["a"])(["a", "b"])
    assert ids.dtype == "int64"
    counts = layers.IntegerLookup(vocabulary=[4], output_mode="count")([[4, 4]])
    assert counts.dtype == "float32"


# -- argument errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.StringLookup(output_mode="bag"), "output_mode"),
        (lambda: layers.StringLookup(max_tokens=1), "max_tokens"),
        (lambda: layers.StringLookup(num_oov_indices=-1), "num_oov_indices"),
        (lambda: layers.StringLookup(invert=True, output_mode="count"), "invert"),
        (lambda: layers.StringLookup(sparse=True), "sparse"),
        (lambda: layers.StringLookup(idf_weights=[1.0]), "idf_weights"),
        (lambda: layers.StringLookup(vocabulary=["a", "a"]), "repeated"),
        (lambda: layers.StringLookup(vocabulary=["a", "b"], max_tokens=2), "max_tokens"),
        (lambda: layers.StringLookup(vocabulary=["a"], output_mode="tf_idf"), "idf_weights"),
        (lambda: layers.IntegerLookup(vocabulary_dtype="int32"), "vocabulary_dtype"),
        (lambda: layers.IntegerLookup(oov_method="md5"), "oov_method"),
        (lambda: layers.CategoryEncoding(), "num_tokens"),
        (lambda: layers.CategoryEncoding(num_tokens=3, output_mode="tf_idf"), "output_mode"),
        (lambda: layers.TextVectorization(standardize="upper"), "standardize"),
        (lambda: layers.TextVectorization(split="comma"), "split"),
        (lambda: layers.TextVectorization(output_mode="one_hot"), "output_mode"),
        (lambda: layers.TextVectorization(ngrams=[1, 2]), "ngrams"),
        (
            lambda: layers.TextVectorization(output_mode="count", output_sequence_length=3),
            "output_sequence_length",
        ),
        (lambda: layers.TextVectorization(ragged=True), "ragged"),
    ],
)
def test_text_layers_reject_bad_arguments_by_name(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_category_encoding_rejects_ids_out_of_range():
    # Keras documents an error; on JAX it quietly outputs zeros for such ids.
    layer = layers.CategoryEncoding(num_tokens=3, output_mode="count")
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        layer([[0, 5]])


def test_lookup_without_oov_indices_rejects_unknown_terms():
    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=0)
    with pytest.raises(ValueError, match="'zz'"):
        layer(["a", "zz"])


def test_encoded_lookup_needs_a_vocabulary_before_a_call():
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(["a"])


def test_adapt_is_refused_after_a_fixed_vocabulary():
    layer = layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match="Cannot adapt"):
        layer.adapt(["a b"])


def test_string_lookup_refuses_numbers():
    with pytest.raises(ValueError, match="expects strings"):
        layers.StringLookup(vocabulary=["a"])(np.array([1, 2]))


# -- the shared layer helper --------------------------------------------------------------------
def test_category_encoding_passes_the_layer_helper():
    run_layer_test(
        layers.CategoryEncoding,
        {"num_tokens": 6, "output_mode": "count"},
        input_shape=(3, 4),
        input_dtype="int32",
        input_range=(0, 6),
        expected_output_shape=(3, 6),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        supports_training=False,
    )


def test_integer_lookup_passes_the_layer_helper():
    run_layer_test(
        layers.IntegerLookup,
        {"vocabulary": [1, 2, 3, 5, 8], "output_mode": "multi_hot"},
        input_shape=(4, 3),
        input_dtype="int32",
        input_range=(0, 10),
        expected_output_shape=(4, 6),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        supports_training=False,
    )


# -- symbolic use and saving ----------------------------------------------------------------
def test_text_vectorization_on_a_string_input_gives_int64_sequences():
    inputs = keras.Input(shape=(1,), dtype="string")
    layer = layers.TextVectorization(vocabulary=["a"], output_sequence_length=5)
    outputs = layer(inputs)
    assert outputs.shape == (None, 5)
    assert outputs.dtype == "int64"
    inverted = layers.StringLookup(vocabulary=["a"], invert=True)(outputs)
    assert (inverted.shape, inverted.dtype) == ((None, 5), "string")


def _unpack(name, directory):
    path = os.path.join(directory, f"{name}.keras")
    with gzip.open(os.path.join(FIXTURES, "text", f"{name}.keras.gz"), "rb") as source:
        with open(path, "wb") as target:
            target.write(source.read())
    return path


def _text_layer(model):
    return next(layer for layer in model.layers if hasattr(layer, "get_vocabulary"))


def _layer_input(record):
    inputs = np.array(record["inputs"])
    return inputs[:, None] if inputs.dtype.kind == "U" else inputs


@pytest.mark.parametrize("name", sorted(KERAS["models"]))
def test_keras_written_text_model_loads_with_its_vocabulary(name, tmp_path):
    record = KERAS["models"][name]
    model = keras.saving.load_model(_unpack(name, str(tmp_path)))
    layer = _text_layer(model)
    assert layer.get_vocabulary() == record["vocabulary"]
    output = layer(_layer_input(record)).numpy()
    np.testing.assert_allclose(output, record["layer_output"], rtol=1e-6, atol=1e-7)
    if "model_output" in record:
        if name == "text_int_model":
            # As in Keras on JAX, strings are vectorized before the numeric part runs.
            rest = keras.Model(model.layers[2].input, model.output)
            result = rest(output)
        else:
            result = model(_layer_input(record))
        np.testing.assert_allclose(result.numpy(), record["model_output"], rtol=1e-5, atol=1e-6)


def _weight_datasets(path):
    """`{dataset path: shape}` of the weights file inside a `.keras` archive."""
    import h5py

    found = {}
    with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as raw:
        with h5py.File(io.BytesIO(raw.read()), "r") as weights:
            weights.visititems(
                lambda key, item: (
                    found.setdefault(key, item.shape) if isinstance(item, h5py.Dataset) else None
                )
            )
    return found


@pytest.mark.parametrize("name", sorted(KERAS["models"]))
def test_saved_text_model_has_keras_archive_layout_and_reloads(name, tmp_path):
    record = KERAS["models"][name]
    model = keras.saving.load_model(_unpack(name, str(tmp_path)))
    ours = str(tmp_path / "ours.keras")
    model.save(ours)
    with zipfile.ZipFile(ours) as archive:
        assert sorted(archive.namelist()) == record["archive_members"]
        vocabulary_files = [n for n in archive.namelist() if n.endswith("vocabulary.txt")]
        for member in vocabulary_files:
            lines = archive.read(member).decode("utf-8").split("\n")
            assert lines == [str(term) for term in record["vocabulary"]]
    assert _weight_datasets(ours) == _weight_datasets(_unpack(name, str(tmp_path)))
    again = keras.saving.load_model(ours)
    assert _text_layer(again).get_vocabulary() == record["vocabulary"]
    np.testing.assert_allclose(
        _text_layer(again)(_layer_input(record)).numpy(), record["layer_output"], rtol=1e-6
    )


def test_adapted_vocabulary_is_saved_as_an_asset_not_in_the_config(tmp_path):
    layer = layers.StringLookup()
    layer.adapt(["x", "y", "y"])
    config = layer.get_config()
    assert config["vocabulary"] is None
    layer.save_assets(str(tmp_path))
    assert (tmp_path / "vocabulary.txt").read_text() == "[UNK]\ny\nx"
    restored = layers.StringLookup.from_config(config)
    restored.load_assets(str(tmp_path))
    assert restored.get_vocabulary() == ["[UNK]", "y", "x"]


def _string_model():
    vectorizer = layers.TextVectorization(vocabulary=["cat", "dog"], output_sequence_length=3)
    inputs = keras.Input(shape=(1,), dtype="string")
    hidden = layers.GlobalAveragePooling1D()(layers.Embedding(4, 2)(vectorizer(inputs)))
    model = keras.Model(inputs, layers.Dense(1)(hidden))
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_string_data_is_refused_by_fit_evaluate_predict_before_any_update(method):
    # Keras on JAX refuses string data in a model ("Invalid dtype: str..."): the text
    # layers are applied to the data first.
    model = _string_model()
    before = [w.numpy().copy() for w in model.weights]
    texts = np.array([["cat dog"], ["dog"]])
    args = (texts,) if method == "predict" else (texts, np.zeros((2, 1), "float32"))
    with pytest.raises(ValueError, match=r"`x` holds strings.*TextVectorization"):
        getattr(model, method)(*args, verbose=0)
    for old, new in zip(before, model.weights):
        np.testing.assert_array_equal(old, new.numpy())


def test_string_input_model_trains_on_vectorized_ids():
    model = _string_model()
    vectorizer = model.layers[1]
    ids = vectorizer(np.array([["cat dog"], ["dog"]]))
    numeric = keras.Model(model.layers[2].input, model.output)
    numeric.compile("sgd", "mse")
    history = numeric.fit(ids.numpy(), np.ones((2, 1), "float32"), epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
