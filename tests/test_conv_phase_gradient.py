"""The input gradient of strided convolutions by stride phases (`_conv_fast.phase_input_gradient`)
against the plain path's col2im (`convolution._input_gradient`) it replaces.

Both compute the same sums of products, grouped differently, so float32 results agree to
rounding; the rule choosing the phase path depends on the shapes alone.
"""

import itertools

import numpy as np
import pytest

from minikeras import GradientTape, Variable, ops
from minikeras.ops import _conv_fast, convolution
from tests.gradcheck import check_gradients


def _geometries():
    cases = []
    for rank, k, stride, dilation, padding in itertools.product(
        (1, 2, 3), (1, 2, 3, 4, 5), (2, 3), (1, 2), ("valid", "same")
    ):
        if rank == 3 and (k > 3 or stride == 3):
            continue  # keeps the test quick; the 1-D and 2-D cases cover these
        cases.append((rank, k, stride, dilation, padding))
    return cases


@pytest.mark.parametrize("rank,k,stride,dilation,padding", _geometries())
def test_phase_input_gradient_matches_plain_col2im(rank, k, stride, dilation, padding):
    rng = np.random.default_rng(rank * 100 + k * 10 + stride)
    span = (k - 1) * dilation + 1
    # Odd sizes, different per axis, so no axis divides by the stride by accident.
    sizes = tuple(span + 4 + 3 * axis + stride for axis in range(rank))
    x_shape = (3, *sizes, 5)
    kernel = rng.standard_normal((*(k,) * rank, 5, 7)).astype(np.float32)
    plan = convolution._ConvPlan("conv", x_shape, kernel.shape, stride, padding, None, dilation)
    gy = rng.standard_normal((3, *plan.windows.out_sizes, 7)).astype(np.float32)
    ours = _conv_fast.phase_input_gradient(gy, kernel, plan.windows, x_shape)
    plain = convolution._input_gradient(
        convolution._to_groups(gy, 1), kernel, plan.windows, x_shape
    )
    assert ours.dtype == np.float32
    assert ours.shape == plain.shape == x_shape
    np.testing.assert_allclose(ours, plain, rtol=1e-5, atol=1e-5)


def _force(monkeypatch, phase):
    monkeypatch.setattr(_conv_fast, "_MAX_PHASE_SLOTS", float("inf") if phase else 0.0)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "strides,padding,dilation,kernel_size",
    [(2, "same", 1, (4, 4)), (2, "valid", 1, (3, 2)), ((3, 2), "same", 2, (3, 3))],
)
def test_conv_op_input_gradient_by_phases_matches_the_plain_path(
    monkeypatch, data_format, strides, padding, dilation, kernel_size
):
    """Through `ops.conv` and a tape: both gradients and the output are unchanged."""
    rng = np.random.default_rng(4)
    shape = (2, 11, 9, 3) if data_format == "channels_last" else (2, 3, 11, 9)
    x = rng.standard_normal(shape).astype(np.float32)
    kernel = rng.standard_normal((*kernel_size, 3, 5)).astype(np.float32)
    results = []
    for phase in (False, True):
        _force(monkeypatch, phase)
        tx, tk = Variable(x), Variable(kernel)
        with GradientTape() as tape:  # a fixed linear loss: rounding is not amplified
            y = ops.conv(tx, tk, strides, padding, data_format, dilation)
            loss = ops.sum(y * np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape))
        results.append([y.numpy(), *[g.numpy() for g in tape.gradient(loss, [tx, tk])]])
    for plain, phase in zip(*results):
        assert phase.dtype == np.float32
        np.testing.assert_allclose(phase, plain, rtol=1e-5, atol=1e-5)


def test_phase_input_gradient_by_finite_differences(monkeypatch):
    _force(monkeypatch, True)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 6, 3))
    kernel = rng.standard_normal((4, 3, 3, 2))
    check_gradients(lambda a, b: ops.conv(a, b, 2, "same"), x, kernel)
    check_gradients(lambda a, b: ops.conv(a, b, (3, 2), "valid", dilation_rate=2), x, kernel)
    channels_first = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    check_gradients(
        lambda a, b: ops.conv(a, b, 2, "same", "channels_first"), channels_first, kernel
    )


def test_the_input_gradient_algorithm_is_chosen_from_the_shapes():
    def phase(input_shape, kernel_shape, strides=2, padding="same", dilation=1):
        plan = convolution._ConvPlan(
            "conv", input_shape, kernel_shape, strides, padding, None, dilation
        )
        return _conv_fast.use_phase_input_gradient(plan.windows, plan.groups)

    # The guide convnet's layers: kernel 4, stride 2.
    assert phase((64, 32, 32, 3), (4, 4, 3, 8))
    assert phase((64, 16, 16, 8), (4, 4, 8, 16))
    assert phase((64, 32, 32, 16), (3, 3, 16, 32))  # 16 slots for 9 taps
    assert not phase((64, 32, 32, 16), (3, 3, 16, 32), strides=1)  # no phases
    assert not phase((64, 32, 32, 16), (3, 3, 8, 32))  # grouped
    assert not phase((64, 32, 32, 16), (3, 3, 16, 32), dilation=3)  # mostly zero slots
    assert phase((8, 9, 9, 4), (4, 4, 4, 4)) == phase((8, 9, 9, 4), (4, 4, 4, 4))


def test_conv_takes_the_phase_input_gradient_where_the_rule_says(monkeypatch):
    calls = []
    original = _conv_fast.phase_input_gradient

    def spy(gy, kernel, windows, x_shape):
        calls.append(x_shape)
        return original(gy, kernel, windows, x_shape)

    monkeypatch.setattr(_conv_fast, "phase_input_gradient", spy)
    for strides in (2, 1):
        x = Variable(np.ones((2, 8, 8, 3), np.float32))
        kernel = np.ones((4, 4, 3, 2), np.float32)
        with GradientTape() as tape:
            loss = ops.sum(ops.conv(x, kernel, strides, "same"))
        tape.gradient(loss, x)
    assert calls == [(2, 8, 8, 3)]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize(
    "strides,padding,output_padding,dilation",
    [(2, "same", None, 1), (3, "valid", 1, 1), ((2, 3), "same", None, 1), (2, "valid", None, 2)],
)
def test_conv_transpose_by_phases_matches_the_plain_path(
    monkeypatch, data_format, strides, padding, output_padding, dilation
):
    """`conv_transpose`'s forward pass is a convolution's input gradient: same numbers."""
    rng = np.random.default_rng(6)
    shape = (2, 5, 7, 3) if data_format == "channels_last" else (2, 3, 5, 7)
    x = rng.standard_normal(shape).astype(np.float32)
    kernel = rng.standard_normal((3, 4, 6, 3)).astype(np.float32)
    results = []
    for phase in (False, True):
        _force(monkeypatch, phase)
        tx, tk = Variable(x), Variable(kernel)
        with GradientTape() as tape:  # a fixed linear loss: rounding is not amplified
            y = ops.conv_transpose(tx, tk, strides, padding, output_padding, data_format, dilation)
            loss = ops.sum(y * np.cos(np.arange(y.size, dtype=np.float32)).reshape(y.shape))
        results.append([y.numpy(), *[g.numpy() for g in tape.gradient(loss, [tx, tk])]])
    for plain, phase in zip(*results):
        assert phase.dtype == np.float32
        np.testing.assert_allclose(phase, plain, rtol=1e-5, atol=1e-5)
