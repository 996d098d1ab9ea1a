"""`ops.nn`: activations, softmax, moments, one_hot and the fused cross-entropies.

References are the closed-form formulas written directly in numpy (float64), and the
Keras formulas for the cross-entropies (renormalise, clip to [eps, 1 - eps], log).
"""

import math

import numpy as np
import pytest

from minikeras import GradientTape, Variable, ops
from tests.gradcheck import check_gradients, float64

RNG = np.random.default_rng(777)
EPS = 1e-7


def away_from(points, shape, low=-4.0, high=4.0, gap=0.05):
    """Uniform values in [low, high] kept `gap` away from the kinks in `points`."""
    values = RNG.uniform(low, high, shape)
    for p in points:
        close = np.abs(values - p) < gap
        values[close] = p + np.sign(values[close] - p + 1e-12) * gap * 2
    return values


def normal(*shape):
    return RNG.standard_normal(shape)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _cce_probs(t, p, axis=-1):
    p = p / p.sum(axis=axis, keepdims=True)
    return -np.sum(t * np.log(np.clip(p, EPS, 1 - EPS)), axis=axis)


def _cce_logits(t, x, axis=-1):
    return -np.sum(t * np.log(_softmax(x, axis)), axis=axis)


def _bce_probs(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _bce_logits(t, x):
    return _bce_probs_unclipped(t, _sigmoid(x))


def _bce_probs_unclipped(t, p):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def _soft_targets(*shape, axis=-1):
    t = RNG.uniform(0.1, 1.0, shape)
    return t / t.sum(axis=axis, keepdims=True)


def _probs(*shape, axis=-1):
    p = RNG.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True) * 1.3  # not normalised: Keras renormalises


LABELS = np.array([0, 2, 1, 3, 3])


def _scce_reference(labels, output, from_logits, axis=-1):
    output = np.moveaxis(output, axis, -1)
    if from_logits:
        log_p = np.log(_softmax(output))
    else:
        log_p = np.log(np.clip(output / output.sum(-1, keepdims=True), EPS, 1 - EPS))
    return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]


class Case:
    def __init__(self, name, fn, inputs, reference, rtol=1e-10):
        self.name, self.fn, self.inputs, self.reference, self.rtol = (
            name,
            fn,
            inputs,
            reference,
            rtol,
        )

    def __repr__(self):
        return self.name


