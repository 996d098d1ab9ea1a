"""The shared worker thread of `ops/parallel.py`: who makes which call, and forked children."""

import multiprocessing
import threading

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
