"""Normalization (with `adapt`), Group/Unit/RMS normalization, the 3D reshaping and global
pooling layers and the adaptive pooling layers, against numbers recorded from Keras 3
(tests/fixtures/layers_more.json, written by tests/fixtures/generate_layers_more.py)."""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool
from tests.fixtures.layers_more_scenarios import h5_datasets
from tests.gradcheck import check_gradients
from tests.layer_test_helper import _check_training_step, check_layer_gradients, run_layer_test

_CASES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "layers_more.json").read_text())[
    "cases"
]


def _array(value):
    return np.asarray(value, dtype=np.float32)


def _adapt_data(case):
    kind = case["adapt_kind"]
    if kind == "array":
        return _array(case["adapt"])
    batches = [_array(b) for b in case["adapt"]]
    if kind == "list":
        return batches
    return ((b, np.zeros(len(b), "float32")) for b in batches)  # a generator of (x, y)


def _layer_from_case(case):
    if "inner" in case:
        inner_cls, inner_kwargs = case["inner"]
        layer = layers.SpectralNormalization(
            getattr(layers, inner_cls)(**inner_kwargs), **case["kwargs"]
        )
        layer.build(np.shape(case["inputs"]))
        layer.set_weights([np.asarray(w, "float32") for w in case["weights"]])
        return layer
    layer = getattr(layers, case["cls"])(**case["kwargs"])
    if "adapt" in case:
        layer.adapt(_adapt_data(case))
    if case["weights"] is not None:
        layer.build(np.shape(case["inputs"]))
        layer.set_weights([_array(w) for w in case["weights"]])
    return layer


def _comparable_config(config):
    config = json.loads(json.dumps(config))  # tuples as lists, as Keras's JSON has them
    config.pop("name", None)
    config.pop("dtype", None)  # a DTypePolicy dict in Keras, the dtype name here
    return config


_SPECTRAL = sorted(name for name in _CASES if name.startswith("spectral"))


