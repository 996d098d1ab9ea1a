"""Preprocessing layers and sequence utilities where Keras's own tests
(keras/src/layers/preprocessing/*_test.py, keras/src/utils/*_utils_test.py) found minikeras
differing from Keras 3.15.1. Expected values are the Keras tests' literals or were recorded
with Keras (tests/fixtures/keras_tests_preprocessing.json, written by
tests/fixtures/generate_keras_tests_preprocessing.py)."""

import itertools
import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "keras_tests_preprocessing.json"), encoding="utf-8") as _handle:
    KERAS = json.load(_handle)


# -- adapt(steps=...) stops reading an endless generator ---------------------------------------
def _endless(batch, reads):
    """Yields `batch` forever; fails (rather than hangs) once read well past `steps`."""
    for count in itertools.count():
        reads.append(count)
        if count > 10:
            raise AssertionError("adapt read past `steps`")
        yield batch


@pytest.mark.parametrize(
    "make_layer, batch",
    [
        (lambda: layers.StringLookup(), ["cat", "dog", "bird"]),
        (lambda: layers.IntegerLookup(), [3, 4, 3]),
        (lambda: layers.TextVectorization(), ["the cat sat"]),
    ],
    ids=["StringLookup", "IntegerLookup", "TextVectorization"],
)
def test_adapt_with_steps_reads_only_that_many_batches_of_an_endless_generator(make_layer, batch):
    layer, reads = make_layer(), []
    layer.adapt(_endless(batch, reads), steps=3)
    assert reads == [0, 1, 2]
    assert len(layer.get_vocabulary()) > 1


# -- CategoryEncoding: Keras's rank rules ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(KERAS["category_encoding"]))
def test_category_encoding_output_and_symbolic_shape_match_keras(name):
    case = KERAS["category_encoding"][name]
    layer = layers.CategoryEncoding(**case["kwargs"])
    output = layer(np.array(case["inputs"])).numpy()
    np.testing.assert_array_equal(output, np.array(case["output"], dtype=case["dtype"]))
    assert str(output.dtype) == case["dtype"]
    symbolic = layer(keras.Input(batch_shape=np.shape(case["inputs"]), dtype="int32"))
    assert list(symbolic.shape) == case["symbolic_shape"]


def test_category_encoding_refuses_multi_hot_of_rank_3_inputs():
    # Keras on JAX sums over axis 1 there, against its own output shape: refuse, do not guess.
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    with pytest.raises(ValueError, match="rank at most 2"):
        layer(np.zeros((1, 3, 2), dtype="int32"))


def test_integer_lookup_one_hot_keeps_the_input_dimensions():
    # Keras's integer_lookup_test.test_one_hot_output_with_higher_rank_input.
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="one_hot")
    expected = np.array([[[0, 1, 0, 0], [0, 0, 1, 0]], [[0, 0, 0, 1], [1, 0, 0, 0]]])
    np.testing.assert_array_equal(layer(np.array([[1, 2], [3, 0]])).numpy(), expected)
    np.testing.assert_array_equal(layer(np.array([[[1, 2], [3, 0]]])).numpy(), expected[None])
    symbolic = layer(keras.Input(shape=(2, 2), dtype="int32"))
    assert tuple(symbolic.shape) == (None, 2, 2, 4)


# -- a Python list is one input, not a structure whose values are shapes -----------------------
@pytest.mark.parametrize(
    "layer, inputs",
    [
        (lambda: layers.StringLookup(vocabulary=["one", "two"]), ["one", "two", "four"]),
        (lambda: layers.IntegerLookup(vocabulary=[1, 2]), [1, 2, 3]),
        (lambda: layers.TextVectorization(vocabulary=["a", "b"]), ["a b", "b c"]),
        (lambda: layers.CategoryEncoding(num_tokens=4), [1, 2, 3]),
    ],
    ids=["StringLookup", "IntegerLookup", "TextVectorization", "CategoryEncoding"],
)
def test_preprocessing_layer_called_on_a_list_records_no_build_shape(layer, inputs):
    # Keras's index_lookup_test.test_basics_string_vocab serializes a layer called on a list;
    # the values were recorded as the build shape (strings recursed without end).
    layer = layer()
    layer(inputs)
    assert layer.get_build_config() is None
    config = keras.saving.serialize_keras_object(layer)
    assert config["class_name"] == type(layer).__name__


# -- Discretization ----------------------------------------------------------------------------
DISCRETIZATION = KERAS["discretization"]


@pytest.mark.parametrize("name", sorted(DISCRETIZATION["adapt"]))
def test_discretization_adapt_learns_keras_bin_boundaries(name):
    case = DISCRETIZATION["adapt"][name]
    layer = layers.Discretization(**case["kwargs"])
    layer.adapt(np.array(batch, dtype="float32") for batch in case["batches"])
    assert layer.bin_boundaries == case["bin_boundaries"]
    output = layer(np.array(DISCRETIZATION["probe"], dtype="float32")).numpy()
    np.testing.assert_array_equal(output, case["output"])
    assert output.dtype == np.int32
    assert layer.get_config() == {**case["config"], "name": layer.name}


