"""Where Keras's own keras.utils tests found minikeras differing from Keras 3, pinned with
values recorded from Keras 3.15.1 (tests/fixtures/keras_tests_utils.json, written by
tests/fixtures/generate_keras_tests_utils.py)."""

import json
import os
import re

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import file_dataset_scenarios as files
from tests.fixtures import summary_scenarios, utils_scenarios
from tests.fixtures.split_dataset_scenarios import SPLIT_ERRORS, split_data

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_utils.json")
with open(FIXTURE, encoding="utf-8") as f:
    RECORDED = json.load(f)


def _without_optimizer_bytes(text):
    # The optimizer's step counter is int64 here (4 bytes more than Keras on JAX's int32,
    # README "Deliberate differences", dtypes): its memory is left out of the comparison.
    return re.sub(r"(Total|Optimizer) params: ([\d,]+) \([^)]*\)", r"\1 params: \2", text)


@pytest.mark.parametrize("width", summary_scenarios.WIDTHS)
@pytest.mark.parametrize("name", sorted(summary_scenarios.SCENARIOS))
def test_summary_text_is_keras_s(name, width, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    keras.utils.clear_session()
    text = summary_scenarios.SCENARIOS[name](keras)
    expected = RECORDED["summaries"][f"{name}@{width}"]
    assert _without_optimizer_bytes(text) == _without_optimizer_bytes(expected)


def test_summary_totals_count_the_built_optimizer_s_variables():
    keras.utils.clear_session()
    text = summary_scenarios.trained_functional(keras)
    assert "Total params: 29 " in text and "Optimizer params: 20 " in text
    assert "Trainable params: 9 (36.00 B)" in text


def test_summary_gives_print_fn_the_whole_text_in_one_call():
    calls = []
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.summary(print_fn=calls.append)
    assert len(calls) == 1 and calls[0].startswith('Model: "sequential') and "\n" in calls[0]


# --- keras.utils.split_dataset ---------------------------------------------------------------


def _as_lists(part):
    if isinstance(part, tuple):
        return [_as_lists(p) for p in part]
    return np.asarray(part).tolist()


@pytest.mark.parametrize("case", RECORDED["splits"], ids=[c["name"] for c in RECORDED["splits"]])
def test_split_dataset_parts_hold_keras_s_samples(case):
    left, right = keras.utils.split_dataset(split_data(case["kind"]), **case["kwargs"])
    for part, expected in ((left, case["left"]), (right, case["right"])):
        assert _as_lists(part.data) == expected
        samples = list(part)
        if case["kind"] in ("tuple", "list"):
            # Each sample is a tuple of rows, as Keras's dataset elements are.
            assert len(part) == len(samples) == len(expected[0])
            assert all(isinstance(s, tuple) and s[0].shape == (2,) for s in samples)
            assert [s[1].tolist() for s in samples] == expected[1]
        else:
            assert len(part) == len(samples) == len(expected)
            assert [np.asarray(s).tolist() for s in samples] == expected


@pytest.mark.parametrize("name", [name for name, _ in SPLIT_ERRORS])
def test_split_dataset_rejects_sizes_as_keras_does(name):
    recorded = {case["name"]: case for case in RECORDED["split_errors"]}[name]
    error = {"TypeError": TypeError, "ValueError": ValueError}[recorded["error"]]
    with pytest.raises(error) as raised:
        keras.utils.split_dataset(split_data("array"), **dict(SPLIT_ERRORS)[name])
    assert str(raised.value).split(".")[0] == recorded["message"].split(".")[0]


class _Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {"features": self.x[part]}, self.y[part]


def test_split_dataset_of_a_py_dataset_splits_its_samples_and_keeps_its_batch_size():
    x = np.arange(40, dtype="float32").reshape(10, 4)
    y = np.arange(10, dtype="float32")[:, None]
    left, right = keras.utils.split_dataset(_Batches(x, y, 3), left_size=0.7)
    assert left.batch_size == right.batch_size == 3
    assert len(left) == 3 and len(right) == 1  # 7 and 3 samples
    features, labels = left[2]
    np.testing.assert_array_equal(features["features"], x[6:7])
    np.testing.assert_array_equal(labels, y[6:7])
    np.testing.assert_array_equal(right[0][1], y[7:])
    # Parts split again sample by sample; `batch` gives batches for `fit`.
    again, rest = keras.utils.split_dataset(left.batch(2), left_size=4)
    assert (len(again), len(rest)) == (2, 2) and again.batch_size == 2
    model = keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(left, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_split_dataset_refuses_what_keras_refuses():
    with pytest.raises(TypeError, match="dataset"):
        keras.utils.split_dataset({"x": np.zeros((4, 2))}, left_size=0.5)
    with pytest.raises(ValueError, match="different lengths"):
        keras.utils.split_dataset((np.zeros((4, 2)), np.zeros(3)), left_size=0.5)
    with pytest.raises(ValueError, match=r"numpy\.ndarray"):
        keras.utils.split_dataset([np.zeros((4, 2)), [1, 2, 3, 4]], left_size=0.5)


# --- image_dataset_from_directory, load_img, ... ---------------------------------------------


@pytest.fixture(scope="module")
def image_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    files.write_images(str(root))
    return str(root)


def _compare_batches(dataset, recorded, labelled, label_dtype=None):
    batches = list(dataset)
    assert len(batches) == len(recorded) == len(dataset)
    for batch, (data, labels) in zip(batches, recorded):
        got, got_labels = batch if labelled else (batch, None)
        got = np.asarray(got)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, np.asarray(data, dtype="float32"), rtol=1e-5, atol=1e-3)
        if labels is not None:
            np.testing.assert_array_equal(np.asarray(got_labels), np.asarray(labels))
            assert np.asarray(got_labels).dtype == label_dtype


@pytest.mark.parametrize(
    "case", RECORDED["image_cases"], ids=[c["name"] for c in RECORDED["image_cases"]]
)
def test_image_dataset_batches_are_keras_s(image_tree, case, capsys):
    call = files.call_arguments(case["kwargs"], files.image_count())
    dataset = keras.utils.image_dataset_from_directory(image_tree, shuffle=False, **call)
    assert dataset.class_names == case["class_names"]
    mode = call.get("label_mode", "int")
    labelled = call.get("labels", "inferred") is not None
    _compare_batches(dataset, case["batches"], labelled, np.int32 if mode == "int" else np.float32)
    assert "Found " in capsys.readouterr().out


@pytest.mark.parametrize(
    "split", RECORDED["image_splits"], ids=[s["name"] for s in RECORDED["image_splits"]]
)
def test_image_dataset_shuffled_split_holds_keras_s_images(image_tree, split):
    parts = keras.utils.image_dataset_from_directory(
        image_tree,
        image_size=(4, 4),
        seed=split["seed"],
        validation_split=split["validation_split"],
        subset="both",
        batch_size=None,
    )
    for part, sums in zip(parts, split["sums"]):
        assert sorted(round(float(np.sum(image)), 2) for image, _ in part) == pytest.approx(
            sums, abs=0.05
        )


def test_image_dataset_trains_a_model(image_tree):
    dataset = keras.utils.image_dataset_from_directory(
        image_tree, image_size=(6, 6), batch_size=5, seed=1, verbose=False
    )
    model = keras.Sequential(
        [
            keras.Input((6, 6, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
        ]
    )
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(True))
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_image_dataset_rejects_keras_s_bad_arguments(image_tree, tmp_path):
    make = keras.utils.image_dataset_from_directory
    with pytest.raises(ValueError, match="color_mode"):
        make(image_tree, color_mode="cmyk")
    with pytest.raises(ValueError, match="image_size"):
        make(image_tree, image_size=(1, 2, 3))
    with pytest.raises(ValueError, match="interpolation"):
        make(image_tree, interpolation="cubic")
    with pytest.raises(ValueError, match="TensorFlow"):
        make(image_tree, interpolation="area")  # Keras on JAX: at the first batch
    with pytest.raises(ValueError, match="Only one of"):
        make(image_tree, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="exactly 2"):
        make(image_tree, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="No images found"):
        (tmp_path / "notes.txt").write_text("not an image")
        make(str(tmp_path), labels=None)


def test_load_img_img_to_array_array_to_img_and_save_img_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (5, 7, 3)).astype("float32")
    path = str(tmp_path / "picture.png")
    keras.utils.save_img(path, pixels, scale=False)
    loaded = keras.utils.load_img(path)
    assert loaded.size == (7, 5) and loaded.mode == "RGB"
    array = keras.utils.img_to_array(loaded)
    assert array.dtype == np.float32 and array.shape == (5, 7, 3)
    np.testing.assert_array_equal(array, pixels)
    assert keras.utils.img_to_array(loaded, data_format="channels_first").shape == (3, 5, 7)
    gray = keras.utils.img_to_array(keras.utils.load_img(path, color_mode="grayscale"))
    assert gray.shape == (5, 7, 1)
    # array_to_img stretches values to 0..255 unless scale=False.
    stretched = keras.utils.img_to_array(keras.utils.array_to_img(pixels / 512))
    assert stretched.min() == 0 and stretched.max() == 255
    resized = keras.utils.load_img(path, target_size=(4, 4), keep_aspect_ratio=True)
    assert resized.size == (4, 4)
    with pytest.raises(ValueError, match="interpolation"):
        keras.utils.load_img(path, target_size=(4, 4), interpolation="cubic")
    with pytest.raises(ValueError, match="rank 3"):
        keras.utils.array_to_img(np.zeros((2, 2)))
    with pytest.warns(UserWarning, match="JPEG"):
        keras.utils.save_img(str(tmp_path / "a.jpg"), np.zeros((4, 4, 4)))


def test_image_helpers_name_pillow_when_it_is_missing(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="PIL"):
        keras.utils.array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ImportError, match="PIL"):
        keras.utils.image_dataset_from_directory(str(tmp_path))


