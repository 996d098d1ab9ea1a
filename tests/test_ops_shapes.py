"""Shape ops (reshape, concatenate, split, tile, take, pad, ...), their errors, and ops on
symbolic tensors."""

import numpy as np
import pytest

from minikeras import GradientTape, Variable, ops
from minikeras.ops.symbolic import KerasTensor
from tests.gradcheck import check_gradients, float64

RNG = np.random.default_rng(99)


def normal(*shape):
    return RNG.standard_normal(shape)


class Case:
    def __init__(self, name, fn, inputs, reference):
        self.name, self.fn, self.inputs, self.reference = name, fn, inputs, reference

    def __repr__(self):
        return self.name


CASES = [
    Case("reshape", lambda x: ops.reshape(x, (4, 6)), [normal(2, 3, 4)], lambda x: x.reshape(4, 6)),
    Case(
        "reshape_minus_one",
        lambda x: ops.reshape(x, (-1, 2)),
        [normal(2, 3, 4)],
        lambda x: x.reshape(-1, 2),
    ),
    Case("reshape_int", lambda x: ops.reshape(x, 24), [normal(2, 3, 4)], lambda x: x.ravel()),
    Case("ravel", ops.ravel, [normal(3, 4)], np.ravel),
    Case("transpose", ops.transpose, [normal(2, 3, 4)], np.transpose),
    Case(
        "transpose_axes",
        lambda x: ops.transpose(x, (1, -1, 0)),
        [normal(2, 3, 4)],
        lambda x: np.transpose(x, (1, 2, 0)),
    ),
    Case(
        "swapaxes",
        lambda x: ops.swapaxes(x, 0, -1),
        [normal(2, 3, 4)],
        lambda x: np.swapaxes(x, 0, -1),
    ),
    Case(
        "moveaxis",
        lambda x: ops.moveaxis(x, 0, -1),
        [normal(2, 3, 4)],
        lambda x: np.moveaxis(x, 0, -1),
    ),
    Case(
        "moveaxis_many",
        lambda x: ops.moveaxis(x, [0, 1], [-1, 0]),
        [normal(2, 3, 4)],
        lambda x: np.moveaxis(x, [0, 1], [-1, 0]),
    ),
    Case(
        "expand_dims",
        lambda x: ops.expand_dims(x, 1),
        [normal(3, 4)],
        lambda x: np.expand_dims(x, 1),
    ),
    Case(
        "expand_dims_negative",
        lambda x: ops.expand_dims(x, -1),
        [normal(3, 4)],
        lambda x: np.expand_dims(x, -1),
    ),
    Case(
        "expand_dims_tuple",
        lambda x: ops.expand_dims(x, (0, 3)),
        [normal(3, 4)],
        lambda x: np.expand_dims(x, (0, 3)),
    ),
    Case("squeeze", ops.squeeze, [normal(1, 3, 1, 4)], np.squeeze),
    Case(
        "squeeze_axis",
        lambda x: ops.squeeze(x, axis=-2),
        [normal(1, 3, 1, 4)],
        lambda x: np.squeeze(x, axis=-2),
    ),
    Case(
        "concatenate",
        lambda a, b: ops.concatenate([a, b]),
        [normal(2, 3), normal(4, 3)],
        lambda a, b: np.concatenate([a, b]),
    ),
    Case(
        "concatenate_last",
        lambda a, b, c: ops.concatenate([a, b, c], axis=-1),
        [normal(2, 3, 1), normal(2, 3, 2), normal(2, 3, 3)],
        lambda a, b, c: np.concatenate([a, b, c], axis=-1),
    ),
    Case(
        "stack",
        lambda a, b: ops.stack([a, b]),
        [normal(2, 3), normal(2, 3)],
        lambda a, b: np.stack([a, b]),
    ),
    Case(
        "stack_last",
        lambda a, b, c: ops.stack([a, b, c], axis=-1),
        [normal(2, 3), normal(2, 3), normal(2, 3)],
        lambda a, b, c: np.stack([a, b, c], -1),
    ),
    Case(
        "split_sections",
        lambda x: ops.split(x, 3, axis=1),
        [normal(2, 6)],
        lambda x: np.split(x, 3, axis=1),
    ),
    Case(
        "split_indices",
        lambda x: ops.split(x, [1, 3], axis=-1),
        [normal(2, 5)],
        lambda x: np.split(x, [1, 3], axis=-1),
    ),
    Case(
        "split_one_used", lambda x: ops.split(x, 2)[1], [normal(4, 2)], lambda x: np.split(x, 2)[1]
    ),
    Case(
        "unstack",
        lambda x: ops.unstack(x, axis=1),
        [normal(2, 3)],
        lambda x: [x[:, i] for i in range(3)],
    ),
    Case("tile", lambda x: ops.tile(x, (2, 3)), [normal(2, 3)], lambda x: np.tile(x, (2, 3))),
    Case(
        "tile_more_repeats",
        lambda x: ops.tile(x, (2, 1, 2)),
        [normal(2, 3)],
        lambda x: np.tile(x, (2, 1, 2)),
    ),
    Case("tile_fewer_repeats", lambda x: ops.tile(x, 2), [normal(2, 3)], lambda x: np.tile(x, 2)),
    Case(
        "repeat",
        lambda x: ops.repeat(x, 2, axis=1),
        [normal(2, 3)],
        lambda x: np.repeat(x, 2, axis=1),
    ),
    Case("repeat_flat", lambda x: ops.repeat(x, 3), [normal(2, 2)], lambda x: np.repeat(x, 3)),
    Case(
        "repeat_counts",
        lambda x: ops.repeat(x, [2, 0, 1], axis=0),
        [normal(3, 2)],
        lambda x: np.repeat(x, [2, 0, 1], axis=0),
    ),
    Case(
        "repeat_counts_last_zero",
        lambda x: ops.repeat(x, [1, 3, 0], axis=-1),
        [normal(2, 3)],
        lambda x: np.repeat(x, [1, 3, 0], axis=-1),
    ),
    Case(
        "broadcast_to",
        lambda x: ops.broadcast_to(x, (2, 3, 4)),
        [normal(3, 1)],
        lambda x: np.broadcast_to(x, (2, 3, 4)),
    ),
    Case(
        "take_flat",
        lambda x: ops.take(x, np.array([[0, 5], [5, 11]])),
        [normal(3, 4)],
        lambda x: np.take(x, [[0, 5], [5, 11]]),
    ),
    Case(
        "take_rows_repeated",
        lambda x: ops.take(x, np.array([2, 0, 2, -1]), axis=0),
        [normal(3, 4)],
        lambda x: np.take(x, [2, 0, 2, -1], axis=0),
    ),
    Case(
        "take_axis1_2d_indices",
        lambda x: ops.take(x, np.array([[1, 1], [0, 3]]), axis=1),
        [normal(2, 4)],
        lambda x: np.take(x, [[1, 1], [0, 3]], axis=1),
    ),
    Case(
        "take_along_axis",
        lambda x: ops.take_along_axis(x, np.array([[0, 0], [2, 1]]), -1),
        [normal(2, 3)],
        lambda x: np.take_along_axis(x, np.array([[0, 0], [2, 1]]), -1),
    ),
    Case(
        "take_along_axis_0",
        lambda x: ops.take_along_axis(x, np.array([[1, 0, 1]]), 0),
        [normal(2, 3)],
        lambda x: np.take_along_axis(x, np.array([[1, 0, 1]]), 0),
    ),
    Case(
        "take_along_axis_broadcast",
        lambda x: ops.take_along_axis(x, np.array([[[0], [2]]]), axis=1),
        [normal(2, 3, 1)],
        lambda x: np.take_along_axis(x, np.array([[[0], [2]]]), axis=1),
    ),
    Case(
        "take_along_axis_none",
        lambda x: ops.take_along_axis(x, np.array([5, 0, 5])),
        [normal(2, 3)],
        lambda x: np.take_along_axis(x.ravel(), np.array([5, 0, 5]), 0),
    ),
    Case(
        "pad_constant",
        lambda x: ops.pad(x, ((1, 0), (2, 1))),
        [normal(2, 3)],
        lambda x: np.pad(x, ((1, 0), (2, 1))),
    ),
    Case(
        "pad_constant_value",
        lambda x: ops.pad(x, 1, constant_values=-2.0),
        [normal(2, 3)],
        lambda x: np.pad(x, 1, constant_values=-2.0),
    ),
    *[
        Case(
            f"pad_{mode}",
            (lambda m: lambda x: ops.pad(x, ((2, 1), (1, 2)), mode=m))(mode),
            [normal(3, 4)],
            (lambda m: lambda x: np.pad(x, ((2, 1), (1, 2)), mode=m))(mode),
        )
        for mode in ("edge", "reflect", "symmetric", "wrap")
    ],
    Case("flip", lambda x: ops.flip(x, axis=1), [normal(2, 3)], lambda x: np.flip(x, 1)),
    Case("flip_all", ops.flip, [normal(2, 3)], np.flip),
    Case(
        "sort", ops.sort, [RNG.permutation(12).reshape(3, 4) * 0.5], lambda x: np.sort(x, axis=-1)
    ),
    Case(
        "sort_axis0",
        lambda x: ops.sort(x, axis=0),
        [RNG.permutation(12).reshape(3, 4) * 0.5],
        lambda x: np.sort(x, axis=0),
    ),
    Case(
        "get_item",
        lambda x: ops.get_item(x, (slice(1, None), [0, 2])),
        [normal(3, 4)],
        lambda x: x[1:, [0, 2]],
    ),
    Case(
        "slice",
        lambda x: ops.slice(x, (1, 0, 2), (1, 2, 2)),
        [normal(2, 3, 4)],
        lambda x: x[1:2, 0:2, 2:4],
    ),
]