@pytest.mark.parametrize("name", sorted(set(_CASES) - set(_SPECTRAL)))
def test_layer_matches_keras_outputs_weights_and_config(name):
    case = _CASES[name]
    layer = _layer_from_case(case)
    outputs = layer(_array(case["inputs"]))
    assert outputs.dtype == "float32"
    np.testing.assert_allclose(outputs.numpy(), _array(case["outputs"]), rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == case["weight_names"]
    for weight, expected in zip(layer.get_weights(), case["weights_after"]):
        np.testing.assert_allclose(weight, np.asarray(expected), rtol=1e-5, atol=1e-6)
    assert _comparable_config(layer.get_config()) == _comparable_config(case["config"])


@pytest.mark.parametrize("name", sorted(set(_CASES) - set(_SPECTRAL)))
def test_layer_weights_file_layout_matches_keras(name, tmp_path):
    case = _CASES[name]
    layer = _layer_from_case(case)
    restored = type(layer).from_config(layer.get_config())
    model = keras.Sequential([keras.Input(np.shape(case["inputs"])[1:]), restored])
    model.set_weights(layer.get_weights())
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    assert h5_datasets(path) == case["layout"]
    again = keras.Sequential(
        [keras.Input(np.shape(case["inputs"])[1:]), type(layer).from_config(layer.get_config())]
    )
    again.load_weights(path)
    np.testing.assert_allclose(
        again.predict(_array(case["inputs"]), verbose=0),
        model.predict(_array(case["inputs"]), verbose=0),
    )


def _case_inputs(case):
    inputs = np.asarray(case["inputs"])
    return inputs.astype("int32" if inputs.dtype.kind == "i" else "float32")


@pytest.mark.parametrize("name", _SPECTRAL)
def test_spectral_normalization_matches_keras_over_training_and_inference_calls(name):
    case = _CASES[name]
    layer = _layer_from_case(case)
    inputs = _case_inputs(case)
    outputs = [layer(inputs, training=True) for _ in range(2)]
    outputs.append(layer(inputs, training=False))
    if case["inner"][0] == "Embedding":
        # Keras casts the wrapper's output to the input dtype, so an Embedding's vectors
        # come out as int32 zeros; minikeras returns the looked-up (normalised) vectors.
        embeddings = _array(case["weights_after"][0])
        np.testing.assert_allclose(outputs[-1].numpy(), embeddings[inputs], rtol=1e-5)
    else:
        for output, expected in zip(outputs, case["outputs"]):
            np.testing.assert_allclose(output.numpy(), _array(expected), rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == case["weight_names"]
    for weight, expected in zip(layer.get_weights(), case["weights_after"]):
        np.testing.assert_allclose(weight, _array(expected), rtol=1e-5, atol=1e-6)
    config = _comparable_config(layer.get_config())
    expected_config = _comparable_config(case["config"])
    for inner in (config["layer"], expected_config["layer"]):
        inner.pop("build_config")  # the batch size of the building call
        inner["config"] = _comparable_config(inner["config"])
        # Keras's Dense config lacks `activity_regularizer`; its `quantization_config` is
        # not part of minikeras: both belong to the wrapped layer, not to this wrapper.
        inner["config"].pop("activity_regularizer", None)
        inner["config"].pop("quantization_config", None)
    assert config == expected_config


@pytest.mark.parametrize("name", _SPECTRAL)
def test_spectral_normalization_weights_file_matches_keras_and_loads_back(name, tmp_path):
    case = _CASES[name]
    layer = _layer_from_case(case)
    inputs = _case_inputs(case)
    model = keras.Sequential([keras.Input(inputs.shape[1:], dtype=inputs.dtype.name), layer])
    path = str(tmp_path / "spectral.weights.h5")
    model.save_weights(path)
    assert h5_datasets(path) == case["layout"]
    restored = layers.SpectralNormalization.from_config(layer.get_config())
    again = keras.Sequential([keras.Input(inputs.shape[1:], dtype=inputs.dtype.name), restored])
    again.load_weights(path)
    for mine, theirs in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_spectral_normalization_trains_in_fit_and_rejects_bad_arguments():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 4)).astype("float32"), rng.standard_normal((16, 2))
    wrapped = layers.SpectralNormalization(layers.Dense(2))
    model = keras.Sequential([keras.Input((4,)), wrapped])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y.astype("float32"), epochs=2, batch_size=4, verbose=0)
    # After a normalising step the kernel's largest singular value is close to 1 (one power
    # iteration per step, plus the optimizer's update after it).
    wrapped(x, training=True)
    assert abs(np.linalg.svd(wrapped.kernel.numpy(), compute_uv=False)[0] - 1.0) < 0.1
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="layer instance"):
        layers.SpectralNormalization("dense")
    with pytest.raises(ValueError, match="nor `embeddings`"):
        layers.SpectralNormalization(layers.Flatten())(np.ones((2, 3), "float32"))


