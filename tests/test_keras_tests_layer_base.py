"""Keras's base-layer, cloning and variable tests (layers/layer_test.py,
models/cloning_test.py, ...) run against minikeras found these differences from Keras 3.15.1;
each test pins one fix. Expected values are the Keras tests' own literals or were checked by
running Keras 3.15.1 on JAX.
"""

import json
import os
import sys

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


def test_a_weight_made_in_call_raises_instead_of_being_made_again_at_each_call():
    # Keras locks a layer's state after its build; minikeras made a new weight at each call.
    class WeightInCall(layers.Layer):
        def call(self, x):
            self.w = self.add_weight(initializer="zeros", shape=())
            return x + self.w

    layer = WeightInCall()
    with pytest.raises(ValueError, match="cannot add new elements of state"):
        layer(np.ones((2, 1)))
    assert layer.weights == []


def test_weights_made_in_build_after_super_build_are_still_allowed():
    class SuperFirst(layers.Layer):
        def build(self, input_shape):
            super().build(input_shape)
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w

    class Child(SuperFirst):
        def build(self, input_shape):
            super().build(input_shape)
            self.b = self.add_weight(shape=(), initializer="zeros")

    layer = Child()
    layer.build((None, 3))
    assert len(layer.weights) == 2
    with pytest.raises(ValueError, match="already built"):
        layer.add_weight(shape=())
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.add(layers.Dense(1))  # models stay open, as in Keras
    assert len(model.weights) == 4


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


class _Pair(layers.Layer):
    def build(self, query_shape, value_shape):
        self.wq = self.add_weight(shape=(query_shape[-1], 2), name="wq")
        self.wv = self.add_weight(shape=(value_shape[-1], 2), name="wv")

    def call(self, query, value):
        return ops.matmul(query, self.wq) + ops.matmul(value, self.wv)


class _MaskShape(layers.Layer):
    def build(self, inputs_shape, attention_mask_shape=None):
        self.seen = attention_mask_shape

    def call(self, inputs, attention_mask=None):
        return inputs


def test_build_with_several_shape_arguments_gets_each_call_arguments_shape_as_keras():
    # Keras 3.15.1 gives these shapes, configs and paths; minikeras passed the first shape
    # only (a TypeError here).
    layer = _Pair(name="pair")
    assert layer(np.ones((2, 3), "float32"), np.ones((2, 4), "float32")).shape == (2, 2)
    assert [v.path for v in layer.weights] == ["pair/wq", "pair/wv"]
    config = json.loads(json.dumps(layer.get_build_config()))
    assert config == {"shapes_dict": {"query_shape": [2, 3], "value_shape": [2, 4]}}
    rebuilt = _Pair()
    rebuilt.build_from_config(config)
    assert [tuple(v.shape) for v in rebuilt.weights] == [(3, 2), (4, 2)]
    query, value = keras.Input((3,)), keras.Input((4,))
    symbolic = _Pair()
    assert tuple(symbolic(query, value=value).shape) == (None, 2)
    assert [tuple(v.shape) for v in symbolic.weights] == [(3, 2), (4, 2)]


def test_build_gets_the_shape_of_an_optional_call_argument_it_names_as_keras():
    # Was silently None: the build received the first input's shape only.
    layer = _MaskShape()
    layer(np.ones((2, 3)), attention_mask=np.ones((2, 1)))
    assert layer.seen == (2, 1)
    assert layer.get_build_config() == {
        "shapes_dict": {"inputs_shape": [2, 3], "attention_mask_shape": [2, 1]}
    }
    layer = _MaskShape()
    layer(np.ones((2, 3)))
    assert layer.seen is None
    assert layer.get_build_config() == {"input_shape": [2, 3]}


def test_build_arguments_that_match_no_call_argument_raise_as_keras():
    class NoSuffix(layers.Layer):
        def build(self, foo_shape, bar):
            pass

        def call(self, foo, bar):
            return foo

    class NoSuchArgument(layers.Layer):
        def build(self, foo_shape, baz_shape):
            pass

        def call(self, foo, bar):
            return foo

    with pytest.raises(ValueError, match=r"argument `bar`, which does not end in `_shape`"):
        NoSuffix()(np.ones((2, 1)), np.ones((2, 1)))
    with pytest.raises(
        ValueError, match=r"`baz_shape`, but `call\(\)` does not have argument `baz`"
    ):
        NoSuchArgument()(np.ones((2, 1)), np.ones((2, 1)))


def test_recurrent_layer_called_with_initial_states_records_each_shape_as_keras(tmp_path):
    sequences, h, c = keras.Input((4, 3)), keras.Input((2,)), keras.Input((2,))
    lstm = layers.LSTM(2)
    outputs = lstm(sequences, initial_state=[h, c])
    expected = {
        "shapes_dict": {
            "sequences_shape": [None, 4, 3],
            "initial_state_shape": [[None, 2], [None, 2]],
        }
    }
    assert json.loads(json.dumps(lstm.get_build_config())) == expected
    models.Model([sequences, h, c], outputs).save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert json.loads(json.dumps(loaded.layers[-1].get_build_config())) == expected


