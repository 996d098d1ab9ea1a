"""Optimizer, core and merging layer behaviours that running Keras's own tests against
minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/optimizers/*_test.py,
keras/src/layers/core/*_test.py and keras/src/layers/merging/*_test.py (see
tools/keras_tests_status.md, section "optimizers, core and merging layers").
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import optimizers


def _pair():
    v = keras.Variable([[1.0, 2.0], [3.0, 4.0]])
    v.overwrite_with_gradient = True
    v2 = keras.Variable([[1.0, 2.0], [3.0, 4.0]])
    return v, v2


def test_overwrite_with_gradient_variable_takes_its_gradient_as_value():
    # Keras's optimizer_test.py::test_overwrite_with_gradient.
    v, v2 = _pair()
    ones = np.ones((2, 2), "float32")
    optimizers.SGD(learning_rate=1.0).apply_gradients([(ones, v), (ones, v2)])
    np.testing.assert_array_equal(v.numpy(), [[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(v2.numpy(), [[0.0, 1.0], [2.0, 3.0]])


def test_overwrite_with_gradient_with_accumulation_takes_the_maximum_gradient():
    # Keras's optimizer_test.py::test_overwrite_with_gradient_with_gradient_accumulation.
    v, v2 = _pair()
    ones = np.ones((2, 2), "float32")
    twos = np.full((2, 2), 2.0, "float32")
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    optimizer.apply_gradients([(ones, v), (ones, v2)])
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(optimizer._accumulated_gradients[0].numpy(), np.ones((2, 2)))
    optimizer.apply_gradients([(twos, v), (twos, v2)])
    assert int(optimizer.iterations) == 1
    np.testing.assert_array_equal(v.numpy(), [[2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_array_equal(v2.numpy(), [[-0.5, 0.5], [1.5, 2.5]])
    np.testing.assert_array_equal(optimizer._accumulated_gradients[0].numpy(), np.zeros((2, 2)))


def test_overwrite_with_gradient_ignores_loss_scale_clipping_and_learning_rate():
    # In Keras the overwrite comes before unscaling and clipping: the raw gradient lands.
    v, v2 = _pair()
    optimizer = optimizers.Adam(learning_rate=0.5, loss_scale_factor=4.0, clipnorm=0.1)
    for g in ([[-1.0, 3.0], [1.0, -2.0]], [[2.0, -1.0], [0.5, -3.0]]):
        g = np.array(g, "float32")
        optimizer.apply_gradients([(g, v), (g, v2)])
        np.testing.assert_array_equal(v.numpy(), g)
        assert v.numpy().dtype == np.float32
    assert int(optimizer.iterations) == 2


def test_overwrite_with_gradient_holds_on_the_training_loop_fast_path():
    # The second and later steps of a plain optimizer take the flat fast path.
    v, v2 = _pair()
    optimizer = optimizers.SGD(learning_rate=0.1)
    for step in range(3):
        g = np.full((2, 2), float(step + 5), "float32")
        optimizer.apply([g, g], [v, v2])
        np.testing.assert_array_equal(v.numpy(), g)
    np.testing.assert_allclose(
        v2.numpy(), np.array([[1.0, 2.0], [3.0, 4.0]]) - 0.1 * (5 + 6 + 7), rtol=1e-6
    )


def test_overwrite_with_gradient_on_every_variable_still_counts_the_step():
    v = keras.Variable([1.0, 2.0])
    v.overwrite_with_gradient = True
    optimizer = optimizers.Adam()
    optimizer.apply([np.array([3.0, 4.0], "float32")], [v])
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    assert int(optimizer.iterations) == 1


def _cube(x):
    return x**3


def test_lambda_from_config_accepts_safe_mode_as_keras_does():
    # Keras's lambda_layer_test.py calls `Lambda.from_config(config, safe_mode=False)`.
    config = keras.layers.Lambda(_cube).get_config()
    for safe_mode in (None, True, False):
        layer = keras.layers.Lambda.from_config(
            config, custom_objects={"_cube": _cube}, safe_mode=safe_mode
        )
        np.testing.assert_array_equal(layer(np.full((2, 3), 2.0, "float32")).numpy(), 8.0)


def test_lambda_from_config_with_safe_mode_off_still_refuses_a_python_lambda():
    config = keras.layers.Lambda(lambda x: x**2).get_config()
    with pytest.raises(ValueError, match="lambda"):
        keras.layers.Lambda.from_config(config, safe_mode=False)


def test_loss_scale_optimizer_does_not_unscale_a_gradient_that_overwrites():
    # Keras's loss_scale_optimizer_test.py::test_finite_step_with_overwrite (stateful).
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=0.5))
    grads = [np.array([1.0, 6.0, 7.0, 2.0], "float32")]
    variables = [keras.Variable([1.0, 2.0, 3.0, 4.0])]
    variables[0].overwrite_with_gradient = True
    optimizer.apply(grads, variables)
    np.testing.assert_array_equal(variables[0].numpy(), grads[0])
