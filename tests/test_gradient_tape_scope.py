"""What a GradientTape sees: the operations from its first entry on (TensorFlow's rule for
what came before it), on top of the global graph that `Tensor.backward()` walks."""

import numpy as np

from minikeras import GradientTape, Variable, ops


def _w():
    return Variable(np.array([1.0, 2.0], dtype="float32"))


def test_tape_treats_a_tensor_computed_before_it_as_a_constant():
    w = _w()
    y = w * 2.0
    with GradientTape() as tape:
        z = y * 3.0
    assert tape.gradient(z, w) is None
    with GradientTape() as tape:
        z = y * 3.0
    zeros = tape.gradient(z, w, unconnected_gradients="zero")
    np.testing.assert_array_equal(zeros.numpy(), [0.0, 0.0])


def test_tensor_computed_before_the_tape_gets_a_gradient_only_when_watched():
    w = _w()
    y = w * 2.0
    with GradientTape() as tape:
        tape.watch(y)
        z = y * 3.0
    gw, gy = tape.gradient(z, [w, y])
    assert gw is None
    np.testing.assert_array_equal(gy.numpy(), [3.0, 3.0])
    with GradientTape() as tape:
        z = y * 3.0
    assert tape.gradient(z, y) is None


def test_operations_inside_the_tape_chain_back_to_the_variables():
    w = _w()
    with GradientTape() as tape:
        y = w * 2.0
        z = y * 3.0
    gy, gw = tape.gradient(z, [y, w])
    np.testing.assert_array_equal(gw.numpy(), [6.0, 6.0])
    np.testing.assert_array_equal(gy.numpy(), [3.0, 3.0])


def test_operations_after_the_tape_still_count():
    w = _w()
    with GradientTape() as tape:
        y = w * w
    np.testing.assert_array_equal(tape.gradient(ops.sum(y), w).numpy(), [2.0, 4.0])


def test_a_tape_never_entered_records_nothing():
    w = _w()
    z = w * 3.0
    assert GradientTape().gradient(z, w) is None


def test_a_persistent_tape_entered_twice_sees_both_blocks_but_not_before():
    w = _w()
    before = w * 5.0
    tape = GradientTape(persistent=True)
    with tape:
        y = w * 2.0
    with tape:
        z = y * 3.0 + before
    np.testing.assert_array_equal(tape.gradient(z, w).numpy(), [6.0, 6.0])
    assert tape.gradient(before, w) is None


def test_backward_on_a_tensor_walks_the_whole_global_graph():
    w = _w()
    y = w * 2.0
    with GradientTape():
        z = y * 3.0
    ops.sum(z).backward()
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])