def _as_list(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_values_float64(case):
    with float64():
        results = _as_list(case.fn(*[ops.convert_to_tensor(a) for a in case.inputs]))
        expected = _as_list(case.reference(*case.inputs))
        for result, want in zip(results, expected, strict=True):
            assert result.dtype == "float64"
            np.testing.assert_array_equal(result.numpy(), want)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradients(case):
    check_gradients(case.fn, *case.inputs)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_float32_values_and_gradients(case):
    inputs32 = [np.asarray(a, np.float32) for a in case.inputs]
    variables = [Variable(a) for a in inputs32]
    with GradientTape() as tape:
        results = _as_list(case.fn(*variables))
        loss = sum(ops.sum(r) for r in results)
    grads = tape.gradient(loss, variables)
    for result, want in zip(results, _as_list(case.reference(*inputs32)), strict=True):
        assert result.dtype == "float32"
        np.testing.assert_array_equal(result.numpy(), want)
    for variable, g in zip(variables, grads):
        assert g is not None and g.dtype == "float32" and g.shape == variable.shape


def test_take_scatter_adds_repeated_indices():
    table = Variable(np.zeros((4, 2), np.float32))
    with GradientTape() as tape:
        rows = ops.take(table, np.array([[1, 1], [3, 1]]), axis=0)
    g = tape.gradient(ops.sum(rows), table).numpy()
    np.testing.assert_array_equal(g, [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_split_and_concatenate_mixed_dtypes():
    parts = ops.split(ops.convert_to_tensor(np.arange(6.0)), 3)
    assert [p.shape for p in parts] == [(2,), (2,), (2,)] and isinstance(parts, list)
    joined = ops.concatenate([np.ones((1, 2), np.float32), np.zeros((1, 2), np.int32)])
    assert joined.dtype == "float32"
    stacked = ops.stack([ops.convert_to_tensor([1, 2]), ops.convert_to_tensor([1.5, 2.5])])
    assert stacked.dtype == "float32"


def test_cast_gradients_flow_between_floats_and_stop_at_integers():
    x = Variable(np.array([1.5, -2.0], np.float32))
    with GradientTape() as tape:
        y = ops.cast(x, "float64") * 3.0
        z = ops.cast(x, "int32")
    assert y.dtype == "float64" and z.dtype == "int32" and z.creator is None
    g = tape.gradient(ops.sum(y), x)
    assert g.dtype == "float32"
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])


# -- errors ---------------------------------------------------------------------------------
BINARY_OPS = [
    ops.add,
    ops.subtract,
    ops.multiply,
    ops.divide,
    ops.true_divide,
    ops.power,
    ops.maximum,
    ops.minimum,
    ops.divide_no_nan,
    ops.equal,
    ops.not_equal,
    ops.less,
    ops.less_equal,
    ops.greater,
    ops.greater_equal,
    ops.logical_and,
    ops.logical_or,
]


@pytest.mark.parametrize("fn", BINARY_OPS, ids=lambda f: f.__name__)
def test_binary_ops_name_the_op_and_both_shapes(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: .*\(2, 3\).*\(4,\)"):
        fn(np.ones((2, 3), np.float32), np.ones((4,), np.float32))


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: ops.matmul(np.ones((2, 3)), np.ones((4, 5))), r"matmul: .*\(2, 3\).*\(4, 5\)"),
        (lambda: ops.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 4))), r"matmul.*\(2,\).*\(3,\)"),
        (lambda: ops.matmul(np.ones(3), 2.0), "matmul: operands must not be scalars"),
        (lambda: ops.dot(np.ones((2, 3, 4)), np.ones((5, 2))), r"dot: .*\(2, 3, 4\).*\(5, 2\)"),
        (lambda: ops.tensordot(np.ones((2, 3)), np.ones((4, 2))), "tensordot"),
        (
            lambda: ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 2))),
            r"einsum: .*\(2, 3\).*\(4, 2\)",
        ),
        (lambda: ops.einsum("ij,jk->ik", np.ones((2, 3))), "einsum.*2 operands"),
        (
            lambda: ops.concatenate([np.ones((2, 3)), np.ones((2, 4))]),
            r"concatenate: .*\(2, 3\).*\(2, 4\)",
        ),
        (
            lambda: ops.concatenate([np.ones((2, 3)), np.ones(3)]),
            r"concatenate: .*\(2, 3\).*\(3,\)",
        ),
        (lambda: ops.stack([np.ones((2, 3)), np.ones((3, 2))]), r"stack: .*\(2, 3\).*\(3, 2\)"),
        (lambda: ops.reshape(np.ones((2, 3)), (4, 2)), r"reshape: .*\(2, 3\).*\(4, 2\)"),
        (lambda: ops.reshape(np.ones((2, 3)), (-1, 4)), r"reshape: .*\(2, 3\).*\(-1, 4\)"),
        (lambda: ops.reshape(np.ones((2, 3)), (-1, -1)), "reshape"),
        (lambda: ops.broadcast_to(np.ones(3), (2, 4)), r"broadcast_to: .*\(3,\).*\(2, 4\)"),
        (lambda: ops.where(np.ones(2, bool), np.ones(3), 1.0), r"where: .*\(2,\).*\(3,\)"),
        (lambda: ops.split(np.ones((5, 2)), 2), "split: cannot split axis 0 of size 5"),
        (lambda: ops.squeeze(np.ones((2, 3)), axis=1), "squeeze: cannot squeeze axis 1"),
        (lambda: ops.take(np.ones((2, 3)), np.array([3]), axis=0), "take: index out of range"),
        (lambda: ops.transpose(np.ones((2, 3)), (0, 0)), "transpose"),
        (lambda: ops.repeat(np.ones((2, 3)), [1, 2], axis=1), "repeat: 2 repeat counts"),
        (lambda: ops.pad(np.ones(2), 1, mode="bogus"), r"pad: unknown mode 'bogus'.*reflect"),
        (lambda: ops.pad(np.ones(2), 1, mode="edge", constant_values=1.0), "constant_values"),
        (lambda: ops.norm(np.ones((2, 2)), ord="bogus"), "norm: invalid ord"),
        (lambda: ops.slice(np.ones((2, 3)), (0,), (1,)), "slice"),
    ],
)
def test_shape_errors_are_clear(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize(
    "call, op_name",
    [
        (lambda x: ops.sum(x, axis=3), "sum"),
        (lambda x: ops.expand_dims(x, 4), "expand_dims"),
        (lambda x: ops.squeeze(x, axis=-4), "squeeze"),
        (lambda x: ops.concatenate([x, x], axis=3), "concatenate"),
        (lambda x: ops.stack([x, x], axis=4), "stack"),
        (lambda x: ops.split(x, 1, axis=5), "split"),
        (lambda x: ops.take(x, [0], axis=3), "take"),
        (lambda x: ops.flip(x, axis=3), "flip"),
        (lambda x: ops.softmax(x, axis=3), "softmax"),
        (lambda x: ops.cumsum(x, axis=-4), "cumsum"),
        (lambda x: ops.moments(x, axes=[3]), "moments"),
        (lambda x: ops.one_hot([0], 2, axis=3), "one_hot"),
        (lambda x: ops.swapaxes(x, 0, 3), "swapaxes"),
    ],
)
def test_unknown_axis_names_the_op(call, op_name):
    with pytest.raises(ValueError, match=rf"{op_name}: axis -?\d is out of bounds"):
        call(ops.ones((2, 1, 3)))


# -- symbolic tensors -------------------------------------------------------------------------
def test_ops_on_keras_tensors_give_symbolic_results():
    x = KerasTensor((None, 3))
    cases = [
        (ops.concatenate([x, x], axis=-1), (None, 6)),
        (ops.concatenate([x, x], axis=0), (None, 3)),
        (ops.reshape(x, (-1,)), (None,)),
        (ops.reshape(x, (-1, 3, 1)), (None, 3, 1)),
        (ops.sum(x, axis=1), (None,)),
        (ops.sum(x, axis=0), (3,)),
        (ops.mean(x, axis=-1, keepdims=True), (None, 1)),
        (ops.einsum("bi,ij->bj", x, np.ones((3, 5), np.float32)), (None, 5)),
        (ops.einsum("bi,bj->bij", x, x), (None, 3, 3)),
        (ops.matmul(x, KerasTensor((3, 4))), (None, 4)),
        (ops.expand_dims(x, 1), (None, 1, 3)),
        (ops.softmax(x), (None, 3)),
        (ops.transpose(x), (3, None)),
        (ops.tile(x, (1, 2)), (None, 6)),
        (ops.pad(x, ((0, 0), (1, 1))), (None, 5)),
        (ops.categorical_crossentropy(x, x, from_logits=True), (None,)),
        (ops.one_hot(KerasTensor((None,), dtype="int32"), 4), (None, 4)),
        (
            ops.take(np.ones((10, 2), np.float32), KerasTensor((None, 7), dtype="int32"), axis=0),
            (None, 7, 2),
        ),
        (x * 2.0 + 1.0, (None, 3)),
        (ops.norm(x, axis=-1), (None,)),
    ]
    for result, shape in cases:
        assert isinstance(result, KerasTensor), result
        assert result.shape == shape, (result, shape)
        assert result.dtype == "float32"
        assert result.node is not None
    parts = ops.split(KerasTensor((None, 6)), 3, axis=1)
    assert [p.shape for p in parts] == [(None, 2)] * 3
    mean, variance = ops.moments(x, axes=[0])
    assert mean.shape == variance.shape == (3,)
    values, indices = ops.top_k(x, 2)
    assert values.shape == indices.shape == (None, 2) and indices.dtype == "int32"
    assert ops.argmax(x, axis=-1).dtype == "int32"
    assert ops.size(x) is None and ops.size(KerasTensor((2, 3))) == 6
    assert ops.shape(x) == (None, 3) and ops.ndim(x) == 2 and ops.dtype(x) == "float32"