ACTIVATIONS = [
    Case("relu", ops.relu, [away_from([0], (3, 4))], lambda x: np.maximum(x, 0)),
    Case("relu6", ops.relu6, [away_from([0, 6], (3, 4), -3, 9)], lambda x: np.clip(x, 0, 6)),
    Case(
        "leaky_relu",
        ops.leaky_relu,
        [away_from([0], (3, 4))],
        lambda x: np.where(x >= 0, x, 0.2 * x),
    ),
    Case(
        "leaky_relu_slope",
        lambda x: ops.leaky_relu(x, negative_slope=0.01),
        [away_from([0], (3, 4))],
        lambda x: np.where(x >= 0, x, 0.01 * x),
    ),
    Case("elu", ops.elu, [away_from([0], (3, 4))], _elu),
    Case(
        "elu_alpha",
        lambda x: ops.elu(x, alpha=0.5),
        [away_from([0], (3, 4))],
        lambda x: _elu(x, 0.5),
    ),
    Case("selu", ops.selu, [away_from([0], (3, 4))], lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA)),
    Case(
        "celu",
        lambda x: ops.celu(x, alpha=0.7),
        [away_from([0], (3, 4))],
        lambda x: np.maximum(x, 0) + np.minimum(0, 0.7 * (np.exp(x / 0.7) - 1)),
    ),
    Case(
        "gelu_tanh",
        ops.gelu,
        [normal(3, 4) * 2],
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    Case(
        "gelu_exact",
        lambda x: ops.gelu(x, approximate=False),
        [normal(3, 4) * 2],
        lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2))),
        rtol=1e-13,
    ),
    Case("sigmoid", ops.sigmoid, [normal(3, 4) * 3], _sigmoid),
    Case("silu", ops.silu, [normal(3, 4) * 3], lambda x: x * _sigmoid(x)),
    Case("swish", ops.swish, [normal(3, 4) * 3], lambda x: x * _sigmoid(x)),
    Case(
        "hard_sigmoid",
        ops.hard_sigmoid,
        [away_from([-3, 3], (3, 4), -5, 5)],
        lambda x: np.clip(x + 3, 0, 6) / 6,
    ),
    Case(
        "hard_silu",
        ops.hard_silu,
        [away_from([-3, 3], (3, 4), -5, 5)],
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
    ),
    Case(
        "hard_swish",
        ops.hard_swish,
        [away_from([-3, 3], (3, 4), -5, 5)],
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
    ),
    Case("softplus", ops.softplus, [normal(3, 4) * 3], lambda x: np.log1p(np.exp(x))),
    Case("softsign", ops.softsign, [away_from([0], (3, 4))], lambda x: x / (1 + np.abs(x))),
    Case("tanh", ops.nn.tanh, [normal(3, 4)], np.tanh),
    Case("log_sigmoid", ops.log_sigmoid, [normal(3, 4) * 3], lambda x: -np.log1p(np.exp(-x))),
    Case("mish", ops.mish, [normal(3, 4) * 2], lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    Case("glu", ops.glu, [normal(3, 4)], lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
    Case("softmax", ops.softmax, [normal(3, 4)], _softmax),
    Case(
        "softmax_axis0", lambda x: ops.softmax(x, axis=0), [normal(3, 4)], lambda x: _softmax(x, 0)
    ),
    Case(
        "softmax_axes",
        lambda x: ops.softmax(x, axis=(1, 2)),
        [normal(2, 3, 2)],
        lambda x: _softmax(x, (1, 2)),
    ),
    Case("log_softmax", ops.log_softmax, [normal(3, 4)], lambda x: np.log(_softmax(x))),
    Case(
        "log_softmax_axis1",
        lambda x: ops.log_softmax(x, axis=1),
        [normal(2, 3, 4)],
        lambda x: np.log(_softmax(x, 1)),
    ),
    Case(
        "moments",
        lambda x: ops.moments(x, axes=[0, 2]),
        [normal(2, 3, 4)],
        lambda x: (x.mean(axis=(0, 2)), x.var(axis=(0, 2))),
    ),
    Case(
        "moments_keepdims",
        lambda x: ops.moments(x, axes=(-1,), keepdims=True),
        [normal(3, 4)],
        lambda x: (x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)),
    ),
    # cross-entropies, gradients for both target and output
    Case(
        "cce_probs", ops.categorical_crossentropy, [_soft_targets(4, 3), _probs(4, 3)], _cce_probs
    ),
    Case(
        "cce_probs_axis0",
        lambda t, p: ops.categorical_crossentropy(t, p, axis=0),
        [_soft_targets(3, 4, axis=0), _probs(3, 4, axis=0)],
        lambda t, p: _cce_probs(t, p, 0),
    ),
    Case(
        "cce_logits",
        lambda t, x: ops.categorical_crossentropy(t, x, from_logits=True),
        [_soft_targets(2, 2, 3), normal(2, 2, 3)],
        _cce_logits,
    ),
    Case(
        "cce_logits_axis1",
        lambda t, x: ops.categorical_crossentropy(t, x, from_logits=True, axis=1),
        [_soft_targets(2, 3, 2, axis=1), normal(2, 3, 2)],
        lambda t, x: _cce_logits(t, x, 1),
    ),
    Case(
        "bce_probs",
        ops.binary_crossentropy,
        [RNG.uniform(0, 1, (3, 4)), RNG.uniform(0.05, 0.95, (3, 4))],
        _bce_probs,
    ),
    Case(
        "bce_logits",
        lambda t, x: ops.binary_crossentropy(t, x, from_logits=True),
        [RNG.uniform(0, 1, (3, 4)), normal(3, 4) * 3],
        _bce_logits,
    ),
    Case(
        "scce_probs",
        lambda p: ops.sparse_categorical_crossentropy(LABELS, p),
        [_probs(5, 4)],
        lambda p: _scce_reference(LABELS, p, False),
    ),
    Case(
        "scce_logits",
        lambda x: ops.sparse_categorical_crossentropy(LABELS[:, None], x, from_logits=True),
        [normal(5, 4)],
        lambda x: _scce_reference(LABELS, x, True),
    ),
    Case(
        "scce_logits_axis0",
        lambda x: ops.sparse_categorical_crossentropy(LABELS, x, from_logits=True, axis=0),
        [normal(4, 5)],
        lambda x: _scce_reference(LABELS, x, True, axis=0),
    ),
    Case(
        "scce_probs_3d",
        lambda p: ops.sparse_categorical_crossentropy(LABELS.reshape(1, 5), p),
        [_probs(1, 5, 4)],
        lambda p: _scce_reference(LABELS.reshape(1, 5), p, False),
    ),
]


