"""EinsumDense, Attention, AdditiveAttention and MultiHeadAttention.

Values, weight names and configs come from real Keras (tests/fixtures/attention.json and
attention_model.weights.h5.gz, written by tests/fixtures/generate_attention.py); each layer
passes the shared layer checks and a float64 finite-difference gradient check; a small
model with MultiHeadAttention loads Keras's weights and trains with `fit` as Keras does.
"""

import gzip
import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "attention.json").read_text())


def _call_arguments(case):
    inputs = [np.asarray(x, "float32") for x in case["inputs"]]
    kwargs = {}
    for key, value in case["call_kwargs"].items():
        if key == "mask":
            kwargs[key] = [np.asarray(m, bool) for m in value]
        elif key == "attention_mask":
            kwargs[key] = np.asarray(value, bool)
        else:
            kwargs[key] = value
    if case["class_name"] == "EinsumDense":
        return (inputs[0],), kwargs
    if case["class_name"] == "MultiHeadAttention":
        return tuple(inputs), kwargs
    return (inputs,), kwargs


def _comparable(config):
    return json.loads(json.dumps({k: v for k, v in config.items() if k not in ("dtype", "name")}))


@pytest.mark.parametrize("name", sorted(REFERENCE["layers"]))
def test_attention_layers_match_keras_weights_outputs_and_config(name):
    case = REFERENCE["layers"][name]
    layer = getattr(layers, case["class_name"])(**case["config"])
    args, kwargs = _call_arguments(case)
    layer(*args, **kwargs)
    # Same weights in the same order, with Keras's paths below the layer's own name.
    paths = [w.path.split("/", 1)[1] for w in layer.weights]
    assert paths == [p.split("/", 1)[1] for p in case["weight_paths"]]
    assert [w.path.split("/", 1)[0] for w in layer.weights] == [layer.name] * len(paths)
    layer.set_weights([np.asarray(w, "float32") for w in case["weights"]])
    outputs = layer(*args, **kwargs)
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    assert len(outputs) == len(case["outputs"])
    for output, expected in zip(outputs, case["outputs"]):
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert _comparable(layer.get_config()) == case["keras_config"]


# -- the shared layer checks ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "input_shape", "output_shape", "trainable"),
    [
        ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (3, 5), (3, 4), 2),
        (
            {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "activation": "tanh"},
            (2, 4, 5),
            (2, 4, 2, 3),
            1,
        ),
        ({"equation": "...b,bc->...c", "output_shape": 3}, (2, 3, 4, 5), (2, 3, 4, 3), 1),
        (
            {"equation": "abc...,cd->abd...", "output_shape": (None, 6), "bias_axes": "d"},
            (2, 3, 4, 2),
            (2, 3, 6, 2),
            2,
        ),
    ],
)
def test_einsum_dense_passes_layer_checks(kwargs, input_shape, output_shape, trainable):
    layer = run_layer_test(
        layers.EinsumDense,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )
    if "bias_axes" in kwargs and kwargs["equation"].startswith("abc..."):
        assert tuple(layer.bias.shape) == (6, 1)  # the trailing elided axis gets size 1


@pytest.mark.parametrize(
    ("cls", "kwargs", "trainable"),
    [
        (layers.Attention, {}, 0),
        (layers.Attention, {"use_scale": True}, 1),
        (layers.Attention, {"score_mode": "concat", "use_scale": True}, 2),
        (layers.AdditiveAttention, {}, 1),
        (layers.AdditiveAttention, {"use_scale": False}, 0),
    ],
)
def test_attention_and_additive_attention_pass_layer_checks(cls, kwargs, trainable):
    run_layer_test(
        cls,
        kwargs,
        input_shape=[(2, 3, 4), (2, 5, 4), (2, 5, 4)],
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )


class AttentionOnList(keras.layers.Layer):
    """A MultiHeadAttention called on `[query, value]` (the form the shared checks call)."""

    def __init__(self, call_kwargs=None, **kwargs):
        mha_kwargs = {
            k: kwargs.pop(k) for k in list(kwargs) if k not in ("name", "trainable", "dtype")
        }
        super().__init__(**kwargs)
        self.mha_kwargs = mha_kwargs
        self.call_kwargs = call_kwargs or {}
        self.mha = layers.MultiHeadAttention(**mha_kwargs, dtype=self.dtype)

    def build(self, input_shape):
        self.mha.build(*input_shape)

    def call(self, inputs, training=None):
        return self.mha(*inputs, training=training, **self.call_kwargs)

    def compute_output_shape(self, input_shape):
        return self.mha.compute_output_shape(*input_shape)

    def get_config(self):
        return {**super().get_config(), **self.mha_kwargs, "call_kwargs": self.call_kwargs}


