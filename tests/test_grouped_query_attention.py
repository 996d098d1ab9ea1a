"""GroupedQueryAttention (and its Keras 3 export name GroupQueryAttention).

Outputs, attention scores, losses, configs and gradients (with respect to the inputs and to
every weight) come from real Keras 3.15 on JAX (tests/fixtures/grouped_query_attention.json,
written by tests/fixtures/generate_grouped_query_attention.py, with a `.weights.h5` and a
`.keras` file Keras saved); the layer also passes a float64 finite-difference gradient
check and the shared layer checks.
"""

import gzip
import json
import pathlib

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, layers
from minikeras.autodiff.masks import get_keras_mask
from tests.layer_test_helper import check_layer_gradients, run_layer_test

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "grouped_query_attention.json").read_text())
MASK_ARGUMENTS = ("query_mask", "value_mask", "key_mask", "attention_mask")


def _case_call(case):
    query = np.asarray(case["query"], "float32")
    value = query if case["self_attention"] else np.asarray(case["value"], "float32")
    kwargs = {}
    for name, argument in case["call_kwargs"].items():
        kwargs[name] = np.asarray(argument, bool) if name in MASK_ARGUMENTS else argument
    if case["key"] is not None:
        kwargs["key"] = np.asarray(case["key"], "float32")
    return query, value, kwargs


def _built_case_layer(case):
    layer = layers.GroupedQueryAttention(**case["config"])
    query, value, kwargs = _case_call(case)
    layer(query, value, **kwargs)
    layer.set_weights([np.asarray(w, "float32") for w in case["weights"]])
    return layer, query, value, kwargs


def _comparable(config):
    """The config without name and dtype, floats to float32 precision (Keras's L1 config
    holds its float32 factor, 0.009999999776482582 for 0.01)."""

    def rounded(value):
        if isinstance(value, float):
            return float(np.float32(value))
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value

    config = json.loads(json.dumps(config))
    return {k: rounded(v) for k, v in config.items() if k not in ("dtype", "name")}


