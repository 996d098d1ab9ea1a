"""The progress bar (`minikeras.utils.progbar`) against Keras 3's exact text.

Reference outputs come from tests/fixtures/callbacks.json, written by
tests/fixtures/generate_callbacks.py: real Keras `Progbar` calls with a fake clock, and every
character they wrote. On a terminal with colour our output must equal Keras's with the
backspaces removed (Keras erases with backspaces and a carriage return; we only need the
carriage return). Elsewhere we print only the finished lines, which must equal what Keras's
output looks like once a terminal has drawn it, without colour codes.
"""

import contextlib
import io
import json
import pathlib
import re
import sys

import pytest

from minikeras.utils import progbar
from minikeras.utils.progbar import Progbar, format_eta, format_time_per_unit, format_value

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "callbacks.json").read_text())
CASES = {case["name"]: case for case in FIXTURE["progbar"]}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class TerminalStream(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar, "_clock", fake)
    return fake


# pytest puts its own sys.stdout back between fixture setup and the test, so the fixtures
# only make the streams; `stdout_to` installs one inside the test.
@pytest.fixture
def terminal(monkeypatch):
    """A colour terminal."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return TerminalStream()


@pytest.fixture
def pipe(monkeypatch):
    """Not a terminal (a file, a pipe)."""
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    return io.StringIO()


def stdout_to(stream):
    return contextlib.redirect_stdout(stream)


def plain(text):
    """Keras's text without colour: the (white) unfilled part drawn with a thin line."""
    text = re.sub(r"\x1b\[37m(━*)\x1b\[0m", lambda m: "─" * len(m.group(1)), text)
    return ANSI.sub("", text)


def rendered(text):
    """What a terminal shows for `text`, without colour: each finished line as left by its
    last carriage return, without trailing blanks. An unfinished last line is dropped."""
    lines = plain(text.replace("\b", "")).split("\n")[:-1]
    return "".join(line.rsplit("\r", 1)[-1].rstrip(" ") + "\n" for line in lines)


def replay(case, clock, stream):
    clock.now = 1000.0
    with stdout_to(stream):
        bar = Progbar(**case["kwargs"])
        for now, current, values, finalize in case["updates"]:
            clock.now = now
            pairs = [tuple(pair) for pair in values]
            if case["method"] == "add":
                bar.add(current, pairs)
            else:
                bar.update(current, pairs, finalize=finalize)