@pytest.mark.parametrize(
    ("kwargs", "shapes", "output_shape"),
    [
        ({"num_heads": 2, "key_dim": 3}, [(2, 4, 5), (2, 6, 5)], (2, 4, 5)),
        (
            {"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 7},
            [(2, 3, 5), (2, 6, 4), (2, 6, 3)],
            (2, 3, 7),
        ),
        (
            {"num_heads": 2, "key_dim": 2, "use_bias": False, "use_gate": True},
            [(2, 4, 3)] * 2,
            (2, 4, 3),
        ),
        (
            {"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2), "dropout": 0.0},
            [(2, 3, 4, 5), (2, 3, 4, 5)],
            (2, 3, 4, 5),
        ),
        (
            {"num_heads": 2, "key_dim": 3, "call_kwargs": {"use_causal_mask": True}},
            [(2, 4, 5), (2, 4, 5)],
            (2, 4, 5),
        ),
    ],
)
def test_multi_head_attention_passes_layer_checks(kwargs, shapes, output_shape):
    use_gate = kwargs.get("use_gate", False)
    weights_per_projection = 1 if kwargs.get("use_bias") is False else 2
    run_layer_test(
        AttentionOnList,
        kwargs,
        input_shape=shapes,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=weights_per_projection * (5 if use_gate else 4),
        expected_num_non_trainable_weights=0,
    )


# -- gradients -------------------------------------------------------------------------------
class SelfAttention(keras.layers.Layer):
    """Calls an attention layer with its one input as query, value and key."""

    def __init__(self, attention, call_kwargs, **kwargs):
        super().__init__(**kwargs)
        self.attention = attention
        self.call_kwargs = call_kwargs

    def call(self, x):
        if isinstance(self.attention, layers.MultiHeadAttention):
            output = self.attention(x, x, **self.call_kwargs)
        else:
            output = self.attention([x, x * 0.5], **self.call_kwargs)
        return output[0] if isinstance(output, tuple) else output


GRADIENT_CASES = {
    "Attention dot": (layers.Attention, {"use_scale": True}, {}, (2, 3, 4)),
    "Attention concat causal": (
        layers.Attention,
        {"score_mode": "concat", "use_scale": True},
        {"use_causal_mask": True},
        (2, 3, 2),
    ),
    "AdditiveAttention": (layers.AdditiveAttention, {}, {}, (2, 3, 3)),
    "MultiHeadAttention fused": (
        layers.MultiHeadAttention,
        {"num_heads": 2, "key_dim": 2},
        {"use_causal_mask": True},
        (2, 3, 3),
    ),
    "MultiHeadAttention returning scores": (
        layers.MultiHeadAttention,
        {"num_heads": 2, "key_dim": 2},
        {"return_attention_scores": True, "use_causal_mask": True},
        (1, 3, 3),
    ),
    "MultiHeadAttention gate, attention mask": (
        layers.MultiHeadAttention,
        {"num_heads": 1, "key_dim": 2, "use_gate": True},
        {"attention_mask": np.array([[[1, 0, 1], [1, 1, 0], [0, 1, 1]]], bool)},
        (2, 3, 2),
    ),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_attention_layer_gradients_match_finite_differences(name):
    cls, kwargs, call_kwargs, shape = GRADIENT_CASES[name]
    layer = SelfAttention(cls(**kwargs, dtype="float64"), call_kwargs, dtype="float64")
    data = np.random.default_rng(0).standard_normal(shape)
    check_layer_gradients(layer, data)


# -- behaviour -------------------------------------------------------------------------------
def _mha_inputs(seed=0, query=(2, 4, 6), value=(2, 5, 6)):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(query).astype("float32"), rng.standard_normal(value).astype(
        "float32"
    )


def test_multi_head_attention_fused_and_score_paths_agree():
    layer = layers.MultiHeadAttention(num_heads=3, key_dim=4)
    query, value = _mha_inputs()
    mask = np.random.default_rng(1).random((2, 4, 5)) > 0.4
    fused = layer(query, value, attention_mask=mask)
    explicit, scores = layer(query, value, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(fused.numpy(), explicit.numpy(), rtol=1e-5, atol=1e-6)
    assert scores.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)
    assert not np.any(scores.numpy()[np.broadcast_to(~mask[:, None], scores.shape)])


def test_multi_head_attention_kernels_have_keras_layout():
    layer = layers.MultiHeadAttention(num_heads=4, key_dim=8, value_dim=5)
    query, value = _mha_inputs(query=(2, 3, 6), value=(2, 7, 10))
    layer(query, value)
    shapes = {w.path.split("/", 1)[1]: tuple(w.shape) for w in layer.weights}
    assert shapes == {
        "query/kernel": (6, 4, 8),
        "query/bias": (4, 8),
        "key/kernel": (10, 4, 8),
        "key/bias": (4, 8),
        "value/kernel": (10, 4, 5),
        "value/bias": (4, 5),
        "attention_output/kernel": (4, 5, 6),
        "attention_output/bias": (6,),
    }
    assert layer.query_dense is layer._query_dense and layer.output_dense.name == "attention_output"


def test_multi_head_attention_value_and_key_masks_match_an_attention_mask():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    query, value = _mha_inputs()
    value_mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    by_value_mask = layer(query, value, value_mask=value_mask).numpy()
    by_key_mask = layer(query, value, key=value, key_mask=value_mask).numpy()
    full = np.broadcast_to(value_mask[:, None, :], (2, 4, 5))
    by_attention_mask = layer(query, value, attention_mask=full).numpy()
    np.testing.assert_allclose(by_value_mask, by_attention_mask, rtol=1e-6)
    np.testing.assert_allclose(by_key_mask, by_attention_mask, rtol=1e-6)


def test_multi_head_attention_causal_mask_hides_the_future():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    query, _ = _mha_inputs(query=(1, 5, 6))
    changed = query.copy()
    changed[:, 3:] += 1.0  # only positions 3 and 4 change
    before = layer(query, query, use_causal_mask=True).numpy()
    after = layer(changed, changed, use_causal_mask=True).numpy()
    np.testing.assert_allclose(before[:, :3], after[:, :3], rtol=1e-6)
    assert not np.allclose(before[:, 3:], after[:, 3:])


def test_multi_head_attention_dropout_acts_in_training_only():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=1)
    query, value = _mha_inputs()
    inference = layer(query, value).numpy()
    np.testing.assert_array_equal(layer(query, value, training=False).numpy(), inference)
    training = layer(query, value, training=True).numpy()
    assert training.shape == inference.shape and not np.allclose(training, inference)


def test_attention_dropout_acts_in_training_only():
    layer = layers.Attention(dropout=0.5, seed=3)
    query, value = _mha_inputs()
    inference = layer([query, value]).numpy()
    training, scores = layer([query, value], training=True, return_attention_scores=True)
    assert not np.allclose(training.numpy(), inference)
    kept = scores.numpy()[scores.numpy() > 0]
    assert np.any(scores.numpy() == 0) and kept.size  # dropped weights, rescaled survivors


def test_attention_query_mask_zeroes_masked_queries():
    query, value = _mha_inputs()
    query_mask = np.array([[1, 0, 1, 1], [0, 0, 1, 1]], bool)
    output = layers.Attention()([query, value], mask=[query_mask, None]).numpy()
    assert not np.any(output[~query_mask]) and np.all(np.any(output[query_mask], axis=-1))


def test_attention_layers_on_symbolic_inputs_give_keras_shapes():
    query = keras.Input((4, 6))
    value = keras.Input((7, 6))
    output, scores = layers.MultiHeadAttention(num_heads=3, key_dim=2)(
        query, value, return_attention_scores=True
    )
    assert output.shape == (None, 4, 6) and scores.shape == (None, 3, 4, 7)
    output, scores = layers.Attention()([query, value], return_attention_scores=True)
    assert output.shape == (None, 4, 6) and scores.shape == (None, 4, 7)
    model = keras.Model([query, value], [output, scores])
    results = model([np.ones((2, 4, 6), "float32"), np.ones((2, 7, 6), "float32")])
    assert [tuple(r.shape) for r in results] == [(2, 4, 6), (2, 4, 7)]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.MultiHeadAttention(num_heads=0, key_dim=2), "num_heads"),
        (lambda: layers.MultiHeadAttention(num_heads=2, key_dim=2.5), "key_dim"),
        (lambda: layers.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=-1), "value_dim"),
        (lambda: layers.MultiHeadAttention(2, 2, sliding_window=0), "sliding_window"),
        (lambda: layers.MultiHeadAttention(2, 2, flash_attention=True), "flash_attention"),
        (lambda: layers.MultiHeadAttention(2, 2, attention_axes="time"), "attention_axes"),
        (lambda: layers.Attention(score_mode="general"), r"score_mode.*\['dot', 'concat'\]"),
        (lambda: layers.EinsumDense("ab,bc", output_shape=3), "Invalid einsum equation"),
    ],
)
def test_attention_layers_reject_invalid_arguments_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_attention_layers_reject_invalid_calls_before_any_weight_exists():
    query, value = _mha_inputs()
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(query)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layers.Attention()([query])
    with pytest.raises(ValueError, match="mask must be a list"):
        layers.Attention()([query, value], mask=np.ones((2, 5), bool))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match=r"value_shape=\(2, 5, 6\) and key_shape=\(2, 4, 6\)"):
        layer(query, value, key=query)
    assert not layer.built and layer.weights == []
    with pytest.raises(ValueError, match="query_mask"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2)(
            query, value, query_mask=np.ones((2, 4), bool)
        )
    with pytest.raises(ValueError, match=r"output_shape \(5,\)"):
        layers.EinsumDense("abc,cd->abd", output_shape=5)(query)
    with pytest.raises(ValueError, match="bias axis 'e'"):
        layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="e")(query)


