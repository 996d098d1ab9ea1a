"""The less common `keras.ops` (most of `ops.numpy`, nn_more.py): values and dtypes against
Keras 3, float64 finite-difference gradients across broadcast shapes, symbolic shapes."""

import json
import os
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import ops
from minikeras.ops.symbolic import KerasTensor
from tests.fixtures.ops_more_scenarios import decode, resolve
from tests.gradcheck import check_gradients

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "ops_more.json")
with open(FIXTURE) as f:
    _FIXTURE = json.load(f)
CASES = _FIXTURE["cases"]

# Ops whose values are unspecified (only shape and dtype are compared).
UNSPECIFIED_VALUES = {"empty", "empty_like"}
# argpartition leaves the order on each side of the kth entry unspecified: checked by property.
PARTITIONS = {"argpartition"}


def flat_outputs(value):
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in flat_outputs(item)]
    return [value]


def expected_outputs(encoded):
    if isinstance(encoded, list):
        return [leaf for item in encoded for leaf in expected_outputs(item)]
    return [encoded]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_op_matches_keras(case):
    fn = resolve(ops, case["op"])
    args = decode(case["args"])
    kwargs = {k: decode(v) for k, v in case["kwargs"].items()}
    got = flat_outputs(fn(*args, **kwargs))
    want = expected_outputs(case["output"])
    assert len(got) == len(want)
    for value, expected in zip(got, want):
        array = ops.convert_to_numpy(value)
        assert list(array.shape) == expected["shape"]
        assert str(array.dtype) == expected["dtype"]
        if case["op"] in PARTITIONS:
            data, kth = args[0], kwargs["kth"]
            picked = data[array]
            assert sorted(array.tolist()) == list(range(data.shape[0]))
            assert picked[kth] == np.sort(data)[kth]
            assert np.all(picked[:kth] <= picked[kth]) and np.all(picked[kth:] >= picked[kth])
        elif case["op"] not in UNSPECIFIED_VALUES:
            np.testing.assert_allclose(
                array.astype(np.float64) if array.dtype != bool else array,
                np.asarray(expected["array"], dtype=expected["dtype"]),
                rtol=2e-5,
                atol=2e-6,
                equal_nan=True,
            )


# -- gradients ----------------------------------------------------------------------------
RNG = np.random.default_rng(11)


def normal(*shape):
    return RNG.standard_normal(shape)


def uniform(low, high, *shape):
    return RNG.uniform(low, high, shape)


def away(*shape):
    """|x| in [0.3, 2] with random signs (kinks at 0 stay away)."""
    return RNG.uniform(0.3, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.37 - n * 0.15).reshape(shape)


UNARY_GRADIENTS = [
    ("arccos", ops.arccos, lambda s: uniform(-0.8, 0.8, *s)),
    ("arcsin", ops.arcsin, lambda s: uniform(-0.8, 0.8, *s)),
    ("arctan", ops.arctan, lambda s: normal(*s)),
    ("arccosh", ops.arccosh, lambda s: uniform(1.2, 3.0, *s)),
    ("arcsinh", ops.arcsinh, lambda s: normal(*s)),
    ("arctanh", ops.arctanh, lambda s: uniform(-0.8, 0.8, *s)),
    ("cosh", ops.cosh, lambda s: normal(*s)),
    ("sinh", ops.sinh, lambda s: normal(*s)),
    ("cbrt", ops.cbrt, lambda s: away(*s)),
    ("exp2", ops.exp2, lambda s: normal(*s)),
    ("deg2rad", ops.deg2rad, lambda s: normal(*s)),
    ("rad2deg", ops.rad2deg, lambda s: normal(*s)),
    ("fabs", ops.fabs, lambda s: away(*s)),
    ("sinc", ops.sinc, lambda s: away(*s)),
    ("real", ops.real, lambda s: normal(*s)),
    ("conj", ops.conj, lambda s: normal(*s)),
    ("copy", ops.copy, lambda s: normal(*s)),
    ("hard_tanh", ops.hard_tanh, lambda s: away(*s) * 0.8),
    ("hard_shrink", ops.hard_shrink, lambda s: away(*s)),
    ("soft_shrink", ops.soft_shrink, lambda s: away(*s)),
    ("tanh_shrink", ops.tanh_shrink, lambda s: normal(*s)),
    ("threshold", lambda x: ops.threshold(x, 0.1, -2.0), lambda s: away(*s)),
    ("sparse_plus", ops.sparse_plus, lambda s: away(*s) * 1.5),
    ("sparse_sigmoid", ops.sparse_sigmoid, lambda s: away(*s) * 1.5),
    ("squareplus", ops.squareplus, lambda s: normal(*s)),
    ("nan_to_num", ops.nan_to_num, lambda s: normal(*s)),
]


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
@pytest.mark.parametrize("name,fn,make", UNARY_GRADIENTS, ids=[c[0] for c in UNARY_GRADIENTS])
def test_elementwise_gradient(name, fn, make, shape):
    check_gradients(fn, make(shape))


