"""Conv3D, Conv1DTranspose, Conv3DTranspose, DepthwiseConv1D, SeparableConv1D, MaxPooling3D
and AveragePooling3D: values, weights, configs and `.weights.h5` layout recorded from real
Keras (tests/fixtures/conv_layers_more.npz), the shared layer checks, finite-difference
gradients, signatures and errors."""

import inspect
import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.fixtures.conv_layers_scenarios import check_layer_case, h5_layout
from tests.gradcheck import float64
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "conv_layers_more.npz")
FIXTURE_DATA = np.load(FIXTURE)
FIXTURE_JSON = json.loads(str(FIXTURE_DATA["cases"]))
CASES = list(enumerate(FIXTURE_JSON["cases"]))
MODELS = list(enumerate(FIXTURE_JSON["models"]))

NEW_CLASSES = (
    "Conv3D",
    "Conv1DTranspose",
    "Conv3DTranspose",
    "DepthwiseConv1D",
    "SeparableConv1D",
    "MaxPooling3D",
    "AveragePooling3D",
)


def _case_id(value):
    if isinstance(value, dict):
        return value["class_name"]
    return str(value)


# -- real Keras values ----------------------------------------------------------------------
@pytest.mark.parametrize(("index", "case"), CASES, ids=_case_id)
def test_new_conv_and_pooling_layers_match_keras_values_weights_and_config(index, case):
    layer, x, weights, out = check_layer_case(layers, index, case, FIXTURE_DATA)
    # The config Keras writes (in a `.keras` file) builds the same layer here.
    rebuilt = type(layer).from_config(case["keras_config"])
    rebuilt.build(x.shape)
    rebuilt.set_weights(weights)
    np.testing.assert_array_equal(rebuilt(x).numpy(), out.numpy())


def _fixture_model(index, spec):
    model = keras.Sequential(
        [keras.Input(tuple(spec["input_shape"]))]
        + [getattr(layers, name)(**config) for name, config in spec["layers"]]
    )
    weights = [FIXTURE_DATA[f"model{index}/w{i}"] for i in range(len(model.weights))]
    model.set_weights(weights)
    return model


@pytest.mark.parametrize(("index", "spec"), MODELS, ids=lambda v: str(v)[:12])
def test_new_layers_weights_h5_layout_and_model_output_match_keras(index, spec, tmp_path):
    model = _fixture_model(index, spec)
    x = FIXTURE_DATA[f"model{index}/input"]
    np.testing.assert_allclose(
        model.predict(x, verbose=0), FIXTURE_DATA[f"model{index}/output"], rtol=1e-5, atol=2e-5
    )
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    assert h5_layout(path) == spec["h5"]
    # And back: a fresh model loads the file and gives the same outputs.
    keras.utils.clear_session()
    fresh = keras.Sequential(
        [keras.Input(tuple(spec["input_shape"]))]
        + [getattr(layers, name)(**config) for name, config in spec["layers"]]
    )
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(("index", "spec"), MODELS, ids=lambda v: str(v)[:12])
def test_new_layers_load_the_weights_file_keras_wrote(index, spec, tmp_path):
    path = tmp_path / "keras.weights.h5"
    path.write_bytes(FIXTURE_DATA[f"model{index}/weights_h5"].tobytes())
    model = keras.Sequential(
        [keras.Input(tuple(spec["input_shape"]))]
        + [getattr(layers, name)(**config) for name, config in spec["layers"]]
    )
    model.load_weights(str(path))
    x = FIXTURE_DATA[f"model{index}/input"]
    np.testing.assert_allclose(
        model.predict(x, verbose=0), FIXTURE_DATA[f"model{index}/output"], rtol=1e-5, atol=2e-5
    )


def test_new_layers_are_exported_with_keras_aliases():
    assert layers.Convolution3D is layers.Conv3D
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.MaxPool3D is layers.MaxPooling3D
    assert layers.AvgPool3D is layers.AveragePooling3D
    for name in NEW_CLASSES:
        assert name in layers.__all__


@pytest.mark.parametrize(
    "name", (*NEW_CLASSES, "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D")
)
def test_new_layers_have_keras_signatures(name):
    """Argument names, positional order and defaults, as `inspect.signature` shows Keras's."""
    signature = str(inspect.signature(getattr(layers, name).__init__))
    assert signature == FIXTURE_JSON["signatures"][name]


def test_conv3d_transpose_takes_data_format_before_output_padding_as_keras():
    layer = layers.Conv3DTranspose(2, 2, 2, "valid", "channels_first", 1)
    assert layer.data_format == "channels_first"
    assert layer.output_padding == (1, 1, 1)


