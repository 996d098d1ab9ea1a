"""ConvLSTM1D, ConvLSTM2D and ConvLSTM3D: values, gradients, configs, training and saved files
against real Keras (tests/fixtures/conv_lstm.json and conv_lstm_model.weights.h5.gz, written
by tests/fixtures/generate_conv_lstm.py), float64 finite-difference checks, the shared layer
checks, Functional use, dropout, stateful mode and argument errors.
"""

import gzip
import json
import os
import re
import shutil

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from minikeras.layers.rnn.conv_lstm import ConvLSTM, ConvLSTMCell
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "conv_lstm.json")) as _file:
    FIXTURE = json.load(_file)
CASES = FIXTURE["cases"]
RNG = np.random.default_rng(23)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def f32(values):
    return np.asarray(values, dtype=np.float32)


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _case_id(index):
    case = CASES[index]
    options = "-".join(f"{k}={v}" for k, v in case["config"].items() if k != "filters")
    return f"{index}-{case['class_name']}-{options}" + ("-masked" if case["mask"] else "")


def _layer_of(case):
    return getattr(layers, case["class_name"])(**case["config"])


# -- values, gradients and configs recorded from Keras ----------------------------------------
@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_conv_lstm_outputs_and_gradients_match_keras(index):
    case = CASES[index]
    layer = _layer_of(case)
    x = keras.Variable(f32(case["input"]))
    layer.build(tuple(x.shape))
    # The paths below the layer's own name (its auto-name depends on what ran before).
    expected_paths = [path.split("/", 1)[1] for path in case["weight_paths"]]
    assert [w.path.split("/", 1)[1] for w in layer.weights] == expected_paths
    assert [list(w.shape) for w in layer.weights] == case["weight_shapes"]
    layer.set_weights([f32(w) for w in case["weights"]])
    states = [keras.Variable(f32(s)) for s in case["states"]]
    kwargs = {"initial_state": states} if states else {}
    if case["mask"] is not None:
        kwargs["mask"] = np.array(case["mask"], dtype=bool)
    with keras.GradientTape() as tape:
        outputs = as_list(layer(x, **kwargs))
        loss = 0.0
        for output, projection in zip(outputs, case["projections"], strict=True):
            loss = loss + ops.sum(output * f32(projection))
    for output, expected in zip(outputs, case["outputs"], strict=True):
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), f32(expected), rtol=1e-5, atol=2e-6)
    gradients = tape.gradient(loss, [*layer.trainable_weights, x, *states])
    expected = [*case["grad_weights"], case["grad_input"], *case["grad_states"]]
    for gradient, reference in zip(gradients, expected, strict=True):
        assert gradient.dtype == "float32"
        np.testing.assert_allclose(gradient.numpy(), f32(reference), rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_conv_lstm_compute_output_shape_matches_keras_outputs(index):
    case = CASES[index]
    layer = _layer_of(case)
    shapes = layer.compute_output_shape(np.shape(case["input"]))
    shapes = list(shapes) if layer.return_state else [shapes]
    assert [list(shape) for shape in shapes] == case["output_shapes"]


@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_conv_lstm_config_matches_keras_and_round_trips(index):
    case = CASES[index]
    layer = _layer_of(case)
    config = json.loads(json.dumps(layer.get_config()))
    keras_config = dict(case["keras_config"])
    # minikeras writes the dtype as a name, Keras as a DTypePolicy dict.
    assert keras_config.pop("dtype")["config"]["name"] == config.pop("dtype")
    keras_config.pop("name"), config.pop("name")
    assert config == keras_config
    restored = type(layer).from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
    # A config written by Keras makes the same layer.
    from_keras = layers.deserialize(
        {"module": "keras.layers", "class_name": case["class_name"], "config": case["keras_config"]}
    )
    assert type(from_keras) is type(layer)
    expected = json.loads(json.dumps(layer.get_config()))
    assert json.loads(json.dumps(from_keras.get_config())) == expected | {
        "name": case["keras_config"]["name"]
    }


def test_stateful_conv_lstm_carries_states_between_calls_and_resets_like_keras():
    case = FIXTURE["stateful"]
    layer = layers.ConvLSTM2D(2, 3, padding="same", stateful=True)
    layer.build((2, 3, 4, 4, 2))
    layer.set_weights([f32(w) for w in case["weights"]])
    assert len(layer.weights) == 3  # the states are not weights, as in Keras
    assert [state.path.split("/", 1)[1] for state in layer.states] == [
        path.split("/", 1)[1] for path in case["state_paths"]
    ]
    np.testing.assert_allclose(layer(f32(case["x1"])).numpy(), f32(case["out1"]), 1e-5, 1e-6)
    np.testing.assert_allclose(layer(f32(case["x2"])).numpy(), f32(case["out2"]), 1e-5, 1e-6)
    np.testing.assert_allclose(layer.states[0].numpy(), f32(case["h_after2"]), 1e-5, 1e-6)
    np.testing.assert_allclose(layer.states[1].numpy(), f32(case["c_after2"]), 1e-5, 1e-6)
    layer.reset_states()
    np.testing.assert_array_equal(layer.states[0].numpy(), np.zeros((2, 4, 4, 2), np.float32))
    np.testing.assert_allclose(layer(f32(case["x2"])).numpy(), f32(case["out3"]), 1e-5, 1e-6)


def test_stateful_conv_lstm_rejects_another_batch_size_and_unknown_batch():
    layer = layers.ConvLSTM1D(2, 3, stateful=True)
    layer(rand(3, 2, 5, 2))
    with pytest.raises(ValueError, match="Expected batch size: 3"):
        layer(rand(2, 2, 5, 2))
    with pytest.raises(ValueError, match="batch size must be static"):
        keras.Sequential([keras.Input((2, 5, 2)), layers.ConvLSTM1D(2, 3, stateful=True)])


def test_bidirectional_conv_lstm_matches_keras():
    case = FIXTURE["bidirectional"]
    layer = layers.Bidirectional(layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True))
    x = f32(case["input"])
    layer.build(x.shape)
    # Without the auto-names' numbers (they depend on what ran before).
    expected_paths = [re.sub(r"_\d+/", "/", path) for path in case["weight_paths"]]
    assert [re.sub(r"_\d+/", "/", w.path) for w in layer.weights] == expected_paths
    layer.set_weights([f32(w) for w in case["weights"]])
    np.testing.assert_allclose(layer(x).numpy(), f32(case["output"]), 1e-5, 2e-6)


