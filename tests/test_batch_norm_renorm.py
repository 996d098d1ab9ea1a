"""BatchNormalization(renorm=True) against Keras 3.15: weights, training steps (outputs,
moving statistics, gradients), inference, configs and `.weights.h5` files
(tests/fixtures/generate_batch_norm_renorm.py)."""

import gzip
import json
import os
import shutil

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "batch_norm_renorm.json")) as _handle:
    KERAS = json.load(_handle)
CASES = {case["name"]: case for case in KERAS["cases"]}


def _f32(value):
    return np.asarray(value, dtype="float32")


def _layer(case):
    layer = layers.BatchNormalization(renorm=True, name="bn", **case["options"])
    layer.build(_f32(case["steps"][0]["x"]).shape)
    layer.set_weights([_f32(w) for w in case["initial_weights"]])
    return layer


def normalized(config):
    """A serialized config with each dtype as its name (Keras writes a DTypePolicy dict)."""
    if isinstance(config, dict):
        return {
            key: value["config"]["name"]
            if key == "dtype" and isinstance(value, dict)
            else normalized(value)
            for key, value in config.items()
        }
    return config


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.utils.clear_session()


@pytest.mark.parametrize("name", list(CASES))
def test_renorm_weights_are_named_and_ordered_as_keras(name):
    case = CASES[name]
    layer = _layer(case)
    assert [w.name for w in layer.weights] == case["weight_names"]
    assert [w.name for w in layer.trainable_weights] == case["trainable_names"]
    assert all(w.dtype == "float32" for w in layer.weights)


@pytest.mark.parametrize("name", list(CASES))
def test_renorm_training_steps_match_keras_outputs_statistics_and_gradients(name):
    case = CASES[name]
    layer = _layer(case)
    for step in case["steps"]:
        x = keras.Variable(_f32(step["x"]))
        kwargs = {} if step["mask"] is None else {"mask": np.asarray(step["mask"])}
        with keras.GradientTape() as tape:
            output = layer(x, training=True, **kwargs)
            loss = ops.sum(output * _f32(step["projection"]))
        gradients = tape.gradient(loss, [*layer.trainable_weights, x])
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), step["output"], rtol=1e-5, atol=1e-5)
        for gradient, expected in zip(gradients, [*step["grad_weights"], step["grad_x"]]):
            assert gradient.dtype == "float32"
            np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-4, atol=1e-4)
        for weight, expected in zip(layer.weights, step["weights"], strict=True):
            np.testing.assert_allclose(weight.numpy(), expected, rtol=1e-5, atol=1e-6)
    x = _f32(case["inference"]["x"])
    np.testing.assert_allclose(
        layer(x, training=False).numpy(), case["inference"]["output"], rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("name", list(CASES))
def test_renorm_config_matches_keras_and_round_trips(name):
    case = CASES[name]
    layer = _layer(case)
    config = keras.saving.serialize_keras_object(layer)
    assert normalized(config["config"]) == normalized(case["config"]["config"])
    # A direct `build()` call records the build config, as in Keras.
    assert config["build_config"] == case["config"]["build_config"]
    revived = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert revived.get_config() == layer.get_config()
    assert revived.built  # from the build config
    assert [w.name for w in revived.weights] == case["weight_names"]


def test_renorm_stddevs_start_at_the_square_root_of_the_variance_initializer():
    layer = layers.BatchNormalization(
        renorm=True, moving_variance_initializer=keras.initializers.Constant(4.0)
    )
    layer.build((None, 5))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.full(5, 4.0))
    np.testing.assert_array_equal(layer.moving_stddev.numpy(), np.full(5, 2.0))
    np.testing.assert_array_equal(layer.renorm_stddev.numpy(), np.full(5, 2.0))
    np.testing.assert_array_equal(layer.renorm_mean.numpy(), np.zeros(5))