def test_discretization_update_state_and_finalize_state_give_adapt_boundaries():
    case = DISCRETIZATION["adapt"]["three_uneven_batches"]
    layer = layers.Discretization(**case["kwargs"])
    for batch in case["batches"]:
        layer.update_state(np.array(batch, dtype="float32"))
    layer.finalize_state()
    assert layer.bin_boundaries == case["bin_boundaries"]


@pytest.mark.parametrize("mode", sorted(DISCRETIZATION["modes"]))
def test_discretization_output_modes_match_keras(mode):
    case = DISCRETIZATION["modes"][mode]
    layer = layers.Discretization(bin_boundaries=[0.0, 0.35, 1.0], output_mode=mode)
    rank_3 = np.array(DISCRETIZATION["rank_3"], dtype="float32")
    output = layer(rank_3).numpy()
    np.testing.assert_array_equal(output, case["output"])
    assert str(output.dtype) == case["dtype"]
    symbolic = layer(keras.Input(shape=rank_3.shape[1:]))
    assert list(symbolic.shape) == case["symbolic_shape"]
    assert symbolic.dtype == case["symbolic_dtype"]


def test_discretization_compares_in_float32():
    # Keras's discretization_test.test_tf_data_compatibility: 0.35 (float64) is float32 0.35,
    # on the boundary, so in the bin above it.
    layer = layers.Discretization(bin_boundaries=[0.0, 0.35, 0.5, 1.0])
    x = np.array([[-1.0, 0.0, 0.1, 0.2, 0.35, 0.4, 0.5, 1.0, 1.2, 0.98]])
    np.testing.assert_array_equal(layer(x).numpy(), [[0, 1, 1, 1, 2, 2, 3, 4, 4, 3]])


def test_discretization_adapted_layer_round_trips_through_a_keras_file(tmp_path):
    case = DISCRETIZATION["adapt"]["matrix_batches"]
    layer = layers.Discretization(**case["kwargs"])
    layer.adapt([np.array(batch, dtype="float32") for batch in case["batches"]])
    model = keras.Sequential([keras.Input((8,)), layer])
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.layers[-1].bin_boundaries == case["bin_boundaries"]
    probe = np.array(DISCRETIZATION["probe"], dtype="float32")
    np.testing.assert_array_equal(loaded.predict(probe, verbose=0), case["output"])


def test_discretization_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries`"):
        layers.Discretization(num_bins=3, bin_boundaries=[0.0, 1.0])
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        layers.Discretization()
    with pytest.raises(ValueError, match="call `adapt"):
        layers.Discretization(num_bins=3)(np.array([[0.1]]))
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(np.array([1.0]))
    with pytest.raises(ValueError, match="`output_mode`"):
        layers.Discretization(num_bins=3, output_mode="binary")


# -- Rescaling ---------------------------------------------------------------------------------
def test_rescaling_scales_channels_first_images_per_channel():
    # Keras's rescaling_test.test_rescaling_with_channels_first_and_vector_scale.
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        layer = layers.Rescaling(scale=[1.0, 2.0, 3.0], offset=0.5)
        x = np.ones((2, 3, 4, 4), dtype="float32")
        output = layer(x).numpy()
    finally:
        keras.config.set_image_data_format(previous)
    expected = np.array([1.5, 2.5, 3.5], dtype="float32")[None, :, None, None]
    np.testing.assert_array_equal(output, np.broadcast_to(expected, x.shape))


def test_rescaling_offset_per_channel_broadcasts_on_the_last_axis_even_channels_first():
    # Keras reshapes only the scale: a vector offset still lines up with the last axis.
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        output = layers.Rescaling(scale=1.0, offset=[0.0, 10.0])(np.zeros((1, 3, 2, 2))).numpy()
    finally:
        keras.config.set_image_data_format(previous)
    np.testing.assert_array_equal(output[0, 0], [[0.0, 10.0], [0.0, 10.0]])


# -- Pipeline ----------------------------------------------------------------------------------
class _Canary(layers.Layer):
    """Records the `training` and `mask` it is called with (Keras's pipeline_test)."""

    def __init__(self):
        super().__init__()
        self.seen = None

    def call(self, x, training=False, mask=None):
        self.seen = (training, mask is not None)
        return x

    def compute_mask(self, x, mask=None):
        return x