def _fit_model():
    return keras.Sequential(
        [
            keras.Input((3, 5, 5, 2)),
            layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True),
            layers.ConvLSTM2D(2, 2, strides=2),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )


def test_fit_of_conv_lstm_model_matches_keras():
    case = FIXTURE["fit"]
    model = _fit_model()
    model.set_weights([f32(w) for w in case["weights"]])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    history = model.fit(
        f32(case["x"]), f32(case["y"]), batch_size=4, epochs=2, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-4)
    for weight, expected in zip(model.weights, case["after"], strict=True):
        np.testing.assert_allclose(
            weight.numpy(), f32(expected), rtol=1e-4, atol=1e-5, err_msg=weight.path
        )


def _keras_weights_file(tmp_path):
    path = tmp_path / "keras_conv_lstm.weights.h5"
    with gzip.open(os.path.join(FIXTURES, "conv_lstm_model.weights.h5.gz"), "rb") as source:
        with open(path, "wb") as target:
            shutil.copyfileobj(source, target)
    return str(path)


def _h5_listing(path):
    names = []
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, item: names.append((name, getattr(item, "shape", None))))
    return sorted(names)


def test_weights_file_written_by_keras_loads_and_predicts_the_same(tmp_path):
    model = _fit_model()
    model.load_weights(_keras_weights_file(tmp_path))
    np.testing.assert_allclose(
        model.predict(f32(FIXTURE["fit"]["x"]), verbose=0),
        f32(FIXTURE["fit"]["predictions"]),
        rtol=1e-5,
        atol=1e-6,
    )


def test_weights_file_layout_equals_keras_layout(tmp_path):
    keras_file = _keras_weights_file(tmp_path)
    model = _fit_model()
    model.load_weights(keras_file)
    ours = str(tmp_path / "ours.weights.h5")
    model.save_weights(ours)
    listing = _h5_listing(ours)
    assert ("layers/conv_lstm2d/cell/vars/0", (3, 3, 2, 12)) in listing
    assert ("layers/conv_lstm2d_1/cell/vars/1", (2, 2, 2, 8)) in listing
    # Keras saved a compiled model: its file also holds the optimizer's variables.
    keras_listing = [item for item in _h5_listing(keras_file) if not item[0].startswith("optim")]
    assert listing == keras_listing