# -- the shared layer checks ----------------------------------------------------------------
SHAPE_CASES = [
    (layers.Conv3D, {"filters": 3, "kernel_size": 2}, (2, 4, 3, 4, 2), 2),
    (
        layers.Conv3D,
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "groups": 2},
        (1, 5, 4, 3, 4),
        2,
    ),
    (
        layers.Conv3D,
        {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
        (1, 2, 3, 4, 3),
        2,
    ),
    (layers.Conv1DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 5, 2), 2),
    (
        layers.Conv1DTranspose,
        {"filters": 2, "kernel_size": 3, "padding": "same", "data_format": "channels_first"},
        (2, 3, 5),
        2,
    ),
    (
        layers.Conv3DTranspose,
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"},
        (1, 2, 3, 2, 3),
        2,
    ),
    (
        layers.Conv3DTranspose,
        {"filters": 2, "kernel_size": 2, "use_bias": False},
        (1, 2, 2, 2, 3),
        1,
    ),
    (layers.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 7, 3), 2),
    (
        layers.DepthwiseConv1D,
        {"kernel_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first"},
        (2, 3, 7),
        2,
    ),
    (layers.SeparableConv1D, {"filters": 4, "kernel_size": 3}, (2, 7, 3), 3),
    (
        layers.SeparableConv1D,
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "use_bias": False},
        (2, 8, 3),
        2,
    ),
    (layers.MaxPooling3D, {}, (2, 4, 4, 5, 2), 0),
    (layers.MaxPooling3D, {"pool_size": 3, "strides": 2, "padding": "same"}, (1, 5, 4, 3, 2), 0),
    (layers.AveragePooling3D, {"pool_size": 2}, (2, 4, 4, 5, 2), 0),
    (
        layers.AveragePooling3D,
        {"pool_size": 2, "padding": "same", "data_format": "channels_first"},
        (1, 2, 3, 5, 4),
        0,
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape", "weights"), SHAPE_CASES)
def test_new_layers_pass_the_shared_layer_checks(cls, kwargs, shape, weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_num_trainable_weights=weights,
        expected_num_non_trainable_weights=0,
        supports_training=weights > 0,
    )


@pytest.mark.parametrize(("cls", "kwargs", "shape", "weights"), SHAPE_CASES)
def test_new_layers_symbolic_shapes_with_unknown_sizes(cls, kwargs, shape, weights):
    channels_first = kwargs.get("data_format") == "channels_first"
    spatial = (None,) * (len(shape) - 2)
    unknown = (shape[1], *spatial) if channels_first else (*spatial, shape[-1])
    out = cls(**kwargs)(keras.Input(unknown))
    concrete = cls(**kwargs)(np.ones(shape, np.float32))
    channel_axis = 1 if channels_first else -1
    expected = [None] * len(shape)
    expected[channel_axis] = concrete.shape[channel_axis]
    assert tuple(out.shape) == tuple(expected)
    known = cls(**kwargs)(keras.Input(shape[1:]))
    assert tuple(known.shape) == (None, *concrete.shape[1:])


# -- gradients: the first layers on 3-D transposed convolution, 1-D depthwise, 3-D pooling ---
@pytest.mark.parametrize(
    ("make", "input_shape"),
    [
        (
            lambda: layers.Conv3D(2, 2, strides=2, padding="same", activation="tanh"),
            (1, 3, 4, 3, 2),
        ),
        (lambda: layers.Conv3D(2, 2, dilation_rate=(1, 2, 1), groups=2), (1, 3, 4, 3, 2)),
        (lambda: layers.Conv1DTranspose(2, 3, strides=2, padding="same"), (2, 4, 2)),
        (lambda: layers.Conv1DTranspose(2, 3, strides=2, output_padding=1), (1, 3, 2)),
        (
            lambda: layers.Conv1DTranspose(2, 2, dilation_rate=2, data_format="channels_first"),
            (1, 2, 4),
        ),
        (lambda: layers.Conv3DTranspose(2, 2, strides=2, padding="same"), (1, 2, 2, 3, 2)),
        (
            lambda: layers.Conv3DTranspose(2, 3, strides=(2, 1, 2), output_padding=(1, 0, 1)),
            (1, 2, 2, 2, 2),
        ),
        (
            lambda: layers.Conv3DTranspose(2, 2, padding="same", data_format="channels_first"),
            (1, 2, 2, 3, 2),
        ),
        (lambda: layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same"), (2, 5, 2)),
        (lambda: layers.DepthwiseConv1D(2, strides=2, data_format="channels_first"), (1, 2, 6)),
        (lambda: layers.SeparableConv1D(3, 2, depth_multiplier=2, dilation_rate=2), (2, 6, 2)),
    ],
)
def test_new_conv_layers_finite_difference_gradients(make, input_shape):
    with float64():
        layer = make()
    layer.build(input_shape)
    rng = np.random.default_rng(3)
    if getattr(layer, "bias", None) is not None:
        layer.bias.assign(rng.standard_normal(layer.bias.shape))
    check_layer_gradients(layer, rng.standard_normal(input_shape))


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.MaxPooling3D(2),
        lambda: layers.MaxPooling3D(3, strides=2, padding="same", data_format="channels_first"),
        lambda: layers.AveragePooling3D(2, strides=1),
        lambda: layers.AveragePooling3D((2, 3, 2), padding="same"),
    ],
)
def test_3d_pooling_finite_difference_gradients(make):
    with float64():
        layer = make()
    # Distinct values: no ties for the max.
    rng = np.random.default_rng(4)
    x = rng.permutation(2 * 4 * 5 * 3 * 2).reshape(2, 4, 5, 3, 2) / 10.0
    check_layer_gradients(layer, x)


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.Conv3D(2, (2, 2)), "kernel_size"),
        (lambda: layers.Conv3D(2, 2, padding="causal"), "padding"),
        (lambda: layers.Conv3D(2, 2, strides=2, dilation_rate=2), "dilation_rate"),
        (lambda: layers.Conv3D(3, 2, groups=2), "groups"),
        (lambda: layers.Conv1DTranspose(2, 3, strides=2, output_padding=2), "output_padding"),
        (
            lambda: layers.Conv3DTranspose(2, 3, strides=(2, 2, 1), output_padding=1),
            "output_padding",
        ),
        (lambda: layers.DepthwiseConv1D(3, depth_multiplier=0), "depth_multiplier"),
        (lambda: layers.DepthwiseConv1D(3, padding="causal"), "padding"),
        (lambda: layers.SeparableConv1D(0, 3), "filters"),
        (lambda: layers.MaxPooling3D(padding="full"), "padding"),
        (lambda: layers.AveragePooling3D((2, 2)), "pool_size"),
    ],
)
def test_new_layers_reject_bad_arguments_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (layers.Conv3D(2, 2), (1, 4, 4, 2)),
        (layers.Conv1DTranspose(2, 2), (1, 4, 4, 2)),
        (layers.Conv3DTranspose(2, 2), (1, 4, 2)),
        (layers.DepthwiseConv1D(2), (1, 4, 4, 2)),
        (layers.SeparableConv1D(2, 2), (1, 4, 4, 2)),
        (layers.MaxPooling3D(), (1, 4, 4, 2)),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else str(v),
)
def test_new_layers_reject_inputs_of_the_wrong_rank(layer, shape):
    with pytest.raises(ValueError, match=r"rank|ndim"):
        layer(np.ones(shape, np.float32))
    assert not layer.weights