@pytest.mark.parametrize(
    "clipping, message",
    [
        ({"random_key": 1.0}, "Received invalid keys for `renorm_clipping`"),
        ({"rmax": 0.0, "rmin": 1.0}, "rmax should be greater than rmin"),
        ({"rmax": 1.0, "dmax": -1.0}, "dmax should be non-negative"),
        ([("rmax", 1.0)], "must be a dict"),
    ],
)
def test_renorm_clipping_is_checked_when_the_layer_is_made(clipping, message):
    with pytest.raises(ValueError, match=message):
        layers.BatchNormalization(renorm=True, renorm_clipping=clipping)


def test_renorm_inference_and_frozen_layer_leave_the_statistics_alone():
    case = CASES["plain"]
    layer = _layer(case)
    plain = layers.BatchNormalization(**case["options"])
    plain.build((None, 3))
    plain.set_weights([_f32(w) for w in case["initial_weights"][:4]])
    x = _f32(case["steps"][0]["x"])
    before = [w.copy() for w in layer.get_weights()]
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=1e-6)
    layer.trainable = False
    np.testing.assert_allclose(layer(x, training=True).numpy(), plain(x).numpy(), rtol=1e-6)
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_renorm_layer_is_not_replayed_but_the_plain_one_still_is():
    assert layers.BatchNormalization()._is_replayable()
    assert not layers.BatchNormalization(renorm=True)._is_replayable()


def test_renorm_rejects_a_mask_of_the_wrong_shape_before_moving_statistics():
    layer = layers.BatchNormalization(renorm=True)
    layer.build((2, 3, 4))
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=r"mask.shape=\(2, 2\)"):
        layer(np.ones((2, 3, 4), "float32"), training=True, mask=np.ones((2, 2), bool))
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def _model():
    return keras.Sequential(
        [
            keras.Input((3,)),
            layers.Dense(4),
            layers.BatchNormalization(
                renorm=True, renorm_clipping={"rmax": 2.0, "rmin": 0.5, "dmax": 1.0}
            ),
            layers.Dense(1),
        ]
    )


def test_renorm_model_fit_matches_keras_losses_and_weights():
    case = KERAS["model"]
    model = _model()
    model.set_weights([_f32(w) for w in case["initial_weights"]])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit(
        _f32(case["x"]), _f32(case["y"]), batch_size=4, epochs=2, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-5)
    for weights, expected in zip(model.get_weights(), case["weights"], strict=True):
        np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        model.predict(_f32(case["x"]), verbose=0), case["predictions"], rtol=1e-5, atol=1e-6
    )


def test_renorm_weights_file_loads_from_keras_and_saves_in_its_layout(tmp_path):
    case = KERAS["model"]
    keras_file = tmp_path / "keras.weights.h5"
    with gzip.open(os.path.join(FIXTURES, "batch_norm_renorm.weights.h5.gz"), "rb") as source:
        with open(keras_file, "wb") as target:
            shutil.copyfileobj(source, target)
    model = _model()
    model.load_weights(str(keras_file))
    for weights, expected in zip(model.get_weights(), case["weights"], strict=True):
        np.testing.assert_array_equal(weights, _f32(expected))
    np.testing.assert_allclose(
        model.predict(_f32(case["x"]), verbose=0), case["predictions"], rtol=1e-5, atol=1e-6
    )

    ours = tmp_path / "ours.weights.h5"
    model.save_weights(str(ours))

    def datasets(path):
        found = {}
        with h5py.File(path, "r") as handle:
            handle.visititems(
                lambda name, item: (
                    found.update({name: item[()]}) if isinstance(item, h5py.Dataset) else None
                )
            )
        return found

    # The layers' weights (Keras's file also holds the state of the optimizer it trained with).
    theirs = {k: v for k, v in datasets(keras_file).items() if k.startswith("layers/")}
    mine = datasets(ours)
    assert sorted(mine) == sorted(theirs)
    for name, values in theirs.items():
        np.testing.assert_array_equal(mine[name], values, err_msg=name)