def test_keras_file_round_trip_keeps_config_and_predictions(tmp_path):
    model = _fit_model()
    model.set_weights([f32(w) for w in FIXTURE["fit"]["weights"]])
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    x = f32(FIXTURE["fit"]["x"])
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(restored.layers[0]) is layers.ConvLSTM2D
    assert restored.layers[1].get_config() == model.layers[1].get_config()


# -- finite differences (float64) -------------------------------------------------------------
GRADIENT_CASES = [
    (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 3, 4, 2)),
    (
        layers.ConvLSTM1D,
        {"filters": 2, "kernel_size": 2, "strides": 2, "go_backwards": True},
        (1, 3, 5, 2),
    ),
    (
        layers.ConvLSTM2D,
        {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "return_sequences": True},
        (1, 2, 2, 3, 3),
    ),
    (
        layers.ConvLSTM2D,
        {"filters": 1, "kernel_size": 2, "dilation_rate": 2, "activation": "softsign"},
        (1, 2, 4, 4, 1),
    ),
    (layers.ConvLSTM3D, {"filters": 1, "kernel_size": 2, "padding": "same"}, (1, 2, 2, 2, 2, 1)),
]


@pytest.mark.parametrize("cls, kwargs, shape", GRADIENT_CASES)
def test_conv_lstm_gradients_match_finite_differences(cls, kwargs, shape):
    layer = cls(dtype="float64", bias_initializer="random_normal", **kwargs)
    data = np.random.default_rng(3).standard_normal(shape)
    check_layer_gradients(layer, data, rtol=1e-5, atol=1e-7)


def test_conv_lstm_gradients_through_masked_timesteps_match_finite_differences():
    layer = layers.ConvLSTM1D(2, 2, dtype="float64", return_sequences=True)
    mask = np.array([[True, False, True], [False, True, True]])
    rng = np.random.default_rng(4)
    data = rng.standard_normal((2, 3, 4, 2))

    class Masked(layers.Layer):
        def call(self, x):
            return layer(x, mask=mask)

    wrapper = Masked(dtype="float64")
    wrapper(data)
    wrapper.inner = layer  # track the weights so the check perturbs them
    check_layer_gradients(wrapper, data)


# -- the shared layer checks, shapes and Functional use ---------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (layers.ConvLSTM1D, {"filters": 3, "kernel_size": 3}, (2, 4, 6, 2), (2, 4, 3)),
        (
            layers.ConvLSTM2D,
            {"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True},
            (2, 3, 5, 5, 2),
            (2, 3, 5, 5, 2),
        ),
        (
            layers.ConvLSTM3D,
            {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
            (2, 2, 1, 3, 3, 3),
            (2, 2, 2, 2, 2),
        ),
    ],
)
def test_conv_lstm_layers_pass_layer_checks(cls, kwargs, input_shape, output_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
    )


def test_functional_model_with_unknown_number_of_timesteps():
    inputs = keras.Input((None, 6, 6, 2))
    sequence, h, c = layers.ConvLSTM2D(
        3, 3, return_sequences=True, return_state=True, padding="same"
    )(inputs)
    assert sequence.shape == (None, None, 6, 6, 3)
    assert h.shape == c.shape == (None, 6, 6, 3)
    outputs = layers.ConvLSTM2D(2, 3)(sequence)
    assert outputs.shape == (None, 4, 4, 2)
    model = keras.Model(inputs, [outputs, h])
    for timesteps in (2, 5):
        first, last_h = model.predict(rand(3, timesteps, 6, 6, 2), verbose=0)
        assert first.shape == (3, 4, 4, 2) and last_h.shape == (3, 6, 6, 3)


def test_initial_state_from_symbolic_inputs_in_a_functional_model():
    inputs = keras.Input((3, 5, 2))
    h0, c0 = keras.Input((5, 4)), keras.Input((5, 4))
    layer = layers.ConvLSTM1D(4, 3, padding="same")
    model = keras.Model([inputs, h0, c0], layer(inputs, initial_state=[h0, c0]))
    x, h, c = rand(2, 3, 5, 2), rand(2, 5, 4), rand(2, 5, 4)
    np.testing.assert_allclose(
        model.predict([x, h, c], verbose=0), layer(x, initial_state=[h, c]).numpy(), 1e-6, 1e-6
    )
    assert not np.allclose(layer(x).numpy(), layer(x, initial_state=[h, c]).numpy())


