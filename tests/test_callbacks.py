"""Callbacks (`minikeras.callbacks`) against real Keras 3 behaviour, on a fake model.

tests/fixtures/callbacks.json (written by tests/fixtures/generate_callbacks.py) records what
Keras's callbacks did on scripted sequences of hook calls: epochs run, best values, learning
rates, files saved, CSV text, printed messages. The tests here run the same scripts, from
tests/fixtures/callbacks_scenarios.py, with minikeras, on the same fake model:
`stop_training`, an optimizer with a float `learning_rate`, weights that are one number, and
saving methods that write that number to the file (so what was saved can be read back).
Other tests check by hand what the fixture cannot: the order of a CallbackList, which hooks
it skips, errors and warnings.
"""

import contextlib
import io
import json
import math
import operator
import os
import pathlib
import re
import sys

import numpy as np
import pytest

import minikeras
from minikeras import callbacks
from minikeras.callbacks import callback_list as callback_list_module
from minikeras.utils import progbar
from tests.fixtures import callbacks_scenarios as shared
from tests.fixtures.callbacks_scenarios import FakeModel, printed

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "callbacks.json").read_text())


def ids(cases, key):
    return [str(case[key]) for case in cases]


# -- EarlyStopping -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case", FIXTURE["early_stopping"], ids=ids(FIXTURE["early_stopping"], "kwargs")
)
def test_early_stopping_matches_keras(case):
    assert shared.run_early_stopping(minikeras, case["kwargs"], case["values"]) == case


def test_early_stopping_auto_mode_follows_the_metric_direction():
    model = FakeModel()
    model.metrics = [type("Metric", (), {"name": "score", "_direction": "up"})()]
    callback = callbacks.EarlyStopping(monitor="val_score", patience=0)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate([0.5, 0.6, 0.4]):
        callback.on_epoch_end(epoch, {"val_score": value})
    assert callback.monitor_op is operator.gt
    assert model.stop_training and callback.stopped_epoch == 2


def test_early_stopping_warns_when_the_monitor_is_missing():
    callback = callbacks.EarlyStopping(monitor="val_loss")
    callback.set_model(FakeModel())
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="`val_loss` which is not available.*loss,accuracy"):
        callback.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.5})
    assert callback.best is None


def test_early_stopping_can_be_reused_across_fits():
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="loss", patience=0)
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_epoch_end(0, {"loss": 0.1})
    callback.on_epoch_end(1, {"loss": 0.2})
    assert model.stop_training
    model.stop_training = False
    callback.on_train_begin()
    callback.on_epoch_end(0, {"loss": 0.5})  # worse than the old best, but a fresh start
    assert callback.best == 0.5 and callback.stopped_epoch == 0 and not model.stop_training


# -- MonitorCallback ---------------------------------------------------------------------------
class Metric:
    def __init__(self, name, direction=None):
        self.name = name
        if direction is not None:
            self._direction = direction


class Container:
    """Like Keras's CompileMetrics: holds the metrics in a `metrics` list."""

    def __init__(self, metrics):
        self.metrics = metrics


@pytest.mark.parametrize(
    "monitor, metrics, expected",
    [
        ("val_loss", [], operator.lt),
        ("loss", [], operator.lt),
        ("val_accuracy", [], operator.gt),  # a guess from the name (Keras 3 would raise)
        ("auc", [], operator.gt),
        ("val_mean_absolute_error", [], operator.lt),
        ("val_score", [Metric("score", "up")], operator.gt),
        ("val_score", [Container([Metric("other", "up"), Metric("score", "down")])], operator.lt),
        ("accuracy", [Metric("accuracy", "down")], operator.lt),  # the metric's word wins
    ],
)
def test_monitor_auto_mode(monitor, metrics, expected):
    model = FakeModel()
    model.metrics = metrics
    callback = callbacks.MonitorCallback(monitor=monitor, min_delta=0.5)
    callback.set_model(model)
    callback._set_monitor_op()
    assert callback.monitor_op is expected
    assert callback.min_delta == (-0.5 if expected is operator.lt else 0.5)


