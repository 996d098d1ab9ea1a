"""`History.plot` / `keras.utils.plot_history`: the curves' data, the optional matplotlib."""

import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras.utils.history_plot import history_curves


def fitted_history(epochs=4, validation_freq=1):
    keras.utils.set_random_seed(1)
    x = np.random.rand(32, 3).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    return model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=8,
        validation_split=0.25,
        validation_freq=validation_freq,
        verbose=0,
    )


def test_history_curves_pair_each_metric_with_its_validation_values():
    history = fitted_history()
    curves = history_curves(history)
    assert list(curves) == [name for name in history.history if not name.startswith("val_")]
    assert curves["loss"]["train"] == ([1, 2, 3, 4], history.history["loss"])
    assert curves["loss"]["val"] == ([1, 2, 3, 4], history.history["val_loss"])
    assert history_curves(history.history, "accuracy") == {"accuracy": curves["accuracy"]}


def test_history_curves_place_validation_values_at_the_epochs_that_ran_validation():
    history = fitted_history(epochs=5, validation_freq=2)
    curves = history_curves(history, ["loss"])
    assert curves["loss"]["train"][0] == [1, 2, 3, 4, 5]
    assert curves["loss"]["val"] == ([2, 4], history.history["val_loss"])
    with pytest.raises(ValueError, match="pass the History object"):
        history_curves(history.history, ["loss"])


def test_history_curves_start_at_initial_epoch():
    history = fitted_history(epochs=2)
    model = history.model
    x = np.ones((8, 3), "float32")
    later = model.fit(x, np.ones(8, "float32"), epochs=4, initial_epoch=2, verbose=0)
    assert history_curves(later)["loss"]["train"][0] == [3, 4]
    assert history_curves(later)["loss"]["val"] is None


def test_plot_history_names_unknown_metrics_and_bad_histories():
    history = fitted_history(epochs=1)
    with pytest.raises(ValueError, match=r"no metric 'acc' in this history; it has \[.*'accuracy'"):
        keras.utils.plot_history(history, metrics="acc")
    with pytest.raises(ValueError, match="no metric 'val_loss'"):
        keras.utils.plot_history(history, metrics=["val_loss"])
    with pytest.raises(TypeError, match="History returned by fit"):
        keras.utils.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="empty"):
        keras.utils.plot_history({})


def test_plot_history_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    history = fitted_history(epochs=1)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"pip install minikeras\[plot\]"):
        history.plot(to_file=tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


def test_plot_history_draws_train_and_val_lines_in_one_subplot_per_metric(tmp_path):
    pytest.importorskip("matplotlib")
    history = fitted_history(epochs=5, validation_freq=2)
    figure = history.plot(to_file=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")
    axes = {axis.get_title(): axis for axis in figure.axes}
    assert sorted(axes) == ["accuracy", "loss"]
    lines = {line.get_label(): line for line in axes["loss"].get_lines()}
    assert sorted(lines) == ["loss", "val_loss"]
    assert list(lines["val_loss"].get_xdata()) == [2, 4]
    np.testing.assert_allclose(lines["loss"].get_ydata(), history.history["loss"])
