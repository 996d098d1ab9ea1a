"""Sequential and Functional input handling pinned to Keras 3.15 (the behaviours its
sequential_test.py and functional_test.py check): rank standardisation, inputs matched by
dict keys or input names, structure warnings, input dtypes, deferred and fixed-batch
Sequential models."""

import re

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from minikeras.ops.symbolic import KerasTensor


def _data(*shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


def _dense_model(shape, batch_size=None):
    inputs = keras.Input(shape=shape, batch_size=batch_size, name="features")
    return keras.Model(inputs, layers.Dense(3, name="out")(inputs))


# -- rank standardisation -------------------------------------------------------------------
def test_functional_squeezes_a_trailing_dimension_of_one():
    model = _dense_model((3,))
    x = _data(5, 3)
    np.testing.assert_array_equal(model(x[..., None]).numpy(), model(x).numpy())


def test_functional_adds_a_trailing_dimension_of_one():
    model = _dense_model((3, 1))
    x = _data(5, 3)
    assert model(x).shape == (5, 3, 3)
    np.testing.assert_array_equal(model(x).numpy(), model(x[..., None]).numpy())
    column = _dense_model((1,))
    np.testing.assert_array_equal(column(x[:, 0]).numpy(), column(x[:, :1]).numpy())


@pytest.mark.parametrize("shape", [(5,), (5, 3, 4), (5, 1, 3)])
def test_functional_refuses_other_rank_differences(shape):
    message = rf'"features".*{re.escape("(None, 3)")}.*{re.escape(str(shape))}'
    with pytest.raises(ValueError, match=message):
        _dense_model((3,))(_data(*shape))


def test_fit_predict_and_evaluate_standardise_ranks_as_a_call_does():
    x, y = _data(12), _data(12, 3, seed=1)
    first, second = _dense_model((1,)), _dense_model((1,))
    second.set_weights(first.get_weights())
    for model in (first, second):
        model.compile(optimizer="sgd", loss="mse")
    squeezed = first.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False).history
    columns = second.fit(x[:, None], y, batch_size=4, epochs=3, verbose=0, shuffle=False).history
    np.testing.assert_allclose(squeezed["loss"], columns["loss"], rtol=1e-6)
    assert first._compiled_steps.replayed["train"] > 0  # the added axis replays too
    np.testing.assert_allclose(
        first.predict(x, verbose=0), second.predict(x[:, None], verbose=0), rtol=1e-6
    )
    assert first.evaluate(x, y, verbose=0) == pytest.approx(
        second.evaluate(x[:, None], y, verbose=0)
    )


def test_sequential_standardises_ranks():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    x = _data(4, 3)
    np.testing.assert_array_equal(model(x[..., None]).numpy(), model(x).numpy())


# -- inputs matched by keys and names ---------------------------------------------------------
def _two_input_model(struct):
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(4,), name="b")
    out = layers.Dense(2)(layers.Concatenate()([layers.Dense(5)(a), layers.Dense(5)(b)]))
    if struct == "list":
        return keras.Model([a, b], out)
    with pytest.warns(UserWarning, match="keys in the dict must match"):
        return keras.Model({"c": a, "d": b}, out)


def test_dict_model_is_fed_by_its_own_keys_not_its_input_names():
    model = _two_input_model("dict")
    xa, xb = _data(2, 3), _data(2, 4)
    assert model({"c": xa, "d": xb}).shape == (2, 2)
    with pytest.raises(ValueError, match=r"missing input.*\['c', 'd'\]"):
        model({"a": xa, "b": xb})


def test_list_model_is_fed_a_dict_by_input_names_in_any_order():
    model = _two_input_model("list")
    xa, xb = _data(2, 3), _data(2, 4)
    np.testing.assert_array_equal(model({"b": xb, "a": xa}).numpy(), model([xa, xb]).numpy())


def test_dict_with_extra_keys_warns_about_the_structure():
    a = keras.Input(shape=(3,), name="a")
    model = keras.Model({"a": a}, a * 5)
    with pytest.warns(UserWarning, match="structure of `inputs` doesn't match"):
        out = model({"a": _data(2, 3), "b": _data(2, 1)})
    assert out.shape == (2, 3)