def test_cell_called_one_timestep_equals_the_layer_on_one_timestep():
    layer = layers.ConvLSTM2D(3, 2, padding="same", return_state=True)
    x, h, c = rand(2, 1, 4, 4, 2), rand(2, 4, 4, 3), rand(2, 4, 4, 3)
    output, h1, c1 = layer(x, initial_state=[h, c])
    step, (h2, c2) = layer.cell(x[:, 0], [h, c])
    np.testing.assert_allclose(step.numpy(), output.numpy(), 1e-6, 1e-6)
    np.testing.assert_allclose(h2.numpy(), h1.numpy(), 1e-6, 1e-6)
    np.testing.assert_allclose(c2.numpy(), c1.numpy(), 1e-6, 1e-6)


def test_unroll_changes_nothing():
    x = rand(2, 3, 5, 2)
    rolled = layers.ConvLSTM1D(2, 3, return_sequences=True)
    unrolled = layers.ConvLSTM1D(2, 3, return_sequences=True, unroll=True)
    rolled.build(x.shape)
    unrolled.build(x.shape)
    unrolled.set_weights(rolled.get_weights())
    np.testing.assert_array_equal(rolled(x).numpy(), unrolled(x).numpy())
    assert unrolled.get_config()["unroll"] is True


def test_masked_timesteps_keep_the_states_and_repeat_the_output():
    layer = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, return_state=True)
    x = rand(2, 4, 5, 2)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    outputs, h, c = layer(x, mask=mask)
    _, h_short, c_short = layer(x[:, :2])
    np.testing.assert_allclose(outputs.numpy()[0, 2], outputs.numpy()[0, 1], 1e-7)
    np.testing.assert_allclose(h.numpy()[0], h_short.numpy()[0], 1e-6, 1e-6)
    np.testing.assert_allclose(c.numpy()[0], c_short.numpy()[0], 1e-6, 1e-6)
    np.testing.assert_allclose(outputs.numpy()[1], layer(x)[0].numpy()[1], 1e-6, 1e-6)


def test_output_before_the_first_unmasked_timestep_is_the_initial_h_unless_unrolled():
    # Keras's scanned loop repeats the first state there, its unrolled loop a zero output
    # (the unrolled case is in the Keras fixtures).
    x, h, c = rand(2, 3, 5, 2), rand(2, 5, 2), rand(2, 5, 2)
    mask = np.array([[False, True, True], [True, True, True]])
    outputs = {}
    for unroll in (False, True):
        layer = layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, unroll=unroll)
        layer.build(x.shape)
        layer.set_weights([np.full(w.shape, 0.1, np.float32) for w in layer.weights])
        outputs[unroll] = layer(x, initial_state=[h, c], mask=mask).numpy()
    np.testing.assert_array_equal(outputs[False][0, 0], h[0])
    np.testing.assert_array_equal(outputs[True][0, 0], np.zeros((5, 2), np.float32))
    np.testing.assert_array_equal(outputs[False][:, 1:], outputs[True][:, 1:])


def test_zero_output_for_mask_gives_zeros_at_masked_timesteps():
    layer = layers.ConvLSTM1D(2, 3, return_sequences=True, zero_output_for_mask=True)
    x = rand(2, 3, 5, 2)
    mask = np.array([[True, False, True], [True, True, True]])
    outputs = layer(x, mask=mask).numpy()
    np.testing.assert_array_equal(outputs[0, 1], np.zeros((3, 2), np.float32))
    assert np.all(outputs[0, 0] != 0) and np.all(outputs[0, 2] != 0)
    assert layer.get_config()["zero_output_for_mask"] is True


def test_mask_of_another_shape_is_rejected_naming_both_shapes():
    # Masking over a grid makes a (batch, timesteps, width) mask: Keras fails on it too.
    with pytest.raises(ValueError, match=r"\(2, 3\), received a mask of shape \(2, 3, 4\)"):
        layers.ConvLSTM1D(2, 2)(rand(2, 3, 4, 2), mask=np.ones((2, 3, 4), bool))


