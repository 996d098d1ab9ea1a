"""Keras's base-layer, cloning and variable tests (layers/layer_test.py,
models/cloning_test.py, ...) run against minikeras found these differences from Keras 3.15.1;
each test pins one fix. Expected values are the Keras tests' own literals or were checked by
running Keras 3.15.1 on JAX.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, models, ops


def _sequential():
    return models.Sequential(
        [layers.Input((3,)), layers.Dense(5, activation="relu"), layers.Dense(1)]
    )


def _functional():
    inputs = layers.Input((3,))
    return models.Model(inputs, layers.Dense(1)(layers.Dense(5, activation="relu")(inputs)))


# --- layers/layer_test.py ---------------------------------------------------------------------


@pytest.mark.parametrize("batch_size, expected", [(0, 0.0), (1, 0.2), (5, 0.2)])
def test_activity_regularizer_on_an_empty_batch_adds_zero_not_nan(batch_size, expected):
    class Identity(layers.Layer):
        def call(self, x):
            return x

    layer = Identity(activity_regularizer="l2")
    layer(ops.ones((batch_size, 5)) * 2.0)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(np.asarray(layer.losses[0]), expected, rtol=1e-6)


@pytest.mark.parametrize("value", ["yes", 1, None, np.bool_(True)])
def test_trainable_that_is_not_a_bool_is_rejected_as_keras_does(value):
    with pytest.raises(ValueError, match="Expected `trainable` to be a boolean"):
        layers.Dense(2, trainable=value)


def test_add_weight_with_the_name_first_raises_naming_the_name_argument():
    class NameFirst(layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight("my_weight")

    with pytest.raises(ValueError, match=r"`name` must be passed as a keyword argument.*my_weight"):
        NameFirst()


def test_config_names_the_activity_regularizer_only_when_one_is_set_as_keras():
    # Keras 3.15.1: Dense writes none for None; any layer writes the one it was given.
    assert "activity_regularizer" not in layers.Dense(2).get_config()
    config = layers.Dense(2, activity_regularizer="l2").get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    assert type(layers.Dense.from_config(config).activity_regularizer).__name__ == "L2"
    assert "activity_regularizer" not in layers.ActivityRegularization(l1=0.1).get_config()


def test_activity_regularizer_of_a_layer_without_its_own_config_entry_survives_a_round_trip():
    # Keras's base config keeps it; minikeras dropped it, and the loaded layer added no loss.
    layer = layers.Dropout(0.5, activity_regularizer="l2")
    config = layer.get_config()
    assert config["activity_regularizer"]["config"] == {"l2": 0.01}
    revived = layers.Dropout.from_config(config)
    revived(np.full((2, 3), 2.0, dtype="float32"))
    np.testing.assert_allclose(np.asarray(revived.losses[0]), 0.12, rtol=1e-6)
    model = models.Sequential([layers.Input((3,)), layers.Dropout(0.5, activity_regularizer="l1")])
    copy = models.model_from_json(model.to_json())
    assert type(copy.layers[0].activity_regularizer).__name__ == "L1"


# --- models/cloning_test.py -------------------------------------------------------------------


@pytest.mark.parametrize("build", [_sequential, _functional], ids=["sequential", "functional"])
def test_clone_of_a_compiled_model_is_compiled_as_keras(build):
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    copy = keras.models.clone_model(model)
    assert copy.compiled
    assert copy.optimizer is not model.optimizer
    assert type(copy.optimizer).__name__ == "Adam"
    np.testing.assert_allclose(float(np.asarray(copy.optimizer.learning_rate)), 0.01, rtol=1e-6)
    history = copy.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert int(np.asarray(model.optimizer.iterations)) == 0


def test_clone_of_an_uncompiled_model_stays_uncompiled():
    assert not keras.models.clone_model(_functional()).compiled


def test_clone_of_a_frozen_functional_model_is_trainable_itself_with_frozen_layers_as_keras():
    model = _functional()
    model.trainable = False
    copy = keras.models.clone_model(model)
    # Keras 3.15.1: the copy's own flag is True; each layer keeps its False.
    assert copy.trainable is True
    assert [layer.trainable for layer in copy.layers[1:]] == [False, False]
    assert copy.trainable_weights == []
    sequential = _sequential()
    sequential.trainable = False
    assert keras.models.clone_model(sequential).trainable is False


def test_clone_of_an_unregistered_subclassed_model_works_as_keras():
    class Unregistered(models.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    copy = keras.models.clone_model(Unregistered(units=4))
    assert type(copy) is Unregistered
    assert copy(np.ones((1, 3))).shape == (1, 4)


def test_clone_with_input_tensors_of_another_structure_raises_naming_the_argument():
    x, y = layers.Input((3,), name="x"), layers.Input((3,), name="y")
    model = models.Model({"x": x, "y": y}, layers.Dense(5)(x + y))
    copy = keras.models.clone_model(model, input_tensors={"x": x, "y": y})
    assert sorted(copy.input) == ["x", "y"]
    with pytest.raises(ValueError, match="`input_tensors` must have the same structure"):
        keras.models.clone_model(model, input_tensors=(x, y))


def test_tree_assert_same_structure_as_keras():
    keras.tree.assert_same_structure({"a": 1, "b": [2]}, {"b": ["x"], "a": "y"})
    for a, b in [([1, 2], (1, 2)), ([1], [1, 2]), (1, [1]), ({"a": 1}, {"c": 1})]:
        with pytest.raises(ValueError):
            keras.tree.assert_same_structure(a, b)