def test_list_given_to_dict_model_warns_or_raises_when_keys_are_unsorted():
    first, second = keras.Input((2,), name="i1"), keras.Input((2,), name="i2")
    total = layers.Add()([first, second])
    sorted_keys = keras.Model({"i1": first, "i2": second}, total)
    with pytest.warns(UserWarning, match="structure of `inputs` doesn't match"):
        out = sorted_keys.predict([np.ones((2, 2)), np.zeros((2, 2))], verbose=0)
    np.testing.assert_array_equal(out, np.ones((2, 2)))
    with pytest.warns(UserWarning, match="keys in the dict must match"):
        unsorted_keys = keras.Model({"z": first, "a": second}, total)
    with pytest.raises(ValueError, match=r"structure of `inputs`.*not in sorted order.*a dict"):
        unsorted_keys([np.ones((2, 2)), np.zeros((2, 2))])


def test_single_input_model_given_two_inputs_raises():
    with pytest.raises(ValueError, match=r"expects 1 input.*received 2 inputs"):
        _dense_model((4,))([np.zeros((2, 4)), np.zeros((2, 4))])


def test_model_inputs_and_outputs_must_be_keras_tensors():
    b = keras.Input(shape=(3,), name="b")
    with pytest.raises(ValueError, match=r"All `inputs` values must be KerasTensors.*'input_a'"):
        keras.Model({"a": "input_a", "b": b}, b)
    with pytest.raises(ValueError, match=r"All `outputs` values must be KerasTensors"):
        keras.Model(b, "outputs")


def test_each_input_is_converted_to_its_own_dtype():
    floats = keras.Input(shape=(2,))
    ints = keras.Input(shape=(2,), dtype="int32")
    model = keras.Model((floats, ints), (floats + 2, ints + 2))
    float_out, int_out = model((np.ones((2, 2)), np.ones((2, 2))))
    assert float_out.dtype == "float32" and int_out.dtype == "int32"


def test_functional_mask_argument_is_the_inputs_mask():
    inputs = keras.Input((4, 3))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    mask = np.array([[True, True, False, False], [True, False, False, False]])
    # As Keras: the model itself (not supporting masking) warns, yet its layers pass it on.
    with pytest.warns(UserWarning, match="does not support masking"):
        out = model(np.ones((2, 4, 3), "float32"), mask=mask)
    assert out._keras_mask.tolist() == mask.tolist()
    assert model(np.ones((2, 4, 3), "float32"), mask=None)._keras_mask is None


# -- Sequential ------------------------------------------------------------------------------
def test_sequential_without_layers_raises_on_call():
    with pytest.raises(ValueError, match="no layers"):
        keras.Sequential()(_data(3, 2))


def test_sequential_build_conflicting_with_its_input_raises():
    model = keras.Sequential([keras.Input(shape=(2,), batch_size=3), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"already been configured.*\(3, 2\).*\(3, 4\)"):
        model.build((3, 4))
    model.build((3, 2))
    assert model.output_shape == (3, 2)


def test_second_input_in_sequential_raises_already_configured():
    model = keras.Sequential([keras.Input(shape=(2,), batch_size=3)])
    with pytest.raises(ValueError, match="already been configured"):
        model.add(keras.Input(shape=(2,), batch_size=3))
    with pytest.raises(ValueError, match="already been configured"):
        model.add(layers.InputLayer(shape=(2,), batch_size=3))


class _KeepsDict(layers.Layer):
    def call(self, inputs):
        assert isinstance(inputs, dict)
        return {key: value * 2 for key, value in inputs.items()}


class _KeepsList(layers.Layer):
    def call(self, inputs):
        assert isinstance(inputs, list)
        return [value + 1 for value in inputs]


def test_sequential_runs_dict_and_list_inputs_layer_by_layer():
    x = {"a": _data(3, 2), "b": _data(3, 2, seed=1)}
    out = keras.Sequential([_KeepsDict(), _KeepsDict()])(x)
    assert set(out) == {"a", "b"}
    np.testing.assert_allclose(out["b"].numpy(), 4 * x["b"], rtol=1e-6)
    out = keras.Sequential([_KeepsList()])([x["a"], x["b"]])
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_allclose(out[0].numpy(), x["a"] + 1, rtol=1e-6)


def test_sequential_builds_on_first_call_and_first_fit():
    model = keras.Sequential([layers.Dense(4), layers.Dense(5)])
    assert not model.built
    assert model(_data(3, 2)).shape == (3, 5)
    assert model.built and len(model.weights) == 4
    model.pop()
    assert model(_data(3, 2)).shape == (3, 4) and len(model.weights) == 2
    fitted = keras.Sequential([layers.Dense(4), layers.Dense(1)])
    fitted.compile(optimizer="sgd", loss="mse")
    fitted.fit(_data(6, 2), _data(6, 1), batch_size=4, epochs=1, verbose=0)
    assert fitted.built and fitted.output_shape[-1] == 1 and len(fitted.weights) == 4


def test_sequential_with_a_fixed_batch_size_takes_other_batch_sizes():
    for first in (keras.Input(shape=(3,), batch_size=3), keras.Input(batch_shape=(3, 3))):
        model = keras.Sequential([first, layers.Dense(2)])
        assert model.input_shape == (3, 3)
        assert model(_data(5, 3)).shape == (5, 2)
        assert model.predict(_data(7, 3), batch_size=4, verbose=0).shape == (7, 2)
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(_data(5, 3), _data(5, 2), batch_size=2, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])