BINARY_GRADIENTS = [
    ("arctan2", ops.arctan2, away, away),
    ("hypot", ops.hypot, away, away),
    ("logaddexp", ops.logaddexp, normal, normal),
    ("logaddexp2", ops.logaddexp2, normal, normal),
    ("fmax", ops.fmax, distinct, lambda *s: distinct(*s) + 0.11),
    ("fmin", ops.fmin, distinct, lambda *s: distinct(*s) + 0.11),
    ("mod", ops.mod, lambda *s: uniform(0.1, 0.9, *s) + 2.0, lambda *s: uniform(0.9, 1.1, *s)),
    ("fmod", ops.fmod, lambda *s: uniform(0.1, 0.9, *s) - 3.0, lambda *s: uniform(0.9, 1.1, *s)),
]
BROADCAST_SHAPES = [((2, 3), (2, 3)), ((), (2, 3)), ((2, 1), (1, 3)), ((3,), (2, 3))]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES)
@pytest.mark.parametrize(
    "name,fn,make1,make2", BINARY_GRADIENTS, ids=[c[0] for c in BINARY_GRADIENTS]
)
def test_binary_gradient_across_broadcast_shapes(name, fn, make1, make2, shapes):
    check_gradients(fn, make1(*shapes[0]), make2(*shapes[1]))


