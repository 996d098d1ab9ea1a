"""Arguments of fit/evaluate/predict and compile that Keras accepts silently (or rejects
late): minikeras raises a clear error naming the argument, before any weight changes."""

import collections

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def _classifier(units=3, activation="softmax"):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def _data(n=10):
    rng = np.random.default_rng(0)
    return rng.random((n, 4)).astype("float32"), rng.integers(0, 3, n)


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _assert_rejected_without_training(model, call, match):
    before = _weights(model)
    with pytest.raises(ValueError, match=match):
        call()
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert int(np.asarray(model.optimizer.iterations)) == 0


@pytest.mark.parametrize("batch_size", [-1, 0, 2.5, True, "32", np.float32(4.0)])
def test_fit_rejects_a_batch_size_that_is_not_a_positive_integer(batch_size):
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model, lambda: model.fit(x, y, batch_size=batch_size, verbose=0), "`batch_size`"
    )


@pytest.mark.parametrize("method", ["evaluate", "predict"])
@pytest.mark.parametrize("batch_size", [-1, 0, 2.5, False])
def test_evaluate_and_predict_reject_a_batch_size_that_is_not_a_positive_integer(
    method, batch_size
):
    model = _classifier()
    x, y = _data()
    args = (x, y) if method == "evaluate" else (x,)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        getattr(model, method)(*args, batch_size=batch_size, verbose=0)


def test_fit_rejects_a_bad_validation_batch_size():
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, y, validation_split=0.2, validation_batch_size=-2, verbose=0),
        "`validation_batch_size`",
    )


@pytest.mark.parametrize("argument", ["steps_per_epoch", "validation_steps"])
@pytest.mark.parametrize("steps", [0, -1, 2.5])
def test_fit_rejects_step_counts_that_are_not_positive_integers(argument, steps):
    # Keras trains a whole epoch for 0 and nothing for -1, silently.
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, y, validation_split=0.2, verbose=0, **{argument: steps}),
        f"`{argument}` must be a positive integer or None",
    )


@pytest.mark.parametrize("method", ["evaluate", "predict"])
def test_evaluate_and_predict_reject_zero_steps(method):
    model = _classifier()
    x, y = _data()
    args = (x, y) if method == "evaluate" else (x,)
    with pytest.raises(ValueError, match="`steps` must be a positive integer"):
        getattr(model, method)(*args, steps=0, verbose=0)


def test_fit_rejects_empty_validation_data_before_training():
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, y, validation_data=(x[:0], y[:0]), verbose=0),
        "`validation_data` has 0 samples",
    )


def test_fit_rejects_bad_validation_sample_weight_before_training():
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, y, validation_data=(x, y, -np.ones(10)), verbose=0),
        "`sample_weight` must be >= 0",
    )


@pytest.mark.parametrize("batch_size", [np.int64(4), np.int32(4), 4])
def test_fit_accepts_numpy_integer_batch_sizes(batch_size):
    model = _classifier()
    x, y = _data()
    history = model.fit(x, y, batch_size=batch_size, verbose=0)
    assert history.params["steps"] == 3
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("epochs", [-1, 1.5])
def test_fit_rejects_negative_or_fractional_epochs(epochs):
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model, lambda: model.fit(x, y, epochs=epochs, verbose=0), "`epochs`"
    )


def test_fit_with_zero_epochs_trains_nothing():
    model = _classifier()
    x, y = _data()
    before = _weights(model)
    assert model.fit(x, y, epochs=0, verbose=0).history == {}
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_fit_and_evaluate_reject_empty_data(method):
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model,
        lambda: getattr(model, method)(x[:0], y[:0], verbose=0),
        rf"`{method}\(\)` received empty data: `x` \(and `y`\) have 0 samples",
    )


def test_fit_rejects_negative_sample_weight():
    model = _classifier()
    x, y = _data()
    weights = np.ones(10, "float32")
    weights[3] = -0.5
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, y, sample_weight=weights, verbose=0),
        "`sample_weight` must be >= 0, received a weight of -0.5",
    )


def test_evaluate_rejects_negative_sample_weight():
    model = _classifier()
    x, y = _data()
    with pytest.raises(ValueError, match="`sample_weight` must be >= 0"):
        model.evaluate(x, y, sample_weight=-np.ones(10), verbose=0)


