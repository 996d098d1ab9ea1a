"""The shared worker thread of `ops/parallel.py`: who makes which call, and forked children."""

import multiprocessing
import threading

import numpy as np
import pytest

from minikeras.ops import parallel


def _calls(share, count):
    seen = []
    parallel.for_each(
        lambda i, part: seen.append((i, part, threading.get_ident())),
        list(range(10, 10 + count)),
        share,
    )
    return sorted(seen)


def test_for_each_shares_the_second_half_of_the_parts_with_one_worker_thread():
    seen = _calls(True, 5)
    assert [(i, part) for i, part, _ in seen] == [(i, 10 + i) for i in range(5)]
    here = threading.get_ident()
    assert {ident for i, _, ident in seen if i < 2} == {here}
    assert len({ident for i, _, ident in seen if i >= 2} - {here}) == 1


def test_for_each_makes_every_call_here_when_not_sharing_or_with_one_part():
    here = threading.get_ident()
    for share, count in ((False, 5), (True, 1)):
        assert {ident for _, _, ident in _calls(share, count)} == {here}


def test_for_each_passes_on_an_error_of_the_worker_thread():
    def body(i, part):
        if i == 1:
            raise ValueError("part 1")

    with pytest.raises(ValueError, match="part 1"):
        parallel.for_each(body, [0, 1], True)


def _in_a_child(queue):
    queue.put([i for i, _, _ in _calls(True, 4)])


def test_for_each_restarts_the_worker_thread_in_a_forked_child():
    _calls(True, 4)  # starts the worker here
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_a_child, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=30) == [0, 1, 2, 3]
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0


def test_on_one_core_every_piece_runs_on_the_calling_thread(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    threads = []
    parallel.for_each(lambda i, part: threads.append(threading.get_ident()), [0, 1, 2, 3], True)
    assert threads == [threading.get_ident()] * 4


def _fake_blas(monkeypatch, threads):
    """numpy's BLAS replaced by a counter: `threads[-1]` is the current number."""
    monkeypatch.setattr(parallel, "_blas", (lambda: threads[-1], threads.append))
    monkeypatch.setattr(parallel, "_blas_loops", 0)
    monkeypatch.setattr(parallel, "_blas_threads_before", None)
    monkeypatch.setattr(parallel, "has_second_core", lambda: True)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def _threads_used(blas=True):
    seen = []
    parallel.for_each(
        lambda i, part: seen.append(threading.get_ident()), list(range(4)), True, blas=blas
    )
    return len(set(seen))


def test_blas_work_is_shared_only_inside_a_loop_with_blas_on_one_thread(monkeypatch):
    """Pieces making BLAS calls go to two threads only while BLAS runs each call on its
    calling thread: inside a loop that keeps it so, or when the environment sets it."""
    threads = [2]
    _fake_blas(monkeypatch, threads)
    assert _threads_used() == 1 and threads == [2]  # outside a loop: BLAS left alone
    assert _threads_used(blas=False) == 2  # pieces without BLAS calls are shared anyway
    with parallel.keep_one_blas_thread():
        assert parallel.blas_work_can_share()
        assert _threads_used() == 2 and threads == [2, 1]
    assert threads == [2, 1, 2]  # put back when the loop ends

    monkeypatch.setattr(parallel, "_blas", ())  # a BLAS whose threads cannot be set
    with parallel.keep_one_blas_thread():
        assert not parallel.blas_work_can_share()
        assert _threads_used() == 1
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert parallel.blas_work_can_share()
    assert _threads_used() == 2


def test_a_loop_keeps_one_blas_thread_from_its_first_block_to_its_end(monkeypatch):
    threads = [2]
    _fake_blas(monkeypatch, threads)
    with parallel.keep_one_blas_thread():
        assert threads == [2]  # nothing changes until a block asks for one thread
        with parallel.keep_one_blas_thread():  # a loop inside (validation inside fit)
            for _ in range(3):
                single = parallel.use_one_blas_thread()
                assert single and threads[-1] == 1
                assert threads[-1] == 1  # kept between the blocks of the loop
        assert threads == [2, 1]  # the outer loop is still running
    assert threads == [2, 1, 2]
    with parallel.keep_one_blas_thread():
        pass
    assert threads == [2, 1, 2]  # a loop without blocks changes nothing


def test_fit_evaluate_and_predict_put_blas_threads_back(monkeypatch):
    """A model whose step runs blocked convolutions: BLAS runs on one thread during each
    loop and has its own threads back after it."""
    import minikeras as keras
    from minikeras.ops import _conv_fast

    threads = [2]
    _fake_blas(monkeypatch, threads)
    monkeypatch.setattr(_conv_fast, "_MIN_COLS_BYTES", 0)
    monkeypatch.setattr(_conv_fast, "_MAX_WASTE", float("inf"))
    monkeypatch.setattr(_conv_fast, "_BLOCK_BYTES", 1)  # blocks of 64 rows: several
    monkeypatch.setattr(_conv_fast, "_PARALLEL_BLOCKS", 2)
    model = keras.Sequential(
        [keras.Input((6, 6, 8)), keras.layers.Conv2D(4, 3), keras.layers.Flatten()]
    )
    model.compile("sgd", "mse")
    x, y = np.ones((4, 6, 6, 8), np.float32), np.zeros((4, 64), np.float32)
    model.fit(x, y, epochs=2, verbose=0)
    assert threads == [2, 1, 2]
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert threads == [2, 1, 2, 1, 2, 1, 2] and parallel._blas_loops == 0


def test_numpys_openblas_is_found_and_set():
    """With numpy's own OpenBLAS (the wheels ship it) the thread count really changes."""
    functions = parallel._openblas_thread_functions()
    if not functions:
        pytest.skip("numpy is not linked to a bundled OpenBLAS here")
    get, _ = functions
    before = get()
    with parallel.keep_one_blas_thread():
        single = parallel.use_one_blas_thread()
        assert single and get() == 1
    assert get() == before
