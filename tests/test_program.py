"""Recorded programs (autodiff/program.py): record once, replay on new arrays."""

import numpy as np
import pytest

from minikeras import GradientTape, Tensor, Variable, ops
from minikeras.autodiff import Function
from minikeras.autodiff.program import NotReplayable, Program, record
from minikeras.ops.fused import Linear
from minikeras.ops.nn import SparseCrossentropyFromProbs


# -- programs -----------------------------------------------------------------------------
def _eager(fn, batch, variables):
    with GradientTape() as tape:
        results = fn(*[Tensor(a) for a in batch])
    grads = tape.gradient(results[-1], variables)
    return [r.numpy() for r in results], [None if g is None else g.numpy() for g in grads]


def _program(fn, batch, variables):
    with record() as recording:
        with GradientTape() as tape:
            results = fn(*[Tensor(a) for a in batch])
        tape.gradient(results[-1], variables)
    return Program.from_recording(
        recording, batch=batch, variables=variables, results=results, root=results[-1]
    )


def _mlp_loss(w1, b1, w2):
    def fn(x, labels):
        h = ops.relu(ops.matmul(x, w1) + b1)  # bias broadcast over the batch
        probs = ops.softmax(ops.matmul(h, w2))
        loss = ops.mean(ops.sparse_categorical_crossentropy(labels, probs))
        return [probs, loss]

    return fn