_FLOAT_WEIGHT_LAYERS = {
    "Dense": (lambda: layers.Dense(2), (2, 3)),
    "Dense_relu": (lambda: layers.Dense(2, activation="relu"), (2, 3)),
    "LayerNormalization": (lambda: layers.LayerNormalization(), (2, 3)),
    "LSTM": (lambda: layers.LSTM(2), (2, 4, 3)),
    "GRU": (lambda: layers.GRU(2), (2, 4, 3)),
    "SimpleRNN": (lambda: layers.SimpleRNN(2, return_sequences=True), (2, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(_FLOAT_WEIGHT_LAYERS))
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_integer_inputs_to_layers_with_float_weights_give_float32_as_keras(name, dtype):
    # Keras 3.15.1 gives float32 for each (its type promotion); numpy gave float64.
    make, shape = _FLOAT_WEIGHT_LAYERS[name]
    data = np.ones(shape, dtype)
    layer = make()
    output = layer(data)
    assert output.dtype == "float32"
    reference = make()
    reference.build(shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_array_equal(np.asarray(output), np.asarray(reference(data.astype("float32"))))
    assert make()(keras.Input(shape[1:], dtype=dtype)).dtype == "float32"


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


# --- variable paths: name scopes (layer_test.py, variable_mapping_test.py) ---------------------

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures"))
import layer_base_paths_scenarios as path_scenarios  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "fixtures", "layer_base_paths.json")) as _file:
    PATHS = json.load(_file)


def _weight_paths(variables):
    return [v.path for v in variables]


@pytest.mark.parametrize("name", sorted(PATHS["scenarios"]))
def test_variable_paths_follow_the_name_scopes_open_while_layers_build_as_keras(name):
    keras.utils.clear_session()
    model = path_scenarios.SCENARIOS[name](keras)
    assert _weight_paths(model.variables) == _weight_paths(
        _Path(p) for p in PATHS["scenarios"][name]["variables"]
    )


@pytest.mark.parametrize("name", sorted(PATHS["scenarios"]))
def test_layer_path_is_where_the_layer_was_built_as_keras(name):
    keras.utils.clear_session()
    model = path_scenarios.SCENARIOS[name](keras)
    found = {layer.name: layer.path for layer in model._flatten_layers(include_self=False)}
    expected = {k: v for k, v in PATHS["scenarios"][name]["layer_paths"].items() if v is not None}
    assert {k: found.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    "name", sorted(n for n, entry in PATHS["scenarios"].items() if "loaded_variables" in entry)
)
def test_a_loaded_model_has_the_paths_keras_gives_its_loaded_copy(name, tmp_path):
    # Loading builds each layer from its own build config, outside the model's scope.
    keras.utils.clear_session()
    model = path_scenarios.SCENARIOS[name](keras)
    model.save(tmp_path / "model.keras")
    keras.utils.clear_session()
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert _weight_paths(loaded.variables) == _weight_paths(
        _Path(p) for p in PATHS["scenarios"][name]["loaded_variables"]
    )


def test_optimizer_slot_names_carry_the_scoped_paths_as_keras():
    keras.utils.clear_session()
    model = path_scenarios.sequential_with_input(keras)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    assert [v.path for v in model.optimizer.variables] == PATHS["adam_variables"]


def test_name_scope_prefixes_variables_made_inside_it_as_keras():
    with keras.name_scope("outer"):
        with keras.name_scope("inner"):
            assert keras.Variable(np.zeros(2), name="v").path == "outer/inner/v"
        dense = layers.Dense(2, name="dense")
        dense.build((None, 3))
    assert dense.kernel.path == "outer/dense/kernel"
    # A layer keeps the path it was first built under.
    dense(np.ones((1, 3)))
    assert keras.Variable(np.zeros(2), name="v").path == "v"
    with pytest.raises(ValueError, match="`name` must be a string"):
        keras.name_scope("a/b")


def test_unnamed_variables_and_seed_generators_are_numbered_as_keras():
    # Keras 3.15.1: each unnamed Variable takes the next "variable" name of the session,
    # and a seed generator's state lives under the generator's numbered name.
    keras.utils.clear_session()
    first, second = keras.Variable(np.zeros(2)), keras.Variable(np.zeros(2))

    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,))
            self.v = self.add_weight(shape=(), name="v")

        def call(self, x):
            return x * self.w

    layer = Scaled(name="l")
    layer(np.ones((1, 2)))
    assert [first.name, first.path, second.name] == ["variable", "variable", "variable_1"]
    assert [v.path for v in layer.weights] == ["l/variable_2", "l/v"]
    dropout = layers.Dropout(0.5)
    assert dropout.seed_generator.name == "seed_generator"
    assert dropout.seed_generator.state.path == "seed_generator/seed_generator_state"
    assert layers.Dropout(0.5).seed_generator.name == "seed_generator_1"
    keras.utils.clear_session()
    assert keras.Variable(np.zeros(2)).name == "variable"


class _Path:
    def __init__(self, path):
        self.path = path
