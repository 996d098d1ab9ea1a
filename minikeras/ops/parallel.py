"""One worker thread that shares independent pieces of work with the calling thread.

Used by the blocked batch normalisation (`layers/normalization/blocked.py`), the blocked
bias and relu of convolutions (`layers/convolutional/blocked_bias.py`) and by max pooling
over large batches (`_conv_fast.for_each_batch_block`). Numpy and BLAS release the
GIL inside each call on float arrays, so while this thread computes the first half of the
pieces, the worker computes the second half, on the machine's second core.

Contract.
- Assumes the pieces are independent: each call writes only its own places, so the order
  of the calls does not matter and the results are the same bits with or without the
  worker.
- Checks one thing itself, whether the machine has a second core (`has_second_core`);
  the caller says whether the work is large enough to share (handing pieces to another
  thread costs tens of microseconds).
- Falls back: when not told to share, on one core, or with fewer than two pieces, every
  call runs here. The worker is started on first use, and again in a forked child (which has no
  threads).
"""

import os
import threading

_helper = None  # one worker thread, started on first use
_helper_lock = threading.Lock()


def _forget_helper():
    global _helper, _helper_lock
    _helper, _helper_lock = None, threading.Lock()


# A forked child has no worker thread: it starts its own.
os.register_at_fork(after_in_child=_forget_helper)


def worker():
    """The worker thread's executor (a one-thread `ThreadPoolExecutor`), started on first use.

    For callers that hand the worker pieces of their own (the recurrent layers' weight
    gradients) rather than halves of a list; they keep the contract above.
    """
    global _helper
    with _helper_lock:
        if _helper is None:
            # Imported here: concurrent.futures costs about 20 ms at import.
            from concurrent.futures import ThreadPoolExecutor

            _helper = ThreadPoolExecutor(1, thread_name_prefix="minikeras-blocks")
        return _helper


def has_second_core():
    """Whether the worker thread can run beside the calling one."""
    return (os.cpu_count() or 1) >= 2


def for_each(body, parts, share):
    """Calls `body(i, part)` for each `part` of the list `parts` (its `i`-th).

    Args:
        body: a function whose calls write to disjoint places.
        parts: the list of pieces.
        share: whether the work is large enough to hand half of the pieces to the
            worker thread (it is, only on a machine with a second core).
    """
    if not share or len(parts) < 2 or not has_second_core():
        _each(body, parts, 0, len(parts))
        return
    helper = worker()
    half = len(parts) // 2
    second = helper.submit(_each, body, parts, half, len(parts))
    try:
        _each(body, parts, 0, half)
    finally:
        second.result()


def _each(body, parts, start, stop):
    for i in range(start, stop):
        body(i, parts[i])
