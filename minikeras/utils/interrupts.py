"""Keeping Ctrl-C from interrupting an update halfway through the weights."""

import signal
import threading
from contextlib import contextmanager


class InterruptGuard:
    """Delays a KeyboardInterrupt that arrives inside `critical()` until it has finished.

    The optimizer updates the variables one by one; an interrupt in the middle would leave
    some updated and some not. `fit` installs the guard once (`with guard:`) and wraps each
    update in `with guard.critical():`. Outside a critical section Ctrl-C interrupts at once,
    as usual. Only the main thread can install signal handlers; elsewhere the guard does
    nothing.
    """

    def __init__(self):
        self._active = False
        self._in_critical = False
        self._pending = False
        self._previous = None
        self._critical_section = _CriticalSection(self)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._active = True
        return self

    def __exit__(self, *exc_info):
        if self._active:
            signal.signal(signal.SIGINT, self._previous)
            self._active = False
        return False

    def _handle(self, signum, frame):
        if self._in_critical:
            self._pending = True
        else:
            raise KeyboardInterrupt

    def critical(self):
        """Context manager: a KeyboardInterrupt inside it is raised when it ends."""
        return self._critical_section


class _CriticalSection:
    """`InterruptGuard.critical()`: a plain class, as it is entered once per training step
    (a generator-based context manager costs several times more)."""

    def __init__(self, guard):
        self.guard = guard

    def __enter__(self):
        self.guard._in_critical = True

    def __exit__(self, exc_type, exc_value, traceback):
        guard = self.guard
        guard._in_critical = False
        if exc_type is None and guard._pending:  # an error in the block propagates first
            guard._pending = False
            raise KeyboardInterrupt
        return False


@contextmanager
def defer_keyboard_interrupt():
    """A one-off critical section (installs and removes the handler around the block)."""
    guard = InterruptGuard()
    with guard, guard.critical():
        yield