STRUCTURAL_GRADIENTS = [
    ("cumprod", lambda x: ops.cumprod(x, axis=1), [uniform(0.5, 1.5, 2, 4)]),
    ("cumprod_with_zeros", lambda x: ops.cumprod(x), [np.array([1.5, 0.0, 2.0, 0.0, 3.0])]),
    ("rot90", lambda x: ops.rot90(x, k=1, axes=(1, 2)), [normal(2, 3, 4)]),
    ("rot90_k3", lambda x: ops.rot90(x, k=3), [normal(3, 2)]),
    ("tril", lambda x: ops.tril(x, k=-1), [normal(2, 3, 3)]),
    ("triu", lambda x: ops.triu(x, k=1), [normal(3, 4)]),
    ("diff", lambda x: ops.diff(x, n=2, axis=0), [normal(4, 3)]),
    ("roll", lambda x: ops.roll(x, 2, axis=1), [normal(3, 4)]),
    ("diagonal", lambda x: ops.diagonal(x, offset=1), [normal(3, 4)]),
    ("diag_vector", lambda x: ops.diag(x, k=-1), [normal(3)]),
    ("diagflat", ops.diagflat, [normal(2, 2)]),
    ("trace", ops.trace, [normal(3, 4)]),
    ("fliplr", ops.fliplr, [normal(2, 3)]),
    ("hstack", lambda a, b: ops.hstack([a, b]), [normal(2, 3), normal(2, 1)]),
    ("vstack", lambda a, b: ops.vstack([a, b]), [normal(3), normal(2, 3)]),
    ("dstack", lambda a, b: ops.dstack([a, b]), [normal(2, 3), normal(2, 3)]),
    ("append", lambda a, b: ops.append(a, b), [normal(2, 2), normal(3)]),
    ("array_split", lambda x: ops.array_split(x, 3), [normal(7, 2)]),
    ("meshgrid", lambda a, b: ops.meshgrid(a, b), [normal(3), normal(2)]),
    ("inner", ops.inner, [normal(2, 3), normal(4, 3)]),
    ("vdot", ops.vdot, [normal(2, 3), normal(6)]),
    ("kron", ops.kron, [normal(3), normal(2, 2)]),
    ("cross", ops.cross, [normal(4, 3), normal(3)]),
    ("cross_2d", ops.cross, [normal(4, 2), normal(4, 2)]),
    ("correlate_same", lambda a, b: ops.correlate(a, b, mode="same"), [normal(6), normal(3)]),
    (
        "correlate_full_swapped",
        lambda a, b: ops.correlate(a, b, mode="full"),
        [normal(2), normal(4)],
    ),
    ("trapezoid_x", lambda y, x: ops.trapezoid(y, x), [normal(2, 5), np.sort(normal(5))]),
    ("average", lambda x, w: ops.average(x, axis=1, weights=w), [normal(3, 4), uniform(0.1, 1, 4)]),
    ("ptp", lambda x: ops.ptp(x, axis=0), [distinct(3, 4)]),
    ("quantile", lambda x: ops.quantile(x, [0.2, 0.7], axis=1), [distinct(3, 5)]),
    ("median", ops.median, [distinct(3, 4)]),
    ("corrcoef", ops.corrcoef, [normal(3, 6)]),
    ("select", lambda a, b: ops.select([a > 0, b > 0], [a, b], 0.5), [away(5), away(5)]),
    ("nansum", lambda x: ops.nansum(x, axis=0), [np.array([[1.0, np.nan], [2.0, 3.0]])]),
    ("nanmean", lambda x: ops.nanmean(x, axis=1), [np.array([[1.0, np.nan], [2.0, 3.0]])]),
    ("nanvar", lambda x: ops.nanvar(x), [np.array([[1.0, np.nan, 4.0], [2.0, 3.0, 7.0]])]),
    ("nanmax", lambda x: ops.nanmax(x, axis=1), [np.array([[1.0, np.nan], [2.0, 3.0]])]),
    ("vander", lambda x: ops.vander(x, 3), [away(3)]),
    ("sparsemax", ops.sparsemax, [normal(3, 5) * 0.5]),
    ("normalize", ops.normalize, [normal(3, 4)]),
    ("normalize_l1", lambda x: ops.normalize(x, axis=0, order=1), [away(3, 4)]),
    ("layer_normalization", ops.layer_normalization, [normal(3, 4), normal(4), normal(4)]),
    (
        "layer_normalization_axes",
        lambda x: ops.layer_normalization(x, axis=(1, 2)),
        [normal(2, 3, 4)],
    ),
    ("rms_normalization", ops.rms_normalization, [normal(3, 4), normal(4)]),
    (
        "batch_normalization",
        lambda x, m, v: ops.batch_normalization(x, m, v, axis=1),
        [normal(3, 4), normal(4), uniform(0.5, 2, 4)],
    ),
    ("psnr", lambda a, b: ops.psnr(a, b, 1.0), [uniform(0, 1, 3, 4), uniform(0, 1, 3, 4)]),
    (
        "unfold",
        lambda x: ops.unfold(x, (2, 3), dilation=2, padding=1, stride=(2, 1)),
        [normal(1, 2, 5, 5)],
    ),
    ("fold", lambda x: ops.fold(x, (4, 5), 2), [normal(1, 8, 12)]),
    ("depth_to_space", lambda x: ops.depth_to_space(x, 2), [normal(1, 2, 3, 8)]),
    (
        "space_to_depth_cf",
        lambda x: ops.space_to_depth(x, 2, "channels_first"),
        [normal(1, 2, 4, 6)],
    ),
    ("ldexp", lambda x: ops.ldexp(x, np.array([2, -1])), [normal(2)]),
]


@pytest.mark.parametrize(
    "name,fn,arrays", STRUCTURAL_GRADIENTS, ids=[c[0] for c in STRUCTURAL_GRADIENTS]
)
def test_composite_and_rearranging_gradient(name, fn, arrays):
    check_gradients(fn, *arrays)


# -- symbolic shapes ----------------------------------------------------------------------
# Ops whose output size depends on the values: on symbolic tensors the size is unknown (None),
# as Keras infers it.
DATA_DEPENDENT = {"unique", "nonzero", "bincount"}
# Ops whose arguments are all Python values (nothing to make symbolic).
NO_TENSOR_ARGUMENTS = {
    "array", "empty", "tri", "logspace", "geomspace", "bartlett", "blackman", "hamming",
    "hanning", "kaiser",
}  # fmt: skip


