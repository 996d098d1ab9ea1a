"""`layers.Wrapper` and the wrappers derived from it (TimeDistributed, SpectralNormalization),
against values recorded from Keras 3.15 (tests/fixtures/generate_wrapper_layer.py)."""

import json
import os
import re

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "wrapper_layer.json")) as _handle:
    KERAS = json.load(_handle)
X = np.asarray(KERAS["x"], dtype="float32")


class Scaled(layers.Wrapper):
    def call(self, inputs):
        return 2.0 * self.layer(inputs)


class MaskedDense(layers.Wrapper):
    def __init__(self, units, **kwargs):
        super().__init__(layers.Dense(units, kernel_initializer="ones", use_bias=False), **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        outputs = self.layer.call(inputs)
        if mask is None:
            return outputs
        return outputs * ops.cast(ops.expand_dims(mask, -1), outputs.dtype)


def _dense(**kwargs):
    return layers.Dense(2, kernel_initializer=keras.initializers.Constant(0.5), **kwargs)


def normalized(config):
    """A serialized config with each dtype as its name (Keras writes a DTypePolicy dict) and
    without the keys Keras 3.15's Dense config differs in."""
    if isinstance(config, dict):
        result = {}
        for key, value in config.items():
            if key == "dtype" and isinstance(value, dict):
                value = value["config"]["name"]
            if key in ("quantization_config", "activity_regularizer") and value is None:
                continue
            result[key] = normalized(value)
        return result
    if isinstance(config, list):
        return [normalized(item) for item in config]
    return config


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.utils.clear_session()


def test_wrapper_is_exported_and_is_the_base_of_keras_wrappers():
    assert keras.layers.Wrapper is layers.Wrapper
    assert issubclass(layers.TimeDistributed, layers.Wrapper)
    assert issubclass(layers.SpectralNormalization, layers.Wrapper)
    # As in Keras 3.15, Bidirectional is a plain Layer holding two layers.
    assert not issubclass(layers.Bidirectional, layers.Wrapper)


@pytest.mark.parametrize("value", ["This is not a layer", None, keras.Input((3,))])
def test_wrapper_rejects_a_value_that_is_not_a_layer(value):
    with pytest.raises(ValueError, match="supplied to Wrapper isn't a supported layer type"):
        layers.Wrapper(value)


def test_wrapper_builds_the_wrapped_layer_and_nests_its_weight_paths_as_keras():
    scaled = Scaled(_dense(), name="scaled")
    np.testing.assert_allclose(scaled(X).numpy(), KERAS["scaled_output"], rtol=1e-6)
    assert scaled.layer.built
    assert [v.path for v in scaled.weights] == KERAS["scaled_paths"]
    assert [v.path for v in scaled.trainable_weights] == KERAS["scaled_paths"]


def test_wrapper_build_leaves_a_layer_built_beforehand_as_it_is():
    prebuilt = _dense(name="prebuilt")
    prebuilt.build((None, 3))
    kernel = prebuilt.kernel
    around = Scaled(prebuilt, name="around")
    around(X)
    assert around.layer.kernel is kernel
    assert [v.path for v in around.weights] == KERAS["prebuilt_paths"]


def test_wrapper_build_builds_the_layer_on_the_given_shape():
    wrapper = layers.Wrapper(_dense())
    wrapper.build((None, 3))
    assert wrapper.built and wrapper.layer.built
    assert [tuple(w.shape) for w in wrapper.weights] == [(3, 2), (2,)]


def test_wrapper_config_nests_the_layer_config_as_keras_and_round_trips():
    scaled = Scaled(_dense(), name="scaled")
    scaled(X)
    config = keras.saving.serialize_keras_object(scaled)
    expected = KERAS["scaled_config"]
    assert normalized(config["config"]) == normalized(expected["config"])
    assert config["build_config"] == expected["build_config"]

    revived = Scaled.from_config(scaled.get_config())
    assert isinstance(revived.layer, layers.Dense)
    assert revived.get_config() == scaled.get_config()
    with keras.saving.custom_object_scope({"Scaled": Scaled}):
        revived = keras.saving.deserialize_keras_object(json.loads(json.dumps(config)))
    assert revived.get_config() == scaled.get_config()


def test_wrapper_counts_the_activity_losses_of_the_layer_and_its_own_as_keras():
    inner = Scaled(_dense(activity_regularizer="l2"))
    inner(X)
    outer = Scaled(_dense(), activity_regularizer="l2")
    outer(X)
    np.testing.assert_allclose([float(v) for v in inner.losses], KERAS["losses"]["inner"])
    np.testing.assert_allclose([float(v) for v in outer.losses], KERAS["losses"]["outer"])


def test_wrapper_weights_file_nests_the_layer_under_layer_as_keras(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Scaled(_dense(), name="scaled_in_model")])
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    names = []
    with h5py.File(path, "r") as handle:
        handle.visit(names.append)
    assert sorted(names) == KERAS["h5_groups"]
    model.layers[0].layer.kernel.assign(np.zeros((3, 2), "float32"))
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[0].layer.kernel.numpy(), np.full((3, 2), 0.5))


def test_wrapper_trains_the_wrapped_layer_weights():
    model = keras.Sequential([keras.Input((3,)), Scaled(_dense())])
    model.compile(optimizer="sgd", loss="mse")
    before = model.layers[0].layer.kernel.numpy().copy()
    model.fit(X, np.ones((2, 2), "float32"), epochs=1, verbose=0)
    assert not np.array_equal(before, model.layers[0].layer.kernel.numpy())


def test_spectral_normalization_nests_the_wrapped_weight_paths_as_keras():
    spectral = layers.SpectralNormalization(_dense(name="dense_sn"), name="spectral")
    spectral(X)
    assert [v.path for v in spectral.weights] == KERAS["spectral_paths"]
    config = keras.saving.serialize_keras_object(spectral)
    assert normalized(config) == normalized(KERAS["spectral_config"])


def test_time_distributed_config_gives_the_wrapped_layer_its_build_shape_as_keras():
    sequence = np.asarray(KERAS["sequence"], dtype="float32")
    timed = layers.TimeDistributed(_dense(name="dense_td"), name="timed")
    timed(sequence)
    assert [v.path for v in timed.weights] == KERAS["timed_paths"]
    config = keras.saving.serialize_keras_object(timed)
    assert normalized(config) == normalized(KERAS["timed_config"])


def test_time_distributed_hands_its_mask_to_a_wrapper_subclass_as_keras():
    sequence = np.asarray(KERAS["sequence"], dtype="float32")
    mask = np.asarray(KERAS["mask"])
    output = layers.TimeDistributed(MaskedDense(1))(sequence, mask=mask)
    np.testing.assert_allclose(output.numpy(), KERAS["masked_output"], rtol=1e-6)


@pytest.mark.parametrize("mask_shape", [(4, 6), (5, 5), (5, 6), (4, 6, 2)])
def test_time_distributed_mask_that_misses_batch_or_time_raises_with_keras_wording(mask_shape):
    layer = layers.TimeDistributed(layers.Dense(5))
    inputs = np.zeros((4, 5, 3), "float32")
    layer.build(inputs.shape)
    before = [w.copy() for w in layer.get_weights()]
    message = (
        r"The `mask` passed to the `TimeDistributed` layer has a shape "
        + re.escape(str(mask_shape))
        + r" that is incompatible with the input shape \(4, 5, 3\)"
    )
    with pytest.raises(ValueError, match=message):
        layer(inputs, mask=np.ones(mask_shape, bool))
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
