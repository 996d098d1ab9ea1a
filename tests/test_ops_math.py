"""Elementwise math, reductions, products and `ops.math`: values against numpy (or the
closed-form formula), float64 finite-difference gradients, float32 in -> float32 out."""

import math

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, Variable, ops
from tests.gradcheck import check_gradients, float64

RNG = np.random.default_rng(20240)


def normal(*shape):
    return RNG.standard_normal(shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def away_from_zero(*shape):
    """Values with |x| in [0.3, 2] and random signs (abs, sign-sensitive ops)."""
    return RNG.uniform(0.3, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)


def distinct(*shape):
    """A permutation of well-separated values: no ties for max/min/sort."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.37 - n * 0.15).reshape(shape)


class Case:
    """One op applied to fixed inputs, with an independent numpy reference."""

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


def _erf(x):
    return np.vectorize(math.erf)(x)


def _erfc(x):
    return np.vectorize(math.erfc)(x)


def _binary_cases(name, op, reference, make=normal):
    shapes = [((3, 4), (3, 4)), ((), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4))]
    return [Case(f"{name}{a}{b}", op, [make(*a), make(*b)], reference) for a, b in shapes]


def _numpy_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _stable_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


CASES = [
    *_binary_cases("add", ops.add, np.add),
    *_binary_cases("subtract", ops.subtract, np.subtract),
    *_binary_cases("multiply", ops.multiply, np.multiply),
    *_binary_cases("divide", ops.divide, np.divide, away_from_zero),
    *_binary_cases("true_divide", ops.true_divide, np.divide, away_from_zero),
    *_binary_cases("divide_no_nan", ops.divide_no_nan, np.divide, away_from_zero),
    *_binary_cases("power", ops.power, np.power, positive),
    *_binary_cases("maximum", ops.maximum, np.maximum, distinct),
    *_binary_cases("minimum", ops.minimum, np.minimum, distinct),
    Case(
        "operators",
        lambda a, b: (a + b) * a - b / 2.0 + (-a) ** 2,
        [normal(3, 4), normal(4)],
        lambda a, b: (a + b) * a - b / 2.0 + a**2,
    ),
    Case("negative", ops.negative, [normal(3, 4)], np.negative),
    Case("square", ops.square, [normal(3, 4)], np.square),
    Case("sqrt", ops.sqrt, [positive(3, 4)], np.sqrt),
    Case("exp", ops.exp, [normal(3, 4)], np.exp),
    Case("expm1", ops.expm1, [normal(3, 4)], np.expm1),
    Case("log", ops.log, [positive(3, 4)], np.log),
    Case("log1p", ops.log1p, [positive(3, 4) - 0.4], np.log1p),
    Case("log2", ops.log2, [positive(3, 4)], np.log2),
    Case("log10", ops.log10, [positive(3, 4)], np.log10),
    Case("abs", ops.abs, [away_from_zero(3, 4)], np.abs),
    Case("absolute", ops.absolute, [away_from_zero(3, 4)], np.abs),
    Case("reciprocal", ops.reciprocal, [away_from_zero(3, 4)], np.reciprocal),
    Case("sin", ops.sin, [normal(3, 4)], np.sin),
    Case("cos", ops.cos, [normal(3, 4)], np.cos),
    Case("tan", ops.tan, [normal(3, 4) * 0.5], np.tan),
    Case("tanh", ops.tanh, [normal(3, 4)], np.tanh),
    Case("erf", ops.erf, [normal(4, 6) * 1.5], _erf, rtol=1e-13),
    Case(
        "erf_tails",
        ops.erf,
        [np.array([-7.0, -3.5, -1.0, 0.0, 0.2, 1.0, 2.5, 6.5])],
        _erf,
        rtol=1e-13,
    ),
    Case("erfc", ops.erfc, [normal(4, 6) * 1.5], _erfc, rtol=1e-13),
    Case(
        "erfc_tails",
        ops.erfc,
        [np.array([-4.0, -1.0, 0.5, 1.0, 3.0, 5.5, 7.0, 9.0])],
        _erfc,
        rtol=1e-12,
    ),
    Case("rsqrt", ops.rsqrt, [positive(3, 4)], lambda x: 1 / np.sqrt(x)),
    Case(
        "clip",
        lambda x: ops.clip(x, -0.5, 0.75),
        [np.linspace(-2, 2, 12) + 0.01],
        lambda x: np.clip(x, -0.5, 0.75),
    ),
    Case(
        "where",
        lambda a, b: ops.where(np.array([[True], [False], [True]]), a, b),
        [normal(3, 4), normal(4)],
        lambda a, b: np.where([[True], [False], [True]], a, b),
    ),
    Case(
        "where_scalar",
        lambda a: ops.where(a > 0, a, 0.0),
        [away_from_zero(3, 4)],
        lambda a: np.where(a > 0, a, 0.0),
    ),
    # reductions
    *[
        Case(
            f"{name}_axis{axis}_keep{keep}",
            (lambda f, ax, k: lambda x: f(x, axis=ax, keepdims=k))(op, axis, keep),
            [make(2, 3, 4)],
            (lambda f, ax, k: lambda x: f(x, axis=_numpy_axis(ax), keepdims=k))(ref, axis, keep),
        )
        for name, op, ref, make in [
            ("sum", ops.sum, np.sum, normal),
            ("mean", ops.mean, np.mean, normal),
            ("max", ops.max, np.max, distinct),
            ("min", ops.min, np.min, distinct),
            ("amax", ops.amax, np.max, distinct),
            ("prod", ops.prod, np.prod, positive),
            ("var", ops.var, np.var, normal),
            ("std", ops.std, np.std, normal),
            ("logsumexp", ops.logsumexp, _stable_logsumexp, normal),
        ]
        for axis, keep in [
            (None, False),
            (None, True),
            (0, False),
            (-1, True),
            ((0, 2), False),
            ([-1, 1], True),
        ]
    ],
    Case(
        "prod_with_zeros",
        lambda x: ops.prod(x, axis=1),
        [np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, -2.0, 3.0]])],
        lambda x: np.prod(x, axis=1),
    ),
    Case(
        "max_ties_share",
        lambda x: ops.max(x, axis=1),
        [np.array([[1.0, 3.0, 3.0, 0.5]])],
        lambda x: np.max(x, axis=1),
    ),
    Case(
        "cumsum_axis",
        lambda x: ops.cumsum(x, axis=1),
        [normal(2, 3, 4)],
        lambda x: np.cumsum(x, axis=1),
    ),
    Case(
        "cumsum_negative_axis",
        lambda x: ops.cumsum(x, axis=-1),
        [normal(3, 4)],
        lambda x: np.cumsum(x, axis=-1),
    ),
    Case("cumsum_flat", ops.cumsum, [normal(3, 4)], np.cumsum),
    # norms
    Case("norm_default", ops.norm, [normal(2, 3, 4)], lambda x: np.linalg.norm(x.ravel())),
    *[
        Case(
            f"norm_vector_ord{order}_keep{keep}",
            (lambda o, k: lambda x: ops.norm(x, ord=o, axis=-1, keepdims=k))(order, keep),
            [away_from_zero(3, 4)],
            (lambda o, k: lambda x: np.linalg.norm(x, ord=o, axis=-1, keepdims=k))(order, keep),
        )
        for order in (None, 1, 2, 3, 0.5, np.inf, -np.inf)
        for keep in (False, True)
    ],
    *[
        Case(
            f"norm_matrix_ord{order}_keep{keep}",
            (lambda o, k: lambda x: ops.norm(x, ord=o, axis=(1, 2), keepdims=k))(order, keep),
            [distinct(2, 3, 4)],
            (lambda o, k: lambda x: np.linalg.norm(x, ord=o, axis=(1, 2), keepdims=k))(order, keep),
            rtol=1e-9,
        )
        for order in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
        for keep in (False, True)
    ],
    Case(
        "norm_matrix_transposed_axes",
        lambda x: ops.norm(x, ord=1, axis=(1, 0)),
        [distinct(3, 4)],
        lambda x: np.linalg.norm(x, ord=1, axis=(1, 0)),
    ),
    # products
    Case("matmul_2d", ops.matmul, [normal(3, 4), normal(4, 2)], np.matmul),
    Case("matmul_batched_broadcast", ops.matmul, [normal(2, 1, 3, 4), normal(3, 4, 2)], np.matmul),
    Case("matmul_vector_matrix", ops.matmul, [normal(4), normal(2, 4, 3)], np.matmul),
    Case("matmul_matrix_vector", ops.matmul, [normal(2, 3, 4), normal(4)], np.matmul),
    Case("matmul_vectors", ops.matmul, [normal(4), normal(4)], np.matmul),
    Case("matmul_operator", lambda a, b: a @ b, [normal(3, 4), normal(4, 2)], np.matmul),
    Case("dot_matrices", ops.dot, [normal(3, 4), normal(4, 2)], np.dot),
    Case("dot_nd", ops.dot, [normal(2, 3, 4), normal(5, 4, 2)], np.dot),
    Case("dot_nd_vector", ops.dot, [normal(2, 3, 4), normal(4)], np.dot),
    Case("dot_scalar", ops.dot, [normal(), normal(3, 2)], np.dot),
    Case("outer", ops.outer, [normal(3), normal(2, 2)], np.outer),
    Case(
        "tensordot_int",
        lambda a, b: ops.tensordot(a, b, axes=2),
        [normal(2, 3, 4), normal(3, 4, 2)],
        lambda a, b: np.tensordot(a, b, axes=2),
    ),
    Case("tensordot_default", ops.tensordot, [normal(2, 3, 4), normal(3, 4, 2)], np.tensordot),
    Case(
        "tensordot_lists",
        lambda a, b: ops.tensordot(a, b, axes=([2, 0], [0, 2])),
        [normal(2, 3, 4), normal(4, 5, 2)],
        lambda a, b: np.tensordot(a, b, axes=([2, 0], [0, 2])),
    ),
    Case(
        "tensordot_zero",
        lambda a, b: ops.tensordot(a, b, axes=0),
        [normal(2, 3), normal(2)],
        lambda a, b: np.tensordot(a, b, axes=0),
    ),
    *[
        Case(
            f"einsum[{subscripts}]",
            (lambda s: lambda *xs: ops.einsum(s, *xs))(subscripts),
            [normal(*shape) for shape in shapes],
            (lambda s: lambda *xs: np.einsum(s, *xs))(subscripts),
        )
        for subscripts, shapes in [
            ("ij,jk->ik", [(3, 4), (4, 2)]),
            ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
            ("ij,kj", [(3, 4), (2, 4)]),
            ("ij->ji", [(3, 4)]),
            ("ij->", [(3, 4)]),
            ("ij->j", [(3, 4)]),
            ("i,j->ij", [(3,), (4,)]),
            ("ij,k->jk", [(2, 3), (4,)]),
            ("abc,cd->abd", [(2, 3, 4), (4, 2)]),
            ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
            ("...ij,...jk->...ik", [(2, 3, 4), (1, 4, 2)]),
            ("...i,...i", [(2, 3, 4), (3, 4)]),
            ("ij,ij->ij", [(3, 1), (3, 4)]),
            ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 2, 4)]),
            ("ii,i->i", [(3, 3), (3,)]),
            ("ii->", [(3, 3)]),
            ("iij,j->ij", [(2, 2, 3), (3,)]),
        ]
    ],
    # ops.math
    Case(
        "top_k_values",
        lambda x: ops.top_k(x, 2)[0],
        [distinct(3, 5)],
        lambda x: -np.sort(-x, axis=-1)[:, :2],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_values_float64(case):
    with float64():
        tensors = [ops.convert_to_tensor(a) for a in case.inputs]
        result = case.fn(*tensors)
        expected = case.reference(*case.inputs)
        assert result.dtype == "float64"
        np.testing.assert_allclose(result.numpy(), expected, rtol=case.rtol, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradients(case):
    check_gradients(case.fn, *case.inputs)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_float32_values_and_gradients(case):
    inputs32 = [np.asarray(a, np.float32) for a in case.inputs]
    variables = [Variable(a) for a in inputs32]
    with GradientTape() as tape:
        result = case.fn(*variables)
        loss = ops.sum(result * 1.5)
    grads = tape.gradient(loss, variables)
    assert result.dtype == "float32", result.dtype
    assert loss.dtype == "float32"
    expected = case.reference(*[a.astype(np.float64) for a in inputs32])
    np.testing.assert_allclose(result.numpy(), expected, rtol=2e-5, atol=2e-6)
    for i, g in enumerate(grads):
        assert g is not None
        assert g.dtype == "float32", (i, g.dtype)
        assert g.shape == variables[i].shape


def test_erf_accuracy_on_a_dense_grid():
    x = np.linspace(-9, 9, 40001)
    expected = _erf(x)
    with float64():
        got = ops.erf(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=2e-14, atol=1e-300)
    x32 = x.astype(np.float32)
    got32 = ops.erf(x32).numpy()
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, _erf(x32.astype(np.float64)), rtol=3e-7, atol=1e-37)
    tiny = np.array([1e-30, -1e-20, 0.0], np.float32)
    np.testing.assert_allclose(ops.erf(tiny).numpy(), 2 / np.sqrt(np.pi) * tiny, rtol=1e-6)
    huge = np.array([np.inf, -np.inf, 3e38, -1e30], np.float32)
    np.testing.assert_array_equal(ops.erf(huge).numpy(), [1, -1, 1, -1])
    with float64():
        np.testing.assert_allclose(
            ops.erfc(np.array([10.0, 26.0])).numpy(), [_erfc(10.0), _erfc(26.0)], rtol=1e-12
        )


def test_integer_inputs_become_floatx_for_math():
    ints = ops.convert_to_tensor([1, 2, 4])
    for fn in (
        ops.exp,
        ops.log,
        ops.sqrt,
        ops.mean,
        ops.var,
        ops.std,
        ops.erf,
        ops.sin,
        ops.tanh,
        ops.reciprocal,
        ops.log1p,
        ops.norm,
        ops.logsumexp,
    ):
        assert fn(ints).dtype == "float32", fn.__name__
    assert ops.sum(ints).dtype == "int32"
    assert ops.sum(ops.convert_to_tensor([True, True, False])).numpy() == 2
    assert ops.cumsum(ints).dtype == "int32"
    assert ops.divide(ints, 2).dtype == "float32"


def test_divide_no_nan_zero_denominator_gives_zero_and_zero_gradient():
    x = Variable([1.0, 2.0, 3.0])
    y = Variable([0.0, 4.0, 0.0])
    with GradientTape() as tape:
        z = ops.divide_no_nan(x, y)
    gx, gy = tape.gradient(ops.sum(z), [x, y])
    np.testing.assert_array_equal(z.numpy(), [0.0, 0.5, 0.0])
    np.testing.assert_allclose(gx.numpy(), [0.0, 0.25, 0.0])
    np.testing.assert_allclose(gy.numpy(), [0.0, -2.0 / 16, 0.0])


def test_clip_gradient_is_zero_outside_and_bounds_may_be_none():
    x = Variable([-2.0, 0.5, 3.0])
    with GradientTape() as tape:
        y = ops.clip(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.numpy(), [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(tape.gradient(ops.sum(y), x).numpy(), [0.0, 1.0, 0.0])
    assert ops.clip(ops.convert_to_tensor([1, 5, 9]), 2, 6).dtype == "int32"
    np.testing.assert_array_equal(ops.clip([1.0, 5.0], None, 2.0).numpy(), [1.0, 2.0])


def test_std_and_norm_gradients_are_zero_not_nan_at_zero():
    x = Variable(np.zeros((2, 3)))
    with GradientTape(persistent=True) as tape:
        s = ops.sum(ops.std(x, axis=1))
        n = ops.norm(x)
    assert np.all(tape.gradient(s, x).numpy() == 0)
    assert np.all(tape.gradient(n, x).numpy() == 0)


def test_logsumexp_is_stable_and_handles_minus_infinity():
    x = np.array([[1e4, 1e4 - 1.0], [-1e4, -1e4], [-np.inf, 0.0]], np.float32)
    got = ops.logsumexp(x, axis=1).numpy()
    np.testing.assert_allclose(
        got, [1e4 + np.log1p(np.exp(-1.0)), -1e4 + np.log(2.0), 0.0], rtol=1e-6
    )
    assert ops.logsumexp(np.full((2,), -np.inf, np.float32)).numpy() == -np.inf


NO_GRADIENT_OPS = [
    ("sign", lambda x: ops.sign(x), np.sign),
    ("floor", ops.floor, np.floor),
    ("ceil", ops.ceil, np.ceil),
    ("round", ops.round, np.round),
    ("round_decimals", lambda x: ops.round(x, 1), lambda x: np.round(x, 1)),
    ("argmax", ops.argmax, np.argmax),
    ("argmax_axis", lambda x: ops.argmax(x, axis=-1), lambda x: np.argmax(x, axis=-1)),
    (
        "argmax_keepdims",
        lambda x: ops.argmax(x, axis=0, keepdims=True),
        lambda x: np.argmax(x, axis=0, keepdims=True),
    ),
    ("argmin", lambda x: ops.argmin(x, axis=0), lambda x: np.argmin(x, axis=0)),
    ("argsort", ops.argsort, lambda x: np.argsort(x, axis=-1)),
    ("argsort_axis0", lambda x: ops.argsort(x, axis=0), lambda x: np.argsort(x, axis=0)),
    ("greater", lambda x: ops.greater(x, 0.1), lambda x: x > 0.1),
    ("greater_equal", lambda x: ops.greater_equal(x, 0.1), lambda x: x >= 0.1),
    ("less", lambda x: ops.less(x, 0.1), lambda x: x < 0.1),
    ("less_equal", lambda x: ops.less_equal(x, 0.1), lambda x: x <= 0.1),
    ("equal", lambda x: ops.equal(x, x[0]), lambda x: x == x[0]),
    ("not_equal", lambda x: ops.not_equal(x, x[0]), lambda x: x != x[0]),
    ("logical_and", lambda x: ops.logical_and(x > 0, x < 1), lambda x: (x > 0) & (x < 1)),
    ("logical_or", lambda x: ops.logical_or(x > 1, x < -1), lambda x: (x > 1) | (x < -1)),
    ("logical_xor", lambda x: ops.logical_xor(x > 0, x > 1), lambda x: (x > 0) ^ (x > 1)),
    ("logical_not", lambda x: ops.logical_not(x > 0), lambda x: ~(x > 0)),
    ("all", lambda x: ops.all(x > -1, axis=1), lambda x: np.all(x > -1, axis=1)),
    (
        "any",
        lambda x: ops.any(x > 1, axis=0, keepdims=True),
        lambda x: np.any(x > 1, axis=0, keepdims=True),
    ),
    ("all_flat", lambda x: ops.all(x > -5), lambda x: np.all(x > -5)),
    (
        "count_nonzero",
        lambda x: ops.count_nonzero(ops.round(x)),
        lambda x: np.count_nonzero(np.round(x)),
    ),
    (
        "count_nonzero_axis",
        lambda x: ops.count_nonzero(ops.round(x), axis=1),
        lambda x: np.count_nonzero(np.round(x), axis=1),
    ),
]


@pytest.mark.parametrize(
    "name, fn, reference", NO_GRADIENT_OPS, ids=[c[0] for c in NO_GRADIENT_OPS]
)
def test_ops_without_gradient(name, fn, reference):
    data = np.array([[0.5, -1.26, 2.0, 0.04], [-0.3, 1.5, -2.5, 0.0], [1.1, 0.2, -0.7, 3.3]])
    x = Variable(data.astype(np.float32))
    with GradientTape() as tape:
        result = fn(x)
    assert result.creator is None
    np.testing.assert_array_equal(result.numpy(), reference(data.astype(np.float32)))
    if result.dtype.startswith("int"):
        assert result.dtype == "int32"
    assert tape.gradient(ops.sum(ops.cast(result, "float32")), x) is None


def test_isnan_isinf_isfinite():
    x = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    np.testing.assert_array_equal(ops.isnan(x).numpy(), [False, True, False, False])
    np.testing.assert_array_equal(ops.isinf(x).numpy(), [False, False, True, True])
    np.testing.assert_array_equal(ops.isfinite(x).numpy(), [True, False, False, False])


def test_sign_has_zero_gradient_inside_a_graph():
    x = Variable([-2.0, 0.0, 3.0])
    with GradientTape() as tape:
        y = ops.sum(ops.sign(x) * x)  # = sum |x|, but only through the second factor
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [-1.0, 0.0, 1.0])


def test_top_k_and_in_top_k():
    x = np.array([[0.1, 0.5, 0.5, 0.2], [3.0, -1.0, 2.0, 1.0]], np.float32)
    values, indices = ops.top_k(x, 2)
    np.testing.assert_array_equal(values.numpy(), [[0.5, 0.5], [3.0, 2.0]])
    np.testing.assert_array_equal(indices.numpy(), [[1, 2], [0, 2]])  # ties: lower index
    assert indices.dtype == "int32" and values.dtype == "float32"
    w = Variable(x)
    with GradientTape() as tape:
        top = ops.top_k(w, 1)[0]
    np.testing.assert_array_equal(
        tape.gradient(ops.sum(top), w).numpy(), [[0, 1, 0, 0], [1, 0, 0, 0]]
    )
    # Ties count in the target's favour; NaN never counts.
    targets = np.array([2, 3])
    np.testing.assert_array_equal(ops.in_top_k(targets, x, 1).numpy(), [True, False])
    np.testing.assert_array_equal(ops.in_top_k(targets, x, 3).numpy(), [True, True])
    nan_scores = np.array([[np.nan, 1.0, 0.0]], np.float32)
    assert not ops.in_top_k(np.array([0]), nan_scores, 2).numpy()[0]
    with pytest.raises(ValueError, match="top_k"):
        ops.top_k(x, 5)


def test_creation_ops():
    assert ops.zeros((2, 3)).dtype == "float32" and ops.zeros(2).shape == (2,)
    np.testing.assert_array_equal(ops.ones((2,), dtype="int32").numpy(), [1, 1])
    full = ops.full((2, 2), 7.5)
    assert full.dtype == "float32" and np.all(full.numpy() == 7.5)
    ints = ops.convert_to_tensor([[1, 2], [3, 4]])
    assert ops.zeros_like(ints).dtype == "int32"
    assert ops.ones_like(ints, dtype="float32").dtype == "float32"
    np.testing.assert_array_equal(ops.full_like(ints, 9).numpy(), [[9, 9], [9, 9]])
    assert ops.arange(5).dtype == "int32"
    np.testing.assert_array_equal(ops.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(ops.arange(0.0, 1.0, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert ops.arange(0.0, 1.0, 0.25).dtype == "float32"
    np.testing.assert_array_equal(ops.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))
    assert ops.eye(3).dtype == "float32"
    np.testing.assert_array_equal(ops.identity(2).numpy(), np.eye(2))
    np.testing.assert_allclose(ops.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert ops.linspace(0, 1, 5).dtype == "float32"
    values, step = ops.linspace(0.0, 2.0, 5, retstep=True)
    assert float(step) == 0.5 and values.shape == (5,)
    keras.config.set_floatx("float64")
    assert ops.zeros((1,)).dtype == "float64" and ops.arange(0.5, 2).dtype == "float64"


def test_information_ops():
    x = ops.ones((2, 3, 4))
    assert ops.size(x) == 24 and ops.ndim(x) == 3 and ops.shape(x) == (2, 3, 4)
    assert ops.size(np.ones(5)) == 5 and ops.ndim([[1, 2]]) == 2
    assert ops.dtype(x) == "float32"
    with GradientTape() as tape:
        w = Variable([1.0, 2.0])
        y = ops.sum(ops.stop_gradient(w) * w)
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [1.0, 2.0])


def test_unknown_axis_raises_a_clear_error():
    x = ops.ones((2, 3))
    for fn in (ops.sum, ops.mean, ops.max, ops.argmax, ops.var, ops.logsumexp, ops.cumsum):
        with pytest.raises(ValueError, match=r"axis 2 is out of bounds for a tensor of rank 2"):
            fn(x, axis=2)
    with pytest.raises(ValueError, match="sum: axis -3"):
        ops.sum(x, axis=-3)
    with pytest.raises(ValueError, match="norm"):
        ops.norm(x, ord="nuc", axis=0)