def test_einsum_dense_kernel_initializer_uses_the_einsum_fans():
    layer = layers.EinsumDense(
        "abc,cde->abde", output_shape=(None, 4, 8), kernel_initializer="glorot_uniform"
    )
    layer(np.zeros((1, 2, 16), "float32"))
    limit = np.sqrt(6.0 / (16 + 4 * 8))  # fan_in 16, fan_out heads x depth
    kernel = layer.kernel.numpy()
    assert kernel.shape == (16, 4, 8)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit


# -- a model that interchanges weights with Keras and trains -------------------------------
def _keras_model():
    keras.utils.clear_session()  # auto-names as in a fresh Keras session: "dense", ...
    inputs = keras.Input((6, 8), name="tokens")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="self_attention")(
        inputs, inputs, use_causal_mask=True
    )
    x = layers.Add()([inputs, attended])
    x = layers.LayerNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _keras_weights_file(tmp_path):
    path = tmp_path / "attention_model.weights.h5"
    path.write_bytes(gzip.decompress((FIXTURES / "attention_model.weights.h5.gz").read_bytes()))
    return str(path)


def test_multi_head_attention_model_loads_keras_weights_file_and_fits_as_keras(tmp_path):
    case = REFERENCE["model"]
    model = _keras_model()
    assert [w.path for w in model.weights] == case["weight_paths"]
    model.load_weights(_keras_weights_file(tmp_path))
    x = np.asarray(case["x"], "float32")
    y = np.asarray(case["y"])
    np.testing.assert_allclose(
        model.predict(x, verbose=0), case["predictions"], rtol=1e-5, atol=1e-6
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], case["loss"], rtol=1e-5)


