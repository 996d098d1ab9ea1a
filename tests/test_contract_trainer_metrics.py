"""The structure of `model.metrics` and the order of result lists, as Keras 3 has them.

Each behaviour here was checked against Keras 3.15.1 (the numbers of the default steps are
pinned by tests/test_trainer_surface.py and its fixture).
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, ops
from minikeras.trainers.compile_utils import CompileMetrics


def data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    y = rng.standard_normal((n, 2)).astype("float32")
    labels = (rng.random((n, 1)) > 0.5).astype("float32")
    return x, y, labels


def one_output():
    inputs = keras.Input(shape=(4,))
    return keras.Model(inputs, layers.Dense(2)(layers.Dense(3, activation="relu")(inputs)))


def two_outputs():
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(3, activation="relu")(inputs)
    a = layers.Dense(2, name="out_a")(h)
    b = layers.Dense(1, activation="sigmoid", name="out_b")(h)
    return keras.Model(inputs, [a, b])


def test_evaluate_list_unpacks_total_loss_then_output_losses_then_metrics():
    x, y, labels = data()
    model = two_outputs()
    model.compile("sgd", loss=["mse", "binary_crossentropy"], metrics=[["mse"], ["accuracy"]])
    loss, out_a_loss, out_b_loss, out_a_mse, out_b_accuracy = model.evaluate(
        x, [y, labels], verbose=0
    )
    logs = model.evaluate(x, [y, labels], verbose=0, return_dict=True)
    assert [loss, out_a_loss, out_b_loss, out_a_mse, out_b_accuracy] == [
        logs["loss"],
        logs["out_a_loss"],
        logs["out_b_loss"],
        logs["out_a_mse"],
        logs["out_b_accuracy"],
    ]
    assert out_a_loss != out_b_loss  # the unpacking is not passing by chance


def test_train_and_test_on_batch_lists_follow_the_same_order():
    x, y, labels = data()
    model = two_outputs()
    model.compile("sgd", loss=["mse", "binary_crossentropy"], metrics=[["mse"], ["accuracy"]])
    for method in (model.test_on_batch, model.train_on_batch):
        logs = model.test_on_batch(x, [y, labels], return_dict=True)
        order = ["loss", "out_a_loss", "out_b_loss", "out_a_mse", "out_b_accuracy"]
        assert method(x, [y, labels]) == [logs[key] for key in order]


def test_single_output_list_keeps_the_compile_order_of_metrics():
    x, y, _ = data()
    model = one_output()
    model.compile("sgd", loss="mse", metrics=["mse", "mae"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "mse"]  # the dict is sorted, as in Keras
    assert model.evaluate(x, y, verbose=0) == [logs["loss"], logs["mse"], logs["mae"]]


def test_test_on_batch_does_not_carry_metrics_from_an_earlier_evaluate():
    x, _, labels = data()
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("sgd", loss="binary_crossentropy", metrics=["accuracy"])
    expected = model.evaluate(x[:4], labels[:4], verbose=0, return_dict=True)
    model.evaluate(x[4:], labels[4:], verbose=0)
    assert model.test_on_batch(x[:4], labels[:4], return_dict=True) == pytest.approx(expected)


def test_train_on_batch_does_not_carry_metrics_from_earlier_calls():
    x, _, labels = data()
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(inputs))
    model.compile("sgd", loss="binary_crossentropy", metrics=["accuracy"])
    # The loss of a training step is computed before its update: what evaluate reports.
    expected = model.evaluate(x[:4], labels[:4], verbose=0, return_dict=True)
    model.evaluate(x[4:], labels[4:], verbose=0)
    model.test_on_batch(x[4:], labels[4:])
    assert model.train_on_batch(x[:4], labels[:4], return_dict=True) == pytest.approx(expected)
    second = model.evaluate(x[4:8], labels[4:8], verbose=0, return_dict=True)
    assert model.train_on_batch(x[4:8], labels[4:8], return_dict=True) == pytest.approx(second)


def test_model_metrics_is_the_loss_tracker_then_one_compile_metrics_object():
    x, y, _ = data()
    model = one_output()
    assert model.metrics == [] and model.metrics_names == []
    model.compile("sgd", loss="mse", metrics=["mae"])
    loss_tracker, compile_metrics = model.metrics
    assert isinstance(loss_tracker, keras.metrics.Mean) and loss_tracker.name == "loss"
    assert isinstance(compile_metrics, CompileMetrics)
    assert isinstance(compile_metrics, keras.metrics.Metric)
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.evaluate(x, y, verbose=0)
    assert model.metrics == [loss_tracker, compile_metrics]
    result = compile_metrics.result()
    assert list(result) == ["mae"]
    assert float(result["mae"]) == pytest.approx(model.evaluate(x, y, verbose=0)[1])


def test_compiled_metrics_are_built_on_the_first_batch():
    x, y, _ = data()
    model = one_output()
    model.compile("sgd", loss="mse", metrics=["mae", "mse"])
    compile_metrics = model.metrics[1]
    assert compile_metrics.metrics == [] and compile_metrics.variables == []
    with pytest.raises(ValueError, match="before the first batch"):
        compile_metrics.result()
    model.reset_metrics()  # nothing to reset yet, and no error
    model.evaluate(x, y, verbose=0)
    assert [m.name for m in compile_metrics.metrics] == ["mae", "mse"]
    assert len(compile_metrics.variables) == 4  # a total and a count each


def test_reset_metrics_resets_the_compiled_metrics():
    x, y, _ = data()
    model = one_output()
    model.compile("sgd", loss="mse", metrics=["mae"])
    model.evaluate(x, y, verbose=0)
    model.reset_metrics()
    assert float(model.metrics[0].result()) == 0.0
    assert float(model.metrics[1].result()["mae"]) == 0.0


def test_per_output_loss_trackers_follow_the_compile_metrics():
    x, y, labels = data()
    model = two_outputs()
    model.compile("sgd", loss=["mse", "binary_crossentropy"], metrics=[["mse"], ["accuracy"]])
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.evaluate(x, [y, labels], verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics", "out_a_loss", "out_b_loss"]


class GuideModel(keras.Model):
    """The keras.io "customizing fit" steps: update every metric, return their results."""

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._update_metrics(loss, y, y_pred)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        return self._update_metrics(self.compute_loss(y=y, y_pred=y_pred), y, y_pred)

    def _update_metrics(self, loss, y, y_pred):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def guide_model():
    inputs = keras.Input(shape=(4,))
    return GuideModel(inputs, layers.Dense(2)(inputs))


def test_guide_custom_steps_log_the_compiled_metrics():
    x, y, _ = data()
    model = guide_model()
    reference = keras.Model(model.inputs, model.outputs)  # the same layer, default steps
    model.compile("sgd", loss="mse", metrics=["mae"])
    reference.compile("sgd", loss="mse", metrics=["mae"])
    # One batch: the guide's unweighted mean of batch losses equals the default one.
    ours = model.evaluate(x, y, batch_size=len(x), verbose=0)
    assert ours == pytest.approx(reference.evaluate(x, y, batch_size=len(x), verbose=0))
    assert sorted(model.evaluate(x, y, verbose=0, return_dict=True)) == ["loss", "mae"]
    assert sorted(model.test_on_batch(x, y, return_dict=True)) == ["loss", "mae"]
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]


def test_custom_step_logs_are_kept_when_compiled_metrics_were_never_updated():
    class OnlyLoss(keras.Model):
        def test_step(self, data):
            x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
            return {"loss": ops.mean(ops.square(self(x) - y)) * 0.0 + 42.0}

    x, y, _ = data()
    inputs = keras.Input(shape=(4,))
    model = OnlyLoss(inputs, layers.Dense(2)(inputs))
    model.compile("sgd", loss="mse", metrics=["mae"])
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": 42.0}
    assert model.evaluate(x, y, verbose=0) == 42.0


class TrackerModel(keras.Model):
    """A subclassed model that makes its own trackers in `__init__`."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.same_metric_again = self.mae_metric

    def call(self, inputs):
        return self.dense(inputs)

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(ops.mean(ops.square(y - y_pred)))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}


