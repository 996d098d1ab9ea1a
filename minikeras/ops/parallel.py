"""One worker thread that shares independent pieces of work with the calling thread.

Used by the blocked batch normalisation (`layers/normalization/blocked.py`), the blocked
bias and relu of convolutions (`layers/convolutional/blocked_bias.py`), max pooling over
large batches (`_conv_fast.for_each_batch_block`) and the recurrent layers' backward pass
(`layers/rnn/fused.py`, which hands pieces to `worker()` itself). Numpy and BLAS release the
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

BLAS calls in the pieces (the blocked convolution, `_conv_fast.py`). OpenBLAS spreads each
call over its own threads; two threads each making calls would then run four BLAS threads
on two cores, slower than one thread making all the calls (measured: a 65536x144 by 144x32
product in two halves, 5.2 ms on two threads against 3.5 ms for the whole on one). So
`for_each(..., blas=True)` shares pieces only while BLAS runs each call on its calling
thread (`use_one_blas_thread`): inside `fit`, `evaluate` and `predict` (and custom loops
wrapped in `keep_one_blas_thread`), numpy's OpenBLAS is told to use one thread from the
first such block to the end of the loop; the environment may also set one thread
(`OPENBLAS_NUM_THREADS=1` or `OMP_NUM_THREADS=1`). Otherwise (outside a loop, another
BLAS library, or one minikeras cannot find) every piece runs here, with BLAS's own threads.
The setting is the process's: a BLAS call made meanwhile by another thread of the program
runs on one thread too (same numbers, less speed).
"""

import contextlib
import ctypes
import glob
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


def for_each(body, parts, share, blas=False):
    """Calls `body(i, part)` for each `part` of the list `parts` (its `i`-th).

    Args:
        body: a function whose calls write to disjoint places.
        parts: the list of pieces.
        share: whether the work is large enough to hand half of the pieces to the
            worker thread (it is, only on a machine with a second core).
        blas: whether the pieces make BLAS calls: then they are shared only while BLAS
            runs each call on its calling thread (see the module docstring).
    """
    if not share or len(parts) < 2 or not has_second_core():
        _each(body, parts, 0, len(parts))
        return
    if blas and not use_one_blas_thread():
        _each(body, parts, 0, len(parts))
        return
    _share(body, parts)


def _share(body, parts):
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


# -- BLAS threads ---------------------------------------------------------------------------
_blas = None  # (get_num_threads, set_num_threads) of numpy's OpenBLAS, or () when not found
_blas_lock = threading.Lock()
_blas_loops = 0  # loops inside `keep_one_blas_thread`
_blas_threads_before = None  # what the outermost loop puts back; None when nothing changed


def _openblas_thread_functions():
    """`(get_num_threads, set_num_threads)` of the OpenBLAS that numpy's wheel ships (in the
    `numpy.libs` folder beside the package), or `()` when there is none to be found."""
    import numpy

    folder = os.path.dirname(numpy.__file__) + ".libs"
    for path in sorted(glob.glob(os.path.join(folder, "lib*openblas*.so*"))):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (
            ("scipy_openblas", "64_"),
            ("scipy_openblas", ""),
            ("openblas", "64_"),
            ("openblas", ""),
        ):
            get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            set_ = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and set_ is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return get, set_
    return ()


def _blas_functions():
    """numpy's OpenBLAS thread functions, looked for on first use (`()` when not found)."""
    global _blas
    if _blas is None:
        _blas = _openblas_thread_functions()
    return _blas


def environment_sets_one_blas_thread():
    """Whether the environment tells BLAS to use a single thread."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    return any(os.environ.get(name) == "1" for name in names)


@contextlib.contextmanager
def keep_one_blas_thread():
    """Inside (a `fit`, `evaluate` or `predict` loop, or a custom training loop wrapped in
    it), blocks of work that make BLAS calls may run on two threads: the first such block
    tells numpy's OpenBLAS to run each call on its calling thread, and the loop's end puts
    the previous number of threads back. A loop that runs no such block leaves BLAS alone.

    Why a whole loop: after each call on several threads, OpenBLAS's threads keep spinning
    on the cores for a while (measured: over 0.1 s) waiting for the next call. Two threads of
    ours starting then share two cores with a spinning one: a blocked convolution took 18 ms
    alone and 31 ms right after a 512x512 product on two BLAS threads. Within a loop every
    step needs one thread again soon, so the loop keeps it, and no BLAS thread spins.
    """
    global _blas_loops, _blas_threads_before
    with _blas_lock:
        _blas_loops += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_loops -= 1
            if _blas_loops == 0 and _blas_threads_before is not None:
                _blas[1](_blas_threads_before)
                _blas_threads_before = None


def blas_work_can_share():
    """Whether `for_each(..., blas=True)` would now share pieces between two threads: a
    second core, and BLAS on one thread (set by the environment, or inside a
    `keep_one_blas_thread` loop with numpy's OpenBLAS found)."""
    if not has_second_core():
        return False
    return environment_sets_one_blas_thread() or (bool(_blas_functions()) and _blas_loops > 0)


def use_one_blas_thread():
    """Makes BLAS run each call on its calling thread, when that can be arranged.

    Returns:
        True when BLAS calls from two threads now run side by side: the environment sets
        one BLAS thread (`OPENBLAS_NUM_THREADS=1` or `OMP_NUM_THREADS=1`), or a
        `keep_one_blas_thread` loop is running and numpy's OpenBLAS was told to use one
        thread (until the loop ends). False otherwise: BLAS keeps its own threads, and the
        caller makes its BLAS calls from one thread.
    """
    global _blas_threads_before
    if environment_sets_one_blas_thread():
        return True
    with _blas_lock:
        blas = _blas_functions()
        single = bool(blas) and _blas_loops > 0
        if single and _blas_threads_before is None and blas[0]() != 1:
            _blas_threads_before = blas[0]()
            blas[1](1)
    return single
