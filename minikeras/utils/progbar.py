"""`Progbar`: the progress bar `fit`, `evaluate` and `predict` print (`keras.utils.Progbar`).

The text is Keras 3's, character for character:

    10/10 ━━━━━━━━━━━━━━━━━━━━ 0s 12ms/step - accuracy: 0.9000 - loss: 0.3663

(`verbose=1`; while running, the time column is the ETA instead of the elapsed time), and
with `verbose=2` one line at the end:

    10/10 - 0s - 12ms/step - accuracy: 0.9000 - loss: 0.3663

Two things differ from Keras, on purpose:
- When standard output is not a terminal (a log file, a pipe, pytest's capture), the bar is
  not redrawn: only the finished line is printed. Keras writes every redraw with
  backspaces and carriage returns, which fills log files with garbage.
- Colours (bold counts, a green filled part) are used only on a terminal and only when the
  `NO_COLOR` environment variable is unset or empty (https://no-color.org). Without colour,
  the unfilled part of a running bar is drawn with a thin line `─` so it stays visible.
"""

import math
import os
import sys
import time

import numpy as np

from minikeras.utils import io_utils

__all__ = ["Progbar"]

# Read through the module global so tests can substitute a fake clock.
_clock = time.monotonic

_FILLED = "━"
_UNFILLED_PLAIN = "─"

# ANSI styles Keras uses: bold, green, white.
_BOLD, _GREEN, _WHITE = "1", "32", "37"


def _is_interactive(stream):
    """Whether `stream` redraws a line on a carriage return (a terminal or a notebook)."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        pass
    return "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _colour_allowed():
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def write_text(text):
    """Writes `text` to the current `sys.stdout` and flushes (what callbacks print with);
    with interactive logging off, logs it instead (see `utils/io_utils.py`)."""
    if not io_utils.is_interactive_logging_enabled():
        text = text.strip("\r\n")
        if text:
            io_utils.log_info(text)
        return
    stream = sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        # A stream that cannot encode the bar characters (e.g. latin-1): fall back to ASCII.
        text = text.replace(_FILLED, "=").replace(_UNFILLED_PLAIN, ".")
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()


def format_value(value):
    """A metric value as the bar shows it: `.4f` when |value| > 1e-3, else `.4e`."""
    if not isinstance(value, float):
        try:
            value = float(np.mean(value))
        except (TypeError, ValueError):
            return str(value)
    if abs(value) > 1e-3:
        return f"{value:.4f}"
    return f"{value:.4e}"


def format_time_per_unit(seconds, unit_name="step"):
    """`' 12ms/step'`: seconds per unit in s, ms or us, with a leading space (Keras's)."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def format_eta(seconds):
    """Remaining time: `'1:02:03'` above an hour, `'2:03'` above a minute, else `'45s'`."""
    if seconds > 3600:
        hours, rest = int(seconds // 3600), seconds % 3600
        return f"{hours}:{int(rest // 60):02d}:{int(rest % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """Displays a progress bar.

    Args:
        target: total number of steps, or None if unknown.
        width: the bar's width in characters.
        verbose: 0 (silent), 1 (a bar), 2 (one line when finished).
        interval: minimum seconds between two redraws on a terminal.
        stateful_metrics: names of values shown as given. The others are averaged over the
            steps seen so far. Give this or `stateless_metrics`, not both.
        stateless_metrics: names of values that are averaged; the others are shown as
            given. (`fit` passes an empty set: its values are already running means.)
        unit_name: what a step is called in the `ms/step` column.

    Example:
        >>> bar = Progbar(target=10)
        >>> for step in range(10):
        ...     bar.update(step + 1, [("loss", 0.5)])
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` (names shown as given; the others are "
                "averaged) or `stateless_metrics` (names averaged; the others shown as given) "
                "can be set."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = (
            None if stateless_metrics is not None else set(stateful_metrics or ())
        )
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)

        # A log gets the finished lines only, as a file does.
        self._dynamic_display = io_utils.is_interactive_logging_enabled() and _is_interactive(
            sys.stdout
        )
        self._colour = self._dynamic_display and _colour_allowed()
        self._seen_so_far = 0
        # name -> [weighted sum, weight]; a stateful value is stored as [value, 1].
        self._values = {}
        self._start = _clock()
        self._last_update = float("-inf")
        self._time_after_first_step = None
        self._previous_width = 0

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step `current` and records the latest values.

        Args:
            current: the index of the current step (1 after the first step).
            values: a list of `(name, value)` pairs for the step just done.
            finalize: whether this is the last update; by default, `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        for name, value in values or ():
            if not self._averaged(name) or finalize:
                self._values[name] = [value, 1]
            else:
                # Weight by the steps since the last update, so skipped updates still count.
                weight = max(current - self._seen_so_far, 1)
                entry = self._values.get(name)
                if entry is None:
                    self._values[name] = [value * weight, weight]
                else:
                    entry[0] += value * weight
                    entry[1] += weight
        self._seen_so_far = current

        now = _clock()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if not finalize and (
                not self._dynamic_display or now - self._last_update < self.interval
            ):
                return
            self._draw_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            write_text(self._summary_line(current, now, time_per_unit) + "\n")
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    # -- text --------------------------------------------------------------------------------
    def _render(self, segments):
        """Joins `(text, style)` segments, with ANSI styles when colour is on."""
        if not self._colour:
            return "".join(text for text, _ in segments)
        return "".join(f"\x1b[{style}m{text}\x1b[0m" if style else text for text, style in segments)

    def _metrics_text(self):
        parts = []
        for name, (total, count) in self._values.items():
            # An array value (rare) shows its mean, as Keras does.
            value = total if count == 1 else np.mean(total) / count
            parts.append(f" - {name}: {format_value(value)}")
        return "".join(parts)

    def _draw_bar(self, current, now, time_per_unit, finalize):
        segments = []
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            segments.append((f"{current:{digits}d}/{self.target}", _BOLD))
            segments.append((" ", None))
            filled = int(self.width * (float(current) / self.target))
            if filled > 0:
                segments.append((_FILLED * filled, _GREEN))
            unfilled = max(self.width - filled, 0)
            segments.append(((_FILLED if self._colour else _UNFILLED_PLAIN) * unfilled, _WHITE))
            if not finalize:
                clock_text = format_eta(time_per_unit * (self.target - current))
            else:
                clock_text = f"{now - self._start:.0f}s"
        else:
            segments.append((f"{current:7d}/Unknown", None))
            clock_text = f"{now - self._start:.0f}s"
        segments.append((" ", None))
        segments.append((clock_text, _BOLD))
        segments.append((format_time_per_unit(time_per_unit, self.unit_name), None))
        segments.append((self._metrics_text(), None))

        line = self._render(segments)
        width = sum(len(text) for text, _ in segments)
        if not self._dynamic_display:
            write_text(line + "\n")
            return
        # Redraw in place; blank out what is left of a longer previous line.
        padding = " " * max(self._previous_width - width, 0)
        write_text("\r" + line + padding + ("\n" if finalize else ""))
        self._previous_width = width

    def _summary_line(self, current, now, time_per_unit):
        digits = int(math.log10(self.target)) + 1
        return (
            f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            f"{format_time_per_unit(time_per_unit, self.unit_name)}{self._metrics_text()}"
        )

    def _estimate_step_duration(self, current, now):
        """Seconds per step; the first step (often slow: warm-up) is left out once there
        are more steps to average over."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