@pytest.mark.parametrize("name", sorted(REFERENCE["layers"]))
def test_grouped_query_attention_matches_keras_outputs_scores_weights_and_config(name):
    case = REFERENCE["layers"][name]
    layer, query, value, kwargs = _built_case_layer(case)
    # Same weights in the same order and shapes, with Keras's paths below the layer's name.
    paths = [w.path.split("/", 1)[1] for w in layer.weights]
    assert paths == [p.split("/", 1)[1] for p in case["weight_paths"]]
    assert [w.shape for w in layer.weights] == [np.shape(w) for w in case["weights"]]
    outputs = layer(query, value, **kwargs)
    outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
    assert len(outputs) == len(case["outputs"])
    for output, expected in zip(outputs, case["outputs"]):
        assert output.dtype == "float32"
        np.testing.assert_allclose(output.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert len(layer.losses) == case["num_losses"]
    total = sum(float(np.sum(loss.numpy())) for loss in layer.losses)
    np.testing.assert_allclose(total, case["losses"], rtol=1e-5, atol=1e-7)
    assert _comparable(layer.get_config()) == _comparable(case["keras_config"])


@pytest.mark.parametrize("name", sorted(REFERENCE["layers"]))
def test_grouped_query_attention_gradients_match_keras(name):
    case = REFERENCE["layers"][name]
    layer, query, value, kwargs = _built_case_layer(case)
    query = keras.Variable(query)
    value = query if case["self_attention"] else keras.Variable(value)
    if "key" in kwargs:
        kwargs["key"] = keras.Variable(kwargs["key"])
    cotangents = [np.asarray(c, "float32") for c in case["cotangents"]]
    with GradientTape() as tape:
        outputs = layer(query, value, **kwargs)
        outputs = list(outputs) if isinstance(outputs, tuple) else [outputs]
        loss = sum(keras.ops.sum(o * c) for o, c in zip(outputs, cotangents))
    sources = [query, value, kwargs.get("key")] + list(layer.trainable_weights)
    sources = [s for s in sources if s is not None]
    gradients = dict(zip(map(id, sources), tape.gradient(loss, sources)))

    def check(source, expected):
        np.testing.assert_allclose(gradients[id(source)].numpy(), expected, rtol=1e-4, atol=1e-5)

    if case["self_attention"]:
        # Keras differentiates query and value as two arguments; here they are one tensor.
        check(query, np.add(case["grad_query"], case["grad_value"]))
    else:
        check(query, case["grad_query"])
        check(value, case["grad_value"])
    if "key" in kwargs:
        check(kwargs["key"], case["grad_key"])
    for weight, expected in zip(layer.trainable_weights, case["grad_weights"]):
        check(weight, expected)


# -- float64 finite differences ------------------------------------------------------------
class _SelfGroupedQueryAttention(keras.layers.Layer):
    """Calls a GroupedQueryAttention with its one input as query and, scaled, as value."""

    def __init__(self, attention, call_kwargs, **kwargs):
        super().__init__(**kwargs)
        self.attention = attention
        self.call_kwargs = call_kwargs

    def call(self, x):
        output = self.attention(x, x * 0.5, key=x * -0.7, **self.call_kwargs)
        if isinstance(output, tuple):  # the scores count too
            return output[0] + ops_sum_over_heads(output[1])
        return output


def ops_sum_over_heads(scores):
    # (batch, heads, T, S) -> (batch, T, S): the same shape as the output when S == dim.
    return keras.ops.sum(scores, axis=1)


GRADIENT_CASES = {
    "fused causal and attention mask": (
        {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
        {
            "use_causal_mask": True,
            "attention_mask": np.array([[[1, 0, 1], [1, 1, 0], [0, 1, 1]]], bool),
        },
    ),
    "scores, gate, multi-query": (
        {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1, "use_gate": True},
        {"return_attention_scores": True, "value_mask": np.array([[1, 1, 0], [1, 0, 1]], bool)},
    ),
    "sliding window, no bias": (
        {
            "head_dim": 3,
            "num_query_heads": 2,
            "num_key_value_heads": 2,
            "use_bias": False,
            "sliding_window": 2,
        },
        {},
    ),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_grouped_query_attention_gradients_match_finite_differences(name):
    config, call_kwargs = GRADIENT_CASES[name]
    attention = layers.GroupedQueryAttention(**config, dtype="float64")
    layer = _SelfGroupedQueryAttention(attention, call_kwargs, dtype="float64")
    data = np.random.default_rng(0).standard_normal((2, 3, 3))
    check_layer_gradients(layer, data)


# -- the shared layer checks -----------------------------------------------------------------
class GroupedQueryAttentionOnList(keras.layers.Layer):
    """A GroupedQueryAttention called on `[query, value]` (the form the shared checks call)."""

    def __init__(self, call_kwargs=None, **kwargs):
        own = ("name", "trainable", "dtype")
        gqa_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k not in own}
        super().__init__(**kwargs)
        self.gqa_kwargs = gqa_kwargs
        self.call_kwargs = call_kwargs or {}
        self.gqa = layers.GroupedQueryAttention(**gqa_kwargs, dtype=self.dtype)

    def build(self, input_shape):
        self.gqa.build(*input_shape)

    def call(self, inputs, training=None):
        return self.gqa(*inputs, training=training, **self.call_kwargs)

    def compute_output_shape(self, input_shape):
        return self.gqa.compute_output_shape(*input_shape)

    def get_config(self):
        return {**super().get_config(), **self.gqa_kwargs, "call_kwargs": self.call_kwargs}


@pytest.mark.parametrize(
    ("kwargs", "shapes", "trainable"),
    [
        (
            {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
            [(2, 4, 5), (2, 6, 5)],
            8,
        ),
        (
            {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 1, "use_gate": True},
            [(2, 4, 6), (2, 4, 6), (2, 4, 2)],
            10,
        ),
        (
            {
                "head_dim": 2,
                "num_query_heads": 2,
                "num_key_value_heads": 2,
                "use_bias": False,
                "call_kwargs": {"use_causal_mask": True},
            },
            [(2, 4, 3)] * 2,
            4,
        ),
    ],
)
def test_grouped_query_attention_passes_layer_checks(kwargs, shapes, trainable):
    run_layer_test(
        GroupedQueryAttentionOnList,
        kwargs,
        input_shape=shapes,
        expected_output_shape=shapes[0],
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=0,
    )


# -- behaviour -------------------------------------------------------------------------------
def _inputs(seed=0, query=(2, 4, 6), value=(2, 5, 6)):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(query).astype("float32"),
        rng.standard_normal(value).astype("float32"),
    )


def test_grouped_query_attention_is_exported_under_both_keras_names():
    assert layers.GroupQueryAttention is layers.GroupedQueryAttention
    assert keras.layers.GroupedQueryAttention is layers.GroupedQueryAttention
    layer = layers.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    serialized = keras.layers.serialize(layer)
    # Keras writes (and can only read) the exported name.
    assert serialized["class_name"] == "GroupQueryAttention"
    assert serialized["module"] == "keras.layers"
    for class_name in ("GroupQueryAttention", "GroupedQueryAttention"):
        restored = keras.layers.deserialize({**serialized, "class_name": class_name})
        assert type(restored) is layers.GroupedQueryAttention
        assert restored.get_config() == layer.get_config()


def test_grouped_query_attention_kernels_have_keras_layout():
    layer = layers.GroupedQueryAttention(head_dim=5, num_query_heads=6, num_key_value_heads=2)
    query, value = _inputs(query=(2, 3, 7), value=(2, 4, 7))
    layer(query, value, key=np.zeros((2, 4, 9), "float32"))
    shapes = {w.path.split("/", 1)[1]: w.shape for w in layer.weights}
    assert shapes == {
        "query/kernel": (7, 6, 5),
        "query/bias": (6, 5),
        "key/kernel": (9, 2, 5),
        "key/bias": (2, 5),
        "value/kernel": (7, 2, 5),
        "value/bias": (2, 5),
        "attention_output/kernel": (6, 5, 7),
        "attention_output/bias": (7,),
    }
    assert layer.num_repeats == 3


def test_grouped_query_attention_fused_and_score_paths_agree_where_some_key_is_visible():
    layer = layers.GroupedQueryAttention(head_dim=4, num_query_heads=6, num_key_value_heads=3)
    query, value = _inputs()
    mask = np.random.default_rng(1).random((2, 4, 5)) > 0.4
    mask[..., 0] = True
    fused = layer(query, value, attention_mask=mask)
    explicit, scores = layer(query, value, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(fused.numpy(), explicit.numpy(), rtol=1e-5, atol=1e-6)
    assert scores.shape == (2, 6, 4, 5)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-6)
    assert not np.any(scores.numpy()[np.broadcast_to(~mask[:, None], scores.shape)])


def test_grouped_query_attention_heads_of_a_group_share_their_key_and_value():
    # With identical query projections per group, the heads of a group attend identically.
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    query, value = _inputs()
    layer(query, value)
    kernel = layer._query_dense.kernel.numpy()
    kernel[:, 1], kernel[:, 3] = kernel[:, 0], kernel[:, 2]
    layer._query_dense.kernel.assign(kernel)
    layer._query_dense.bias.assign(np.zeros((4, 2), "float32"))
    _, scores = layer(query, value, return_attention_scores=True)
    scores = scores.numpy()
    np.testing.assert_allclose(scores[:, 1], scores[:, 0], rtol=1e-6)
    np.testing.assert_allclose(scores[:, 3], scores[:, 2], rtol=1e-6)
    assert not np.allclose(scores[:, 0], scores[:, 2])


def test_grouped_query_attention_causal_mask_hides_the_future():
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    x, _ = _inputs(query=(2, 5, 4))
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    future = np.triu(np.ones((5, 5), bool), k=1)
    assert np.all(scores.numpy()[..., future] == 0)
    explicit = layer(x, x, attention_mask=~future[None])
    np.testing.assert_allclose(
        layer(x, x, use_causal_mask=True).numpy(), explicit.numpy(), rtol=1e-6, atol=1e-7
    )


def test_grouped_query_attention_output_carries_the_query_mask_and_inputs_keep_theirs():
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    tokens = np.array([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    query = layers.Embedding(4, 6, mask_zero=True)(tokens)
    value = np.random.default_rng(0).standard_normal((3, 3, 6)).astype("float32")
    output = layer(query=query, value=value)  # no warning about a lost mask either
    np.testing.assert_array_equal(get_keras_mask(output), tokens != 0)
    np.testing.assert_array_equal(get_keras_mask(query), tokens != 0)
    # An explicit `query_mask` masks the attention but gives the output no mask (as Keras).
    output, scores = layer(
        query.numpy(), value, query_mask=tokens != 0, return_attention_scores=True
    )
    assert get_keras_mask(output) is None
    assert np.all(
        scores.numpy()[np.broadcast_to((tokens == 0)[:, None, :, None], scores.shape)] == 0
    )


def test_grouped_query_attention_implicit_masks_equal_explicit_ones():
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    query_tokens = np.array([[1, 2, 3, 0, 0], [3, 3, 1, 1, 2], [1, 0, 0, 0, 0]])
    value_tokens = np.array([[5, 4, 0], [3, 0, 0], [2, 1, 1]])
    query = layers.Embedding(4, 8, mask_zero=True)(query_tokens)
    value = layers.Embedding(6, 8, mask_zero=True)(value_tokens)
    implicit = layer(query, value, return_attention_scores=True)
    mask = (query_tokens != 0)[:, :, None] & (value_tokens != 0)[:, None, :]
    explicit = layer(
        query.numpy(), value.numpy(), attention_mask=mask, return_attention_scores=True
    )
    for a, b in zip(implicit, explicit):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


def test_grouped_query_attention_dropout_acts_in_training_only():
    layer = layers.GroupedQueryAttention(
        head_dim=4, num_query_heads=2, num_key_value_heads=1, dropout=0.5, seed=3
    )
    query, value = _inputs()
    inference = layer(query, value).numpy()
    np.testing.assert_array_equal(layer(query, value, training=False).numpy(), inference)
    _, scores = layer(query, value, return_attention_scores=True)
    training = layer(query, value, training=True).numpy()
    assert not np.allclose(training, inference)
    # The scores returned are the probabilities before dropout.
    _, scores_training = layer(query, value, training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores_training.numpy(), scores.numpy(), rtol=1e-6)


def test_grouped_query_attention_on_symbolic_inputs_with_unknown_lengths():
    layer = layers.GroupedQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    query = keras.Input((None, 8))
    value = keras.Input((None, 8))
    output, scores = layer(query, value, return_attention_scores=True)
    assert output.shape == (None, None, 8)
    assert scores.shape == (None, 4, None, None)
    model = keras.Model([query, value], [output, scores])
    for t_len, s_len in ((3, 5), (6, 2)):
        q, v = _inputs(query=(2, t_len, 8), value=(2, s_len, 8))
        out, sc = model.predict([q, v], verbose=0)
        assert out.shape == (2, t_len, 8) and sc.shape == (2, 4, t_len, s_len)
        expected, expected_scores = layer(q, v, return_attention_scores=True)
        np.testing.assert_allclose(out, expected.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(sc, expected_scores.numpy(), rtol=1e-6, atol=1e-7)
    key = keras.Input((7, 3))
    assert layer(keras.Input((4, 8)), keras.Input((7, 8)), key=key).shape == (None, 4, 8)


def test_grouped_query_attention_config_round_trip():
    layer = layers.GroupedQueryAttention(
        head_dim=3,
        num_query_heads=4,
        num_key_value_heads=2,
        dropout=0.25,
        use_bias=False,
        sliding_window=3,
        flash_attention=False,
        kernel_initializer="he_normal",
        kernel_regularizer="l2",
        bias_regularizer="l1",
        activity_regularizer="l2",
        kernel_constraint="max_norm",
        bias_constraint="non_neg",
        use_gate=True,
        seed=5,
        name="grouped",
    )
    config = layer.get_config()
    json.dumps(config)
    assert "flash_attention" not in config  # as Keras: not part of the config
    restored = layers.GroupedQueryAttention.from_config(config)
    assert restored.get_config() == config
    query, value = _inputs()
    layer(query, value)
    restored(query, value)
    restored.set_weights(layer.get_weights())
    np.testing.assert_array_equal(restored(query, value).numpy(), layer(query, value).numpy())
    assert layer.get_build_config() == {
        "shapes_dict": {"query_shape": [2, 4, 6], "value_shape": [2, 5, 6]}
    }


def _keras_model():
    keras.utils.clear_session()  # auto-names as in a fresh Keras session: "dense", ...
    inputs = keras.Input((6, 8), name="tokens")
    attended = layers.GroupedQueryAttention(
        head_dim=4, num_query_heads=4, num_key_value_heads=2, use_gate=True, name="gqa"
    )(inputs, inputs, use_causal_mask=True)
    x = layers.Add()([inputs, attended])
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _keras_weights_file(tmp_path):
    path = tmp_path / "grouped_query_attention_model.weights.h5"
    gzipped = FIXTURES / "grouped_query_attention_model.weights.h5.gz"
    path.write_bytes(gzip.decompress(gzipped.read_bytes()))
    return str(path)


def _h5_entries(path):
    entries = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: entries.append((name, getattr(item, "shape", None))))
    return sorted(entries)


def test_grouped_query_attention_model_loads_keras_weights_file_and_fits_as_keras(tmp_path):
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


def test_grouped_query_attention_weights_file_has_keras_layout_and_round_trips(tmp_path):
    keras_file = _keras_weights_file(tmp_path)
    model = _keras_model()
    model.load_weights(keras_file)
    x = np.asarray(REFERENCE["model"]["x"], "float32")
    expected = model.predict(x, verbose=0)
    ours = str(tmp_path / "again.weights.h5")
    model.save_weights(ours)
    # The same groups (`_query_dense`, `_softmax`, `_dropout_layer`, ...) and datasets.
    assert _h5_entries(ours) == _h5_entries(keras_file)
    fresh = _keras_model()
    fresh.load_weights(ours)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), expected)
    model.save(str(tmp_path / "model.keras"))
    restored = keras.saving.load_model(str(tmp_path / "model.keras"))
    np.testing.assert_array_equal(restored.predict(x, verbose=0), expected)
    assert restored.get_layer("gqa").get_build_config() == {
        "shapes_dict": {"query_shape": [None, 6, 8], "value_shape": [None, 6, 8]}
    }


def test_keras_saved_grouped_query_attention_model_loads_and_predicts_as_keras(tmp_path):
    case = REFERENCE["keras_file"]
    path = tmp_path / "grouped_query_attention_model.keras"
    path.write_bytes(
        gzip.decompress((FIXTURES / "grouped_query_attention_model.keras.gz").read_bytes())
    )
    model = keras.saving.load_model(str(path))
    assert any(type(layer) is layers.GroupedQueryAttention for layer in model.layers)
    inputs = [
        np.asarray(case["query"], "float32"),
        np.asarray(case["memory"], "float32"),
        np.asarray(case["attention_mask"], bool),
    ]
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0), case["predictions"], rtol=1e-5, atol=1e-6
    )