@pytest.mark.parametrize("name", sorted(CASES))
def test_terminal_output_is_keras_output(name, clock, terminal):
    case = CASES[name]
    replay(case, clock, terminal)
    assert terminal.getvalue() == case["output"].replace("\b", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_non_terminal_prints_only_finished_lines(name, clock, pipe):
    case = CASES[name]
    replay(case, clock, pipe)
    output = pipe.getvalue()
    assert output == rendered(case["output"])
    assert "\r" not in output and "\b" not in output and "\x1b" not in output


def test_non_terminal_prints_one_line_per_bar(clock, pipe):
    replay(CASES["averaged"], clock, pipe)
    assert pipe.getvalue() == (
        "10/10 ━━━━━━━━━━━━━━━━━━━━ 0s 12ms/step - loss: 0.1000 - accuracy: 0.9000\n"
    )


def test_no_color_on_a_terminal_redraws_without_escape_codes(clock, terminal, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    case = CASES["averaged"]
    replay(case, clock, terminal)
    output = terminal.getvalue()
    assert "\x1b" not in output
    assert output.count("\r") == case["output"].count("\r")
    assert output == plain(case["output"].replace("\b", ""))
    assert "\r 6/10 ━━━━━━━━━━━━──────── 0s 12ms/step" in output


def test_empty_no_color_keeps_colour(clock, terminal, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value counts
    replay(CASES["averaged"], clock, terminal)
    assert "\x1b[32m" in terminal.getvalue()


def test_dumb_terminal_gets_no_colour(clock, terminal, monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    replay(CASES["averaged"], clock, terminal)
    assert "\x1b" not in terminal.getvalue()


def test_final_line_for_hand_computed_values(clock, pipe):
    with stdout_to(pipe):
        bar = Progbar(target=10, stateless_metrics=())
        for step in range(1, 11):
            clock.now = 1000.0 + 0.012 * step  # 12 ms per step
            bar.update(step, [("loss", 0.3663), ("accuracy", 0.9)])
    assert pipe.getvalue() == (
        "10/10 ━━━━━━━━━━━━━━━━━━━━ 0s 12ms/step - loss: 0.3663 - accuracy: 0.9000\n"
    )


def test_averaged_values_are_weighted_by_steps(clock, pipe):
    # Without stateful names every value is averaged over the steps it covers:
    # (1.0 * 1 + 0.4 * 3) / 4 = 0.55 at step 4; a finalizing update shows its value as is.
    with stdout_to(pipe):
        bar = Progbar(target=8)
        clock.now = 1000.1
        bar.update(1, [("loss", 1.0)])
        clock.now = 1000.4
        bar.update(4, [("loss", 0.4)])
        assert bar._values["loss"] == [pytest.approx(2.2), 4]
        clock.now = 1000.8
        bar.update(8, [("loss", 0.1)])
    assert pipe.getvalue().endswith(" - loss: 0.1000\n")


def test_verbose_2_prints_one_line_at_the_end(clock, pipe):
    with stdout_to(pipe):
        bar = Progbar(target=4, verbose=2, stateless_metrics=())
        for step in range(1, 5):
            clock.now = 1000.0 + 1.5 * step
            bar.update(step, [("loss", 0.25), ("val_loss", -0.5)])
            if step < 4:
                assert pipe.getvalue() == ""
    # 6 s elapsed, 1.5 s/step rounds to 2s/step. A negative value uses .4f as in verbose 1
    # (Keras's verbose 2 compares the signed value and would print -5.0000e-01).
    assert pipe.getvalue() == "4/4 - 6s - 2s/step - loss: 0.2500 - val_loss: -0.5000\n"


def test_verbose_0_prints_nothing(clock, terminal):
    with stdout_to(terminal):
        bar = Progbar(target=3, verbose=0)
        for step in range(1, 4):
            bar.update(step, [("loss", 1.0)])
    assert terminal.getvalue() == ""


@pytest.mark.parametrize(
    "value, text",
    [
        (0.3663, "0.3663"),
        (12.5, "12.5000"),
        (-0.25, "-0.2500"),
        (0.0011, "0.0011"),
        (0.001, "1.0000e-03"),  # not above 1e-3
        (-0.0005, "-5.0000e-04"),
        (0.0, "0.0000e+00"),
        (float("nan"), "nan"),
        (3, "3.0000"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, " 0s/step"),
        (1.0, " 1s/step"),
        (2.6, " 3s/step"),
        (0.999, " 999ms/step"),
        (0.001, " 1ms/step"),
        (0.0009, " 900us/step"),
        (4e-5, " 40us/step"),
    ],
)
def test_format_time_per_unit(seconds, text):
    assert format_time_per_unit(seconds) == text


def test_format_time_per_unit_names_the_unit():
    assert format_time_per_unit(0.02, "sample") == " 20ms/sample"


@pytest.mark.parametrize(
    "seconds, text",
    [(45.9, "45s"), (60.0, "60s"), (61.0, "1:01"), (3600.0, "60:00"), (3725.7, "1:02:05")],
)
def test_format_eta(seconds, text):
    assert format_eta(seconds) == text


def test_stateful_and_stateless_together_is_an_error():
    with pytest.raises(ValueError, match="Only one of"):
        Progbar(target=3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_stream_that_cannot_encode_the_bar_falls_back_to_ascii(clock, pipe):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    with stdout_to(stream):
        bar = Progbar(target=2, stateless_metrics=())
        clock.now = 1000.5
        bar.update(1, [("loss", 0.5)])
        clock.now = 1001.0
        bar.update(2, [("loss", 0.25)])
    stream.flush()
    assert raw.getvalue().decode("ascii") == (
        "2/2 ==================== 1s 500ms/step - loss: 0.2500\n"
    )
