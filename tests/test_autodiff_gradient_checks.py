"""What the engine checks of a primitive's `backward` (`Function.check_gradient_shapes`)."""

import numpy as np
import pytest

from minikeras import GradientTape, ops
from minikeras.autodiff import Function, Variable
from minikeras.autodiff.arithmetic import Add, Multiply


class ScaledPair(Function):
    """`x + 2 * y` for x of shape (2, 3) and y of shape (3,); `backward` is set per test."""

    def forward(self, x, y):
        return x + 2 * y

    def backward(self, gy):
        return gy, 2 * gy.sum(axis=0)


def _pair_primitive(backward):
    return type("ScaledPair", (ScaledPair,), {"backward": backward})


def _pair_inputs():
    return Variable(np.ones((2, 3), np.float32)), Variable(np.ones(3, np.float32))


def test_check_is_off_for_built_in_primitives_and_on_for_user_ones_and_their_subclasses():
    assert not Add.check_gradient_shapes and not Multiply.check_gradient_shapes
    assert ScaledPair.check_gradient_shapes

    class MyAdd(Add):  # a user subclass of a built-in primitive
        pass

    class Trusted(ScaledPair):
        check_gradient_shapes = False  # a class may decide for itself

    assert MyAdd.check_gradient_shapes
    assert not Trusted.check_gradient_shapes


def test_a_correct_user_primitive_passes_the_check():
    x, y = _pair_inputs()
    with GradientTape() as tape:
        loss = ops.sum(ScaledPair()(x, y))
    gx, gy = tape.gradient(loss, [x, y])
    np.testing.assert_array_equal(gx.numpy(), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(gy.numpy(), np.full(3, 4.0, np.float32))


@pytest.mark.parametrize("how", ["tape", "tensor.backward"])
def test_a_wrongly_shaped_gradient_names_the_primitive_the_input_and_both_shapes(how):
    wrong = _pair_primitive(lambda self, gy: (gy, 2 * gy))  # (2, 3) for the (3,) input
    x, y = _pair_inputs()
    message = r"ScaledPair.backward returned a gradient of shape \(2, 3\) for its input 1, "
    message += r"of shape \(3,\)"
    with pytest.raises(RuntimeError, match=message):
        if how == "tape":
            with GradientTape() as tape:
                loss = ops.sum(wrong()(x, y))
            tape.gradient(loss, [x, y])
        else:
            ops.sum(wrong()(x, y)).backward()
    assert x.grad is None and y.grad is None


def test_a_user_subclass_of_a_built_in_primitive_is_checked():
    class BadAdd(Add):
        def backward(self, gy):
            return gy, gy  # the second input has shape (3,)

    x, y = _pair_inputs()
    with pytest.raises(
        RuntimeError, match=r"BadAdd.backward .*\(2, 3\) .*input 1, of shape \(3,\)"
    ):
        ops.sum(BadAdd()(x, y)).backward()


def test_too_few_gradients_raise_instead_of_leaving_an_input_without_one():
    # Without the check, y would quietly get no gradient (a None from tape.gradient).
    short = _pair_primitive(lambda self, gy: gy)
    x, y = _pair_inputs()
    with GradientTape() as tape:
        loss = ops.sum(short()(x, y))
    with pytest.raises(RuntimeError, match=r"ScaledPair.backward gave gradients for 1 inputs, "):
        tape.gradient(loss, [x, y])


def test_too_many_gradients_raise():
    extra = _pair_primitive(lambda self, gy: (gy, 2 * gy.sum(axis=0), gy))
    x, y = _pair_inputs()
    with pytest.raises(RuntimeError, match=r"gave gradients for 3 inputs, but ScaledPair has 2"):
        ops.sum(extra()(x, y)).backward()


def test_a_gradient_that_is_not_an_array_is_named():
    class Halve(Function):
        def forward(self, x):
            return x / 2

        def backward(self, gy):
            return 0.5  # a Python float, not an array

    x = Variable(np.float32(3.0))
    with pytest.raises(RuntimeError, match=r"Halve.backward returned a float as the gradient"):
        Halve()(x).backward()