def _as_list(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.mark.parametrize("case", ACTIVATIONS, ids=repr)
def test_values_float64(case):
    with float64():
        results = _as_list(case.fn(*[ops.convert_to_tensor(a) for a in case.inputs]))
        expected = _as_list(case.reference(*case.inputs))
        for result, want in zip(results, expected, strict=True):
            assert result.dtype == "float64"
            np.testing.assert_allclose(result.numpy(), want, rtol=case.rtol, atol=1e-12)


@pytest.mark.parametrize("case", ACTIVATIONS, ids=repr)
def test_gradients(case):
    check_gradients(case.fn, *case.inputs)


@pytest.mark.parametrize("case", ACTIVATIONS, ids=repr)
def test_float32_values_and_gradients(case):
    inputs32 = [np.asarray(a, np.float32) for a in case.inputs]
    variables = [Variable(a) for a in inputs32]
    with GradientTape() as tape:
        results = _as_list(case.fn(*variables))
        loss = sum(ops.sum(r * 1.5) for r in results)
    grads = tape.gradient(loss, variables)
    expected = _as_list(case.reference(*[a.astype(np.float64) for a in inputs32]))
    for result, want in zip(results, expected, strict=True):
        assert result.dtype == "float32"
        np.testing.assert_allclose(result.numpy(), want, rtol=2e-5, atol=2e-6)
    assert loss.dtype == "float32"
    for variable, g in zip(variables, grads):
        assert g is not None and g.dtype == "float32" and g.shape == variable.shape


# -- stability at +-1e4 ---------------------------------------------------------------------
BIG = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], np.float32)


def _value_and_grad(fn, x):
    v = Variable(x)
    with GradientTape() as tape:
        y = fn(v)
    return y.numpy(), tape.gradient(ops.sum(y), v).numpy()


def test_sigmoid_softplus_log_sigmoid_are_finite_and_correct_at_extremes():
    x64 = BIG.astype(np.float64)
    y, g = _value_and_grad(ops.sigmoid, BIG)
    # sigmoid(-100) ~ 4e-44 is below float32's normal range: it may come out as 0 (as on
    # JAX, which flushes denormals to zero).
    np.testing.assert_allclose(
        y, [0, np.exp(-100.0), 2.0611536e-09, 0.5, 1, 1, 1], rtol=1e-6, atol=1e-38
    )
    assert np.all(np.isfinite(g)) and g[0] == 0 and g[-1] == 0
    y, g = _value_and_grad(ops.softplus, BIG)
    np.testing.assert_allclose(y, np.logaddexp(0, x64), rtol=1e-6, atol=1e-38)
    np.testing.assert_allclose(
        g, [0, np.exp(-100.0), _sigmoid(-20.0), 0.5, 1, 1, 1], rtol=1e-6, atol=1e-38
    )
    y, g = _value_and_grad(ops.log_sigmoid, BIG)
    np.testing.assert_allclose(y, -np.logaddexp(0, -x64), rtol=1e-6, atol=1e-38)
    np.testing.assert_allclose(g, np.exp(-np.logaddexp(0, x64)), rtol=1e-6, atol=1e-38)
    for fn in (
        ops.silu,
        ops.mish,
        ops.elu,
        ops.selu,
        ops.gelu,
        ops.softsign,
        ops.tanh,
        lambda x: ops.gelu(x, approximate=False),
    ):
        y, g = _value_and_grad(fn, BIG)
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(g)), fn
        assert y.dtype == np.float32 and g.dtype == np.float32