def test_monitor_auto_mode_unknown_name_is_an_error():
    callback = callbacks.MonitorCallback(monitor="val_widgets")
    callback.set_model(FakeModel())
    with pytest.raises(ValueError, match=r"monitor='val_widgets'.*mode='max'"):
        callback._set_monitor_op()


def test_monitor_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="mode 'largest' is unknown"):
        callback = callbacks.MonitorCallback(mode="largest")
    assert callback.mode == "auto"


def test_monitor_is_improvement_with_min_delta():
    # The same checks Keras's own test makes.
    callback = callbacks.MonitorCallback(mode="max", min_delta=0.5)
    callback._set_monitor_op()
    assert callback._is_improvement(0.75, 0)
    assert callback._is_improvement(0.5, None)
    assert not callback._is_improvement(0.5, 0)
    assert not callback._is_improvement(0.2, 0.5)
    callback._set_monitor_op()  # setting it again must not flip min_delta's sign
    assert callback.min_delta == 0.5


# -- ReduceLROnPlateau -------------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["reduce_lr"], ids=ids(FIXTURE["reduce_lr"], "kwargs"))
def test_reduce_lr_on_plateau_matches_keras(case):
    assert shared.run_reduce_lr(minikeras, case["kwargs"], case["values"]) == case


def test_reduce_lr_stops_at_min_lr_stored_in_float32():
    # The optimizer keeps a float32: once at float32(min_lr), nothing more happens.
    class Float32Optimizer:
        def __init__(self):
            self._value = np.float32(0.01)

        @property
        def learning_rate(self):
            return self._value

        @learning_rate.setter
        def learning_rate(self, value):
            self._value = np.float32(value)

    model = FakeModel()
    model.optimizer = Float32Optimizer()
    callback = callbacks.ReduceLROnPlateau(patience=0, factor=0.1, min_lr=0.001, verbose=1)
    callback.set_model(model)
    callback.on_train_begin()
    _, output = printed(
        lambda: [callback.on_epoch_end(epoch, {"val_loss": 1.0}) for epoch in range(4)]
    )
    assert model.optimizer.learning_rate == np.float32(0.001)
    assert output.count("reducing learning rate") == 1


def test_reduce_lr_rejects_a_factor_of_one_or_more():
    with pytest.raises(ValueError, match=r"factor >= 1\.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_warns_about_ignored_arguments():
    with pytest.warns(UserWarning, match="ignores the arguments \\['epsilon'\\]"):
        callbacks.ReduceLROnPlateau(epsilon=1e-3)


def test_reduce_lr_warns_when_the_monitor_is_missing():
    callback = callbacks.ReduceLROnPlateau()
    callback.set_model(FakeModel())
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="`val_loss` which is not available"):
        callback.on_epoch_end(0, {"loss": 1.0})


# -- LearningRateScheduler ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    FIXTURE["scheduler"],
    ids=[f"{c['schedule']}-{c['verbose']}" for c in FIXTURE["scheduler"]],
)
def test_learning_rate_scheduler_matches_keras(case):
    assert shared.run_scheduler(minikeras, case["schedule"], case["verbose"]) == case


def test_learning_rate_scheduler_accepts_a_0d_array():
    model = FakeModel(learning_rate=0.1)
    callback = callbacks.LearningRateScheduler(lambda epoch, lr: np.asarray(lr * 0.5))
    callback.set_model(model)
    callback.on_epoch_begin(0)
    assert model.optimizer.learning_rate == 0.05
    assert type(model.optimizer.learning_rate) is float


def test_learning_rate_scheduler_rejects_a_non_number():
    callback = callbacks.LearningRateScheduler(lambda epoch: "fast")
    callback.set_model(FakeModel())
    with pytest.raises(ValueError, match=r"should be a float\. Got: 'fast'"):
        callback.on_epoch_begin(0)