def test_3d_window_larger_than_the_input_names_the_layer():
    with pytest.raises(ValueError, match="conv3d"):
        layers.Conv3D(2, 3, name="conv3d")(np.ones((1, 2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="pool3d"):
        layers.MaxPooling3D(3, name="pool3d")(np.ones((1, 4, 2, 4, 1), np.float32))


# -- a volume model trains -------------------------------------------------------------------
def test_small_volume_and_sequence_models_fit_and_save_round_trip(tmp_path):
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6, 6, 6, 1)).astype("float32")
    y = x.mean(axis=(1, 2, 3))
    model = keras.Sequential(
        [
            keras.Input((6, 6, 6, 1)),
            layers.Conv3D(4, 3, padding="same", activation="relu"),
            layers.MaxPooling3D(),
            layers.Conv3DTranspose(2, 2, strides=2),
            layers.AveragePooling3D(3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "volume.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]

    sequence = keras.Sequential(
        [
            keras.Input((8, 3)),
            layers.SeparableConv1D(4, 3, padding="same", activation="relu"),
            layers.DepthwiseConv1D(3, depth_multiplier=2),
            layers.Conv1DTranspose(2, 3, strides=2),
            layers.GlobalAveragePooling1D(),
        ]
    )
    sequence.compile(optimizer="sgd", loss="mse")
    xs = rng.standard_normal((12, 8, 3)).astype("float32")
    sequence.fit(xs, rng.standard_normal((12, 2)).astype("float32"), epochs=1, verbose=0)
    path = str(tmp_path / "sequence.keras")
    sequence.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(xs, verbose=0), sequence.predict(xs, verbose=0))