def test_softmax_and_log_softmax_at_extremes():
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4]], np.float32)
    y, g = _value_and_grad(ops.softmax, x)
    np.testing.assert_allclose(y, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)
    assert np.all(np.isfinite(g))
    y, g = _value_and_grad(ops.log_softmax, x)
    np.testing.assert_allclose(
        y, [[0, -2e4, -1e4], [-np.log(2), -np.log(2), -2e4 - np.log(2)]], rtol=1e-6
    )
    np.testing.assert_allclose(g, [[-2, 1, 1], [-0.5, -0.5, 1]], atol=1e-6)


def test_crossentropies_from_logits_at_extremes():
    logits = Variable(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], np.float32))
    target = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    with GradientTape(persistent=True) as tape:
        cce = ops.categorical_crossentropy(target, logits, from_logits=True)
        bce = ops.binary_crossentropy(target, logits, from_logits=True)
        scce = ops.sparse_categorical_crossentropy(np.array([0, 0]), logits, from_logits=True)
    np.testing.assert_allclose(cce.numpy(), [0.0, 2e4], rtol=1e-6)
    np.testing.assert_allclose(scce.numpy(), cce.numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        bce.numpy(), [[0, 0, np.log(2)], [1e4, 1e4, np.log(2)]], rtol=1e-6, atol=1e-30
    )
    for loss in (cce, bce, scce):
        g = tape.gradient(ops.sum(loss), logits).numpy()
        assert g.dtype == np.float32 and np.all(np.isfinite(g))
    np.testing.assert_allclose(
        tape.gradient(ops.sum(cce), logits).numpy(), [[0, 0, 0], [-1, 1, 0]], atol=1e-7
    )
    np.testing.assert_allclose(
        tape.gradient(ops.sum(bce), logits).numpy(), [[0, 0, 0.5], [-1, 1, 0.5]], atol=1e-7
    )


def test_bce_from_logits_keeps_small_losses_accurate():
    # t * softplus(-x) + (1 - t) * softplus(x): no cancellation for confident predictions.
    x = np.array([14.0, 5.0, -5.0], np.float32)
    t = np.array([1.0, 0.9999, 0.0001], np.float32)
    got = ops.binary_crossentropy(t, x, from_logits=True).numpy()
    t64, x64 = t.astype(np.float64), x.astype(np.float64)
    want = t64 * np.logaddexp(0, -x64) + (1 - t64) * np.logaddexp(0, x64)
    np.testing.assert_allclose(got, want, rtol=2e-6)


def test_crossentropies_from_probabilities_clip_like_keras():
    target = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    output = Variable(np.array([[0.0, 1.0], [0.0, 1.0]], np.float32))
    with GradientTape(persistent=True) as tape:
        cce = ops.categorical_crossentropy(target, output)
        bce = ops.binary_crossentropy(target, output)
        scce = ops.sparse_categorical_crossentropy(np.array([0, 1]), output)
    worst = -np.log(np.float32(EPS))
    np.testing.assert_allclose(
        cce.numpy(), [worst, -np.log(np.float32(1) - np.float32(EPS))], rtol=1e-5
    )
    np.testing.assert_allclose(scce.numpy(), cce.numpy(), rtol=1e-5)
    # In float32, 1 - eps rounds to 1 - 2**-23 (as it does in Keras).
    one_minus_eps = np.float32(1) - np.float32(EPS)
    np.testing.assert_allclose(bce.numpy()[0], [worst, -np.log(1 - one_minus_eps)], rtol=1e-5)
    for loss in (cce, bce, scce):
        g = tape.gradient(ops.sum(loss), output).numpy()
        assert np.all(np.isfinite(g)) and g.dtype == np.float32


