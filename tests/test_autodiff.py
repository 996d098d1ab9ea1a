"""The engine: recording, backward order, accumulation, no_grad, GradientTape, dtypes."""

import gc
import weakref

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, Tensor, Variable, no_grad, ops
from tests.gradcheck import check_gradients


def test_accumulates_x_times_x_and_x_plus_x():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])
    y = Tensor([1.0, 2.0], requires_grad=True)
    (y + y + y).backward()
    np.testing.assert_allclose(y.grad, [3.0, 3.0])


def test_diamond_graph_sums_both_paths():
    x = Variable([2.0])
    with GradientTape() as tape:
        a = x * 3.0
        b = x * x
        y = a * b  # 3 x^3 -> 9 x^2
    (g,) = tape.gradient(y, [x])
    np.testing.assert_allclose(g.numpy(), [36.0])


def test_a_tensor_reused_by_later_and_earlier_branches_gets_every_share():
    # `a` feeds `b` (recorded right after it) and `d` (recorded after another branch): `a`'s
    # function must wait for both before running.
    x = Variable([1.5, -2.0])
    with GradientTape() as tape:
        a = x * 2.0
        b = a + 1.0
        c = x * 3.0
        d = a * c  # 6 x^2
        loss = ops.sum(b + d)  # 2x + 1 + 6x^2  ->  2 + 12x
    (g,) = tape.gradient(loss, [x])
    np.testing.assert_allclose(g.numpy(), 2.0 + 12.0 * np.array([1.5, -2.0]), rtol=1e-6)


def test_several_outputs_one_unused_and_several_roots():
    x = Variable(np.arange(6.0).reshape(2, 3))
    with GradientTape(persistent=True) as tape:
        first, _, third = ops.split(x, 3, axis=1)
        targets = [ops.sum(first * 2.0), ops.sum(third * third)]
    for _ in range(2):  # a persistent tape gives the same answer again
        (g,) = tape.gradient(targets, [x])
        expected = np.zeros((2, 3))
        expected[:, 0] = 2.0
        expected[:, 2] = 2.0 * np.array([2.0, 5.0])
        np.testing.assert_allclose(g.numpy(), expected)


def test_chain_of_ten_thousand_ops_does_not_recurse():
    x = Variable(1.0)
    with GradientTape() as tape:
        y = x
        for _ in range(10_000):
            y = y * 1.0001
    g = tape.gradient(y, x)
    np.testing.assert_allclose(float(g), 1.0001**10_000, rtol=1e-3)


def test_no_grad_records_nothing():
    w = Variable([1.0, 2.0])
    with no_grad():
        y = w * 2.0
    assert y.creator is None and not y.requires_grad
    with GradientTape() as tape:
        with no_grad():
            z = ops.sum(w * 2.0)
    assert tape.gradient(z, w) is None


def test_tape_structures_and_unconnected():
    a, b, c = Variable([1.0]), Variable([2.0]), Variable([3.0])
    with GradientTape() as tape:
        y = ops.sum(a * b)
    grads = tape.gradient(y, {"a": a, "pair": (b, c)})
    assert set(grads) == {"a", "pair"}
    np.testing.assert_allclose(grads["a"].numpy(), [2.0])
    np.testing.assert_allclose(grads["pair"][0].numpy(), [1.0])
    assert grads["pair"][1] is None
    with GradientTape() as tape:
        y = ops.sum(a * b)
    zero = tape.gradient(y, c, unconnected_gradients="zero")
    np.testing.assert_array_equal(zero.numpy(), [0.0])


def test_non_persistent_tape_refuses_second_call_and_persistent_allows_it():
    x = Variable([3.0])
    with GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, x)
    with GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [27.0])
    np.testing.assert_allclose(tape.gradient(z, y).numpy(), [3.0])


def test_watch_constant_tensor_and_restore():
    x = ops.convert_to_tensor([2.0, 3.0])
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [4.0, 6.0])
    assert not x.requires_grad


def test_intermediate_source_and_output_gradients():
    x = Variable([1.0, 2.0])
    with GradientTape() as tape:
        h = x * 2.0
        y = ops.sum(h * h)
    gh, gx = tape.gradient(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])
    np.testing.assert_allclose(gx.numpy(), [8.0, 16.0])
    with GradientTape() as tape:
        y = x * 3.0
    g = tape.gradient(y, x, output_gradients=[np.array([1.0, -1.0])])
    np.testing.assert_allclose(g.numpy(), [3.0, -3.0])


def test_watch_accessed_variables_false():
    a, b = Variable([1.0]), Variable([2.0])
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = ops.sum(a * b)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(ga.numpy(), [2.0])
    assert gb is None


def test_graph_is_freed_after_backward():
    x = Variable(np.ones((100, 100)))
    with GradientTape() as tape:
        h = x * 2.0
        y = ops.sum(h * h)
    function = h.creator
    ref = weakref.ref(function)
    del h
    tape.gradient(y, x)
    assert function.inputs is None
    del function, y
    gc.collect()
    assert ref() is None


def test_non_trainable_variable_gets_no_gradient():
    w = Variable([1.0], trainable=False)
    with GradientTape() as tape:
        y = w * 2.0
    assert tape.gradient(y, w) is None
    w.trainable = True
    with GradientTape() as tape:
        y = w * 2.0
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [2.0])


