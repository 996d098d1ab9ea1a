"""tqdm in training: `callbacks.TqdmProgressBar`, and tqdm's own `TqdmCallback` on minikeras."""

import io
import sys
from typing import ClassVar

import numpy as np
import pytest

import minikeras as keras

pytest.importorskip("tqdm")  # a declared dependency of minikeras: always there


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


X = np.ones((32, 3), "float32")
Y = np.ones(32, "float32")


class RecordingBar:
    """Stands in for `tqdm.auto.tqdm`, keeping what each bar was told."""

    made: ClassVar[list] = []

    def __init__(self, **kwargs):
        self.kwargs, self.n, self.postfix, self.closed = kwargs, 0, None, False
        RecordingBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def set_postfix(self, values, refresh=True):
        self.postfix = dict(values)

    def close(self):
        self.closed = True


@pytest.fixture
def bars(monkeypatch):
    import tqdm.auto

    RecordingBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    return RecordingBar.made


def test_tqdm_progress_bar_draws_an_epoch_bar_and_a_batch_bar_per_epoch(bars, capsys):
    model = small_model()
    history = model.fit(
        X,
        Y,
        epochs=2,
        batch_size=8,
        validation_split=0.25,
        verbose=1,
        callbacks=[keras.callbacks.TqdmProgressBar()],
    )
    assert capsys.readouterr().out == ""  # it replaces the default text bar
    epoch_bar, first, second = bars
    assert epoch_bar.kwargs == {"total": 2, "initial": 0, "unit": "epoch", "desc": "Training"}
    assert epoch_bar.n == 2 and epoch_bar.closed
    assert epoch_bar.postfix == {
        key: f"{values[-1]:.4f}" for key, values in history.history.items()
    }
    assert [bar.kwargs["desc"] for bar in (first, second)] == ["Epoch 1/2", "Epoch 2/2"]
    assert first.kwargs["total"] == 3 and first.n == 3 and first.closed
    assert sorted(first.postfix) == ["loss", "mae"]


def test_tqdm_progress_bar_verbose_2_draws_only_the_epoch_bar_and_0_nothing(bars):
    model = small_model()
    model.fit(X, Y, epochs=3, verbose=2, callbacks=[keras.callbacks.TqdmProgressBar()])
    assert [bar.kwargs["unit"] for bar in bars] == ["epoch"]
    assert bars[0].n == 3
    bars.clear()
    model.fit(X, Y, epochs=3, verbose=0, callbacks=[keras.callbacks.TqdmProgressBar()])
    assert bars == []


def test_tqdm_progress_bar_counts_from_initial_epoch(bars):
    model = small_model()
    model.fit(
        X, Y, epochs=4, initial_epoch=3, verbose=2, callbacks=[keras.callbacks.TqdmProgressBar()]
    )
    assert bars[0].kwargs["initial"] == 3 and bars[0].n == 1


def test_tqdm_progress_bar_for_evaluate_and_predict_and_passes_tqdm_options(bars):
    model = small_model()
    callback = keras.callbacks.TqdmProgressBar(ncols=60)
    model.evaluate(X, Y, batch_size=16, verbose=1, callbacks=[callback])
    model.predict(X, batch_size=8, verbose=1, callbacks=[callback])
    evaluate_bar, predict_bar = bars
    assert evaluate_bar.kwargs["desc"] == "Evaluate" and evaluate_bar.n == 2
    assert sorted(evaluate_bar.postfix) == ["loss", "mae"]
    assert predict_bar.kwargs["desc"] == "Predict" and predict_bar.n == 4
    assert evaluate_bar.kwargs["ncols"] == predict_bar.kwargs["ncols"] == 60


def test_tqdm_progress_bar_writes_a_real_tqdm_bar():
    stream = io.StringIO()
    model = small_model()
    model.fit(
        X,
        Y,
        epochs=2,
        batch_size=8,
        verbose=1,
        callbacks=[keras.callbacks.TqdmProgressBar(file=stream, mininterval=0)],
    )
    text = stream.getvalue()
    assert "Training: 100%" in text and "2/2" in text and "loss=" in text


def test_tqdm_keras_callback_runs_on_minikeras_aliased_as_keras(monkeypatch):
    # tqdm.keras imports `keras`; aliasing minikeras there is all it takes.
    monkeypatch.setitem(sys.modules, "keras", keras)
    monkeypatch.delitem(sys.modules, "tqdm.keras", raising=False)
    from tqdm.keras import TqdmCallback

    stream = io.StringIO()
    callback = TqdmCallback(verbose=2, file=stream, mininterval=0)
    assert isinstance(callback, keras.callbacks.Callback)
    small_model().fit(X, Y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    assert callback.epoch_bar.n == 2
    assert "2/2" in stream.getvalue() and "loss=" in stream.getvalue()