def test_learning_rate_scheduler_does_not_hide_a_type_error_in_the_schedule():
    def broken(epoch, lr):
        return lr + "x"  # a bug in the user's schedule

    callback = callbacks.LearningRateScheduler(broken)
    callback.set_model(FakeModel())
    with pytest.raises(TypeError, match="unsupported operand"):
        callback.on_epoch_begin(0)


# -- CSVLogger ---------------------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["csv"])
def test_csv_logger_matches_keras(case, tmp_path):
    assert shared.run_csv(minikeras, case["runs"], tmp_path) == case


def test_csv_logger_appends_to_an_empty_file_with_a_header(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    callback = callbacks.CSVLogger(str(path), append=True)
    callback.on_train_begin()
    callback.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    callback.on_train_end()
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,0.5,0.75\r\n"


# -- ModelCheckpoint ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["checkpoint"], ids=ids(FIXTURE["checkpoint"], "kwargs"))
def test_model_checkpoint_matches_keras(case, tmp_path):
    assert shared.run_checkpoint(minikeras, case["kwargs"], case["epochs"], tmp_path) == case


def test_model_checkpoint_keeps_the_best_weights_in_the_file(tmp_path):
    path = tmp_path / "best.weights.h5"
    model = FakeModel()
    callback = callbacks.ModelCheckpoint(path, save_weights_only=True, save_best_only=True)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, val_loss in enumerate([0.9, 0.5, 0.7, 0.6]):
        model.weight = float(epoch)
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"val_loss": val_loss})
    assert path.read_text() == "1.0"  # the weights of the epoch with val_loss 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filepath": "w.h5", "save_weights_only": True}, "must end in `.weights.h5`"),
        ({"filepath": "model.weights.h5x"}, "must end in `.keras`"),
        ({"filepath": "m.keras", "save_freq": "batch"}, "Unrecognized save_freq: batch"),
    ],
)
def test_model_checkpoint_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        callbacks.ModelCheckpoint(**kwargs)


def test_model_checkpoint_accepts_a_path_object(tmp_path):
    assert callbacks.ModelCheckpoint(tmp_path / "m.keras").filepath == str(tmp_path / "m.keras")


def test_model_checkpoint_unknown_field_names_the_pattern(tmp_path):
    callback = callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    callback.set_model(FakeModel())
    callback.on_epoch_begin(0)
    with pytest.raises(KeyError, match=r"\{val_acc:.2f\}.keras.*val_acc"):
        callback.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.4})


def test_model_checkpoint_best_only_without_the_monitor_warns_and_saves(tmp_path):
    model = FakeModel()
    callback = callbacks.ModelCheckpoint(tmp_path / "m.keras", save_best_only=True)
    callback.set_model(model)
    callback.on_epoch_begin(0)
    with pytest.warns(UserWarning, match="only with val_loss available"):
        callback.on_epoch_end(0, {"loss": 0.5})
    assert len(model.saved) == 1


def test_model_checkpoint_best_only_by_batch_before_any_epoch_end(tmp_path):
    model = FakeModel()
    callback = callbacks.ModelCheckpoint(
        tmp_path / "m.keras", monitor="loss", save_best_only=True, save_freq=1
    )
    callback.set_model(model)
    callback.on_epoch_begin(0)
    for batch, loss in enumerate([0.5, 0.7, 0.4]):
        callback.on_train_batch_end(batch, {"loss": loss})
    assert len(model.saved) == 2  # batches 0 and 2 improved


def test_model_checkpoint_into_an_existing_directory_is_an_error(tmp_path):
    (tmp_path / "taken.keras").mkdir()
    callback = callbacks.ModelCheckpoint(tmp_path / "taken.keras")
    callback.set_model(FakeModel())
    callback.on_epoch_begin(0)
    with pytest.raises(OSError, match="non-directory filepath"):
        callback.on_epoch_end(0, {"val_loss": 0.5})


# -- TerminateOnNaN ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["terminate_on_nan"])
def test_terminate_on_nan_matches_keras(case):
    assert shared.run_terminate_on_nan(minikeras, case["losses"]) == case


def test_terminate_on_nan_can_raise():
    callback = callbacks.TerminateOnNaN(raise_error=True)
    callback.set_model(FakeModel())
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 3"):
        callback.on_train_batch_end(3, {"loss": math.nan})