def test_sequential_mask_argument_is_the_inputs_mask():
    model = keras.Sequential([keras.Input((4, 3)), layers.Dense(2)])
    mask = np.array([[True, True, False, False], [True, False, False, False]])
    with pytest.warns(UserWarning, match="does not support masking"):
        out = model(np.ones((2, 4, 3), "float32"), mask=mask)
    assert out._keras_mask.tolist() == mask.tolist()


# -- symbolic add_loss (beyond Keras 3, as tf.keras 2) ---------------------------------------
def _model_with_symbolic_loss():
    inputs = keras.Input(shape=(4,))
    hidden = layers.Dense(3, name="hidden")(inputs)
    model = keras.Model(inputs, layers.Dense(1)(hidden))
    model.add_loss(0.1 * ops.mean(ops.square(hidden)))
    return model


def test_symbolic_add_loss_is_in_losses_before_the_first_call():
    model = _model_with_symbolic_loss()
    assert len(model.losses) == 1
    (term,) = model.losses
    assert isinstance(term, KerasTensor) and term.shape == ()
    x = _data(5, 4)
    model(x)
    (value,) = model.losses
    features = model.get_layer("hidden")(x).numpy()
    assert float(value) == pytest.approx(0.1 * np.mean(features**2), rel=1e-6)


def test_nested_model_symbolic_loss_is_in_the_outer_losses_before_a_call():
    inner = _model_with_symbolic_loss()
    inputs = keras.Input(shape=(4,))
    outer = keras.Model(inputs, inner(inputs))
    assert len(outer.losses) == 1 and isinstance(outer.losses[0], KerasTensor)
    outer(_data(2, 4))
    assert len(outer.losses) == 1 and not isinstance(outer.losses[0], KerasTensor)


def test_reading_symbolic_losses_before_fit_changes_nothing():
    first = _model_with_symbolic_loss()
    second = _model_with_symbolic_loss()
    second.set_weights(first.get_weights())
    x, y = _data(8, 4), _data(8, 1, seed=1)
    histories = []
    for model in (first, second):
        if model is second:
            assert len(model.losses) == 1
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
        histories.append(history.history["loss"])
    np.testing.assert_array_equal(histories[0], histories[1])
    assert len(first.losses) == 1 and not isinstance(first.losses[0], KerasTensor)


# -- optional inputs -------------------------------------------------------------------------
class _AddsOptional(layers.Layer):
    def call(self, x, y=None):
        return x if y is None else x + y

    def compute_output_shape(self, x_shape):
        return x_shape