def symbolic(value):
    if isinstance(value, np.ndarray):
        return KerasTensor(value.shape, dtype=str(value.dtype))
    if isinstance(value, (list, tuple)):
        return type(value)(symbolic(v) for v in value)
    return value


SYMBOLIC_CASES = [c for c in CASES if c["op"] not in NO_TENSOR_ARGUMENTS]


@pytest.mark.parametrize("case", SYMBOLIC_CASES, ids=[c["id"] for c in SYMBOLIC_CASES])
def test_symbolic_shape_and_dtype_match_eager(case):
    fn = resolve(ops, case["op"])
    args = symbolic(decode(case["args"]))
    kwargs = {k: decode(v) for k, v in case["kwargs"].items()}
    if case["op"] in ("unravel_index", "average", "trapezoid"):  # index/weight arguments
        args = [args[0], *decode(case["args"])[1:]]
    got = flat_outputs(fn(*args, **kwargs))
    want = expected_outputs(case["output"])
    assert len(got) == len(want)
    for value, expected in zip(got, want):
        assert isinstance(value, KerasTensor)
        assert value.dtype == expected["dtype"]
        if case["op"] in DATA_DEPENDENT:
            known = [d if d is not None else e for d, e in zip(value.shape, expected["shape"])]
            assert known == expected["shape"]
            assert None in value.shape or case["op"] == "unique"
        else:
            assert list(value.shape) == expected["shape"]


def test_symbolic_unknown_batch_flows_through_new_ops():
    inputs = keras.Input(shape=(4, 6))
    outputs = ops.layer_normalization(ops.cumprod(ops.tril(inputs), axis=-1))
    assert outputs.shape == (None, 4, 6)
    model = keras.Model(inputs, outputs)
    data = np.random.default_rng(0).standard_normal((2, 4, 6)).astype("float32")
    expected = ops.layer_normalization(ops.cumprod(ops.tril(data), axis=-1))
    np.testing.assert_allclose(model(data).numpy(), expected.numpy(), rtol=1e-6)
    assert ops.unique(keras.Input(shape=(3,))).shape == (None,)


