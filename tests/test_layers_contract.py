"""Layer behaviours pinned to Keras 3: masks set and passed on as Keras does, positional
call arguments are checked as Keras checks them, weightless layers are built at
construction."""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops


def _x():
    return np.ones((4, 3), dtype="float32")


# -- masking: the contract around masks (the masks themselves: tests/test_masking.py) ------
class _MakesMask(layers.Layer):
    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, previous_mask=None):
        return ops.not_equal(inputs, 0)


class _PassesMaskOn(layers.Layer):
    def call(self, inputs):
        return inputs * 2

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask


def test_layer_whose_compute_mask_returns_a_mask_sets_it_on_its_outputs():
    x = np.array([[1.0, 0.0, 2.0]], dtype="float32")
    assert _MakesMask()(x)._keras_mask.tolist() == [[True, False, True]]
    symbolic = _MakesMask()(keras.Input((3,)))
    assert symbolic._keras_mask.shape == (None, 3) and symbolic._keras_mask.dtype == "bool"


def test_compute_mask_override_means_supports_masking_as_keras():
    assert _MakesMask().supports_masking is True
    assert layers.Layer().supports_masking is False


def test_layer_whose_compute_mask_gives_none_still_runs():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, _PassesMaskOn()(inputs))
    np.testing.assert_allclose(model(_x()).numpy(), 2 * _x())


def test_supports_masking_true_alone_makes_no_mask_and_runs():
    class Flagged(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, inputs):
            return inputs + 1

    np.testing.assert_allclose(Flagged()(_x()).numpy(), _x() + 1)


def test_mask_passed_to_a_layer_whose_call_takes_none_raises_type_error():
    mask = np.ones((4, 3), dtype=bool)
    with pytest.raises(TypeError, match=r"Dense.call.*'mask'"):
        layers.Dense(2)(_x(), mask=mask)
    with pytest.raises(TypeError, match=r"Flatten.call.*'mask'"):
        layers.Flatten()(keras.Input((3,)), mask=keras.Input((3,), dtype="bool"))


def test_mask_none_is_accepted_by_any_layer():
    assert layers.Dense(2)(_x(), mask=None).shape == (4, 2)


def test_explicit_mask_reaches_a_layer_whose_call_takes_it():
    logits = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    out = layers.Softmax()(logits, mask=np.array([[True, True, False]])).numpy()
    assert out[0, 2] == 0.0 and abs(out.sum() - 1.0) < 1e-6


# -- positional call arguments, as Keras 3.15 checks them ------------------------------------
class _TakesTraining(layers.Layer):
    def call(self, inputs, training=None):
        return inputs


class _Scales(layers.Layer):
    def call(self, inputs, scale=None):
        return inputs if scale is None else inputs * scale


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, inputs, training=False):
        return self.dense(inputs)


def _functional():
    inputs = keras.Input((3,))
    return keras.Model(inputs, layers.Dense(2)(inputs))


@pytest.mark.parametrize(
    "make",
    [_functional, _Subclassed, lambda: keras.Sequential([keras.Input((3,)), layers.Dense(2)])],
    ids=["functional", "subclassed", "sequential"],
)
def test_model_called_with_an_array_in_the_training_place_raises_type_error(make):
    model = make()
    with pytest.raises(TypeError, match="multiple values for argument 'training'"):
        model(_x(), np.ones((4, 2), dtype="float32"))


def test_layer_called_with_an_array_in_the_training_place_raises_type_error():
    with pytest.raises(TypeError, match="multiple values for argument 'training'"):
        _TakesTraining()(_x(), _x())
    with pytest.raises(TypeError, match="multiple values for argument 'training'"):
        layers.Dropout(0.5)(_x(), _x())


def test_functional_model_called_with_a_bool_positionally_raises_type_error():
    with pytest.raises(TypeError, match="multiple values for argument 'training'"):
        _functional()(_x(), False)


def test_layer_called_with_a_python_value_positionally_raises_value_error():
    with pytest.raises(ValueError, match=r"only input tensors.*keyword argument: True"):
        _TakesTraining()(_x(), True)
    with pytest.raises(ValueError, match=r"only input tensors.*keyword argument: 2.0"):
        _Scales()(_x(), 2.0)
    with pytest.raises(ValueError, match="only input tensors"):
        _Subclassed()(_x(), True)
    with pytest.raises(ValueError, match="only input tensors"):
        layers.Dropout(0.5)(keras.Input((3,)), True)


def test_positional_tensors_none_and_keywords_still_work():
    np.testing.assert_allclose(_Scales()(_x(), 2 * _x()).numpy(), 2 * _x())
    assert _TakesTraining()(_x(), None).shape == (4, 3)
    assert _functional()(_x(), None).shape == (4, 2)
    assert _functional()(_x(), training=True).shape == (4, 2)
    assert _Subclassed()(_x(), training=True).shape == (4, 2)


# -- layers without weights are built at construction ----------------------------------------
def _built_cases():
    path = os.path.join(os.path.dirname(__file__), "fixtures", "layers_built.json")
    with open(path) as f:
        return json.load(f)["cases"]


@pytest.mark.parametrize("name, case", sorted(_built_cases().items()))
def test_layer_is_built_at_construction_exactly_when_keras_builds_it(name, case):
    arguments = [tuple(a) if isinstance(a, list) else a for a in case["arguments"]]
    layer = getattr(layers, name)(*arguments)
    assert layer.built is case["built"]


def test_layers_built_at_construction_still_run_and_check_their_inputs():
    pool = layers.MaxPooling2D(2)
    assert pool.built and pool(np.ones((1, 4, 4, 1), "float32")).shape == (1, 2, 2, 1)
    with pytest.raises(ValueError, match=r'"small".*zero or negative.*\(1, 1, 1, 1\)'):
        layers.MaxPooling2D(2, name="small")(np.ones((1, 1, 1, 1), "float32"))
    dropout = layers.Dropout(0.5, seed=1)
    assert dropout.built and dropout(np.ones((2, 3), "float32"), training=True).shape == (2, 3)


def test_explicit_mask_in_a_graph_is_passed_on_as_keras_does():
    logits = keras.Input((3,))
    mask = keras.Input((3,), dtype="bool")
    assert layers.Softmax()(logits, mask=mask)._keras_mask is mask
    assert layers.Softmax()(logits, mask)._keras_mask is mask  # the mask passed positionally
    model = keras.Model([logits, mask], layers.Softmax()(logits, mask=mask))
    values = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    keep = np.array([[True, False, True]])
    out = model([values, keep])
    assert out._keras_mask.tolist() == keep.tolist() and out.numpy()[0, 1] == 0.0
    # GlobalAveragePooling1D consumes its mask (Keras passes none on).
    steps = keras.Input((4, 2))
    step_mask = keras.Input((4,), dtype="bool")
    pooled = layers.GlobalAveragePooling1D()(steps, mask=step_mask)
    assert tuple(pooled.shape) == (None, 2) and pooled._keras_mask is None