# -- the shared layer checks -----------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, shape, trainable",
    [
        (layers.Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 1.0, 9.0]}, (4, 3), 0),
        (layers.Normalization, {"mean": 1.0, "variance": 4.0, "invert": True}, (4, 3), 0),
        (layers.GroupNormalization, {"groups": 2}, (2, 3, 6), 2),
        (layers.GroupNormalization, {"groups": -1, "axis": 1, "scale": False}, (2, 4, 3), 1),
        (layers.UnitNormalization, {"axis": [1, 2]}, (2, 3, 4), 0),
        (layers.RMSNormalization, {}, (2, 3, 6), 1),
        (layers.RMSNormalization, {"axis": [1, 2], "epsilon": 0.1}, (2, 3, 4), 1),
        (layers.Cropping3D, {"cropping": ((1, 0), 1, (0, 2))}, (2, 4, 5, 6, 2), 0),
        (layers.ZeroPadding3D, {"padding": 1, "data_format": "channels_first"}, (2, 2, 3, 2, 2), 0),
        (layers.UpSampling3D, {"size": (2, 1, 3)}, (2, 2, 3, 2, 2), 0),
        (layers.GlobalAveragePooling3D, {"keepdims": True}, (2, 3, 4, 2, 5), 0),
        (layers.GlobalMaxPooling3D, {"data_format": "channels_first"}, (2, 3, 4, 2, 5), 0),
        (layers.UpSampling2D, {"size": (2, 3), "interpolation": "bicubic"}, (2, 3, 2, 2), 0),
        (layers.UpSampling2D, {"interpolation": "lanczos5"}, (1, 2, 3, 2), 0),
        (layers.AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 3), 0),
        (layers.AdaptiveMaxPooling1D, {"output_size": 4}, (2, 7, 3), 0),
        (layers.AdaptiveAveragePooling2D, {"output_size": (3, 2)}, (2, 5, 7, 3), 0),
        (
            layers.AdaptiveMaxPooling2D,
            {"output_size": 3, "data_format": "channels_first"},
            (2, 2, 5, 7),
            0,
        ),
        (layers.AdaptiveAveragePooling3D, {"output_size": 2}, (1, 5, 4, 3, 2), 0),
        (layers.AdaptiveMaxPooling3D, {"output_size": (2, 3, 1)}, (1, 5, 4, 3, 2), 0),
    ],
)
def test_new_layers_pass_the_shared_layer_checks(cls, kwargs, shape, trainable):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )


# -- gradients -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, output_size, data_format",
    [
        ((2, 7, 3), 3, "channels_last"),  # windows of 3 overlapping by one
        ((2, 3, 2), 5, "channels_last"),  # more outputs than inputs: windows repeat entries
        ((1, 2, 5, 6), (2, 4), "channels_first"),
        ((1, 5, 4, 3, 2), (2, 3, 2), "channels_last"),
    ],
)
@pytest.mark.parametrize("pool", [adaptive_average_pool, adaptive_max_pool])
def test_adaptive_pooling_gradients_match_finite_differences(pool, shape, output_size, data_format):
    values = np.random.default_rng(3).standard_normal(shape)
    check_gradients(lambda x: pool(x, output_size, data_format), values)


def test_adaptive_pooling_uses_the_floor_ceil_window_rule():
    from minikeras.ops.adaptive_pooling import adaptive_windows

    assert adaptive_windows(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert adaptive_windows(3, 5) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    x = np.arange(7, dtype="float32").reshape(1, 7, 1)
    average = keras.ops.adaptive_average_pool(x, 3)  # Keras's name, default data format
    np.testing.assert_allclose(average.numpy().ravel(), [1.0, 3.0, 5.0])
    np.testing.assert_allclose(keras.ops.adaptive_max_pool(x, 3).numpy().ravel(), [2.0, 4.0, 6.0])
    with pytest.raises(ValueError, match="data_format"):
        keras.ops.adaptive_max_pool(x, 3, data_format="NHWC")
    with pytest.raises(ValueError, match="output_size"):
        keras.ops.adaptive_max_pool(x, (3, 3))


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (layers.GroupNormalization, {"groups": 2}, (2, 3, 4)),
        (layers.GroupNormalization, {"groups": 2, "axis": 1}, (2, 4, 3)),
        (layers.UnitNormalization, {"axis": [1, 2]}, (2, 2, 3)),
        (layers.RMSNormalization, {}, (2, 3, 4)),
        (layers.Normalization, {"mean": [1.0, 2.0], "variance": [4.0, 0.5]}, (3, 2)),
        (
            layers.Normalization,
            {"mean": [1.0, 2.0], "variance": [4.0, 0.5], "invert": True},
            (3, 2),
        ),
    ],
)
def test_normalization_layer_gradients_match_finite_differences(cls, kwargs, shape):
    layer = cls(dtype="float64", **kwargs)
    data = np.random.default_rng(5).standard_normal(shape)
    layer(data)
    for weight in layer.trainable_weights:  # away from the ones/zeros initial values
        weight.assign(np.random.default_rng(6).standard_normal(weight.shape))
    check_layer_gradients(layer, data)


