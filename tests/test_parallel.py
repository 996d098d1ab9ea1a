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
    monkeypatch.setattr(parallel, "_blas_users", 0)
    monkeypatch.setattr(parallel, "_blas_loops", 0)
    monkeypatch.setattr(parallel, "_blas_threads_before", None)


def test_blas_work_is_shared_only_with_blas_on_one_thread(monkeypatch):
    """Pieces making BLAS calls go to two threads while BLAS runs each call on its calling
    thread; when BLAS's threads cannot be set (and the environment does not set one), every
    piece runs here."""
    threads = [2]
    _fake_blas(monkeypatch, threads)
    seen = []

    def run():
        seen.clear()
        parallel.for_each(
            lambda i, part: seen.append(threading.get_ident()), list(range(4)), True, blas=True
        )
        return set(seen)

    assert len(run()) == 2
    assert threads == [2, 1, 2]  # one thread during the work, the previous number after

    monkeypatch.setattr(parallel, "_blas", ())
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert run() == {threading.get_ident()}
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert len(run()) == 2


def test_one_blas_thread_puts_the_number_back_when_the_last_user_leaves(monkeypatch):
    threads = [3]
    _fake_blas(monkeypatch, threads)
    with parallel.one_blas_thread() as outer:
        with parallel.one_blas_thread() as inner:
            assert outer and inner and threads[-1] == 1
        assert threads[-1] == 1
    assert threads == [3, 1, 3]


def test_a_loop_keeps_one_blas_thread_from_its_first_block_to_its_end(monkeypatch):
    threads = [2]
    _fake_blas(monkeypatch, threads)
    with parallel.keep_one_blas_thread():
        assert threads == [2]  # nothing changes until a block asks for one thread
        for _ in range(3):
            with parallel.one_blas_thread():
                assert threads[-1] == 1
            assert threads[-1] == 1  # kept between the blocks of the loop
    assert threads == [2, 1, 2]
    with parallel.keep_one_blas_thread():
        pass
    assert threads == [2, 1, 2]  # a loop without blocks changes nothing


def test_fit_evaluate_and_predict_put_blas_threads_back(monkeypatch):
    """A model whose step runs blocked convolutions: BLAS is back to its own threads after
    each loop."""
    import minikeras as keras

    threads = [2]
    _fake_blas(monkeypatch, threads)
    from minikeras.ops import _conv_fast

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
    assert 1 in threads and threads[-1] == 2
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert threads[-1] == 2 and parallel._blas_loops == 0


def test_numpys_openblas_is_found_and_set():
    """With numpy's own OpenBLAS (the wheels ship it) the thread count really changes."""
    functions = parallel._openblas_thread_functions()
    if not functions:
        pytest.skip("numpy is not linked to a bundled OpenBLAS here")
    get, _ = functions
    before = get()
    with parallel.one_blas_thread() as single:
        assert single and get() == 1
    assert get() == before
