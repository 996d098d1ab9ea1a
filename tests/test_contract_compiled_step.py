"""The compiled step's contract: a replay never differs from the eager step.

Every input a recording depends on is either checked before each replay or makes the
compiled step record again: the layers' and the loss's Python attributes, the variables,
the global configuration; and recording works with several threads.
"""

import sys
import threading
import time

import numpy as np

import minikeras as keras
from minikeras import layers, ops
from minikeras.autodiff import Function, GradientTape, Tensor, Variable, no_grad
from minikeras.autodiff.program import record


def _data(rng, n=64, features=6, classes=3):
    x = rng.standard_normal((n, features)).astype("float32")
    return x, rng.integers(0, classes, n)


def _mlp(seed=3):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))


# -- threads -------------------------------------------------------------------------------
def test_overlapping_recordings_in_two_threads_restore_the_plain_call(rng):
    plain_call = Function.__dict__["__call__"]
    w = Variable(np.ones((3, 2), "float32"))
    x = Tensor(rng.standard_normal((4, 3)).astype("float32"))
    first_in, second_starting, first_done = threading.Event(), threading.Event(), threading.Event()
    recorded = {}

    def first():
        with record() as recording:
            first_in.set()
            second_starting.wait()
            time.sleep(0.05)  # the second thread asks to record meanwhile
            ops.sum(ops.matmul(x, w))
        first_done.set()
        recorded["first"] = [type(f).__name__ for f, *_ in recording.calls]

    def second():
        first_in.wait()
        second_starting.set()
        with record() as recording:  # starts once the first recording has ended
            first_done.wait(5)
            ops.mean(x * w[:, 0])
        recorded["second"] = [type(f).__name__ for f, *_ in recording.calls]

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Function.__dict__["__call__"] is plain_call
    assert recorded == {"first": ["MatMul", "Sum"], "second": ["GetItem", "Multiply", "Mean"]}


def test_no_grad_in_one_thread_does_not_stop_another_threads_tape():
    w = Variable(np.full(3, 2.0, "float32"))
    taping, inside, done = threading.Event(), threading.Event(), threading.Event()

    def updating():
        taping.wait()
        with no_grad():  # as every optimizer update and `evaluate` do
            inside.set()
            done.wait(5)

    other = threading.Thread(target=updating)
    other.start()
    try:
        with GradientTape() as tape:
            taping.set()
            inside.wait(5)
            loss = ops.sum(w * w)
        gradients = tape.gradient(loss, [w])
    finally:
        done.set()
        other.join()
    assert gradients[0] is not None, "the tape saw no operation"
    np.testing.assert_array_equal(gradients[0].numpy(), np.full(3, 4.0, "float32"))


def _train_in_turn(model, x, y):
    """Fits with several batch sizes, so that many batch shapes are recorded (each one by
    an eager step, while the other thread may be recording too), then evaluates."""
    losses = []
    for batch_size in (5, 7, 9, 11, 13):
        history = model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        losses += history.history["loss"]
    losses.append(model.evaluate(x, y, batch_size=10, verbose=0))
    return losses, model.get_weights()


def _fresh_model():
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def test_two_models_fitting_in_two_threads_train_as_they_do_alone(rng):
    x, y = _data(rng)
    plain_call = Function.__dict__["__call__"]
    alone = _train_in_turn(_fresh_model(), x, y)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that recordings overlap
    try:
        for _ in range(5):
            models = [_fresh_model(), _fresh_model()]
            results, errors = [None, None], []
            start = threading.Barrier(2)

            def work(i, models=models, results=results, errors=errors, start=start):
                try:
                    start.wait()
                    results[i] = _train_in_turn(models[i], x, y)
                except BaseException as error:  # reported below, in the main thread
                    errors.append(error)

            threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert not errors, errors
            assert Function.__dict__["__call__"] is plain_call
            for model, (losses, weights) in zip(models, results):
                assert model._compiled_steps.replayed["train"] > 0
                assert losses == alone[0]
                for a, b in zip(weights, alone[1]):
                    np.testing.assert_array_equal(a, b)
    finally:
        sys.setswitchinterval(interval)