def test_fit_rejects_a_class_weight_key_that_is_not_a_class_of_the_output():
    model = _classifier(units=3)
    x, y = _data()
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, y, class_weight={0: 1.0, 7: 2.0}, verbose=0),
        r"`class_weight` has the key 7, which is not a class of the model's output: it "
        r"predicts 3 classes \(0 to 2\)",
    )


def test_class_weight_of_a_single_sigmoid_output_has_classes_zero_and_one():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, _ = _data()
    y = (x[:, 0] > 0.5).astype("float32")
    untrained = model.get_weights()
    with pytest.raises(ValueError, match="predicts 2 classes"):
        model.fit(x, y, class_weight={2: 1.0}, verbose=0)
    for old, new in zip(untrained, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    history = model.fit(x, y, class_weight={0: 1.0, 1: 3.0}, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({"a": 1.0}, "keys must be class indices"),
        ({-1: 1.0}, "keys must be class indices"),
        ({1: -2.0}, "values must be numbers >= 0"),
        ([1.0, 2.0], "must be a dict"),
    ],
)
def test_fit_rejects_malformed_class_weight(class_weight, match):
    model = _classifier()
    x, y = _data()
    _assert_rejected_without_training(
        model, lambda: model.fit(x, y, class_weight=class_weight, verbose=0), match
    )


@pytest.mark.parametrize("argument", ["x", "y", "sample_weight"])
def test_object_dtype_data_is_rejected_naming_the_argument(argument):
    model = _classifier()
    x, y = _data()
    data = {"x": x, "y": y, "sample_weight": np.ones(10, "float32")}
    bad = data[argument].tolist()
    bad[2] = None
    data[argument] = np.array(bad, dtype=object)
    _assert_rejected_without_training(
        model,
        lambda: model.fit(data["x"], data["y"], sample_weight=data["sample_weight"], verbose=0),
        f"`{argument}` must be numeric arrays",
    )


def test_a_list_holding_none_as_x_is_rejected_naming_x():
    model = _classifier()
    _, y = _data()
    x = [[1.0, 2.0, 3.0, None]] * 10
    with pytest.raises(ValueError, match="`x` must be numeric arrays"):
        model.fit(x, y, verbose=0)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_crossentropy_rejects_float_labels_with_a_fractional_part(from_logits):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    predictions = np.full((3, 3), 1 / 3, "float32")
    with pytest.raises(ValueError, match=r"received a float label of 1\.5, which is not a whole"):
        loss(np.array([0.0, 1.5, 2.0], "float32"), predictions)


def test_sparse_crossentropy_accepts_integral_float_labels_as_classes():
    loss = keras.losses.SparseCategoricalCrossentropy()
    predictions = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], "float32")
    as_floats = loss(np.array([0.0, 1.0], "float32"), predictions)
    as_ints = loss(np.array([0, 1]), predictions)
    np.testing.assert_array_equal(np.asarray(as_floats), np.asarray(as_ints))


@pytest.mark.parametrize("run_eagerly", [True, False])
def test_fractional_labels_from_a_generator_fail_in_eager_and_replayed_steps(run_eagerly):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=run_eagerly)
    x, y = _data(10)
    labels = y.astype("float32")
    labels[8] = 0.25  # in the 5th batch: the first ones record the step and check the replay
    batches = ((x[i : i + 2], labels[i : i + 2]) for i in range(0, 10, 2))
    with pytest.raises(ValueError, match=r"float label of 0\.25"):
        model.fit(batches, steps_per_epoch=5, verbose=0)
    assert int(np.asarray(model.optimizer.iterations)) == 4  # stopped before batch 5's update


def test_fit_rejects_fractional_labels_in_any_batch_before_the_first_update():
    model = _classifier()
    x, y = _data()
    labels = y.astype("float32")
    labels[8] = 0.25
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, labels, batch_size=2, verbose=0),
        r"`y` holds the float label 0\.25, which is not a whole number",
    )


def test_sparse_crossentropy_names_both_shapes_for_one_hot_labels():
    model = _classifier()
    x, y = _data()
    one_hot = np.eye(3, dtype="float32")[y]
    _assert_rejected_without_training(
        model,
        lambda: model.fit(x, one_hot, verbose=0),
        r"labels of shape \(10, 3\) do not fit predictions of shape \(10, 3\): sparse losses "
        r"expect integer class indices of shape \(10,\) \(the predictions' shape without the "
        r"class axis\)\. Use categorical_crossentropy for one-hot labels",
    )