# -- core and linalg gradients ------------------------------------------------------------
def spd(n, batch=()):
    m = RNG.standard_normal(batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


CORE_AND_LINALG_GRADIENTS = [
    ("scatter", lambda v: ops.scatter(np.array([[0, 1], [2, 0], [0, 1]]), v, (3, 2)), [normal(3)]),
    (
        "scatter_update",
        lambda x, u: ops.scatter_update(x, np.array([[1], [0]]), u),
        [normal(3, 2), normal(2, 2)],
    ),
    (
        "scatter_update_add",
        lambda x, u: ops.scatter_update(x, np.array([[1, 1], [0, 0], [1, 1]]), u, "add"),
        [normal(3, 2), normal(3)],
    ),
    (
        "scatter_update_max",
        lambda x, u: ops.scatter_update(x, np.array([[1, 1], [0, 0]]), u, "max"),
        [distinct(3, 2), distinct(2) + 0.05],
    ),
    ("slice_update", lambda x, u: ops.slice_update(x, (1, 2), u), [normal(4, 5), normal(2, 3)]),
    ("segment_sum", lambda d: ops.segment_sum(d, np.array([0, 0, 2, 1, 2]), 4), [normal(5, 2)]),
    ("segment_max", lambda d: ops.segment_max(d, np.array([0, 0, 2, 1, 2]), 3), [distinct(5)]),
    ("segment_min", lambda d: ops.segment_min(d, np.array([1, 0, 1, 1, 0]), 2), [distinct(5, 2)]),
    ("segment_prod", lambda d: ops.segment_prod(d, np.array([0, 0, 2, 1, 2]), 4), [away(5)]),
    (
        "segment_prod_with_zero",
        lambda d: ops.segment_prod(d, np.array([0, 0, 0, 1])),
        [np.array([1.5, 0.0, -2.0, 3.0])],
    ),
    ("erfinv", ops.erfinv, [uniform(-0.9, 0.9, 5)]),
    ("extract_sequences", lambda x: ops.extract_sequences(x, 4, 3), [normal(2, 10)]),
    ("inv", ops.inv, [spd(3, (2,))]),
    ("det", ops.det, [normal(2, 3, 3)]),
    ("slogdet", lambda x: ops.slogdet(x)[1], [normal(3, 3)]),
    ("logdet", ops.logdet, [spd(3)]),
    ("solve", ops.solve, [spd(3), normal(3, 2)]),
    ("solve_vector", ops.solve, [spd(3), normal(3)]),
    ("solve_broadcast", ops.solve, [spd(3, (2,)), normal(3, 2)]),
    ("solve_triangular", ops.solve_triangular, [spd(3), normal(3, 2)]),
    ("solve_triangular_batch", ops.solve_triangular, [spd(3, (2,)), normal(2, 3, 2)]),
    (
        "solve_triangular_lower",
        lambda a, b: ops.solve_triangular(a, b, lower=True),
        [spd(3), normal(3)],
    ),
    ("cholesky", ops.cholesky, [spd(3)]),
    ("cholesky_upper", lambda x: ops.cholesky(x, upper=True), [spd(3, (2,))]),
    ("cholesky_inverse", ops.cholesky_inverse, [np.linalg.cholesky(spd(3))]),
    ("eigh", lambda x: ops.eigh(x), [spd(3)]),
    ("pinv", ops.pinv, [normal(3, 2)]),
    ("pinv_wide", ops.pinv, [normal(2, 4)]),
    ("lstsq", ops.lstsq, [normal(4, 2), normal(4)]),
]


@pytest.mark.parametrize(
    "name,fn,arrays", CORE_AND_LINALG_GRADIENTS, ids=[c[0] for c in CORE_AND_LINALG_GRADIENTS]
)
def test_core_and_linalg_gradient(name, fn, arrays):
    if name in ("cholesky", "cholesky_upper", "eigh"):
        # Their input is read as symmetric: perturb the two mirrored entries together.
        def symmetric(fn=fn):
            return lambda x: fn((x + ops.swapaxes(x, -1, -2)) * 0.5)

        fn = symmetric()
    check_gradients(fn, *arrays)


def test_factorizations_without_gradient_raise_when_one_is_asked_for():
    x = keras.Variable(np.array([[2.0, 1.0], [1.0, 3.0]], "float32"))
    for fn in (lambda a: ops.qr(a)[1], lambda a: ops.svd(a)[1], lambda a: ops.lu_factor(a)[0]):
        with keras.GradientTape() as tape:
            loss = ops.sum(fn(x))
        with pytest.raises(NotImplementedError, match="stop_gradient"):
            tape.gradient(loss, [x])
    q, r = ops.qr(ops.stop_gradient(x))  # values alone need no gradient
    np.testing.assert_allclose((q @ r).numpy(), x.numpy(), rtol=1e-6)


def test_eig_reconstructs_the_matrix():
    a = np.array([[2.0, 1.0], [0.5, 3.0]], "float32")
    w, v = ops.eig(a)
    assert w.dtype == "complex64"
    np.testing.assert_allclose((v.numpy() * w.numpy()) @ np.linalg.inv(v.numpy()), a, atol=1e-5)


def test_complex_views_and_polar():
    z = ops.polar(np.array([1.0, 2.0], "float32"), np.array([0.0, np.pi / 2], "float32"))
    assert z.dtype == "complex64"
    pairs = ops.view_as_real(z)
    np.testing.assert_allclose(pairs.numpy(), [[1.0, 0.0], [0.0, 2.0]], atol=1e-6)
    np.testing.assert_allclose(ops.view_as_complex(pairs).numpy(), z.numpy())


# -- control flow, custom gradients -------------------------------------------------------
def test_control_flow_runs_the_functions_in_order():
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 3) == 30  # clamped, as JAX
    assert ops.fori_loop(0, 4, lambda i, total: total + i, 0) == 6
    assert ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0)) == (4, 6)
    assert ops.while_loop(lambda i: i < 100, lambda i: i + 1, 0, maximum_iterations=7) == 7
    xs = np.arange(6, dtype="float32").reshape(3, 2)
    np.testing.assert_array_equal(ops.map(lambda x: x * 2, xs).numpy(), xs * 2)
    np.testing.assert_array_equal(ops.vectorized_map(ops.sum, xs).numpy(), xs.sum(1))
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), 1.0, np.array([1.0, 2.0, 3.0], "float32"))
    assert float(carry) == 7.0
    np.testing.assert_array_equal(ys.numpy(), [1.0, 4.0, 12.0])
    carry, ys = ops.scan(lambda c, x: (c + 1, c), 0, length=3, reverse=True)
    assert carry == 3
    np.testing.assert_array_equal(ops.convert_to_numpy(ys), [2, 1, 0])
    running = ops.associative_scan(ops.add, np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    np.testing.assert_array_equal(running.numpy(), [[1, 2], [4, 6], [9, 12]])
    backwards = ops.associative_scan(ops.add, np.array([1.0, 2.0, 3.0]), reverse=True)
    np.testing.assert_array_equal(backwards.numpy(), [6, 5, 3])
    with pytest.raises(ValueError, match="branches"):
        ops.switch(0, [])


def test_gradients_flow_through_control_flow():
    w = keras.Variable(np.array([1.0, 2.0], "float32"))
    with keras.GradientTape() as tape:
        out = ops.fori_loop(0, 3, lambda i, v: v * w, ops.ones(2))
        loss = ops.sum(out)
    (grad,) = tape.gradient(loss, [w])
    np.testing.assert_allclose(grad.numpy(), 3 * w.numpy() ** 2)


def test_custom_gradient_replaces_the_backward_pass():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return ops.clip(upstream, -0.5, 0.5)

        return x * 1.0, grad

    x = keras.Variable(np.array([1.0, -2.0], "float32"))
    with keras.GradientTape() as tape:
        loss = ops.sum(clipped_identity(x) * np.array([3.0, -0.1], "float32"))
    (grad,) = tape.gradient(loss, [x])
    np.testing.assert_allclose(grad.numpy(), [0.5, -0.1])

    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    check_gradients(log1pexp, normal(4))


LATER_GRADIENTS = [
    (
        "nanquantile",
        lambda x: ops.nanquantile(x, [0.25, 0.8], axis=-1),
        [np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 4.0, np.nan, 1.0]])],
    ),
    ("nanmedian", lambda x: ops.nanmedian(x), [np.array([1.0, np.nan, 3.0, 0.5, 7.0])]),
    ("cdist", ops.cdist, [normal(2, 3, 4), normal(2, 5, 4)]),
    ("rearrange", lambda x: ops.rearrange(x, "b (h p) w -> p b w h", p=2), [normal(2, 6, 4)]),
    ("adaptive_average_pool", lambda x: ops.adaptive_average_pool(x, (2, 3)), [normal(1, 5, 7, 2)]),
    ("adaptive_max_pool", lambda x: ops.adaptive_max_pool(x, 3), [distinct(2, 7, 3)]),
    (
        "dot_product_attention",
        lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
        [normal(1, 3, 2, 4), normal(1, 3, 2, 4), normal(1, 3, 2, 4)],
    ),
    (
        "dot_product_attention_gqa_mask",
        lambda q, k, v, b: ops.dot_product_attention(
            q, k, v, bias=b, mask=np.tril(np.ones((3, 3), bool))
        ),
        [normal(1, 3, 4, 2), normal(1, 3, 2, 2), normal(1, 3, 2, 2), normal(1, 4, 3, 3)],
    ),
    (
        "vectorize",
        lambda a, b: ops.vectorize(lambda u, v: ops.sum(u * v), signature="(n),(n)->()")(a, b),
        [normal(2, 3), normal(3)],
    ),
]


