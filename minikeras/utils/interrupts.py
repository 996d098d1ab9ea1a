"""Keeping Ctrl-C from interrupting an update halfway through the weights."""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def defer_keyboard_interrupt():
    """Delays a KeyboardInterrupt until the block has finished.

    The optimizer updates the variables one by one; an interrupt in the middle would leave
    some updated and some not. Inside this block Ctrl-C is recorded and re-raised at its end.
    Only the main thread can install signal handlers; elsewhere the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []

    def remember(signum, frame):
        received.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