# -- LambdaCallback ----------------------------------------------------------------------------
def test_lambda_callback_hooks_receive_keras_arguments():
    calls = []
    callback = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_end=lambda logs: calls.append(("train_end", logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    callback_list = callbacks.CallbackList([callback], model=FakeModel())
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    callback_list.on_train_batch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": np.float32(0.5)})
    callback_list.on_test_begin()
    callback_list.on_test_end({"loss": 0.25})
    callback_list.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25})
    callback_list.on_train_end({"loss": 0.5})
    assert calls == [
        ("train_begin", {}),
        ("epoch_begin", 0, {}),
        ("batch_end", 0, {"loss": 0.5}),
        ("test_end", {"loss": 0.25}),
        ("epoch_end", 0, {"loss": 0.5, "val_loss": 0.25}),
        ("train_end", {"loss": 0.5}),
    ]
    assert type(calls[2][2]["loss"]) is float


# -- BackupAndRestore --------------------------------------------------------------------------
@pytest.mark.parametrize("case", FIXTURE["backup"], ids=ids(FIXTURE["backup"], "save_freq"))
def test_backup_and_restore_matches_keras(case, tmp_path):
    arguments = (case["save_freq"], case["interrupt_epoch"], case["interrupt_batch"], tmp_path)
    record, resumed = shared.run_backup(minikeras, *arguments)
    assert record == case
    # Beyond Keras: a completed fit no longer pins where the next one starts.
    assert resumed._initial_epoch is None


def test_backup_by_batch_after_a_resume_records_the_current_epoch(tmp_path):
    callback = callbacks.BackupAndRestore(tmp_path, save_freq=2)
    model = FakeModel()
    model._initial_epoch = 3  # as after a restore
    callback.set_model(model)
    callback.on_epoch_begin(3)
    callback.on_train_batch_end(0, {})
    callback.on_train_batch_end(1, {})
    metadata = json.loads((tmp_path / "training_metadata.json").read_text())
    assert metadata == {"epoch": 3, "batch": 1}


def test_backup_deletes_only_its_own_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    callback = callbacks.BackupAndRestore(tmp_path)
    callback.set_model(FakeModel())
    callback.on_train_begin()
    callback.on_epoch_end(0, {})
    assert (tmp_path / "latest.weights.h5").exists()
    callback.on_train_end()
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_backup_can_keep_the_checkpoint(tmp_path):
    callback = callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    callback.set_model(FakeModel())
    callback.on_train_begin()
    callback.on_epoch_end(0, {})
    callback.on_train_end()
    assert (tmp_path / "b" / "training_metadata.json").exists()


def test_backup_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    callback = callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)
    model = FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch in range(2):
        model.weight = float(epoch) + 0.5
        callback.on_epoch_end(epoch, {})
    assert float((tmp_path / "latest.weights.h5.bkp").read_text()) == 0.5

    class Unreadable(FakeModel):
        def load_weights(self, filepath):
            if pathlib.Path(filepath).read_text() == "corrupt":
                raise OSError("corrupt file")
            super().load_weights(filepath)

    (tmp_path / "latest.weights.h5").write_text("corrupt")
    resumed = Unreadable(weight=-1.0)
    callback.set_model(resumed)
    callback.on_train_begin()
    assert resumed.weight == 0.5 and resumed._initial_epoch == 1


def test_backup_argument_errors():
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq=often"):
        callbacks.BackupAndRestore("/tmp/x", save_freq="often")


def test_backup_needs_a_built_model(tmp_path):
    model = FakeModel()
    model.built = False
    callback = callbacks.BackupAndRestore(tmp_path)
    callback.set_model(model)
    with pytest.raises(ValueError, match="must be built"):
        callback.on_train_begin()


