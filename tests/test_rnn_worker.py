"""The LSTM fast path's backward side work (minikeras/layers/rnn/fused.py, `_SideWork`):
the weights' gradient and x's gradient, made on the shared worker thread in pieces of steps
while the calling thread runs the recurrence, or all on the calling thread. Both give the
same bits; the worker is used only when asked for, or when BLAS runs single-threaded.
"""

import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, ops
from minikeras.layers.rnn import fused
from minikeras.ops import parallel

BATCH, FEATURES, UNITS = 5, 4, 6


def _arrays(steps, use_bias, seed, batch=BATCH, features=FEATURES, units=UNITS):
    rng = np.random.default_rng(seed)
    arrays = [
        rng.standard_normal((batch, steps, features)),
        rng.standard_normal((features, 4 * units)) * 0.5,
        rng.standard_normal((units, 4 * units)) * 0.5,
    ]
    if use_bias:
        arrays.append(rng.standard_normal(4 * units) * 0.5)
    arrays += [rng.standard_normal((batch, units)) for _ in range(2)]
    return [a.astype(np.float32) for a in arrays]


def _run(arrays, worker, watched=None, **arguments):
    """Outputs and gradients of one fast-path LSTM call, with `fused.use_worker = worker`;
    gradients of the inputs at the indices `watched` only (all by default)."""
    saved = fused.use_worker
    fused.use_worker = worker
    try:
        recurrence = fused.LSTMRecurrence(activations.tanh, activations.sigmoid, **arguments)
        tensors = [keras.Variable(a) for a in arrays]
        wanted = [tensors[i] for i in (watched or range(len(tensors)))]
        rng = np.random.default_rng(99)
        with keras.GradientTape() as tape:
            outputs = recurrence(*tensors)
            loss = 0.0
            for output in outputs:
                loss = loss + ops.sum(output * rng.standard_normal(output.shape).astype("float32"))
        assert recurrence.fast
        gradients = tape.gradient(loss, wanted)
    finally:
        fused.use_worker = saved
    return [o.numpy() for o in outputs] + [g.numpy() for g in gradients]