@pytest.mark.parametrize(
    "arguments, kind, suggestion",
    [
        ({"loss": "mean_squared_eror"}, "loss", "mean_squared_error"),
        ({"loss": ["msee"]}, "loss", "mse"),
        ({"loss": "mse", "metrics": ["acuracy"]}, "metric", "accuracy"),
        ({"loss": "mse", "weighted_metrics": ["mae", "Precison"]}, "metric", "Precision"),
        ({"loss": "mse", "optimizer": "Adamm"}, "optimizer", "adam"),
    ],
)
def test_unknown_names_fail_at_compile_with_the_closest_valid_name(arguments, kind, suggestion):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match=f"Could not interpret {kind} identifier") as info:
        model.compile(**arguments)
    message = str(info.value)
    assert f"Did you mean '{suggestion}'?" in message
    assert "Valid names" in message
    assert not model.compiled


def test_unknown_loss_names_inside_a_per_output_dict_fail_at_compile():
    inputs = keras.Input((4,))
    model = keras.Model(
        inputs, {"a": layers.Dense(1, name="a")(inputs), "b": layers.Dense(1, name="b")(inputs)}
    )
    with pytest.raises(ValueError, match="Did you mean 'mean_absolute_error'"):
        model.compile(loss={"a": "mse", "b": "mean_absolut_error"})
    with pytest.raises(ValueError, match="Did you mean 'mape'"):
        model.compile(loss="mse", metrics={"a": ["mae"], "b": ["mapee"]})


def test_unknown_name_errors_list_the_valid_names():
    with pytest.raises(ValueError) as info:
        keras.losses.get("msq")
    assert "'mean_squared_error'" in str(info.value) and "'huber'" in str(info.value)
    with pytest.raises(ValueError) as info:
        keras.metrics.get("aucc")
    assert "Did you mean 'auc'?" in str(info.value) and "'binary_accuracy'" in str(info.value)


@pytest.mark.parametrize("name", ["crossentropy", "ce", "CE", "accuracy", "acc"])
def test_names_picked_by_shapes_are_accepted_at_compile(name):
    model = _classifier()
    if name in ("accuracy", "acc"):
        model.compile(loss="sparse_categorical_crossentropy", metrics=[name])
    else:
        model.compile(loss=name)
    x, y = _data()
    assert len(model.fit(x, y, verbose=0).history["loss"]) == 1


_OneOutput = collections.namedtuple("_OneOutput", ["out"])


def _regression_history(loss, loss_weights=None):
    x = np.linspace(-1, 1, 40, dtype="float32").reshape(10, 4)
    y = np.linspace(0, 1, 10, dtype="float32").reshape(10, 1)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(0.1), loss, loss_weights=loss_weights)
    return model.fit(x, y, batch_size=5, epochs=2, verbose=0, shuffle=False).history


@pytest.mark.parametrize(
    "loss",
    [["mse"], ("mse",), [["mse"]], _OneOutput("mse")],
    ids=["list", "tuple", "nested", "namedtuple"],
)
def test_a_one_item_loss_structure_trains_a_single_output_model(loss):
    # Keras matches the loss structure with the outputs: one item for one output.
    # (Keras 3.15 logs {'loss': [3.954636, 0.939479]} for each of these.)
    history = _regression_history(loss)
    assert history == _regression_history("mse")
    np.testing.assert_allclose(history["loss"], [3.954636, 0.939479], rtol=1e-5)


def test_a_one_item_loss_weights_list_weighs_a_single_output():
    weighted = _regression_history(["mse"], loss_weights=[2.0])
    assert weighted == _regression_history("mse", loss_weights=2.0)
    np.testing.assert_allclose(weighted["loss"], [7.281114, 0.01373], rtol=1e-4)


def test_a_nested_loss_structure_matches_nested_outputs():
    x = np.linspace(-1, 1, 40, dtype="float32").reshape(10, 4)
    y = np.linspace(0, 1, 10, dtype="float32").reshape(10, 1)
    histories = []
    for nested in (False, True):
        inputs = keras.Input((4,))
        a = layers.Dense(1, kernel_initializer="ones", name="a")(inputs)
        b = layers.Dense(1, kernel_initializer="zeros", name="b")(inputs)
        model = keras.Model(inputs, [a, [b]] if nested else [a, b])
        model.compile(keras.optimizers.SGD(0.1), ["mse", ["mae"]] if nested else ["mse", "mae"])
        targets = [y, [y]] if nested else [y, y]
        history = model.fit(x, targets, batch_size=5, epochs=2, verbose=0, shuffle=False)
        histories.append(history.history["loss"])
    assert histories[0] == histories[1]