# -- History and CallbackList ------------------------------------------------------------------
class Recorder(callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


def test_callback_list_matches_keras():
    record = shared.run_callback_list(minikeras)
    assert record == FIXTURE["callback_list"]
    assert all(type(v) is float for values in record["history"].values() for v in values)


def test_callback_list_keeps_user_history_and_progbar_in_place():
    history, logger, other = callbacks.History(), callbacks.ProgbarLogger(), Recorder()
    model = FakeModel()
    callback_list = callbacks.CallbackList(
        [history, logger, other],
        add_history=True,
        add_progbar=True,
        model=model,
        verbose=1,
        epochs=1,
        steps=1,
    )
    assert callback_list.callbacks == [history, logger, other]
    assert model.history is history
    assert all(cb.model is model for cb in callback_list.callbacks)
    assert logger.params == {"verbose": 1, "epochs": 1, "steps": 1}


def test_callback_list_flattens_and_checks_its_callbacks():
    a, b, c = Recorder(), Recorder(), Recorder()
    assert callbacks.CallbackList([a, [b, (c,)]]).callbacks == [a, b, c]
    assert callbacks.CallbackList(a).callbacks == [a]
    with pytest.raises(TypeError, match=r"must be a keras\.callbacks\.Callback instance.*str"):
        callbacks.CallbackList([a, "early_stopping"])


def test_callback_list_without_model_or_params():
    callback_list = callbacks.CallbackList([Recorder()])
    assert callback_list.model is None and callback_list.callbacks[0].params is None
    callback_list.on_epoch_end(0, {"loss": 1.0})  # no model needed to dispatch


class Counter(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


class OldStyle(callbacks.Callback):
    """Overrides the pre-`on_train_batch_*` names only."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def on_batch_end(self, batch, logs=None):
        self.batches.append((batch, logs))


def test_callback_list_skips_hooks_nobody_overrides():
    counter, old, lam = Counter(), OldStyle(), callbacks.LambdaCallback(on_test_end=print)
    callback_list = callbacks.CallbackList([counter, old, lam], add_history=True, model=FakeModel())
    listeners = callback_list._listeners
    history = callback_list.callbacks[-1]
    assert listeners["on_epoch_end"] == (counter, history)
    assert listeners["on_train_batch_end"] == (old,)  # through Callback's forwarding
    assert listeners["on_batch_end"] == (old,)
    assert listeners["on_test_end"] == (lam,)  # an instance attribute counts
    assert listeners["on_train_begin"] == (history,)
    for hook in (
        "on_train_batch_begin",
        "on_test_batch_end",
        "on_predict_batch_end",
        "on_predict_begin",
        "on_epoch_begin",
    ):
        assert listeners[hook] == ()
        assert not callback_list.listens(hook)
    assert callback_list.listens("on_train_batch_end") and callback_list.listens("on_test_end")
    late = OldStyle()
    callback_list.append(late)  # seen at once
    assert listeners is not callback_list._listeners
    assert callback_list._listeners["on_train_batch_end"] == (old, late)


def test_unused_batch_hooks_do_no_work(monkeypatch):
    callback_list = callbacks.CallbackList([Counter()], add_history=True, model=FakeModel())

    def fail(logs):
        raise AssertionError("logs converted for a hook nobody listens to")

    monkeypatch.setattr(callback_list_module, "python_logs", fail)
    callback_list.on_train_batch_begin(0)
    callback_list.on_train_batch_end(0, {"loss": 1.0})
    callback_list.on_test_batch_end(0, {"loss": 1.0})
    callback_list.on_predict_batch_end(0, {"outputs": np.zeros(3)})


def test_old_style_batch_hook_gets_train_batches():
    old = OldStyle()
    callback_list = callbacks.CallbackList([old], model=FakeModel())
    callback_list.on_train_batch_end(4, {"loss": np.float64(0.5)})
    assert old.batches == [(4, {"loss": 0.5})]


def test_callback_list_sees_callbacks_added_later():
    callback_list = callbacks.CallbackList([], model=FakeModel(), epochs=2)
    counter = Counter()
    callback_list.append(counter)
    assert counter.model is callback_list.model and counter.params == {"epochs": 2}
    callback_list.on_epoch_end(0)
    late = Counter()
    callback_list.callbacks.append(late)  # mutated directly: picked up at the next begin
    late.set_model(callback_list.model)
    callback_list.on_train_begin()
    callback_list.on_epoch_end(1)
    assert counter.epochs == [0, 1] and late.epochs == [1]


def test_logs_are_copied_sorted_flattened_and_shared_within_a_hook():
    seen = []

    class AddsKey(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

    class Sees(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    callback_list = callbacks.CallbackList([AddsKey(), Sees()], model=FakeModel())
    loop_logs = {
        "val_loss": np.array(0.25, dtype=np.float32),
        "loss": np.float32(0.5),
        "output": {"b_accuracy": np.int64(1)},
        "outputs": np.zeros(3),
    }
    callback_list.on_epoch_end(0, loop_logs)
    # Sorted by the outer keys, a nested dict's keys taking its place (as Keras does).
    assert list(seen[0]) == ["loss", "b_accuracy", "outputs", "val_loss", "extra"]
    assert seen[0]["loss"] == 0.5 and type(seen[0]["val_loss"]) is float
    assert type(seen[0]["b_accuracy"]) is float
    assert isinstance(seen[0]["outputs"], np.ndarray)
    assert "extra" not in loop_logs


def test_history_records_every_epoch():
    model = FakeModel()
    history = callbacks.History()
    history.set_model(model)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.75})
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [0.75]}
    assert history.epoch == [0, 1]
    assert model.history is history


# -- ProgbarLogger -----------------------------------------------------------------------------
class TerminalStream(io.StringIO):
    def isatty(self):
        return True


def replay_logger(case, stream, monkeypatch):
    clock = shared.FakeClock()
    monkeypatch.setattr(progbar, "_clock", clock.time)
    arguments = [case[key] for key in ("kind", "verbose", "epochs", "steps")]
    arguments += [case["step_seconds"], case["validation"]]
    with contextlib.redirect_stdout(stream):
        shared.drive_logger(minikeras, clock, *arguments)
    return stream.getvalue()


LOGGER_IDS = [f"{c['kind']}-v{c['verbose']}-e{c['epochs']}" for c in FIXTURE["progbar_logger"]]


@pytest.mark.parametrize("case", FIXTURE["progbar_logger"], ids=LOGGER_IDS)
def test_progbar_logger_on_a_terminal_matches_keras(case, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    output = replay_logger(case, TerminalStream(), monkeypatch)
    assert output == case["output"].replace("\b", "")


@pytest.mark.parametrize("case", FIXTURE["progbar_logger"], ids=LOGGER_IDS)
def test_progbar_logger_in_a_log_file_has_one_line_per_epoch(case, monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    output = replay_logger(case, io.StringIO(), monkeypatch)
    assert "\r" not in output and "\b" not in output and "\x1b" not in output
    # Keras's output as a terminal shows it, without colour.
    lines = case["output"].replace("\b", "").split("\n")[:-1]
    expected = "".join(
        re.sub(r"\x1b\[[0-9;]*m", "", line.rsplit("\r", 1)[-1]).rstrip(" ") + "\n" for line in lines
    )
    assert output == expected
    epochs = case["epochs"] if case["kind"].startswith("fit") else 1
    assert output.count("\n") == epochs * (2 if epochs > 1 else 1)


def test_progbar_logger_log_file_text_for_a_three_epoch_fit(monkeypatch):
    case = next(
        c
        for c in FIXTURE["progbar_logger"]
        if c["kind"] == "fit" and c["verbose"] == 1 and c["epochs"] == 3
    )
    output = replay_logger(case, io.StringIO(), monkeypatch)
    assert output.splitlines()[:2] == [
        "Epoch 1/3",
        "5/5 ━━━━━━━━━━━━━━━━━━━━ 0s 14ms/step - accuracy: 0.7143 - loss: 0.1667 - "
        "val_loss: 0.7500",
    ]


def test_progbar_logger_only_counts_steps():
    with pytest.raises(ValueError, match="count_mode='samples'"):
        callbacks.ProgbarLogger(count_mode="samples")