@pytest.mark.parametrize("name,fn,arrays", LATER_GRADIENTS, ids=[c[0] for c in LATER_GRADIENTS])
def test_attention_pooling_and_helpers_gradient(name, fn, arrays):
    check_gradients(fn, *arrays)


def test_vectorize_and_rearrange_behave_like_numpy_and_einops():
    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    doubled = ops.vectorize(lambda v: v * 2 + 1)(x)
    np.testing.assert_array_equal(doubled.numpy(), np.vectorize(lambda v: v * 2 + 1)(x))
    scaled = ops.vectorize(lambda v, factor: v * factor, excluded={1})(x, 3.0)
    np.testing.assert_array_equal(scaled.numpy(), x * 3)
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(x, "a b -> a c")
    with pytest.raises(ValueError, match="names 3 axes"):
        ops.rearrange(x, "a b c -> a b c")
    with pytest.raises(ValueError, match="soft_cap"):
        ops.dot_product_attention(
            np.ones((1, 2, 1, 2)),
            np.ones((1, 2, 1, 2)),
            np.ones((1, 2, 1, 2)),
            attn_logits_soft_cap=1.0,
        )


# -- coverage of Keras's names ----------------------------------------------------------------
KERAS_NAMES = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_ops_names.json").read_text()
)
# What README.md's "Not there" lists: istft, ops.image but its colour conversions,
# resize, pad/crop, affine_transform, gaussian_blur and perspective_transform, jvp,
# keras.optimizers.legacy (TensorFlow's old optimizers).
DOCUMENTED_MISSING = {
    "ops": {"istft", "jvp"},
    "nn": set(),
    "image": {
        "elastic_transform", "extract_patches", "extract_patches_3d",
        "map_coordinates", "scale_and_translate", "sobel_edges",
        "ssim",
    },
    "numpy": set(),
    "linalg": {"jvp"},
    "optimizers": {"legacy"},
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(DOCUMENTED_MISSING))
def test_every_keras_name_is_there_but_the_documented_ones(module):
    ours = keras.optimizers if module == "optimizers" else ops
    if module in ("nn", "numpy", "linalg", "image"):
        ours = getattr(ops, module)
    missing = {name for name in KERAS_NAMES[module] if not hasattr(ours, name)}
    assert missing == DOCUMENTED_MISSING[module]