def test_a_loss_list_longer_than_the_outputs_is_rejected():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile("sgd", ["mse", "mae"])
    with pytest.raises(ValueError, match=r"`loss` has 2 entries, but the model has 1 output"):
        model.fit(np.zeros((2, 4)), np.zeros((2, 1)), verbose=0)


def _three_input_model(structure):
    a, b, c = keras.Input((4,), name="a"), keras.Input((2,), name="b"), keras.Input((3,), name="c")
    outputs = layers.Dense(2, kernel_initializer="ones")(layers.Concatenate()([a, b, c]))
    inputs = {"tuple": (a, b, c), "list": [a, b, c], "nested": [a, [b, c]]}.get(structure)
    if structure == "list_of_dict":
        inputs = [a, {"b": b, "c": c}]
    if structure == "dict":
        inputs = {"a": a, "b": b, "c": c}
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("structure", ["tuple", "list", "nested", "list_of_dict", "dict"])
def test_predict_takes_inputs_structured_like_the_model_inputs(structure):
    x = np.arange(64, dtype="float32").reshape(16, 4) / 64
    parts = {"a": x, "b": x[:, :2], "c": x[:, :3]}
    data = {
        "tuple": (x, parts["b"], parts["c"]),
        "list": [x, parts["b"], parts["c"]],
        "nested": [x, [parts["b"], parts["c"]]],
        "list_of_dict": [x, {"b": parts["b"], "c": parts["c"]}],
        "dict": parts,
    }[structure]
    model = _three_input_model(structure)
    predictions = model.predict(data, batch_size=5, verbose=0)
    assert predictions.shape == (16, 2)
    # Keras 3.15 gives 140.0 for every structure (kernel of ones, zero bias).
    assert float(predictions.sum()) == pytest.approx(140.0)
    np.testing.assert_allclose(predictions, np.asarray(model(data)), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(data), predictions, rtol=1e-6)


def test_predict_takes_a_dict_holding_a_tuple_for_a_subclassed_model():
    class TwoParts(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="ones")

        def call(self, inputs):
            return self.dense(keras.ops.concatenate([inputs["a"], inputs["b"][0]], axis=-1))

    x = np.arange(64, dtype="float32").reshape(16, 4) / 64
    predictions = TwoParts().predict({"a": x, "b": (x[:, :2],)}, batch_size=5, verbose=0)
    assert predictions.shape == (16, 1)
    assert float(predictions.sum()) == pytest.approx(46.75)  # as Keras 3.15


def test_predict_returns_nested_outputs_in_their_structure():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    model = keras.Model((a, b), {"o": out, "p": [out, out]})
    x = np.arange(64, dtype="float32").reshape(16, 4) / 64
    predictions = model.predict((x, x[:, :2]), batch_size=5, verbose=0)
    assert sorted(predictions) == ["o", "p"]
    assert predictions["o"].shape == (16, 1)
    assert isinstance(predictions["p"], list) and [p.shape for p in predictions["p"]] == [
        (16, 1),
        (16, 1),
    ]


def test_fit_still_reads_a_two_item_tuple_x_without_y_as_x_and_y():
    model = _classifier()
    x, y = _data()
    history = model.fit((x, y), batch_size=5, verbose=0)
    assert history.params["steps"] == 2


def test_predict_passes_a_tuple_whole_to_a_subclassed_model():
    # keras/src/trainers/trainer_test.py pins the same (keras-team/keras#325).
    class TupleInput(keras.Model):
        def call(self, inputs):
            a, b = inputs
            return a + b

    x1, x2 = np.random.default_rng(0).random((2, 3, 4)).astype("float32")
    np.testing.assert_allclose(TupleInput().predict((x1, x2), verbose=0), x1 + x2, rtol=1e-6)


@pytest.mark.parametrize("method", ["evaluate", "predict"])
def test_evaluate_and_predict_reject_object_arrays_naming_x(method):
    model = _classifier()
    x, y = _data()
    ragged = np.empty(10, dtype=object)
    ragged[:] = [row.tolist()[: 4 - (i % 2)] for i, row in enumerate(x)]
    args = (ragged, y) if method == "evaluate" else (ragged,)
    with pytest.raises(ValueError, match="`x` must be numeric arrays"):
        getattr(model, method)(*args, verbose=0)