# --- audio_dataset_from_directory ------------------------------------------------------------


@pytest.fixture(scope="module")
def audio_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    files.write_audio(str(root), files.CLIPS)
    return str(root)


@pytest.mark.parametrize(
    "case", RECORDED["audio_cases"], ids=[c["name"] for c in RECORDED["audio_cases"]]
)
def test_audio_dataset_batches_are_keras_s(audio_tree, case):
    dataset = keras.utils.audio_dataset_from_directory(audio_tree, shuffle=False, **case["kwargs"])
    assert dataset.class_names == case["class_names"]
    mode = case["kwargs"].get("label_mode", "int")
    labelled = case["kwargs"].get("labels", "inferred") is not None
    _compare_batches(dataset, case["batches"], labelled, np.int32 if mode == "int" else np.float32)


def test_audio_samples_of_each_wav_format_are_keras_s(tmp_path):
    files.write_audio(str(tmp_path), files.FORMAT_CLIPS)
    dataset = keras.utils.audio_dataset_from_directory(
        str(tmp_path), labels=None, shuffle=False, batch_size=None
    )
    _compare_batches(dataset, RECORDED["audio_formats"], labelled=False)


def test_audio_dataset_refuses_what_it_cannot_give(audio_tree):
    make = keras.utils.audio_dataset_from_directory
    with pytest.raises(ValueError, match="ragged"):
        make(audio_tree, ragged=True)
    with pytest.raises(ValueError, match="Cannot set both"):
        make(audio_tree, ragged=True, output_sequence_length=3)
    with pytest.raises(ImportError, match="sampling_rate"):
        make(audio_tree, sampling_rate=16000)
    with pytest.raises(ValueError, match="higher than 0"):
        make(audio_tree, sampling_rate=-1)
    with pytest.raises(ValueError, match="`labels` argument should be"):
        make(audio_tree, labels="yes")