def _assert_same_bits(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype == np.float32
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("steps", [1, 10, 23, 40])
@pytest.mark.parametrize(
    ("return_sequences", "go_backwards", "use_bias"),
    [(False, False, True), (True, False, True), (True, True, False)],
)
def test_lstm_gradients_are_the_same_bits_with_and_without_the_worker(
    steps, return_sequences, go_backwards, use_bias
):
    # Step counts below, at and across STEPS_PER_PIECE (10), with a partial last piece.
    arrays = _arrays(steps, use_bias, seed=steps)
    arguments = dict(
        return_sequences=return_sequences, go_backwards=go_backwards, use_bias=use_bias
    )
    _assert_same_bits(_run(arrays, True, **arguments), _run(arrays, False, **arguments))


def test_lstm_of_the_benchmarks_size_is_the_same_bits_with_and_without_the_worker():
    # Sizes at which BLAS takes its blocked kernels (and, unless told otherwise, threads).
    arrays = _arrays(30, True, seed=8, batch=64, features=32, units=64)
    _assert_same_bits(_run(arrays, True), _run(arrays, False))


def test_lstm_with_a_timestep_mask_is_the_same_bits_with_and_without_the_worker():
    arrays = _arrays(25, True, seed=3)
    mask = np.random.default_rng(4).random((BATCH, 25)) > 0.3
    arguments = dict(return_sequences=True, mask=mask, zero_output_for_mask=True)
    _assert_same_bits(_run(arrays, True, **arguments), _run(arrays, False, **arguments))


@pytest.mark.parametrize("watched", [[0], [1, 2], [2, 4, 5]])
def test_lstm_gradients_of_some_inputs_are_the_same_bits_with_and_without_the_worker(watched):
    # Without x's gradient the worker makes only the weights' (or none at all).
    arrays = _arrays(23, True, seed=5)
    _assert_same_bits(_run(arrays, True, watched), _run(arrays, False, watched))


def test_lstm_worker_path_matches_the_general_path():
    arrays = _arrays(31, True, seed=6)
    fast = _run(arrays, True, return_sequences=True)
    saved = fused.LSTMRecurrence.fast_path
    fused.LSTMRecurrence.fast_path = False
    try:
        recurrence = fused.LSTMRecurrence(
            activations.tanh, activations.sigmoid, return_sequences=True
        )
        tensors = [keras.Variable(a) for a in arrays]
        rng = np.random.default_rng(99)
        with keras.GradientTape() as tape:
            outputs = recurrence(*tensors)
            loss = 0.0
            for output in outputs:
                loss = loss + ops.sum(output * rng.standard_normal(output.shape).astype("float32"))
        general = [o.numpy() for o in outputs] + [g.numpy() for g in tape.gradient(loss, tensors)]
    finally:
        fused.LSTMRecurrence.fast_path = saved
    for a, b in zip(fast, general):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_lstm_side_work_runs_on_the_shared_worker_thread(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    names = []
    piece_maker = fused._Recurrence._fast_side_work

    def recording(self, *args, **kwargs):
        side = piece_maker(self, *args, **kwargs)
        piece = side.piece

        def named(start, stop):
            import threading

            names.append(threading.current_thread().name)
            piece(start, stop)

        side.piece = named
        return side

    monkeypatch.setattr(fused._Recurrence, "_fast_side_work", recording)
    _run(_arrays(23, True, seed=7), True)
    assert len(names) == 3  # pieces of steps 20-22, 10-19, 0-9
    assert all(name.startswith("minikeras-blocks") for name in names)
    monkeypatch.setattr(fused, "use_worker", True)
    assert fused._worker(0) is parallel._helper


def test_worker_is_used_by_default_only_when_blas_is_single_threaded(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(fused, "use_worker", None)
    big, small = fused.WORKER_PRODUCTS, fused.WORKER_PRODUCTS - 1
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert fused._worker(big) is None
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert fused._worker(big) is not None
    assert fused._worker(small) is None  # too little work to hand over
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert fused._worker(big) is None
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert fused._worker(big) is not None
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert fused._worker(big) is None
    monkeypatch.setattr(fused, "use_worker", False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert fused._worker(big) is None
    monkeypatch.setattr(fused, "use_worker", True)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert fused._worker(small) is not None


def test_side_work_waits_for_every_piece_and_raises_a_pieces_error(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(fused, "use_worker", True)
    done = []

    def piece(start, stop):
        if start == 0:
            raise ValueError("piece failed")
        done.append(start)

    with pytest.raises(ValueError, match="piece failed"):
        with fused._SideWork(piece, fused._worker(0)) as side:
            side.add(0, 5)
            side.add(5, 10)
    assert done == [5]  # the piece after the failing one ran before the error came out


@pytest.mark.parametrize("name", ["gru", "simple_rnn"])
@pytest.mark.parametrize("steps", [7, 23])
def test_gru_and_simple_rnn_gradients_are_the_same_bits_with_and_without_the_worker(name, steps):
    # Their fast paths hand only the weights' gradient to the worker.
    cls, gates = {"gru": (fused.GRURecurrence, 3), "simple_rnn": (fused.SimpleRNNRecurrence, 1)}[
        name
    ]
    rng = np.random.default_rng(steps)
    arrays = [
        rng.standard_normal((BATCH, steps, FEATURES)),
        rng.standard_normal((FEATURES, gates * UNITS)) * 0.5,
        rng.standard_normal((UNITS, gates * UNITS)) * 0.5,
        rng.standard_normal((2, 3 * UNITS) if name == "gru" else (UNITS,)) * 0.5,
        rng.standard_normal((BATCH, UNITS)),
    ]
    arrays = [a.astype(np.float32) for a in arrays]
    results = []
    saved = fused.use_worker
    for worker in (True, False):
        fused.use_worker = worker
        try:
            recurrence = cls(activations.tanh, activations.sigmoid, return_sequences=True)
            tensors = [keras.Variable(a) for a in arrays]
            weights = np.random.default_rng(1).standard_normal((BATCH, steps, UNITS))
            with keras.GradientTape() as tape:
                output = recurrence(*tensors)[0]
                loss = ops.sum(output * weights.astype("float32"))
            assert recurrence.fast
            gradients = tape.gradient(loss, tensors)
        finally:
            fused.use_worker = saved
        results.append([output.numpy()] + [g.numpy() for g in gradients])
    _assert_same_bits(*results)


@pytest.mark.skipif(not parallel._blas_functions(), reason="needs numpy's bundled OpenBLAS")
def test_training_loops_leave_the_recurrent_layers_on_blas_s_threads(monkeypatch):
    # Measured on a free 2-core machine: an LSTM(64) step over 100 timesteps took 15.4 ms
    # with BLAS's threads and no worker, 18.6 ms with one BLAS thread and the worker.
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(fused, "use_worker", None)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    get_threads, set_threads = parallel._blas_functions()
    before = get_threads()
    set_threads(2)
    try:
        with parallel.keep_one_blas_thread():
            assert fused._worker(fused.WORKER_PRODUCTS) is None
            assert get_threads() == 2
    finally:
        set_threads(before)
