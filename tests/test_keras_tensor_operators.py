"""The operators of symbolic tensors Keras 3 defines: `//`, `%`, `&`, `|`, `^`, `~` (the
last four are the logical ops, as in Keras's KerasTensor) and `round()`; values read from
Keras 3.15.1 for the same model, and the graph written and read back in Keras's format."""

import numpy as np

import minikeras as keras

A = np.array([[1.5, -2.0, 3.0]], "float32")
B = np.array([[1.0, -1.0, 0.0]], "float32")
# Keras 3.15.1's outputs of the model below on A, B.
KERAS = [
    [[0.0, -1.0, 1.0]],
    [[1.0, -1.0, 1.0]],
    [[True, False, False]],
    [[True, False, True]],
    [[False, False, True]],
    [[False, True, False]],
    [[2.0, -2.0, 3.0]],
]


def _model():
    x, y = keras.Input((3,)), keras.Input((3,))
    outputs = [x // 2, 7 % x, (x > 0) & (y > 0), (x > 0) | (y > 0), (x > 0) ^ (y > 0)]
    return keras.Model([x, y], [*outputs, ~(x > 0), round(x)])


def test_operators_of_symbolic_tensors_give_kerass_values():
    for ours, expected in zip(_model().predict([A, B], verbose=0), KERAS):
        np.testing.assert_array_equal(ours, np.array(expected))


def test_a_graph_of_operators_round_trips_through_kerass_config_format():
    model = _model()
    config = model.get_config()
    names = {layer["class_name"] for layer in config["layers"]}
    assert {"FloorDivide", "Mod", "LogicalAnd", "LogicalOr", "LogicalXor"} <= names
    assert {"LogicalNot", "Round"} <= names
    loaded = keras.models.model_from_json(model.to_json())
    for ours, expected in zip(loaded.predict([A, B], verbose=0), KERAS):
        np.testing.assert_array_equal(ours, np.array(expected))