# -- weights, dropout ------------------------------------------------------------------------
def test_forget_gate_bias_starts_at_one_with_unit_forget_bias():
    layer = layers.ConvLSTM1D(3, 2)
    layer.build((1, 2, 4, 1))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), np.repeat([0, 1, 0, 0], 3))
    plain = layers.ConvLSTM1D(3, 2, unit_forget_bias=False, bias_initializer="ones")
    plain.build((1, 2, 4, 1))
    np.testing.assert_array_equal(plain.cell.bias.numpy(), np.ones(12))


def test_regularizers_and_constraints_reach_the_cell_weights():
    layer = layers.ConvLSTM2D(
        2,
        2,
        kernel_regularizer="l2",
        recurrent_regularizer="l1",
        bias_regularizer="l2",
        activity_regularizer="l2",
        kernel_constraint="non_neg",
    )
    layer(rand(1, 2, 3, 3, 1))
    assert len(layer.losses) == 4
    assert layer.cell.kernel.constraint is not None
    assert layer.kernel_regularizer is layer.cell.kernel_regularizer


def test_float32_layer_gives_float32_gradients():
    layer = layers.ConvLSTM1D(2, 2, return_sequences=True, dropout=0.3, recurrent_dropout=0.3)
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(rand(2, 3, 4, 2), training=True))
    for gradient in tape.gradient(loss, layer.trainable_weights):
        assert gradient.dtype == "float32"


def test_dropout_is_off_at_inference_and_on_in_training():
    x = rand(2, 3, 5, 2)
    plain = layers.ConvLSTM1D(2, 3, return_sequences=True)
    dropping = layers.ConvLSTM1D(2, 3, return_sequences=True, dropout=0.5, recurrent_dropout=0.5)
    plain.build(x.shape)
    dropping.build(x.shape)
    dropping.set_weights(plain.get_weights())
    np.testing.assert_array_equal(dropping(x).numpy(), plain(x).numpy())
    np.testing.assert_array_equal(dropping(x, training=False).numpy(), plain(x).numpy())
    assert not np.allclose(dropping(x, training=True).numpy(), plain(x).numpy())


def test_dropout_draws_one_mask_per_gate_shared_by_every_timestep():
    layer = layers.ConvLSTM2D(2, 2, dropout=0.5, recurrent_dropout=0.4, seed=1)
    layer.build((2, 3, 4, 4, 3))
    inputs, recurrent = layer.cell.sequence_dropout_masks((2, 4, 4, 3), np.float32, True)
    assert len(inputs) == len(recurrent) == 4
    assert all(mask.shape == (2, 4, 4, 3) for mask in inputs)
    assert all(mask.shape == (2, 3, 3, 2) for mask in recurrent)
    assert not np.array_equal(inputs[0], inputs[1])
    assert set(np.unique(inputs[0])) <= {0.0, np.float32(2.0)}
    # A timestep dropped for all gates contributes nothing: its input never matters.
    zero = [np.zeros_like(mask) for mask in inputs]
    x = rand(2, 3, 4, 4, 3)
    changed = x.copy()
    changed[:, 1] += 5.0
    first = layer.cell.run_sequence(
        ops.convert_to_tensor(x), layer.get_initial_state(2), False, False, False
    )[0]
    layer.cell.sequence_dropout_masks = lambda *args: (zero, None)
    dropped = layer.cell.run_sequence(
        ops.convert_to_tensor(x), layer.get_initial_state(2), False, False, True
    )[0]
    dropped_changed = layer.cell.run_sequence(
        ops.convert_to_tensor(changed), layer.get_initial_state(2), False, False, True
    )[0]
    np.testing.assert_array_equal(dropped.numpy(), dropped_changed.numpy())
    assert not np.allclose(first.numpy(), dropped.numpy())


def test_dropout_is_seeded_and_redrawn_per_call():
    x = rand(2, 3, 5, 2)
    outputs = []
    for _ in range(2):
        layer = layers.ConvLSTM1D(
            2,
            3,
            dropout=0.5,
            recurrent_dropout=0.5,
            seed=5,
            kernel_initializer="ones",
            recurrent_initializer="ones",
        )
        outputs.append([layer(x, training=True).numpy() for _ in range(2)])
    np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
    assert not np.array_equal(outputs[0][0], outputs[0][1])