# -- Normalization: adapt and arguments ------------------------------------------------------
def _adapt_case(name="normalization_adapt_array"):
    case = _CASES[name]
    return _array(case["adapt"]), [_array(w) for w in case["weights_after"][:2]]


def test_normalization_adapt_accepts_a_tensor_and_a_py_dataset():
    data, (mean, variance) = _adapt_case()

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            part = data[index * 16 : (index + 1) * 16]
            return part, np.zeros(len(part), "float32")

    for source in (keras.ops.convert_to_tensor(data), Batches()):
        layer = layers.Normalization()
        layer.adapt(source)
        np.testing.assert_allclose(layer.get_weights()[0], mean, rtol=1e-5)
        np.testing.assert_allclose(layer.get_weights()[1], variance, rtol=1e-5)


def test_normalization_adapt_replaces_earlier_statistics():
    data, (mean, variance) = _adapt_case()
    layer = layers.Normalization()
    layer.adapt(data * 10.0 + 3.0)
    layer.adapt(data)
    np.testing.assert_allclose(layer.get_weights()[0], mean, rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], variance, rtol=1e-5)


def test_normalization_adapt_rejects_a_bad_batch_before_changing_the_statistics():
    data, (mean, variance) = _adapt_case()
    layer = layers.Normalization()
    layer.adapt(data)
    with pytest.raises(ValueError, match=r"\(40, 3\).*\(5, 4\)"):
        layer.adapt([data[:10], np.ones((5, 4), "float32")])
    np.testing.assert_allclose(layer.get_weights()[0], mean, rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], variance, rtol=1e-5)
    with pytest.raises(ValueError, match="empty iterable"):
        layer.adapt([])
    with pytest.raises(TypeError, match="batch of type float"):
        layers.Normalization().adapt([1.0, 2.0])
    with pytest.raises(TypeError, match="data of type int"):
        layers.Normalization().adapt(3)


def test_normalization_with_given_mean_and_variance_has_nothing_to_adapt():
    layer = layers.Normalization(mean=1.0, variance=2.0)
    with pytest.raises(ValueError, match="nothing to adapt"):
        layer.adapt(np.ones((4, 3), "float32"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mean": 1.0}, "must be given together"),
        ({"variance": [1.0, 2.0]}, "must be given together"),
        ({"mean": [1.0, 2.0], "variance": [1.0]}, r"same shape.*\(2,\).*\(1,\)"),
        ({"mean": [[1.0]], "variance": [[1.0]]}, "rank of `mean`"),
        ({"axis": "last"}, "`axis` must be an int"),
    ],
)
def test_normalization_rejects_inconsistent_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        layers.Normalization(**kwargs)


def test_normalization_rejects_axes_that_do_not_fit_the_input():
    with pytest.raises(ValueError, match=r"axis.*\(2, 3\)"):
        layers.Normalization(axis=2)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="known sizes"):
        layers.Normalization()(keras.Input((None,)))


def test_unadapted_normalization_passes_inputs_through():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(layers.Normalization()(x).numpy(), x)