def test_optional_input_takes_none():
    first = keras.Input((2,), name="input1")
    second = keras.Input((2,), name="input2", optional=True)
    model = keras.Model({"input1": first, "input2": second}, _AddsOptional()(first, second))
    out = model({"input1": np.ones((2, 2)), "input2": None})
    np.testing.assert_array_equal(out.numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(
        model({"input1": np.ones((2, 2)), "input2": np.ones((2, 2))}).numpy(), 2 * np.ones((2, 2))
    )


def test_none_for_a_required_input_raises_in_a_call_and_in_fit():
    first = keras.Input((2,), name="input1")
    second = keras.Input((2,), name="input2")
    model = keras.Model({"input1": first, "input2": second}, _AddsOptional()(first, second))
    with pytest.raises(ValueError, match=r"'input2'.*not optional"):
        model({"input1": np.ones((2, 2)), "input2": None})
    single = keras.Input((3,), name="x")
    dense = keras.Model(single, layers.Dense(1)(single))
    dense.compile(optimizer="sgd", loss="mse")
    before = dense.get_weights()
    with pytest.raises(ValueError, match=r"'x'.*not optional"):
        dense.fit([None], np.ones((4, 1)), epochs=1, verbose=0)
    for old, new in zip(before, dense.get_weights()):
        np.testing.assert_array_equal(old, new)


# -- restored output structure ---------------------------------------------------------------
@pytest.mark.parametrize("out_type", [list, tuple, dict])
def test_restored_model_keeps_its_output_structure(out_type):
    inputs = keras.Input(shape=(3,), batch_size=2, name="input")
    hidden = layers.Dense(5)(inputs)
    first, second = layers.Dense(4)(hidden), layers.Dense(5)(hidden)
    outputs = {"a": first, "b": second} if out_type is dict else out_type([first, second])
    restored = keras.Model.from_config(keras.Model(inputs, outputs).get_config())
    assert type(restored(_data(2, 3))) is out_type
    assert type(restored(keras.Input(shape=(3,), batch_size=2))) is out_type


# -- nested structures and models inside Sequential ------------------------------------------
def test_nested_dict_model_runs_and_round_trips(tmp_path):
    one, two, three = keras.Input((1,), name="1"), keras.Input((2,)), keras.Input((3,))
    model = keras.Model(
        {"1": one, "others": {"2": two, "3": three}},
        {
            "1": layers.Dense(1)(one),
            "others": {"2": layers.Dense(2)(two), "3": layers.Dense(3)(three)},
        },
    )
    x = {"1": np.ones((2, 1)), "others": {"2": np.ones((2, 2)), "3": np.ones((2, 3))}}
    out = model(x)
    assert out["1"].shape == (2, 1) and out["others"]["3"].shape == (2, 3)
    symbolic = model(
        {"1": keras.Input((1,)), "others": {"2": keras.Input((2,)), "3": keras.Input((3,))}}
    )
    assert tuple(symbolic["others"]["2"].shape) == (None, 2)
    with pytest.raises(ValueError, match=r"missing input.*\['3'\]"):
        model({"1": np.ones((2, 1)), "others": {"2": np.ones((2, 2))}})
    path = str(tmp_path / "nested.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)(x)
    np.testing.assert_allclose(loaded["others"]["3"].numpy(), out["others"]["3"].numpy())


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_sequential_starting_with_a_model_is_built_from_its_input(kind):
    if kind == "functional":
        inputs = keras.Input((6, 6, 3))
        first = keras.Model(inputs, layers.Conv2D(4, 3, padding="same")(inputs))
    else:
        first = keras.Sequential([keras.Input((6, 6, 3)), layers.Conv2D(4, 3, padding="same")])
    model = keras.Sequential([first, layers.Flatten(), layers.Dense(1)])
    assert model.built and all(layer.built for layer in model.layers)
    assert model.input_shape == (None, 6, 6, 3)
    assert model(_data(1, 6, 6, 3)).shape == (1, 1)


def test_sequential_with_a_layer_that_cannot_infer_shapes_runs_eagerly():
    class Dynamic(layers.Layer):
        def call(self, inputs):
            return inputs + 1.0

        def compute_output_spec(self, *args, **kwargs):
            raise NotImplementedError

    model = keras.Sequential([Dynamic()])
    x = _data(3, 2)
    np.testing.assert_allclose(model(x).numpy(), x + 1, rtol=1e-6)
    np.testing.assert_allclose(model(x).numpy(), x + 1, rtol=1e-6)


def test_sequential_layer_needing_two_inputs_raises_value_error():
    class NeedsTraining(layers.Layer):
        def call(self, inputs, training):
            return inputs

    model = keras.Sequential([NeedsTraining()])
    with pytest.raises(ValueError, match=r"single required positional argument.*NeedsTraining"):
        model.build((None, 2))


def test_dict_inputs_keyed_by_other_names_warn_at_construction():
    inputs = keras.Input((2,), name="features")
    with pytest.warns(UserWarning, match=r"key 'x' mapping to a tensor named 'features'"):
        keras.Model({"x": inputs}, layers.Dense(1)(inputs))
    keras.Model({"features": inputs}, layers.Dense(1)(inputs))  # matching names: no warning


# -- sub-models cut from intermediate tensors ------------------------------------------------
def _chain():
    inputs = keras.Input(shape=(None, 2), name="input")
    x1 = layers.Dense(3, name="dense1")(inputs)
    x2 = layers.Dense(4, name="dense2")(x1)
    outputs = layers.Dense(5, name="dense3")(x2)
    return inputs, x1, x2, outputs


def _kinds(model):
    return [
        "InputLayer" if isinstance(layer, layers.InputLayer) else layer.name
        for layer in model.layers
    ]


def test_model_cut_from_intermediate_tensors_starts_with_its_own_input_layer():
    inputs, x1, x2, outputs = _chain()
    full = keras.Model(inputs, outputs)
    assert _kinds(full) == ["InputLayer", "dense1", "dense2", "dense3"]
    assert _kinds(keras.Model(x2, outputs)) == ["InputLayer", "dense3"]
    assert _kinds(keras.Model(x1, x2)) == ["InputLayer", "dense2"]
    cut = keras.Model(full.get_layer("dense2").input, outputs)
    assert _kinds(cut) == ["InputLayer", "dense2", "dense3"]
    # The layers (and weights) are the full model's.
    assert cut.get_layer("dense3") is full.get_layer("dense3")
    x = _data(2, 3, 2)
    hidden = full.get_layer("dense1")(x)
    np.testing.assert_allclose(cut(hidden).numpy(), full(x).numpy(), rtol=1e-5, atol=1e-6)


def test_cut_model_round_trips_through_its_config_and_a_keras_file(tmp_path):
    _, x1, _, outputs = _chain()
    cut = keras.Model(x1, outputs)
    x = _data(2, 3, 3)
    restored = keras.Model.from_config(cut.get_config())
    assert _kinds(restored) == ["InputLayer", "dense2", "dense3"]
    path = str(tmp_path / "cut.keras")
    cut.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path)(x).numpy(), cut(x).numpy())


