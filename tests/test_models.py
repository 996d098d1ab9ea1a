"""Layer base behaviour and the three kinds of models: Functional, Sequential, subclassed."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops


def dense_model():
    inputs = keras.Input(shape=(4,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(3, name="out")(hidden)
    return keras.Model(inputs, outputs, name="mlp")


def test_layer_names_are_unique_snake_case():
    a, b = layers.Dense(2), layers.Dense(2)
    assert a.name.startswith("dense") and b.name != a.name
    assert layers.Dense(2, name="custom").name == "custom"


def test_dense_builds_on_first_call_and_counts_params():
    layer = layers.Dense(3)
    assert not layer.built
    out = layer(np.ones((2, 5)))
    assert layer.built and out.shape == (2, 3) and out.dtype == "float32"
    assert [tuple(w.shape) for w in layer.weights] == [(5, 3), (3,)]
    assert layer.count_params() == 18
    assert layer(np.ones((2, 7, 5))).shape == (2, 7, 3)


def test_wrong_feature_size_names_layer_and_shapes():
    layer = layers.Dense(3, name="proj")
    layer(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r'"proj".*5.*\(2, 4\)'):
        layer(np.ones((2, 4)))


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(2)
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError, match="expects 2 weight"):
        layer.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 2\)"):
        layer.set_weights([np.ones((2, 2)), np.ones(2)])
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_allclose(layer(np.ones((1, 3))).numpy(), [[3.0, 3.0]])


def test_functional_model_layers_shapes_and_call():
    model = dense_model()
    assert [layer.name for layer in model.layers] == ["features", "hidden", "out"]
    assert model.input_shape == (None, 4) and model.output_shape == (None, 3)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    hidden, out = model.get_layer("hidden"), model.get_layer(index=2)
    expected = np.maximum(x @ hidden.kernel.numpy() + hidden.bias.numpy(), 0)
    expected = expected @ out.kernel.numpy() + out.bias.numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert len(model.trainable_weights) == 4


def test_functional_wrong_input_shape_and_count():
    model = dense_model()
    with pytest.raises(ValueError, match=r'"features".*\(None, 4\).*\(5, 3\)'):
        model(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"No such layer: missing"):
        model.get_layer("missing")


def test_multi_input_multi_output_dict_inputs():
    a = keras.Input(shape=(2,), name="a")
    b = keras.Input(shape=(3,), name="b")
    merged = ops.concatenate([a, b], axis=-1) if hasattr(ops, "concatenate") else None
    if merged is None:
        merged = layers.Dense(5, name="joint")(a) + layers.Dense(5, name="joint_b")(b)
    left = layers.Dense(1, name="left")(merged)
    right = layers.Dense(2, name="right")(merged)
    model = keras.Model({"a": a, "b": b}, {"left": left, "right": right})
    xa, xb = np.ones((4, 2)), np.ones((4, 3))
    out = model({"a": xa, "b": xb})
    assert set(out) == {"left", "right"}
    assert out["left"].shape == (4, 1) and out["right"].shape == (4, 2)
    with pytest.warns(UserWarning, match="structure of `inputs`"):  # as Keras warns
        out_list = model([xa, xb])
    np.testing.assert_allclose(out_list["right"].numpy(), out["right"].numpy())
    with pytest.raises(ValueError, match=r"missing input.*\['b'\]"):
        model({"a": xa})


def test_graph_disconnected_is_reported():
    a = keras.Input(shape=(2,), name="a")
    b = keras.Input(shape=(2,), name="b")
    out = layers.Dense(1)(a) + layers.Dense(1)(b)
    with pytest.raises(ValueError, match="disconnected"):
        keras.Model(a, out)


def test_submodels_share_layers_and_weights():
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(6, activation="relu", name="h")(inputs)
    out = layers.Dense(2, name="o")(h)
    full = keras.Model(inputs, out)
    backbone = keras.Model(inputs, h)
    head = keras.Model(h, out)
    x = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(head(backbone(x)).numpy(), full(x).numpy(), rtol=1e-6)
    assert backbone.get_layer("h") is full.get_layer("h")
    full.get_layer("o").kernel.assign(np.zeros((6, 2)))
    np.testing.assert_allclose(head(backbone(x)).numpy(), full(x).numpy(), rtol=1e-6)


def test_nested_models():
    inner = dense_model()
    inputs = keras.Input(shape=(4,))
    outputs = layers.Dense(1)(inner(inputs))
    outer = keras.Model(inputs, outputs)
    assert outer(np.ones((2, 4))).shape == (2, 1)
    assert len(outer.weights) == 6
    assert any(layer is inner for layer in outer.layers)


def test_sequential_from_input_input_shape_and_lazily():
    with_input = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3), layers.Dense(2)])
    assert with_input.built and len(with_input.layers) == 2
    assert with_input.output_shape == (None, 2)
    keras2 = keras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    assert keras2.built and keras2.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    lazy = keras.Sequential()
    lazy.add(layers.Dense(3))
    lazy.add(layers.Dense(2))
    assert not lazy.built
    assert lazy(np.ones((5, 4))).shape == (5, 2)
    assert lazy.built and len(lazy.weights) == 4
    popped = lazy.pop()
    assert popped.units == 2 and len(lazy.layers) == 1


def test_subclassed_model_tracks_layers_in_lists_and_dicts():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(4), layers.Dense(4)]
            self.heads = {"a": layers.Dense(1)}

        def call(self, inputs, training=False):
            x = inputs
            for block in self.blocks:
                x = block(x)
            return self.heads["a"](x)

    net = Net()
    assert net(np.ones((2, 3))).shape == (2, 1)
    assert len(net.weights) == 6
    assert [w.shape for w in net.weights][:2] == [(3, 4), (4,)]
    net.trainable = False
    assert net.trainable_weights == [] and len(net.non_trainable_weights) == 6
    net.trainable = True
    assert len(net.trainable_weights) == 6


def test_add_loss_cleared_at_each_top_level_call():
    class Penalized(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs))
            return inputs

    class Outer(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = Penalized()

        def call(self, inputs):
            return self.inner(self.inner(inputs))

    model = Outer()
    model(np.ones((2, 2)))
    assert len(model.losses) == 2  # nested calls add, not clear
    model(np.ones((2, 2)))
    assert len(model.losses) == 2
    np.testing.assert_allclose([float(v) for v in model.losses], [4.0, 4.0])


def test_symbolic_add_loss_on_functional_model_matches_hand_computation():
    inputs = keras.Input(shape=(3,))
    hidden = layers.Dense(4, activation="relu")(inputs)
    outputs = layers.Dense(1)(hidden)
    model = keras.Model(inputs, outputs)
    model.add_loss(0.1 * ops.mean(ops.square(hidden)))
    x = np.random.default_rng(2).standard_normal((5, 3)).astype("float32")
    model(x)
    dense = model.layers[1]
    h = np.maximum(x @ dense.kernel.numpy() + dense.bias.numpy(), 0)
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 0.1 * np.mean(h**2), rtol=1e-5)
    model(x)
    assert len(model.losses) == 1
    with keras.GradientTape() as tape:
        model(x)
        total = model.losses[0]
    grads = tape.gradient(total, model.trainable_weights)
    assert grads[0] is not None and grads[2] is None  # the output layer does not affect it


def test_regularizer_losses_are_included():
    layer = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5))
    layer(np.ones((1, 3)))
    (penalty,) = layer.losses
    np.testing.assert_allclose(float(penalty), 0.5 * np.sum(layer.kernel.numpy() ** 2), rtol=1e-6)


def test_training_flag_reaches_nested_layers():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    inputs = keras.Input(shape=(2,))
    model = keras.Model(inputs, Probe()(inputs))
    outer = keras.Sequential([keras.Input(shape=(2,)), model])
    seen.clear()
    outer(np.ones((1, 2)), training=True)
    outer(np.ones((1, 2)))
    assert seen == [True, None]


def test_model_init_with_inputs_outputs_keeps_subclass_methods():
    class Custom(keras.Model):
        def double(self, x):
            return 2 * x

    inputs = keras.Input(shape=(2,))
    model = Custom(inputs=inputs, outputs=layers.Dense(1)(inputs))
    assert isinstance(model, Custom) and isinstance(model, keras.models.Functional)
    assert model.double(3) == 6
    assert model(np.ones((2, 2))).shape == (2, 1)


def test_summary_prints_table_and_totals():
    lines = []
    dense_model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "mlp"' in text
    assert "hidden (Dense)" in text and "(None, 8)" in text
    assert "Total params: 67" in text and "Trainable params: 67" in text


def test_dense_softmax_is_fused_and_equals_separate_softmax():
    keras.utils.set_random_seed(3)
    fused = layers.Dense(5, activation="softmax")
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    out = fused(x)
    separate = ops.softmax(ops.matmul(x, fused.kernel) + fused.bias)
    np.testing.assert_array_equal(out.numpy(), separate.numpy())
    weights = np.random.default_rng(1).standard_normal((4, 5)).astype("float32")
    with keras.GradientTape(persistent=True) as tape:
        a = ops.sum(fused(x) * weights)
        b = ops.sum(ops.softmax(ops.matmul(x, fused.kernel) + fused.bias) * weights)
    for ga, gb in zip(tape.gradient(a, fused.weights), tape.gradient(b, fused.weights)):
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-6, atol=1e-7)


def test_functional_input_shape_is_checked_on_every_new_shape():
    inputs = keras.Input(shape=(4,), name="features")
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    model(np.ones((3, 4), np.float32))
    model(np.ones((5, 4), np.float32))  # another batch size is fine
    with pytest.raises(ValueError, match=r'"features".*expected shape \(None, 4\).*\(3, 5\)'):
        model(np.ones((3, 5), np.float32))
    with pytest.raises(ValueError, match=r"\(2, 4, 2\)"):
        model(np.ones((2, 4, 2), np.float32))
    assert model(np.ones((3, 4), np.float32)).shape == (3, 2)