def test_adapted_normalization_round_trips_through_a_keras_file(tmp_path):
    data, _ = _adapt_case()
    layer = layers.Normalization()
    layer.adapt(data)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(layer(inputs)))
    path = str(tmp_path / "norm.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    assert [w.shape for w in loaded.layers[1].weights] == [(3,), (3,), ()]
    assert loaded.layers[1].weights[2].dtype == "int32"


def test_normalization_statistics_do_not_train():
    data, (mean, variance) = _adapt_case()
    layer = layers.Normalization()
    layer.adapt(data)
    model = keras.Sequential([keras.Input((3,)), layer, layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, data[:, :1], epochs=1, batch_size=8, verbose=0)
    assert layer.trainable_weights == []
    np.testing.assert_allclose(layer.get_weights()[0], mean, rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], variance, rtol=1e-5)


# -- argument checks of the other new layers -------------------------------------------------
@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: layers.GroupNormalization(groups=0), ValueError, "groups"),
        (lambda: layers.GroupNormalization(groups=2.0), ValueError, "groups"),
        (lambda: layers.GroupNormalization(axis=[1]), TypeError, "axis"),
        (lambda: layers.UnitNormalization(axis="x"), TypeError, "axis"),
        (lambda: layers.RMSNormalization(axis=1.5), TypeError, "axis"),
        (lambda: layers.Cropping3D(cropping=(1, 2)), ValueError, "cropping"),
        (lambda: layers.ZeroPadding3D(padding=-1), ValueError, "padding"),
        (lambda: layers.UpSampling3D(size=(2, 2)), ValueError, "size"),
        (lambda: layers.UpSampling3D(data_format="nhwc"), ValueError, "channels_last"),
        (lambda: layers.AdaptiveAveragePooling2D((2, 2, 2)), ValueError, "output_size"),
        (lambda: layers.AdaptiveMaxPooling1D(0), ValueError, "output_size"),
    ],
)
def test_new_layers_reject_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_group_normalization_needs_groups_that_divide_the_channels():
    with pytest.raises(ValueError, match=r"groups \(4\).*channels \(6\)"):
        layers.GroupNormalization(groups=4)(np.ones((2, 6), "float32"))
    with pytest.raises(ValueError, match=r"groups \(8\).*channels \(6\)"):
        layers.GroupNormalization(groups=8)(np.ones((2, 6), "float32"))


def test_new_layers_reject_inputs_of_the_wrong_rank_or_size():
    with pytest.raises(ValueError, match="removes everything"):
        layers.Cropping3D(2)(np.ones((1, 4, 5, 6, 1), "float32"))
    with pytest.raises(ValueError, match="ndim"):
        layers.AdaptiveAveragePooling2D(2)(np.ones((1, 4, 5), "float32"))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.UnitNormalization(axis=3)(np.ones((1, 4, 5), "float32"))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.RMSNormalization(axis=-4)(np.ones((1, 4, 5), "float32"))