def test_cut_model_weights_file_has_keras_layout(tmp_path):
    _, x1, _, outputs = _chain()
    path = str(tmp_path / "cut.weights.h5")
    keras.Model(x1, outputs).save_weights(path)
    with h5py.File(path) as f:
        names = []
        f.visit(names.append)
    groups = sorted(name for name in names if name.endswith("vars"))
    assert groups == ["layers/dense/vars", "layers/dense_1/vars", "layers/input_layer/vars", "vars"]


def test_symbolic_loss_on_a_cut_model_reads_its_own_input():
    _, x1, x2, outputs = _chain()
    cut = keras.Model(x1, outputs)
    cut.add_loss(ops.mean(x2))
    x = _data(2, 3, 3)
    cut(x)
    expected = np.mean(cut.get_layer("dense2")(x).numpy())
    assert float(cut.losses[0]) == pytest.approx(expected, rel=1e-5)


# -- unbuilt Sequential ----------------------------------------------------------------------
def test_unbuilt_sequential_has_no_input_or_output_attributes():
    names = ("input_shape", "output_shape", "inputs", "outputs", "input", "output")
    model = keras.Sequential([layers.Dense(8)])
    assert not any(hasattr(model, name) for name in names)
    with pytest.raises(AttributeError, match="not built"):
        _ = model.input_shape
    built = keras.Sequential([keras.Input((4,)), layers.Dense(8)])
    assert all(hasattr(built, name) for name in names)
    assert built.input_shape == (None, 4) and built.output_shape == (None, 8)


def test_unbuilt_sequential_can_be_cloned_and_summarised():
    model = keras.Sequential([layers.Dense(2)])
    clone = keras.models.clone_model(model)
    assert not clone.built and len(clone.layers) == 1
    lines = []
    model.summary(print_fn=lines.append)
    assert any("dense" in line for line in lines)


def test_sequential_run_on_dict_inputs_saves_and_loads(tmp_path):
    model = keras.Sequential([_KeepsDict()])
    x = {"a": _data(2, 2), "b": _data(2, 2, seed=1)}
    model(x)
    path = str(tmp_path / "dict.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, custom_objects={"_KeepsDict": _KeepsDict})
    np.testing.assert_allclose(loaded(x)["b"].numpy(), model(x)["b"].numpy())