def test_subclassed_model_lists_its_own_trackers_after_the_compiled_ones():
    x, y, _ = data()
    model = TrackerModel()
    assert [m.name for m in model.metrics] == ["loss", "mae"]  # each object once
    model.compile("sgd", loss="mse", metrics=["mse"])
    assert model.metrics_names == ["loss", "compile_metrics", "loss", "mae"]
    assert model.metrics[2] is model.loss_tracker and model.metrics[3] is model.mae_metric
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae"]
    # Keras's list: every name of model.metrics found in the logs, "loss" twice.
    assert model.evaluate(x, y, verbose=0) == [logs["loss"], logs["loss"], logs["mae"]]


def test_nested_model_compile_metrics_are_left_out():
    inner_inputs = keras.Input(shape=(4,))
    inner = keras.Model(inner_inputs, layers.Dense(3)(inner_inputs))
    inner.compile("sgd", loss="mse", metrics=["mae"])
    inputs = keras.Input(shape=(4,))
    outer = keras.Model(inputs, layers.Dense(2)(inner(inputs)))
    assert outer.metrics == []
    outer.compile("sgd", loss="mse", metrics=["mse"])
    assert outer.metrics == [outer.metrics[0], outer.metrics[1]]
    assert outer.metrics[0] is not inner.metrics[0]
    assert outer.metrics_names == ["loss", "compile_metrics"]
    assert inner.metrics_names == ["loss", "compile_metrics"]