FOURIER_GRADIENTS = [
    ("fft", lambda a, b: ops.fft((a, b)), [normal(2, 5), normal(2, 5)]),
    ("fft2", lambda a, b: ops.fft2((a, b)), [normal(3, 4), normal(3, 4)]),
    ("ifft2", lambda a, b: ops.ifft2((a, b)), [normal(2, 3, 4), normal(2, 3, 4)]),
    ("rfft", ops.rfft, [normal(2, 6)]),
    ("rfft_padded", lambda x: ops.rfft(x, 8), [normal(5)]),
    ("rfft_cut", lambda x: ops.rfft(x, 5), [normal(7)]),
    ("irfft", lambda a, b: ops.irfft((a, b)), [normal(2, 4), normal(2, 4)]),
    ("irfft_odd", lambda a, b: ops.irfft((a, b), 7), [normal(4), normal(4)]),
    ("irfft_padded", lambda a, b: ops.irfft((a, b), 8), [normal(3), normal(3)]),
    ("stft", lambda x: ops.stft(x, 6, 3, 8), [normal(2, 20)]),
    ("stft_uncentered", lambda x: ops.stft(x, 5, 4, 5, "hamming", center=False), [normal(17)]),
]


@pytest.mark.parametrize("name,fn,arrays", FOURIER_GRADIENTS, ids=[c[0] for c in FOURIER_GRADIENTS])
def test_fourier_transform_gradient(name, fn, arrays):
    check_gradients(fn, *arrays)


IMAGE_GRADIENTS = [
    ("rgb_to_grayscale", ops.image.rgb_to_grayscale, [uniform(0, 1, 2, 3, 3)]),
    ("rgb_to_hsv", ops.image.rgb_to_hsv, [distinct(2, 2, 3) * 0.05 + 0.5]),
    (
        "hsv_to_rgb",
        ops.image.hsv_to_rgb,
        [np.array([[[0.1, 0.5, 0.8], [0.45, 0.3, 0.6], [0.77, 0.9, 0.2]]])],
    ),
]


@pytest.mark.parametrize("name,fn,arrays", IMAGE_GRADIENTS, ids=[c[0] for c in IMAGE_GRADIENTS])
def test_image_colour_conversion_gradient(name, fn, arrays):
    check_gradients(fn, *arrays)


def test_shape_helpers_match_keras():
    helpers = _FIXTURE["shape_helpers"]
    for case in helpers["broadcast_shapes"]:
        shapes = [tuple(s) for s in case["shapes"]]
        if "error" in case:
            with pytest.raises(ValueError, match="broadcast"):
                ops.broadcast_shapes(*shapes)
        else:
            assert ops.broadcast_shapes(*shapes) == case["result"]
    for case in helpers["shape_equal"]:
        shapes = [tuple(s) for s in case["shapes"]]
        assert ops.shape_equal(*shapes, **case["kwargs"]) is case["result"], case
