"""Core and activation layers: Dense, Embedding, Identity, Lambda, Activation, ReLU,
LeakyReLU, ELU, PReLU, Softmax.

Each layer passes the shared checks of `run_layer_test`; values come from real Keras
(tests/fixtures/layers.json) or from numpy formulas; gradients from finite differences.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import initializers, layers, ops
from tests.layer_test_helper import check_layer_gradients, keras_case, run_layer_test


# -- Dense ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "input_shape", "output_shape", "trainable"),
    [
        ({"units": 4}, (3, 5), (3, 4), 2),
        ({"units": 2, "activation": "relu"}, (2, 3, 5), (2, 3, 2), 2),
        ({"units": 3, "activation": "tanh", "use_bias": False}, (4, 2), (4, 3), 1),
    ],
)
def test_dense_passes_layer_checks(kwargs, input_shape, output_shape, trainable):
    run_layer_test(
        layers.Dense,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )


def test_dense_with_regularizers_reports_their_losses():
    run_layer_test(
        layers.Dense,
        {"units": 3, "kernel_regularizer": "l2", "activity_regularizer": "l1"},
        input_shape=(4, 2),
        expected_num_losses=2,
    )


# -- Embedding ------------------------------------------------------------------------------
def test_embedding_passes_layer_checks():
    layer = run_layer_test(
        layers.Embedding,
        {"input_dim": 10, "output_dim": 3},
        input_shape=(4, 5),
        input_dtype="int32",
        expected_output_shape=(4, 5, 3),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=0,
    )
    assert layer.embeddings.shape == (10, 3)


def test_embedding_looks_up_rows_and_accepts_integral_floats():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    layer = layers.Embedding(4, 3, weights=table)
    indices = np.array([[0, 3], [3, 1]])
    np.testing.assert_array_equal(layer(indices).numpy(), table[indices])
    np.testing.assert_array_equal(layer(indices.astype("float32")).numpy(), table[indices])
    inputs = keras.Input((2,), dtype="int32")
    assert layer(inputs).shape == (None, 2, 3) and layer(inputs).dtype == "float32"


def test_embedding_default_initializer_is_uniform_005():
    layer = layers.Embedding(200, 50)
    layer.build()
    values = layer.embeddings.numpy()
    assert values.dtype == np.float32
    assert values.min() >= -0.05 and values.max() <= 0.05 and values.std() > 0.02


def test_embedding_gradient_scatter_adds_repeated_indices():
    layer = layers.Embedding(5, 2, embeddings_initializer="ones")
    indices = np.array([[1, 1, 3], [1, 0, 3]])
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(indices) * 2.0)
    (gradient,) = tape.gradient(loss, [layer.embeddings])
    counts = np.bincount(indices.ravel(), minlength=5).astype(np.float32)
    np.testing.assert_array_equal(gradient.numpy(), np.repeat(2.0 * counts[:, None], 2, axis=1))


def test_embedding_gradient_check():
    layer = layers.Embedding(4, 3, embeddings_initializer="random_normal", dtype="float64")
    check_layer_gradients(layer, np.array([[0, 2, 2], [3, 0, 2]]))


def test_embedding_errors():
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        layers.Embedding(3, 2.5)
    layer = layers.Embedding(3, 2, name="tokens")
    with pytest.raises(ValueError, match=r'"tokens".*\[0, 3\).*from 0 to 3'):
        layer(np.array([[0, 3]]))
    with pytest.raises(ValueError, match="from -1 to 1"):
        layer(np.array([[-1, 1]]))


def test_embedding_input_length_is_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="input_length"):
        layer = layers.Embedding(5, 2, input_length=3)
    assert "input_length" not in layer.get_config()


# -- Identity and Lambda ---------------------------------------------------------------------
def test_identity_passes_layer_checks_and_returns_its_input():
    run_layer_test(layers.Identity, {}, input_shape=(2, 3), expected_output_shape=(2, 3))
    x = np.ones((2, 3), dtype=np.float32)
    assert layers.Identity()(x).shape == (2, 3)


def double_plus(x, offset=0.0):
    return x * 2.0 + offset


def pairwise_sum_shape(input_shape):
    return (input_shape[0], 1)


def row_sum(x):
    return ops.sum(x, axis=-1, keepdims=True)


def test_lambda_passes_layer_checks_with_arguments():
    layer = run_layer_test(
        layers.Lambda,
        {"function": double_plus, "arguments": {"offset": 1.0}},
        input_shape=(3, 4),
        expected_output_shape=(3, 4),
        custom_objects={"double_plus": double_plus},
    )
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    np.testing.assert_array_equal(layer(x).numpy(), x * 2 + 1)


def test_lambda_output_shape_tuple_or_function():
    run_layer_test(
        layers.Lambda,
        {"function": row_sum, "output_shape": (1,)},
        input_shape=(3, 4),
        expected_output_shape=(3, 1),
        custom_objects={"row_sum": row_sum},
    )
    layer = layers.Lambda(row_sum, output_shape=pairwise_sum_shape)
    assert layer.compute_output_shape((None, 7)) == (None, 1)
    config = layer.get_config()
    assert config["output_shape"]["config"] == "pairwise_sum_shape"
    restored = layers.Lambda.from_config(
        config, custom_objects={"row_sum": row_sum, "pairwise_sum_shape": pairwise_sum_shape}
    )
    assert restored.compute_output_shape((None, 7)) == (None, 1)


def test_lambda_infers_output_shape_and_dtype_symbolically():
    layer = layers.Lambda(lambda x: ops.argmax(x, axis=-1))
    out = layer(keras.Input((5,)))
    assert out.shape == (None,) and out.dtype.startswith("int")
    lists = layers.Lambda(lambda xs: ops.concatenate(xs, axis=-1))
    assert lists([keras.Input((2,)), keras.Input((3,))]).shape == (None, 5)


def test_lambda_passes_training_to_functions_that_take_it():
    def scale(x, training=None):
        return x * (10.0 if training else 1.0)

    layer = layers.Lambda(scale)
    x = np.ones((1, 2), dtype=np.float32)
    assert float(layer(x, training=True)[0, 0]) == 10.0
    assert float(layer(x)[0, 0]) == 1.0


def test_lambda_config_names_the_function_and_needs_custom_objects():
    config = layers.Lambda(double_plus).get_config()
    assert config["function"]["config"] == "double_plus"
    assert config["function"]["class_name"] == "function"
    with pytest.raises(ValueError, match=r"custom_objects=\{'double_plus': double_plus\}"):
        layers.Lambda.from_config(config)
    lambda_config = layers.Lambda(lambda x: x).get_config()
    with pytest.raises(ValueError, match="Python lambda"):
        layers.Lambda.from_config(lambda_config)
    # minikeras's own functions are found without custom_objects.
    restored = layers.Lambda.from_config(layers.Lambda(ops.abs).get_config())
    assert float(restored(np.array([-2.0]))[0]) == 2.0
    with pytest.raises(ValueError, match="callable"):
        layers.Lambda(3)


# -- activation layers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (layers.Activation, {"activation": "relu"}),
        (layers.Activation, {"activation": "softmax"}),
        (layers.ReLU, {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}),
        (layers.LeakyReLU, {}),
        (layers.ELU, {"alpha": 0.7}),
        (layers.Softmax, {"axis": 1}),
        (layers.Softmax, {"axis": [1, 2]}),
    ],
)
def test_activation_layers_pass_layer_checks(cls, kwargs):
    run_layer_test(
        cls,
        kwargs,
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    ("case", "cls"),
    [
        ("relu_all", layers.ReLU),
        ("relu_default", layers.ReLU),
        ("leaky_relu_default", layers.LeakyReLU),
        ("elu_alpha", layers.ELU),
        ("softmax_axis_list", layers.Softmax),
    ],
)
def test_activation_layers_match_keras(case, cls):
    data = keras_case(case)
    layer = cls(**data["kwargs"])
    np.testing.assert_allclose(
        layer(data["inputs"]).numpy(), data["outputs"][0], rtol=1e-6, atol=1e-7
    )


def test_activation_layer_by_function_and_name():
    x = np.array([[-3.0, -1.0, 0.0, 2.0]], dtype=np.float32)
    for activation in ("relu", keras.activations.relu):
        np.testing.assert_array_equal(layers.Activation(activation)(x).numpy(), [[0, 0, 0, 2]])
    assert layers.Activation(keras.activations.relu).get_config()["activation"] == "relu"
    with pytest.raises(ValueError, match="Unknown activation"):
        layers.Activation("relux")


def test_softmax_mask_matches_keras():
    data = keras_case("softmax_mask")
    mask = np.asarray(data["mask"], dtype=bool)
    out = layers.Softmax()(data["inputs"], mask=mask)
    np.testing.assert_allclose(out.numpy(), data["outputs"][0], rtol=1e-6, atol=1e-7)
    # A fully masked row gives zeros, not a uniform distribution.
    np.testing.assert_array_equal(out.numpy()[1], 0.0)
    with pytest.raises(ValueError, match=r"mask of shape \(3,\).*\(2, 4\)"):
        layers.Softmax()(data["inputs"], mask=np.ones(3, dtype=bool))


def test_activation_layer_constructor_errors():
    with pytest.raises(ValueError, match="max_value"):
        layers.ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="threshold"):
        layers.ReLU(threshold=None)
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(negative_slope=-1)
    with pytest.warns(UserWarning, match="negative_slope"):
        assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    with pytest.raises(ValueError, match="axis"):
        layers.Softmax(axis="last")
    with pytest.raises(ValueError, match="alpha"):
        layers.ELU(alpha="big")
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        layers.ReLU(slope=0.1)


# -- PReLU ----------------------------------------------------------------------------------
def test_prelu_passes_layer_checks():
    layer = run_layer_test(
        layers.PReLU,
        {"alpha_initializer": "random_normal", "shared_axes": [1, 2]},
        input_shape=(2, 3, 4, 5),
        expected_output_shape=(2, 3, 4, 5),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=0,
    )
    assert layer.alpha.shape == (1, 1, 5)
    run_layer_test(
        layers.PReLU,
        {"alpha_initializer": initializers.Constant(0.25)},
        input_shape=(4, 3),
        expected_num_trainable_weights=1,
    )


def test_prelu_matches_keras_and_formula():
    data = keras_case("prelu_shared")
    layer = layers.PReLU(**data["kwargs"])
    layer.build(data["inputs"].shape)
    layer.set_weights(data["weights"])
    out = layer(data["inputs"]).numpy()
    np.testing.assert_allclose(out, data["outputs"][0], rtol=1e-6, atol=1e-7)
    x, alpha = data["inputs"], data["weights"][0]
    np.testing.assert_allclose(out, np.where(x > 0, x, alpha * x), rtol=1e-6)


def test_prelu_gradient_check():
    layer = layers.PReLU(alpha_initializer="random_normal", shared_axes=1, dtype="float64")
    x = np.random.default_rng(3).standard_normal((3, 2, 4))
    check_layer_gradients(layer, x)


def test_prelu_input_checks():
    layer = layers.PReLU(name="prelu_checked")
    layer(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r'"prelu_checked".*axis 1.*3.*\(2, 4\)'):
        layer(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="needs known sizes"):
        layers.PReLU()(keras.Input((None, 3)))
    assert layers.PReLU(shared_axes=1)(keras.Input((None, 3))).shape == (None, None, 3)