def test_a_replayed_program_gives_the_eager_bits_on_new_inputs(rng):
    w1 = Variable(rng.standard_normal((5, 4)).astype("float32"))
    b1 = Variable(rng.standard_normal(4).astype("float32"))
    w2 = Variable(rng.standard_normal((4, 3)).astype("float32"))
    unused = Variable(np.ones(2, "float32"))
    fn = _mlp_loss(w1, b1, w2)
    first = [rng.standard_normal((6, 5)).astype("float32"), np.array([0, 2, 1, 1, 0, 2])]
    program = _program(fn, first, [w1, b1, w2, unused])
    second = [rng.standard_normal((6, 5)).astype("float32"), np.array([1, 1, 0, 2, 2, 0])]
    w1.assign(w1.numpy() * 0.5)  # variables are read when the program runs
    results, grads = program.run(second, exact=True)
    expected_results, expected_grads = _eager(fn, second, [w1, b1, w2, unused])
    for got, want in zip(results + grads, expected_results + expected_grads):
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, want)
    assert grads[3] is None  # the unused variable gets no gradient, as with a tape
    # With the softmax / cross-entropy fusion: the same up to rounding.
    _, fused = program.run(second)
    for got, want in zip(fused[:3], expected_grads[:3]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_a_value_used_twice_gets_both_gradients(rng):
    w = Variable(rng.standard_normal((3, 3)).astype("float32"))

    def fn(x):
        h = ops.matmul(x, w)
        return [ops.sum(h * h) + ops.sum(ops.tanh(h)) * 2.0]

    x1, x2 = (rng.standard_normal((4, 3)).astype("float32") for _ in range(2))
    program = _program(fn, [x1], [w])
    (value,), (grad,) = program.run([x2], exact=True)
    (want_value,), (want_grad,) = _eager(fn, [x2], [w])
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_array_equal(grad, want_grad)


def test_a_primitive_with_several_outputs_replays(rng):
    w = Variable(rng.standard_normal((4, 6)).astype("float32"))

    def fn(x):
        a, b, _ = ops.split(ops.matmul(x, w), 3, axis=1)  # the third part is unused
        return [ops.sum(a * 3.0) + ops.sum(b * b)]

    x1, x2 = (rng.standard_normal((5, 4)).astype("float32") for _ in range(2))
    program = _program(fn, [x1], [w])
    (value,), (grad,) = program.run([x2])
    (want_value,), (want_grad,) = _eager(fn, [x2], [w])
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_array_equal(grad, want_grad)


def test_a_program_without_root_returns_values_only(rng):
    w = Variable(np.eye(3, dtype="float32"))
    x1 = rng.standard_normal((4, 3)).astype("float32")
    batch = Tensor(x1)
    with record() as recording:
        out = ops.matmul(batch, w) * 2.0
    program = Program.from_recording(recording, batch=[x1], variables=[w], results=[out])
    x2 = rng.standard_normal((4, 3)).astype("float32")
    (value,), grads = program.run([x2])
    np.testing.assert_array_equal(value, x2 * 2.0)
    assert grads == [None]


def test_values_computed_from_the_batch_outside_primitives_are_refused(rng):
    w = Variable(np.ones((3, 2), "float32"))
    x = rng.standard_normal((4, 3)).astype("float32")
    batch = Tensor(x)
    with record() as recording:
        doubled = Tensor(batch.numpy() * 2.0)  # raw numpy: invisible to the recording
        loss = ops.sum(ops.matmul(doubled, w))
    with pytest.raises(NotReplayable, match="batch's leading size"):
        Program.from_recording(recording, batch=[x], variables=[w], results=[loss], root=loss)


def test_a_parameter_computed_from_the_batch_is_refused(rng):
    class PickRows(Function):
        def __init__(self, rows):
            self.rows = rows

        def forward(self, x):
            return x[self.rows]

        def backward(self, gy):
            g = np.zeros((4, 3), gy.dtype)
            g[self.rows] = gy
            return g

    x = rng.standard_normal((4, 3)).astype("float32")
    w = Variable(np.ones(3, "float32"))
    batch = Tensor(x)
    with record() as recording:
        picked = PickRows(np.argsort(x[:, 0]))(batch * w)
        loss = ops.sum(picked)
    with pytest.raises(NotReplayable, match="parameter"):
        Program.from_recording(recording, batch=[x], variables=[w], results=[loss], root=loss)


def test_a_user_primitive_with_a_misshapen_gradient_fails_in_replay_too():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy[:1]

    w = Variable(np.ones((3, 2), "float32"))
    x = np.ones((4, 3), "float32")
    batch = Tensor(x)
    with record() as recording:
        loss = ops.sum(Broken()(ops.matmul(batch, w)))
    program = Program.from_recording(recording, batch=[x], variables=[w], results=[loss], root=loss)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape"):
        program.run([x])


def test_the_replay_function_is_plain_python_to_read(rng):
    w1 = Variable(rng.standard_normal((5, 4)).astype("float32"))
    b1 = Variable(rng.standard_normal(4).astype("float32"))
    w2 = Variable(rng.standard_normal((4, 3)).astype("float32"))
    batch = [rng.standard_normal((4, 5)).astype("float32"), np.array([0, 1, 2, 0])]
    program = _program(_mlp_loss(w1, b1, w2), batch, [w1, b1, w2])
    source = program.source
    assert "\ndef replay(batch_0, batch_1):\n" in source
    assert ".forward(" in source and ".backward(" in source
    assert "softmax_logits_backward" in source and "backward_from_logits" in source
    # The loss mean's gradient goes to the fused cross-entropy as one scalar.
    assert [step.fused for step in program.steps if step.fused] == [
        "producer",
        "consumer",
        "spread",
    ]
    assert "g_mean_out / 4\n" in source


# -- the softmax / cross-entropy fusion ----------------------------------------------------
def _softmax_head(rng, rows=6, classes=4, clipped=False):
    x = rng.standard_normal((rows, 3)).astype("float32")
    kernel = rng.standard_normal((3, classes)).astype("float32")
    if clipped:  # saturate the first rows: probabilities of 0 and 1 get clipped
        x[:2] *= 1e3
    bias = rng.standard_normal(classes).astype("float32")
    labels = rng.integers(0, classes, rows)
    linear = Linear("softmax")
    linear.needs_grad = (True, True, True)
    probs = linear.forward(x, kernel, bias)
    loss = SparseCrossentropyFromProbs()
    loss.needs_grad = (True, False)
    loss.forward(probs, labels)
    return x, kernel, bias, labels, linear, loss


@pytest.mark.parametrize("clipped", [False, True])
def test_fused_softmax_crossentropy_gradient_matches_the_chained_one(rng, clipped):
    _, _, _, _, linear, loss = _softmax_head(rng, clipped=clipped)
    gy = rng.uniform(0.5, 1.5, 6).astype("float32")
    chained = linear.backward(loss.backward(gy)[0])
    fused = linear.backward_from_logits(loss.softmax_logits_backward(gy)[0])
    for a, b in zip(chained, fused):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fused_softmax_crossentropy_gradient_matches_finite_differences(rng):
    x, kernel, bias, labels, linear, loss = _softmax_head(rng)
    gy = np.full(6, 1 / 6, "float32")
    _, _, gb = linear.backward_from_logits(loss.softmax_logits_backward(gy)[0])

    def mean_loss(b):  # float64, Keras's probability form
        z = x.astype("float64") @ kernel + b
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return -np.log(np.clip(p[np.arange(6), labels], 1e-7, 1 - 1e-7)).mean()

    eps = 1e-6
    numeric = [
        (mean_loss(bias + eps * e) - mean_loss(bias - eps * e)) / (2 * eps)
        for e in np.eye(len(bias))
    ]
    np.testing.assert_allclose(gb, numeric, rtol=1e-4, atol=1e-6)


def test_no_fusion_when_the_probabilities_are_also_used_elsewhere(rng):
    w = Variable(rng.standard_normal((3, 4)).astype("float32"))

    def fn(x, labels):
        probs = ops.softmax(ops.matmul(x, w))
        loss = ops.mean(ops.sparse_categorical_crossentropy(labels, probs))
        return [loss + ops.sum(probs * probs)]

    first = [rng.standard_normal((3, 3)).astype("float32"), np.array([0, 1, 3])]
    second = [rng.standard_normal((3, 3)).astype("float32"), np.array([2, 2, 1])]
    program = _program(fn, first, [w])
    assert all(step.fused is None for step in program.steps)
    (value,), (grad,) = program.run(second)  # no fusion: the eager bits
    (want_value,), (want_grad,) = _eager(fn, second, [w])
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_array_equal(grad, want_grad)


def test_a_recording_ignores_primitives_called_by_other_threads(rng):
    import threading

    w = Variable(np.ones((3, 2), "float32"))
    x = rng.standard_normal((4, 3)).astype("float32")
    started, release = threading.Event(), threading.Event()

    def elsewhere():
        started.set()
        release.wait()
        ops.sum(Tensor(np.ones(5, "float32")) * 2.0)

    worker = threading.Thread(target=elsewhere)
    worker.start()
    started.wait()
    with record() as recording:
        release.set()
        worker.join()
        loss = ops.sum(ops.matmul(Tensor(x), w))
    assert [type(f).__name__ for f, *_ in recording.calls] == ["MatMul", "Sum"]
    assert recording.calls[-1][3][0] is loss


def test_recordings_that_cannot_stand_for_other_inputs_are_refused(rng):
    from minikeras.ops.numpy import Square

    x = rng.standard_normal((4, 3)).astype("float32")
    w = Variable(np.ones(3, "float32"))
    batch = Tensor(x)
    # A primitive object called twice keeps only the state of its last call.
    square = Square()
    with record() as recording:
        twice = square(square(batch * w))
    with pytest.raises(NotReplayable, match="called twice"):
        Program.from_recording(recording, batch=[x], variables=[w], results=[twice])
    # A result that no recorded primitive computed.
    with record() as recording:
        loss = ops.sum(batch * w)
    outside = Tensor(np.ones(2, "float32"))
    with pytest.raises(NotReplayable, match="not computed by the recorded primitives"):
        Program.from_recording(recording, batch=[x], variables=[w], results=[loss, outside])
    # A root the variables do not reach.
    with record() as recording:
        constant = ops.sum(batch * 2.0)
    with pytest.raises(NotReplayable, match="does not depend on the variables"):
        Program.from_recording(
            recording, batch=[x], variables=[w], results=[constant], root=constant
        )