# --- naming helpers ----------------------------------------------------------------------------


def test_get_object_name_and_reset_uids_are_keras_s():
    from minikeras.utils import naming

    class Named:
        name = "mock_object"

    class Unnamed:
        pass

    def my_function():
        pass

    assert naming.get_object_name(Named()) == "mock_object"
    assert naming.get_object_name(my_function) == "my_function"
    assert naming.get_object_name(Unnamed()) == "unnamed"
    naming.get_uid("unique_name")
    naming.reset_uids()
    assert naming.get_uid("unique_name") == 1


def test_normalize_keeps_a_float64_array_float64():
    # Keras 3.15.1: normalize(np.array([[3., 4.]])) is float64 [[0.6, 0.8]].
    result = keras.utils.normalize(np.array([[3.0, 4.0]]))
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [[0.6, 0.8]])
    assert keras.utils.normalize(np.array([[3.0, 4.0]], "float32")).dtype == np.float32
    assert keras.utils.normalize(np.array([[3, 4]])).dtype == np.float32


def test_utils_config_behaves_as_keras_s():
    assert utils_scenarios.config_behaviour(keras) == RECORDED["config"]


def test_sequential_builds_use_up_functional_names_and_rebuilds_keep_their_input():
    keras.utils.clear_session()
    assert utils_scenarios.auto_names(keras) == RECORDED["auto_names"]