def test_layer_metrics_come_after_the_compiled_ones():
    class Counter(layers.Layer):
        def __init__(self):
            super().__init__()
            self.calls = keras.metrics.Sum(name="calls")

        def call(self, inputs):
            self.calls.update_state(1.0)
            return inputs

    x, y, _ = data()
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, layers.Dense(2)(Counter()(inputs)))
    assert model.metrics_names == ["calls"]
    model.compile("sgd", loss="mse", metrics=["mae"])
    assert model.metrics_names == ["loss", "compile_metrics", "calls"]
    logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    assert logs["calls"] == 3.0  # one call per batch, counted since evaluate's reset
    assert model.evaluate(x, y, batch_size=4, verbose=0) == [logs["loss"], logs["mae"], 3.0]


def test_metrics_list_for_two_outputs_has_one_entry_per_output():
    x, y, labels = data()
    model = two_outputs()
    model.compile("sgd", loss=["mse", "binary_crossentropy"], metrics=["mae", "accuracy"])
    logs = model.evaluate(x, [y, labels], verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "out_a_loss", "out_a_mae", "out_b_accuracy", "out_b_loss"]


@pytest.mark.parametrize("argument", ["metrics", "weighted_metrics"])
def test_metrics_list_of_another_length_for_two_outputs_is_rejected(argument):
    model = two_outputs()
    with pytest.raises(ValueError, match=f"`{argument}` has 1 entries.*2 outputs"):
        model.compile("sgd", loss=["mse", "binary_crossentropy"], **{argument: ["mae"]})


@pytest.mark.parametrize("method", ["train_on_batch", "test_on_batch"])
def test_on_batch_methods_take_no_reset_metrics_argument(method):
    # Keras 2's `reset_metrics=False` is gone in Keras 3: the metrics are always reset.
    x, y, _ = data()
    model = one_output()
    model.compile("sgd", loss="mse")
    with pytest.raises(TypeError, match="reset_metrics"):
        getattr(model, method)(x, y, reset_metrics=False)


def test_lists_given_for_dict_outputs_follow_the_sorted_output_names():
    # Keras flattens a dict in sorted key order, so for outputs {"zeta", "alpha"} the
    # first entry of a loss, loss_weights or metrics list is alpha's.
    x, y, _ = data()
    inputs = keras.Input(shape=(4,))
    zeta = layers.Dense(2, name="zeta", kernel_initializer="zeros")(inputs)
    alpha = layers.Dense(2, name="alpha", kernel_initializer="zeros")(inputs)
    model = keras.Model(inputs, {"zeta": zeta, "alpha": alpha})  # predicts zeros
    model.compile("sgd", loss=["mse", "mae"], loss_weights=[1.0, 10.0], metrics=["mse", None])
    logs = model.evaluate(x, {"alpha": y, "zeta": 3 * y}, verbose=0, return_dict=True)
    alpha_mse, zeta_mae = float(np.mean(y**2)), float(np.mean(np.abs(3 * y)))
    assert sorted(logs) == ["alpha_loss", "alpha_mse", "loss", "zeta_loss"]
    assert logs["alpha_loss"] == pytest.approx(alpha_mse, rel=1e-6)
    assert logs["zeta_loss"] == pytest.approx(zeta_mae, rel=1e-6)
    assert logs["loss"] == pytest.approx(alpha_mse + 10.0 * zeta_mae, rel=1e-6)
    # The per-output losses are listed in sorted order too when one loss list serves all.
    assert model.evaluate(x, {"alpha": y, "zeta": 3 * y}, verbose=0)[:3] == [
        logs["loss"],
        logs["alpha_loss"],
        logs["zeta_loss"],
    ]