def test_grouped_query_attention_in_a_functional_model_uses_and_passes_on_masks_as_keras():
    case = REFERENCE["masked_model"]
    tokens = keras.Input((5,), dtype="int32")
    embedded = layers.Embedding(10, 6, mask_zero=True)(tokens)
    attended = layers.GroupedQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2)(
        embedded, embedded, use_causal_mask=True
    )
    pooled = layers.GlobalAveragePooling1D()(attended)
    model = keras.Model(tokens, layers.Dense(2)(pooled))
    model.set_weights([np.asarray(w, "float32") for w in case["weights"]])
    token_data = np.asarray(case["tokens"], "int32")
    np.testing.assert_allclose(
        model.predict(token_data, verbose=0), case["predictions"], rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(model(token_data).numpy(), case["predictions"], rtol=1e-5, atol=1e-6)


def test_grouped_query_attention_model_learns_a_sequence_task():
    # Which of the first two tokens reappears last? Needs attention from the last position.
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    count, length, dim = 256, 5, 8
    tokens = rng.standard_normal((count, length, dim)).astype("float32")
    labels = rng.integers(0, 2, size=count)
    tokens[:, -1] = tokens[np.arange(count), labels]
    inputs = keras.Input((length, dim))
    x = layers.GroupedQueryAttention(head_dim=8, num_query_heads=2, num_key_value_heads=1)(
        inputs, inputs
    )
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


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"num_query_heads": 3, "num_key_value_heads": 2},
            "must be divisible by `num_key_value_heads`.*3.*2",
        ),
        ({"num_key_value_heads": 0}, "num_key_value_heads=0"),
        ({"num_query_heads": 0}, "num_query_heads=0"),
        ({"head_dim": 0}, "head_dim=0"),
        ({"num_query_heads": 2.0}, "num_query_heads=2.0"),
        ({"head_dim": True}, "head_dim=True"),
        ({"sliding_window": 0}, "sliding_window=0"),
        ({"sliding_window": 1.5}, "sliding_window=1.5"),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"dropout": -0.1}, "dropout=-0.1"),
        ({"dropout": "0.1"}, "dropout='0.1'"),
        ({"flash_attention": True, "dropout": 0.1}, "Dropout is not supported when flash"),
    ],
)
def test_grouped_query_attention_rejects_invalid_arguments_naming_them(kwargs, message):
    arguments = {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        layers.GroupedQueryAttention(**arguments)


def test_grouped_query_attention_flash_attention_is_accepted_but_cannot_run_on_the_cpu():
    layer = layers.GroupedQueryAttention(
        head_dim=2, num_query_heads=2, num_key_value_heads=1, flash_attention=True
    )
    query, value = _inputs()
    with pytest.raises(ValueError, match="Returning attention scores is not supported"):
        layer(query, value, return_attention_scores=True)
    with pytest.raises(ValueError, match="flash_attention=True is not supported on the CPU"):
        layer(query, value)
    assert layers.GroupedQueryAttention(
        head_dim=2, num_query_heads=2, num_key_value_heads=1, flash_attention=False
    )(query, value).shape == (2, 4, 6)


def test_grouped_query_attention_compute_output_shape_checks_shapes_as_keras():
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    assert layer.compute_output_shape((2, 4, 8), (2, 3, 8), (2, 3, 5)) == (2, 4, 8)
    with pytest.raises(ValueError, match=r"query_shape=\(2, 4, 8\), value_shape=\(2, 2, 7\)"):
        layer.compute_output_shape((2, 4, 8), (2, 2, 7))
    with pytest.raises(ValueError, match=r"value_shape=\(2, 2, 8\) and key_shape=\(2, 1, 7\)"):
        layer.compute_output_shape((2, 4, 8), (2, 2, 8), (2, 1, 7))
    with pytest.raises(ValueError, match="must be equal"):
        layer(keras.Input((4, 8)), keras.Input((3, 7)))


def test_grouped_query_attention_rejects_inputs_of_another_rank_before_making_weights():
    layer = layers.GroupedQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)
    with pytest.raises(ValueError, match=r"`value` of rank 3.*value_shape=\(2, 3\)"):
        layer(np.zeros((2, 4, 6), "float32"), np.zeros((2, 3), "float32"))
    assert not layer.built and layer.weights == []