def test_python_scalars_keep_float32():
    x = ops.convert_to_tensor(np.ones(3, np.float32))
    for y in (
        x + 1,
        1 + x,
        x * 2.5,
        2.5 * x,
        x / 3,
        3 / x,
        x - 1.0,
        1.0 - x,
        x**2,
        2.0**x,
        -x,
        np.float32(2) * x,
        np.ones(3) + x,
    ):
        assert y.dtype == "float32", y
    assert ops.convert_to_tensor(np.ones(3)).dtype == "float32"
    assert ops.convert_to_tensor(3).dtype == "int32"
    assert (ops.convert_to_tensor([1, 2]) + 1.5).dtype == "float32"


def test_gradients_are_float32():
    w = Variable(np.ones((3, 2)))
    x = ops.convert_to_tensor(np.ones((4, 3)))
    with GradientTape() as tape:
        y = ops.mean(ops.square(ops.matmul(x, w) - 1.0) * 0.5 + 2)
    assert tape.gradient(y, w).dtype == "float32"


def test_comparisons_are_bool_and_not_differentiable():
    x = Variable([1.0, 2.0, 3.0])
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2):
        assert result.dtype == "bool" and result.creator is None


def test_indexing_with_repeated_indices_scatter_adds():
    check_gradients(lambda x: x[np.array([0, 0, 2])], np.arange(4.0))
    x = Variable(np.arange(6.0).reshape(2, 3))
    with GradientTape() as tape:
        y = ops.sum(x[:, [1, 1]]) + ops.sum(x[1])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 2, 0], [1, 3, 1]])


@pytest.mark.parametrize(
    "key",
    [0, -1, slice(1, 3), (slice(None), 1), (Ellipsis, None), (np.array([True, False, True]),)],
)
def test_indexing_gradients(key):
    check_gradients(lambda x: x[key], np.random.default_rng(0).standard_normal((3, 4)))


def test_variable_assign_in_place_and_shape_error():
    v = Variable(np.zeros((2, 2)), name="kernel")
    data = v.data
    v.assign(np.ones((2, 2)))
    v.assign_add(np.ones((2, 2)))
    v.assign_sub(0.5)
    assert v.data is data
    np.testing.assert_allclose(v.numpy(), 1.5)
    with pytest.raises(ValueError, match=r"kernel.*\(2, 2\)"):
        v.assign(np.ones(3))


def test_tensor_protocol():
    t = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.dtype == "float32" and len(t) == 2
    assert np.asarray(t).dtype == np.float32
    assert float(ops.sum(t)) == 10.0
    assert [row.shape for row in t] == [(2,), (2,)]
    assert "float32" in repr(t)
    v = Variable([1.0, 2.0])
    snapshot = v.numpy()
    v.assign([5.0, 5.0])
    np.testing.assert_allclose(snapshot, [1.0, 2.0])


def test_float64_floatx_end_to_end():
    keras.config.set_floatx("float64")
    w = Variable(np.ones(3))
    with GradientTape() as tape:
        y = ops.sum(w * 2.0)
    assert w.dtype == "float64" and tape.gradient(y, w).dtype == "float64"


def test_config_validation():
    with pytest.raises(ValueError, match="float32"):
        keras.config.set_floatx("float128")
    assert keras.config.epsilon() == 1e-7
    assert keras.config.image_data_format() == "channels_last"


def test_format_of_scalar_tensor_formats_the_number():
    assert f"{ops.sum(ops.ones(3)):.2f}" == "3.00"


def test_a_user_primitive_returning_a_wrong_gradient_shape_is_named():
    from minikeras.autodiff import Function

    class RowSum(Function):
        def forward(self, x):
            self.shape = x.shape
            return x.sum(axis=1)

        def backward(self, gy):
            return gy  # wrong: should be broadcast back to self.shape

    assert RowSum.check_gradient_shapes
    x = Variable(np.ones((2, 3), np.float32))
    with GradientTape() as tape:
        y = ops.sum(RowSum()(x))
    with pytest.raises(RuntimeError, match=r"RowSum.backward returned .*\(2,\).*\(2, 3\)"):
        tape.gradient(y, [x])


def test_every_gradient_owns_its_array():
    a = Variable([1.0, 2.0])
    b = Variable([3.0, 4.0])
    with GradientTape() as tape:
        y = ops.sum(a + b)  # Add hands the same gradient array to both inputs
    ga, gb, ga_again = tape.gradient(y, [a, b, a])
    ga.numpy()[0] = 100.0
    np.testing.assert_array_equal(gb.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(ga_again.numpy(), [1.0, 1.0])


def test_output_gradients_must_match_their_target():
    x = Variable([1.0, 2.0, 3.0])
    with GradientTape(persistent=True) as tape:
        y = x * 2.0
    (g,) = tape.gradient(y, [x], output_gradients=[np.array([1.0, 0.0, 2.0])])
    np.testing.assert_allclose(g.numpy(), [2.0, 0.0, 4.0])
    with pytest.raises(ValueError, match=r"shape \(2,\) for a target of shape \(3,\)"):
        tape.gradient(y, [x], output_gradients=[np.ones(2)])