def test_multi_head_attention_model_saves_and_reloads_in_both_formats(tmp_path):
    model = _keras_model()
    model.load_weights(_keras_weights_file(tmp_path))
    x = np.asarray(REFERENCE["model"]["x"], "float32")
    expected = model.predict(x, verbose=0)
    model.save_weights(str(tmp_path / "again.weights.h5"))
    fresh = _keras_model()
    fresh.load_weights(str(tmp_path / "again.weights.h5"))
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), expected)
    model.save(str(tmp_path / "model.keras"))
    restored = keras.saving.load_model(str(tmp_path / "model.keras"))
    np.testing.assert_array_equal(restored.predict(x, verbose=0), expected)
    assert restored.layers[1].get_build_config() == {
        "shapes_dict": {"query_shape": [None, 6, 8], "value_shape": [None, 6, 8]}
    }


def test_multi_head_attention_model_learns_a_sequence_task():
    # Which of the first two tokens reappears last? Needs attention from the last position.
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    count, length, dim = 256, 5, 8
    tokens = rng.standard_normal((count, length, dim)).astype("float32")
    labels = rng.integers(0, 2, size=count)
    tokens[:, -1] = tokens[np.arange(count), labels]
    inputs = keras.Input((length, dim))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=8)(inputs, inputs)
    x = layers.Flatten()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(tokens, labels, batch_size=32, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9


def test_keras_saved_attention_model_loads_and_predicts_as_keras(tmp_path):
    case = REFERENCE["keras_file"]
    path = tmp_path / "attention_model.keras"
    path.write_bytes(gzip.decompress((FIXTURES / "attention_model.keras.gz").read_bytes()))
    model = keras.saving.load_model(str(path))
    assert [type(layer).__name__ for layer in model.layers][3:] == [
        "MultiHeadAttention",
        "Attention",
        "Concatenate",
        "EinsumDense",
    ]
    inputs = [
        np.asarray(case["query"], "float32"),
        np.asarray(case["value"], "float32"),
        np.asarray(case["attention_mask"], bool),
    ]
    predictions = model.predict(inputs, verbose=0)
    np.testing.assert_allclose(predictions, case["predictions"], rtol=1e-5, atol=1e-6)