# -- names, arguments and errors -------------------------------------------------------------
def test_layers_are_exported_as_in_keras():
    for name in ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
        assert issubclass(getattr(layers, name), ConvLSTM)
        assert name in layers.__all__
    # Keras 3 keeps the cell in its module, out of `keras.layers`.
    assert not hasattr(layers, "ConvLSTMCell")
    assert isinstance(layers.ConvLSTM2D(2, 3).cell, ConvLSTMCell)


def test_arguments_are_standardized_as_in_keras():
    layer = layers.ConvLSTM3D(2, (1, 2, 3), padding="SAME", data_format="channels_first")
    assert layer.kernel_size == (1, 2, 3)
    assert layer.strides == (1, 1, 1) and layer.dilation_rate == (1, 1, 1)
    assert layer.padding == "same" and layer.data_format == "channels_first"
    assert layer.cell.name == "conv_lstm_cell"
    assert layers.ConvLSTM2D(2, 3, dropout=1.5).dropout == 1.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filters": 0, "kernel_size": 3}, "`filters` must be a positive integer"),
        ({"filters": 2.5, "kernel_size": 3}, "`filters` must be a positive integer"),
        ({"filters": 2, "kernel_size": (3, 3, 3)}, "`kernel_size` argument must be an integer or"),
        ({"filters": 2, "kernel_size": 0}, "`kernel_size` argument must be > 0"),
        ({"filters": 2, "kernel_size": 3, "strides": 0}, "`strides` argument must be > 0"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, r"\['valid', 'same'\]"),
        ({"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, "channels_first"),
        (
            {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            "strides > 1 cannot be combined with dilation_rate > 1",
        ),
    ],
)
def test_bad_arguments_are_rejected_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.ConvLSTM2D(**kwargs)


def test_non_numeric_dropout_is_rejected():
    with pytest.raises(TypeError, match="`dropout` must be a number"):
        layers.ConvLSTM1D(2, 3, dropout="half")


def test_rank_above_three_is_rejected():
    with pytest.raises(ValueError, match="`rank` must be 1, 2 or 3"):
        ConvLSTMCell(rank=4, filters=2, kernel_size=3)


def test_bad_inputs_are_rejected_naming_the_shapes():
    with pytest.raises(
        ValueError, match=r"expects inputs of rank 5.*received input shape \(2, 3, 4, 4\)"
    ):
        layers.ConvLSTM2D(2, 3)(rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="known spatial sizes"):
        layers.ConvLSTM1D(2, 3)(keras.Input((3, None, 2)))
    with pytest.raises(ValueError, match="known number of input channels"):
        layers.ConvLSTM1D(2, 3)(keras.Input((3, 5, None)))
    with pytest.raises(ValueError, match=r"zero or negative size \(-1, -1\)"):
        layers.ConvLSTM2D(2, 5)(rand(2, 3, 3, 3, 1))
    layer = layers.ConvLSTM1D(2, 3)
    layer(rand(2, 3, 5, 2))
    with pytest.raises(ValueError, match=r"expected shape=\(None, None, 5, 2\)"):
        layer(rand(2, 3, 6, 2))


def test_bad_initial_state_is_rejected_naming_both_shapes():
    layer = layers.ConvLSTM1D(2, 3)
    x = rand(2, 3, 5, 2)
    with pytest.raises(ValueError, match=r"\(2, 3, 2\).*received shape \(2, 5, 2\)"):
        layer(x, initial_state=[rand(2, 5, 2), rand(2, 5, 2)])
    with pytest.raises(ValueError, match="expects 2 initial states"):
        layer(x, initial_state=[rand(2, 3, 2)])


def test_unroll_needs_a_known_number_of_timesteps():
    with pytest.raises(ValueError, match="Cannot unroll a RNN if the time dimension"):
        layers.ConvLSTM1D(2, 3, unroll=True)(keras.Input((None, 5, 2)))


def test_bad_input_is_rejected_before_any_weight_changes():
    model = keras.Sequential([keras.Input((2, 4, 1)), layers.ConvLSTM1D(2, 2), layers.Flatten()])
    model.compile(optimizer="sgd", loss="mse")
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(ValueError):
        model.fit(rand(4, 2, 5, 1), rand(4, 6), verbose=0)
    for weight, value in zip(model.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)
