"""The compiled train step (trainers/compiled_step.py): fit replays recorded steps."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from minikeras.trainers.compiled_step import _EAGER


# -- the compiled train step ---------------------------------------------------------------
def _data(rng, n=70, features=6, classes=3):
    x = rng.standard_normal((n, features)).astype("float32")
    return x, rng.integers(0, classes, n)


def _mlp(output_units=3, output_activation="softmax", sequential=False):
    keras.utils.set_random_seed(3)  # the same initial weights for every copy
    stack = [
        layers.Dense(8, activation="relu"),
        layers.Dense(8, activation="tanh"),
        layers.Dense(output_units, activation=output_activation),
    ]
    if sequential:
        return keras.Sequential([keras.Input(shape=(6,)), *stack])
    inputs = keras.Input(shape=(6,))
    h = inputs
    for layer in stack:
        h = layer(h)
    return keras.Model(inputs, h)


def _fit_both(build, compile_kwargs, fit_kwargs, x, y):
    """Fits two copies of a model, compiled (the default) and eagerly; returns both."""
    models = []
    for eager in (False, True):
        model = build()
        model.compile(optimizer="adam", run_eagerly=eager, **compile_kwargs)
        keras.utils.set_random_seed(11)  # the same shuffling for both
        history = model.fit(x, y, batch_size=16, verbose=0, **fit_kwargs)
        models.append((model, history.history))
    return models


def _assert_same_training(compiled, eager, exact):
    (model, history), (eager_model, eager_history) = compiled, eager
    for a, b in zip(model.get_weights(), eager_model.get_weights()):
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert history.keys() == eager_history.keys()
    for key in history:
        np.testing.assert_allclose(history[key], eager_history[key], rtol=1e-5)


@pytest.mark.parametrize("sequential", [False, True])
def test_fit_replays_the_step_and_trains_as_eager_fit_does(rng, sequential):
    x, y = _data(rng)  # 70 rows: batches of 16 and a last one of 6
    compiled, eager = _fit_both(
        lambda: _mlp(sequential=sequential),
        {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        {"epochs": 4, "validation_split": 0.2},
        x,
        y,
    )
    # Per batch shape: one recorded step, one checked step, then replays. Validation (14
    # rows) has a batch shape of its own.
    steps = compiled[0]._compiled_steps
    assert steps.replayed["train"] > 0 and steps.replayed["test"] > 0
    assert sorted(kind for kind, _ in steps.entries) == ["test", "train", "train"]
    assert eager[0]._compiled_steps is None
    _assert_same_training(compiled, eager, exact=False)


def test_labels_are_read_from_each_batch_not_from_the_recording(rng):
    # Sorted labels: the first batches (the recorded and the checked one) are all class 0.
    x, _ = _data(rng, n=96)
    y = np.repeat([0, 1, 2], [40, 30, 26])
    compiled, eager = _fit_both(
        _mlp, {"loss": "sparse_categorical_crossentropy"}, {"epochs": 2, "shuffle": False}, x, y
    )
    assert compiled[0]._compiled_steps.replayed["train"] > 0
    _assert_same_training(compiled, eager, exact=False)


@pytest.mark.parametrize(
    "loss, activation, targets",
    [
        ("mse", None, "one_hot"),
        ("mae", "tanh", "one_hot"),
        ("categorical_crossentropy", "softmax", "one_hot"),
        (keras.losses.SparseCategoricalCrossentropy(from_logits=True), None, "labels"),
        ("binary_crossentropy", "sigmoid", "one_hot"),
    ],
)
def test_each_vetted_loss_is_replayed_with_the_eager_results(rng, loss, activation, targets):
    x, labels = _data(rng)
    y = np.eye(3, dtype="float32")[labels] if targets == "one_hot" else labels
    compiled, eager = _fit_both(
        lambda: _mlp(output_activation=activation), {"loss": loss}, {"epochs": 2}, x, y
    )
    assert compiled[0]._compiled_steps.replayed["train"] > 0
    # No softmax / cross-entropy pair to fuse: the replay gives the eager bits.
    exact = loss != "categorical_crossentropy"
    _assert_same_training(compiled, eager, exact=exact)


def test_sample_and_class_weights_are_batch_inputs_of_the_replay(rng):
    x, y = _data(rng)
    weights = rng.uniform(0.1, 2.0, len(x)).astype("float32")
    for fit_kwargs in ({"sample_weight": weights}, {"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}}):
        compiled, eager = _fit_both(
            lambda: _mlp(output_activation=None),
            {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
            {"epochs": 2, **fit_kwargs},
            x,
            y,
        )
        assert compiled[0]._compiled_steps.replayed["train"] > 0
        _assert_same_training(compiled, eager, exact=True)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


class _OwnLoss(keras.Model):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.mean(ops.square(y_pred))


def _with_lambda():  # a Lambda layer runs any Python
    inputs = keras.Input(shape=(6,))
    h = layers.Lambda(lambda t: t * 2.0)(layers.Dense(8, activation="relu")(inputs))
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))


def _with_activity_regularizer():
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(8, activation="relu", activity_regularizer="l2")(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))


def _with_python_activation():
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(8, activation=lambda t: ops.maximum(t, 0.1 * t))(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))


def _with_own_compute_loss():
    inputs = keras.Input(shape=(6,))
    return _OwnLoss(inputs, layers.Dense(3)(inputs))


def _sparse_ce(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


@pytest.mark.parametrize(
    "build, compile_kwargs",
    [
        (_Subclassed, {}),
        (_with_lambda, {}),
        (_with_activity_regularizer, {}),
        (_with_python_activation, {}),
        (_with_own_compute_loss, {}),
        (_mlp, {"loss": _sparse_ce}),  # a loss function of the user's
        (_mlp, {"jit_compile": False}),
        (_mlp, {"run_eagerly": True}),
    ],
)
def test_models_and_settings_that_stay_eager(rng, build, compile_kwargs):
    x, y = _data(rng)
    model = build()
    compile_kwargs = {"loss": "sparse_categorical_crossentropy", **compile_kwargs}
    model.compile(optimizer="sgd", **compile_kwargs)
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    steps = model._compiled_steps
    assert steps is None or (
        steps.replayed == {"train": 0, "test": 0, "predict": 0} and not steps.entries
    )


class _ClaimsReplayable(layers.Layer):
    """Wrongly claims to be replayable: it reads the batch outside any primitive."""

    def call(self, inputs):
        return inputs + float(inputs.numpy().mean())  # a 0-d value taken from the batch

    def _is_replayable(self):
        return True


def test_the_checked_step_catches_a_recording_that_does_not_generalize(rng):
    def build():
        keras.utils.set_random_seed(3)
        inputs = keras.Input(shape=(6,))
        h = _ClaimsReplayable()(layers.Dense(8, activation="relu")(inputs))
        return keras.Model(inputs, layers.Dense(3)(h))

    x, y = _data(rng, n=64)
    compiled, eager = _fit_both(build, {"loss": "mse"}, {"epochs": 2}, x, np.eye(3)[y])
    steps = compiled[0]._compiled_steps
    assert steps.replayed["train"] == 0 and list(steps.entries.values()) == [_EAGER]
    _assert_same_training(compiled, eager, exact=True)


def test_freezing_a_layer_during_fit_records_the_step_again(rng):
    x, y = _data(rng, n=96)

    class Freeze(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model.layers[1].trainable = False
                self.frozen = self.model.layers[1].get_weights()

    models, freezes = [], []
    for eager in (False, True):
        model, freeze = _mlp(), Freeze()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=eager)
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[freeze])
        models.append(model)
        freezes.append(freeze)
    assert models[0]._compiled_steps.replayed["train"] > 0
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # The frozen layer keeps, to the bit, the weights it had when it was frozen.
    for model, freeze in zip(models, freezes):
        for before, after in zip(freeze.frozen, model.layers[1].get_weights()):
            np.testing.assert_array_equal(before, after)


# numpy may warn about the non-finite arithmetic before the step names the culprit.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_a_batch_is_reported_before_the_weights_change(rng):
    x, y = _data(rng, n=64)
    x[40, 2] = np.nan  # in the third batch of 16
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    seen = []

    class Snapshot(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append([w.copy() for w in self.model.get_weights()])

    with pytest.raises(ValueError, match="`x` contains NaN or infinite values"):
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0, callbacks=[Snapshot()])
    assert len(seen) == 2  # two clean batches trained, the third raised before its update
    for a, b in zip(seen[-1], model.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert np.isfinite(b).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_from_a_generator_is_reported_too(rng):
    x, y = _data(rng, n=32)
    x[3, 0] = np.inf

    def batches():
        while True:
            yield x[:16], y[:16]

    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(batches(), steps_per_epoch=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_label_out_of_range_is_caught_in_a_replayed_step(rng):
    x, y = _data(rng, n=96)
    y[90] = 7  # in the last batch, long after the step was recorded and checked
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"label value of 7 .* \[0, 3\)"):
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    assert model._compiled_steps.replayed["train"] > 0


def test_each_new_batch_shape_is_recorded_up_to_a_limit(rng):
    from minikeras.trainers import compiled_step

    x, y = _data(rng, n=200)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    for size in range(1, compiled_step._MAX_SIGNATURES + 6):
        model.train_on_batch(x[:size], y[:size])
    assert len(model._compiled_steps.entries) == compiled_step._MAX_SIGNATURES


def _two_branches(merge):
    def body(h):
        return merge()([layers.Dense(4)(h), layers.Dense(4, activation="relu")(h)])

    return body


# (input shape, body) for every vetted layer class: a model around it must train the same
# compiled and eagerly.
_VETTED = {
    "dense_gelu": ((6,), lambda h: layers.Dense(5, activation="gelu")(h)),
    "activation": ((6,), lambda h: layers.Activation("tanh")(h)),
    "elu": ((6,), lambda h: layers.ELU()(h)),
    "leaky_relu": ((6,), lambda h: layers.LeakyReLU()(h)),
    "prelu": ((6,), lambda h: layers.PReLU()(h)),
    "relu": ((6,), lambda h: layers.ReLU(max_value=1.0)(h)),
    "softmax": ((6,), lambda h: layers.Softmax()(h)),
    "identity": ((6,), lambda h: layers.Identity()(h)),
    "dropout": ((6,), lambda h: layers.Dropout(0.4)(layers.Dense(8)(h))),
    "spatial_dropout": ((8, 2), lambda h: layers.SpatialDropout1D(0.5)(h)),
    "gaussian_noise": ((6,), lambda h: layers.GaussianNoise(0.3)(h)),
    "gaussian_dropout": ((6,), lambda h: layers.GaussianDropout(0.3)(h)),
    "layer_norm": ((6,), lambda h: layers.LayerNormalization()(h)),
    "batch_norm": ((6,), lambda h: layers.BatchNormalization()(layers.Dense(5)(h))),
    "batch_norm_2d": ((6, 6, 2), lambda h: layers.BatchNormalization(axis=-1, center=False)(h)),
    "rescaling": ((6,), lambda h: layers.Rescaling(0.5, offset=1.0)(h)),
    "reshape_permute": ((6,), lambda h: layers.Permute((2, 1))(layers.Reshape((2, 3))(h))),
    "repeat_vector": ((6,), lambda h: layers.RepeatVector(2)(h)),
    "conv1d_pooling": (
        (8, 2),
        lambda h: layers.MaxPooling1D()(layers.Conv1D(3, 3, activation="relu")(h)),
    ),
    "pad_crop_upsample_1d": (
        (8, 2),
        lambda h: layers.UpSampling1D()(layers.Cropping1D(1)(layers.ZeroPadding1D(1)(h))),
    ),
    "average_pooling1d": ((8, 2), lambda h: layers.AveragePooling1D(2)(h)),
    "global_pooling_1d": ((8, 2), lambda h: layers.GlobalAveragePooling1D()(h)),
    "global_max_1d": ((8, 2), lambda h: layers.GlobalMaxPooling1D()(h)),
    "conv2d": ((6, 6, 2), lambda h: layers.Conv2D(3, 3, padding="same", activation="relu")(h)),
    "conv2d_transpose": ((6, 6, 2), lambda h: layers.Conv2DTranspose(2, 3, strides=2)(h)),
    "depthwise": ((6, 6, 2), lambda h: layers.DepthwiseConv2D(3)(h)),
    "separable": ((6, 6, 2), lambda h: layers.SeparableConv2D(3, 3)(h)),
    "pooling_2d": ((6, 6, 2), lambda h: layers.AveragePooling2D(2)(layers.MaxPooling2D(1)(h))),
    "global_pooling_2d": ((6, 6, 2), lambda h: layers.GlobalAveragePooling2D()(h)),
    "global_max_2d": ((6, 6, 2), lambda h: layers.GlobalMaxPooling2D()(h)),
    "pad_crop_upsample_2d": (
        (6, 6, 2),
        lambda h: layers.UpSampling2D()(layers.Cropping2D(1)(layers.ZeroPadding2D(1)(h))),
    ),
    "add": ((6,), _two_branches(layers.Add)),
    "subtract": ((6,), _two_branches(layers.Subtract)),
    "multiply": ((6,), _two_branches(layers.Multiply)),
    "average": ((6,), _two_branches(layers.Average)),
    "maximum": ((6,), _two_branches(layers.Maximum)),
    "minimum": ((6,), _two_branches(layers.Minimum)),
    "concatenate": ((6,), _two_branches(layers.Concatenate)),
    "dot": ((6,), _two_branches(lambda: layers.Dot(axes=1))),
    "embedding": ((5,), lambda h: layers.Embedding(10, 4)(h)),
    "embedding_float_input": ((5,), lambda h: layers.Embedding(10, 4)(h)),
}
# Models whose input is indices below 10: (Input dtype, batch dtype).
_INDEX_INPUTS = {"embedding": ("int32", "int64"), "embedding_float_input": (None, "float32")}


def _vetted_model_and_data(rng, name, rows):
    """A model around the layer of `_VETTED[name]` (weights seeded) and a batch for it."""
    shape, body = _VETTED[name]
    keras.utils.set_random_seed(5)
    if name in _INDEX_INPUTS:
        input_dtype, data_dtype = _INDEX_INPUTS[name]
        inputs = keras.Input(shape=shape, dtype=input_dtype)
        x = rng.integers(0, 10, (rows, *shape)).astype(data_dtype)
    else:
        inputs = keras.Input(shape=shape)
        x = rng.standard_normal((rows, *shape)).astype("float32")
    h = body(inputs)
    if len(h.shape) > 2:
        h = layers.Flatten()(h)
    return keras.Model(inputs, layers.Dense(3)(h)), x


@pytest.mark.parametrize("name", sorted(_VETTED))
def test_every_vetted_layer_trains_the_same_replayed(rng, name):
    _, x = _vetted_model_and_data(rng, name, 40)
    y = rng.standard_normal((40, 3)).astype("float32")
    compiled, eager = _fit_both(
        lambda: _vetted_model_and_data(rng, name, 0)[0], {"loss": "mse"}, {"epochs": 2}, x, y
    )
    assert compiled[0]._is_replayable()
    assert compiled[0]._compiled_steps.replayed["train"] > 0
    _assert_same_training(compiled, eager, exact=True)


@pytest.mark.parametrize("name", sorted(_VETTED))
def test_every_vetted_layer_predicts_the_same_replayed(rng, name):
    _, x = _vetted_model_and_data(rng, name, 44)
    predictions = []
    for eager in (False, True):
        model, _ = _vetted_model_and_data(rng, name, 0)
        model.compile(optimizer="sgd", loss="mse", run_eagerly=eager)
        # Batches of 8 and a last one of 4: each shape recorded, checked, then replayed.
        predictions.append([model.predict(x, batch_size=8, verbose=0) for _ in range(2)])
        if not eager:
            steps = model._compiled_steps
            assert steps.replayed == {"train": 0, "test": 0, "predict": 8}
    for got, want in zip(*predictions):
        np.testing.assert_array_equal(got, want)


def test_predict_of_models_that_are_not_vetted_runs_eagerly(rng):
    x, _ = _data(rng, n=40)
    for build in (_Subclassed, _with_lambda, _with_activity_regularizer, _with_python_activation):
        model = build()
        model.compile(optimizer="sgd", loss="mse")
        want = model.predict(x, batch_size=8, verbose=0)
        got = model.predict(x, batch_size=8, verbose=0)
        assert model._compiled_steps.replayed["predict"] == 0
        assert not model._compiled_steps.entries
        np.testing.assert_array_equal(got, want)


def test_predict_replays_with_the_weights_of_the_moment(rng):
    x, y = _data(rng, n=40)
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.predict(x, batch_size=8, verbose=0)  # recorded, checked, replayed
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    replayed = model._compiled_steps.replayed["predict"]
    got = model.predict(x, batch_size=8, verbose=0)
    assert model._compiled_steps.replayed["predict"] == replayed + 5
    np.testing.assert_array_equal(got, model(x).numpy())


def test_several_inputs_and_named_targets_are_replayed(rng):
    def build():
        keras.utils.set_random_seed(9)
        first = keras.Input(shape=(4,), name="first")
        second = keras.Input(shape=(3,), name="second")
        h = layers.Concatenate()([layers.Dense(5, activation="relu")(first), second])
        return keras.Model({"first": first, "second": second}, layers.Dense(2, name="out")(h))

    x = {
        "first": rng.standard_normal((50, 4)).astype("float32"),
        "second": rng.standard_normal((50, 3)).astype("float32"),
    }
    y = {"out": rng.standard_normal((50, 2)).astype("float32")}
    compiled, eager = _fit_both(build, {"loss": {"out": "mse"}}, {"epochs": 2}, x, y)
    assert compiled[0]._compiled_steps.replayed["train"] > 0
    _assert_same_training(compiled, eager, exact=True)


def test_a_single_output_target_given_as_a_dict_or_list_reaches_loss_and_metrics(rng):
    x, labels = _data(rng, n=40)
    histories = []
    for y in (labels, {"out": labels}, [labels]):
        keras.utils.set_random_seed(2)
        inputs = keras.Input(shape=(6,))
        model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="out")(inputs))
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        histories.append(model.fit(x, y, batch_size=8, epochs=2, verbose=0).history)
    assert histories[0] == histories[1] == histories[2]


def test_evaluate_replays_the_test_step_with_the_eager_values(rng):
    x, y = _data(rng)
    results = []
    for eager in (False, True):
        model = _mlp()
        model.compile(
            optimizer="sgd",
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            run_eagerly=eager,
        )
        results.append([model.evaluate(x, y, batch_size=16, verbose=0) for _ in range(3)])
        if not eager:
            assert model._compiled_steps.replayed["test"] > 0
    assert results[0] == results[1]


def test_a_model_without_trainable_weights_trains_eagerly(rng):
    x, y = _data(rng, n=40)
    model = _mlp()
    model.trainable = False
    before = model.get_weights()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert history.history["loss"][0] == history.history["loss"][1]
    assert model._compiled_steps.replayed["train"] == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


class _OwnMetrics(keras.Model):
    """A functional model of the user's class that keeps Functional's call."""

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        logs = super().compute_metrics(x, y, y_pred, sample_weight)
        return {**logs, "seen": float(len(y))}


def test_a_users_model_class_that_keeps_the_functional_call_is_replayed(rng):
    def build():
        keras.utils.set_random_seed(4)
        inputs = keras.Input(shape=(6,))
        h = layers.Dense(8, activation="relu")(inputs)
        return _OwnMetrics(inputs, layers.Dense(3, activation="softmax")(h))

    x, y = _data(rng)
    compiled, eager = _fit_both(
        build, {"loss": "sparse_categorical_crossentropy"}, {"epochs": 2}, x, y
    )
    assert compiled[0]._compiled_steps.replayed["train"] > 0
    assert compiled[1]["seen"] == [6.0, 6.0]  # the last batch's logs, as Keras keeps them
    _assert_same_training(compiled, eager, exact=False)


def test_dict_batches_with_their_keys_in_another_order_are_not_mixed_up(rng):
    keras.utils.set_random_seed(1)
    first = keras.Input(shape=(3,), name="first")
    second = keras.Input(shape=(3,), name="second")
    out = layers.Dense(1)(layers.Concatenate()([first, layers.Dense(3)(second)]))
    model = keras.Model({"first": first, "second": second}, out)
    model.compile(optimizer="sgd", loss="mse")
    a, b = (rng.standard_normal((4, 3)).astype("float32") for _ in range(2))
    y = np.zeros((4, 1), "float32")
    for _ in range(4):  # recorded, checked, then replayed
        model.test_on_batch({"first": a, "second": b}, y)
    swapped = model.test_on_batch({"second": b, "first": a}, y)
    assert swapped == model.test_on_batch({"first": a, "second": b}, y)
    assert swapped == pytest.approx(
        float(np.mean(model.predict_on_batch({"first": a, "second": b}) ** 2))
    )


def test_dropout_draws_a_new_mask_at_every_replayed_step(rng):
    def build():
        keras.utils.set_random_seed(8)
        inputs = keras.Input(shape=(6,))
        h = layers.Dropout(0.5)(layers.Dense(16, activation="relu")(inputs))
        return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))

    x, y = _data(rng, n=96)
    compiled, eager = _fit_both(
        build, {"loss": "sparse_categorical_crossentropy"}, {"epochs": 3}, x, y
    )
    model = compiled[0]
    assert model._compiled_steps.replayed["train"] > 0
    _assert_same_training(compiled, eager, exact=False)
    # The generator advanced once per training step, replayed or not: 3 epochs x 6 batches.
    state = model.layers[2].seed_generator.state.numpy()
    assert state[1] == eager[0].layers[2].seed_generator.state.numpy()[1] == 18


def test_a_deep_copied_model_replays_with_its_own_weights(rng):
    import copy

    x, y = _data(rng, n=48)
    model = _mlp(output_activation=None)
    model.compile(optimizer="sgd", loss="mse")
    targets = np.eye(3, dtype="float32")[y]
    model.fit(x, targets, batch_size=8, epochs=1, verbose=0)
    twin = copy.deepcopy(model)
    twin.set_weights([w * 3.0 for w in twin.get_weights()])
    replayed = twin._compiled_steps.replayed["train"]
    _, loss, gradients, variables = twin._compiled_steps.gradients(x[:8], targets[:8], None)
    _, want_loss, want_gradients, want_variables = twin._eager_gradients(x[:8], targets[:8], None)
    assert twin._compiled_steps.replayed["train"] == replayed + 1
    assert float(loss.data) == float(want_loss.data)
    assert all(a is b for a, b in zip(variables, want_variables))
    for got, want in zip(gradients, want_gradients):
        np.testing.assert_array_equal(got, want.data)