# -- Reshape, Permute, RepeatVector, Flatten: argument checks as Keras ----------------------
def test_reshape_rejects_a_target_shape_that_is_not_a_tuple_naming_the_value():
    with pytest.raises(TypeError, match="Received target_shape=6"):
        layers.Reshape(6)
    with pytest.raises(TypeError, match="Received target_shape=None"):
        layers.Reshape(None)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: layers.Reshape((-1, -1)), ValueError, "at most one -1"),
        (lambda: layers.Reshape((-2, 3)), ValueError, "target_shape=\\(-2, 3\\)"),
        (lambda: layers.Reshape((4,))(np.ones((2, 6), "float32")), ValueError, r"\(6,\).*\(4,\)"),
        (lambda: layers.Reshape((-1, 4))(keras.Input((6,))), ValueError, r"\(6,\).*\(-1, 4\)"),
        (lambda: layers.Permute((1, 1)), ValueError, "dims=\\(1, 1\\)"),
        (lambda: layers.Permute((1, 3)), ValueError, "permutation"),
        (lambda: layers.Permute((2, 1))(np.ones((1, 2, 3, 4), "float32")), ValueError, "ndim=3"),
        (lambda: layers.RepeatVector(0), ValueError, "positive"),
        (lambda: layers.RepeatVector("2"), TypeError, "integer"),
        (lambda: layers.RepeatVector(2)(np.ones((1, 2, 3), "float32")), ValueError, "ndim=2"),
        (lambda: layers.Flatten(data_format="x"), ValueError, "channels_last"),
    ],
)
def test_reshaping_layers_reject_bad_dims_as_keras_does(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_flatten_gives_rank_one_inputs_a_feature_axis_as_keras_does():
    assert layers.Flatten()(np.ones((3,), "float32")).shape == (3, 1)


def test_spectral_normalization_passes_the_shared_layer_checks():
    # The freezing check does not apply: as in Keras, a frozen wrapper still normalises the
    # kernel in a training call (the next test); the training step is checked here.
    layer = run_layer_test(
        layers.SpectralNormalization,
        {"layer": layers.Dense(3), "power_iterations": 2},
        input_shape=(4, 5),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=1,
        supports_training=False,
    )
    data = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    _check_training_step(layer, data, updated_in_training=("vector_u",))


def test_frozen_spectral_normalization_still_normalises_in_training_calls_as_keras():
    layer = layers.SpectralNormalization(layers.Dense(3))
    data = np.ones((2, 4), "float32")
    layer(data)
    kernel = layer.kernel.numpy().copy()
    layer.trainable = False
    layer(data, training=False)
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    layer(data, training=True)
    assert not np.allclose(layer.kernel.numpy(), kernel)


def _replay_model(build):
    keras.utils.set_random_seed(4)
    model = build()
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize(
    "build",
    [
        lambda: keras.Sequential(
            [
                keras.Input((6, 5, 4)),
                layers.GroupNormalization(groups=2),
                layers.AdaptiveMaxPooling2D((3, 2)),
                layers.UpSampling2D(interpolation="bicubic"),
                layers.AdaptiveAveragePooling2D(2),
                layers.Flatten(),
                layers.RMSNormalization(),
                layers.UnitNormalization(),
                layers.Dense(2),
            ]
        ),
        lambda: keras.Sequential(
            [
                keras.Input((3, 4, 2, 2)),
                layers.ZeroPadding3D(1),
                layers.Cropping3D(((1, 0), 1, 0)),
                layers.UpSampling3D((1, 2, 1)),
                layers.AdaptiveAveragePooling3D((2, 3, 2)),
                layers.GlobalMaxPooling3D(),
                layers.Dense(2),
            ]
        ),
    ],
)
def test_new_layers_train_the_same_replayed_and_eager(build):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((12, *build().input_shape[1:])).astype("float32")
    y = rng.standard_normal((12, 2)).astype("float32")
    histories = []
    # Batches of 5 (and a last one of 2): no constant of these models (e.g. an interpolation
    # matrix) has the batch's size, which would make the replay refuse to record.
    for eager in (False, True):
        model = _replay_model(build)
        model.compile(optimizer="adam", loss="mse", run_eagerly=eager)
        histories.append(model.fit(x, y, batch_size=5, epochs=3, verbose=0).history["loss"])
        if not eager:
            assert model._compiled_steps.replayed["train"] > 0  # the layers are replayable
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)


def test_normalization_exposes_broadcast_mean_and_variance_as_keras():
    layer = layers.Normalization(axis=(1, 2), mean=[1.0, 2.0, 3.0, 4.0, 5.0], variance=[1.0] * 5)
    assert layer.mean is None
    layer.build((2, 7, 5, 3))
    assert tuple(layer.mean.shape) == (1, 7, 5, 1)
    np.testing.assert_allclose(layer.mean.numpy()[:, 6], [[[1.0], [2.0], [3.0], [4.0], [5.0]]])
    adapted = layers.Normalization()
    data, (mean, variance) = _adapt_case()
    adapted.adapt(data)
    assert tuple(adapted.variance.shape) == (1, 3)
    np.testing.assert_allclose(adapted.mean.numpy()[0], mean, rtol=1e-6)
    np.testing.assert_allclose(adapted.variance.numpy()[0], variance, rtol=1e-6)