def test_crossentropy_documented_examples():
    # keras.ops.binary_crossentropy docstring example.
    got = ops.binary_crossentropy(
        ops.convert_to_tensor([0, 1, 1, 0]), ops.convert_to_tensor([0.1, 0.9, 0.8, 0.2])
    )
    np.testing.assert_allclose(
        got.numpy(), [0.10536054, 0.10536054, 0.22314355, 0.22314355], rtol=1e-6
    )
    target = np.eye(3, dtype=np.float32)
    output = np.array([[0.9, 0.05, 0.05], [0.1, 0.85, 0.05], [0.05, 0.01, 0.94]], np.float32)
    np.testing.assert_allclose(
        ops.categorical_crossentropy(target, output).numpy(), -np.log([0.9, 0.85, 0.94]), rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(np.array([0, 1, 2]), output).numpy(),
        -np.log([0.9, 0.85, 0.94]),
        rtol=1e-6,
    )


def test_crossentropy_shape_and_label_errors():
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(2, 3\).*\(2, 4\)"):
        ops.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"binary_crossentropy.*\(3,\).*\(2,\)"):
        ops.binary_crossentropy(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"labels of shape \(3,\).*\(2, 4\)"):
        ops.sparse_categorical_crossentropy(np.array([0, 1, 2]), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"label value of 4.*\[0, 4\)"):
        ops.sparse_categorical_crossentropy(np.array([0, 4]), np.ones((2, 4)))
    for labels in (np.array([0, -1]), np.array([[-3], [1]], np.int32), np.array([1.0, -2.0])):
        with pytest.raises(ValueError, match=r"label value of -\d.*\[0, 4\)"):
            ops.sparse_categorical_crossentropy(labels, np.ones((2, 4)), from_logits=True)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        ops.softmax(np.ones((2, 3)), axis=2)


def test_integer_targets_are_cast_to_the_output_dtype():
    out = ops.binary_crossentropy(np.array([0, 1]), np.array([0.2, 0.7], np.float32))
    assert out.dtype == "float32"
    out = ops.categorical_crossentropy(np.array([[0, 1]]), np.array([[0.2, 0.8]], np.float32))
    assert out.dtype == "float32" and out.shape == (1,)


def test_one_hot():
    got = ops.one_hot(np.array([0, 2, -1, 5]), 3)
    np.testing.assert_array_equal(got.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert got.dtype == "float32" and got.creator is None
    got = ops.one_hot(np.array([[1, 0]]), 2, axis=0, dtype="int32")
    assert got.shape == (2, 1, 2) and got.dtype == "int32"
    np.testing.assert_array_equal(got.numpy()[:, 0, :], [[0, 1], [1, 0]])
    assert ops.one_hot(ops.convert_to_tensor([1]), 4, axis=-1).shape == (1, 4)


def test_moments_unused_output_and_float32():
    x = Variable(RNG.standard_normal((4, 3)).astype(np.float32))
    with GradientTape() as tape:
        mean, variance = ops.moments(x, axes=[0])
        loss = ops.sum(variance)  # mean unused: its gradient is zero
    g = tape.gradient(loss, x).numpy()
    data = x.numpy().astype(np.float64)
    np.testing.assert_allclose(g, 2 * (data - data.mean(0)) / 4, rtol=1e-5)
    assert mean.dtype == variance.dtype == g.dtype == "float32"