def test_pipeline_passes_training_and_masks_to_each_layer():
    pipeline = layers.Pipeline([_Canary(), _Canary()])
    # As Keras, the pipeline itself does not support masking, and says so.
    with pytest.warns(UserWarning, match="does not support masking"):
        pipeline(np.array([0]), training=True, mask=np.array([0]))
    assert [layer.seen for layer in pipeline.layers] == [(True, True), (True, True)]


def test_pipeline_trains_by_default_and_not_in_predict():
    # As Keras: called alone the pipeline's `training` defaults to True (Dropout drops).
    pipeline = layers.Pipeline([layers.Dropout(0.5, seed=1)])
    x = np.ones((4, 64), dtype="float32")
    assert (pipeline(x).numpy() == 0).any()
    inputs = keras.Input((64,))
    model = keras.Model(inputs, pipeline(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_pipeline_config_and_weights_file_layout_match_keras(tmp_path):
    case = KERAS["pipeline"]
    stages = [layers.Rescaling(0.5), layers.Dropout(0.5), layers.Dense(2)]
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Pipeline(stages)(inputs))
    config = model.layers[-1].get_config()
    assert sorted(config) == case["config_keys"]
    assert [layer["class_name"] for layer in config["layers"]] == case["layer_classes"]
    model.save_weights(tmp_path / "pipeline.weights.h5")
    import h5py

    names = []
    with h5py.File(tmp_path / "pipeline.weights.h5") as handle:
        handle.visit(lambda name: names.append(name) if "vars/" in name else None)
    assert sorted(names) == case["weight_paths"]
    model.save(tmp_path / "pipeline.keras")
    loaded = keras.saving.load_model(tmp_path / "pipeline.keras")
    x = np.ones((1, 3), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_pipeline_from_config_needs_a_list_of_layers():
    with pytest.raises(ValueError, match="layers"):
        layers.Pipeline.from_config({"name": "test"})
    with pytest.raises(ValueError, match="layers"):
        layers.Pipeline.from_config({"layers": None, "name": "test"})


# -- TextVectorization splits on ASCII whitespace only -----------------------------------------
def test_text_vectorization_whitespace_split_keeps_unicode_spaces_inside_tokens():
    # Keras's "whitespace" split is TensorFlow's string split, which skips and breaks on ASCII
    # whitespace only (absl's ascii_isspace: space, \t, \n, \v, \f, \r); Python's str.split
    # also broke on the no-break space and the other Unicode spaces.
    layer = layers.TextVectorization(standardize=None, vocabulary=["a\u00a0b", "c", "d\x1ce"])
    output = layer(np.array(["a\u00a0b\tc\n d\x1ce\u3000"])).numpy()
    np.testing.assert_array_equal(output, [[2, 3, 1]])
    layer = layers.TextVectorization(standardize=None, vocabulary=["a", "b"])
    np.testing.assert_array_equal(layer(np.array([" a\x0bb\x0c\r"])).numpy(), [[2, 3]])


# -- Hashing -----------------------------------------------------------------------------------
with open(os.path.join(FIXTURES, "farmhash_fingerprints.json"), encoding="utf-8") as _handle:
    FINGERPRINTS = json.load(_handle)


@pytest.mark.parametrize("case", FINGERPRINTS, ids=lambda case: f"{len(case['hex']) // 2}_bytes")
def test_fingerprint64_matches_farmhash(case):
    from minikeras.layers.preprocessing.fingerprint import fingerprint64

    assert fingerprint64(bytes.fromhex(case["hex"])) == case["fingerprint64"]


def test_siphash_matches_the_reference_vectors():
    # SipHash-2-4's published vectors: key 00..0f, messages 00..(n-1).
    from minikeras.layers.preprocessing.fingerprint import siphash

    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
    assert siphash(key, b"") == 0x726FDB47DD0E0E31
    assert siphash(key, bytes(range(15))) == 0xA129CA6149BE45E5


def test_hashing_bins_match_keras_tests():
    # Literals of Keras's hashing_test (test_hash_dense_input_farmhash, ..._mask_value_...,
    # ..._int_input_..., ..._siphash) and of TensorFlow's to_hash_bucket_fast docs.
    words = np.array([["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]])
    np.testing.assert_array_equal(
        layers.Hashing(num_bins=2)(words).numpy(), [[0], [0], [1], [0], [0]]
    )
    np.testing.assert_array_equal(
        layers.Hashing(num_bins=3, mask_value="")(words).numpy(), [[1], [1], [2], [1], [1]]
    )
    np.testing.assert_array_equal(
        layers.Hashing(num_bins=3, mask_value="omar")(words).numpy(), [[0], [1], [2], [1], [1]]
    )
    integers = np.array([[0], [1], [2], [3], [4]])
    np.testing.assert_array_equal(
        layers.Hashing(num_bins=3)(integers).numpy(), [[1], [0], [1], [0], [2]]
    )
    salted = layers.Hashing(num_bins=2, salt=[133, 137])(words).numpy()
    np.testing.assert_array_equal(salted, [[0], [1], [0], [1], [0]])
    salted = layers.Hashing(num_bins=3, salt=[133, 137])(integers).numpy()
    np.testing.assert_array_equal(salted, [[1], [1], [2], [0], [1]])
    docs = layers.Hashing(num_bins=3)(np.array(["Hello", "TensorFlow", "2.x"])).numpy()
    np.testing.assert_array_equal(docs, [0, 2, 2])
    assert layers.Hashing(num_bins=3)(integers).numpy().dtype == np.int64


def test_hashing_output_modes_and_config():
    # Keras's hashing_test.test_one_hot_output / test_multi_hot_output / test_count_output.
    layer = layers.Hashing(num_bins=3, output_mode="one_hot")
    expected = [[0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]
    np.testing.assert_array_equal(layer(np.array([[0], [1], [2], [3], [4]])).numpy(), expected)
    layer = layers.Hashing(num_bins=3, output_mode="multi_hot")
    np.testing.assert_array_equal(layer(np.array([[0, 1, 2, 3, 4]])).numpy(), [[1, 1, 1]])
    layer = layers.Hashing(num_bins=3, output_mode="count")
    np.testing.assert_array_equal(layer(np.array([[0, 1, 2, 3, 4]])).numpy(), [[2, 2, 1]])
    config = layers.Hashing(num_bins=3, salt=5, mask_value="x").get_config()
    assert (config["salt"], config["mask_value"], config["num_bins"]) == ([5, 5], "x", 3)
    assert layers.Hashing.from_config(config).get_config() == config


# -- lookups with several OOV indices hash as TensorFlow does ----------------------------------
def test_integer_lookup_farmhash_oov_indices_match_keras():
    # Keras's integer_lookup_test.test_oov_method_farmhash_output_is_correct.
    layer = layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    np.testing.assert_array_equal(layer(np.array([100, 200, 300, 400])).numpy(), [3, 1, 3, 1])
    # floormod stays the default for integers.
    layer = layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)
    np.testing.assert_array_equal(layer(np.array([100, 201, 302, 403])).numpy(), [0, 1, 2, 3])


def test_string_lookup_spreads_oov_strings_by_their_fingerprint():
    # TensorFlow's to_hash_bucket_fast(["Hello", "TensorFlow", "2.x"], 3) is [0, 2, 2]: with a
    # mask token, the OOV indices start at 1.
    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=3, mask_token="")
    output = layer(np.array(["Hello", "TensorFlow", "2.x", "a", ""])).numpy()
    np.testing.assert_array_equal(output, [1, 3, 3, 4, 0])
    salted = layers.StringLookup(vocabulary=["a"], num_oov_indices=3, salt=[137, 42])
    assert salted.get_config()["salt"] == [137, 42]


def test_lookup_rejects_a_salt_without_farmhash_for_integers():
    with pytest.raises(ValueError, match="`salt` can only be used"):
        layers.IntegerLookup(num_oov_indices=2, salt=5)
    with pytest.raises(ValueError, match="`oov_method`"):
        layers.IntegerLookup(num_oov_indices=2, oov_method="md5")


# -- HashedCrossing ----------------------------------------------------------------------------
def test_hashed_crossing_bins_match_keras():
    # Keras's hashed_crossing_test.test_correctness.
    feat1 = np.array(["A", "B", "A", "B", "A"])
    feat2 = np.array([101, 101, 101, 102, 102])
    output = layers.HashedCrossing(num_bins=5)((feat1, feat2)).numpy()
    np.testing.assert_array_equal(output, [1, 4, 1, 1, 3])
    assert output.dtype == np.int64
    one_hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2)).numpy()
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    column = layers.HashedCrossing(num_bins=5)((feat1[:, None], feat2[:, None])).numpy()
    np.testing.assert_array_equal(column, [[1], [4], [1], [1], [3]])


def test_hashed_crossing_rejects_bad_inputs():
    layer = layers.HashedCrossing(num_bins=10)
    with pytest.raises(ValueError, match="should be called on a list"):
        layer(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        layer([np.array(1)])
    with pytest.raises(ValueError, match="integer or string"):
        layer((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="inputs should have shape"):
        layer((np.array([[[1]]]), np.array([[[1]]])))
    symbolic = layer([keras.Input((1,), dtype="int64"), keras.Input((1,), dtype="int64")])
    assert tuple(symbolic.shape) == (None, 1)


def test_rescaling_refuses_a_dict_naming_the_layer_and_the_keys():
    layer = keras.layers.Rescaling(1 / 255, name="scale")
    images = {"images": np.ones((1, 2, 2, 3), "float32"), "labels": np.ones((1, 1), "float32")}
    with pytest.raises(TypeError, match=r"scale: Rescaling takes one tensor.*'images', 'labels'"):
        layer(images)
