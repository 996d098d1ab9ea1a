"""The replay function `Program.source` shows reads like code written by hand."""

import re

import numpy as np

import minikeras as keras
from minikeras import GradientTape, Tensor, Variable, layers, ops
from minikeras.autodiff import Function
from minikeras.autodiff.program import Program, record


def _guide_mlp_program():
    """The program `fit` records for the Keras guide's MLP on a batch of 64."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((192, 784), dtype="float32")
    y = rng.integers(0, 10, 192)
    model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
    return next(
        entry.program
        for (kind, signature), entry in model._compiled_steps.entries.items()
        if kind == "train" and signature[0] == (64, 784)
    )


def test_the_guide_mlp_replay_has_readable_names_and_no_dead_none_checks():
    source = _guide_mlp_program().source
    lines = [line.strip() for line in source.splitlines()]
    for expected in [
        "def replay(batch_0, batch_1):",
        "dense_kernel = dense_kernel_variable.data",
        "dense_2_bias = dense_2_bias_variable.data",
        "linear_1 = new(Linear)",
        "linear_1.needs_grad = (False, True, True)",
        "linear_1_out = linear_1.forward(batch_0, dense_kernel, dense_bias)",
        "linear_2_out = linear_2.forward(linear_1_out, dense_1_kernel, dense_1_bias)",
        "g_mean_out = ones(mean_out.shape, mean_out.dtype)",
        "g_sparse_crossentropy_from_probs_out = g_mean_out / 64",
        "g_linear_2_out, g_dense_2_kernel, g_dense_2_bias = "
        "linear_3.backward_from_logits(g_linear_3_out)",
        "_, g_dense_kernel, g_dense_bias = linear_1.backward(g_linear_1_out)",
    ]:
        assert expected in lines
    assert lines[0].startswith("# Replays 6 recorded primitive calls")
    # Every gradient of a minikeras primitive is known to exist: nothing is tested for None.
    assert "is not None" not in source and "= None" not in source
    assert "type(gxs)" not in source
    # No numbered slots or anonymous objects (s7, g13, C0, P0) are left.
    assert not re.search(r"\b[sgfCPNVK]\d+\b", source)


class _HalfGradient(Function):
    """A primitive written outside minikeras whose backward may give None."""

    def forward(self, x, y):
        return x * y

    def backward(self, g):
        return None, g * 2


def test_a_primitive_written_outside_minikeras_keeps_its_none_checks(rng):
    w = Variable(rng.standard_normal((3, 2)).astype("float32"), name="w")
    v = Variable(rng.standard_normal((3, 2)).astype("float32"), name="v")
    x = rng.standard_normal((4, 3)).astype("float32")

    def fn(batch):
        # w reaches the loss only through _HalfGradient's first input, which gets None.
        return [ops.sum(ops.matmul(batch, _HalfGradient()(ops.multiply(w, 2.0), v)))]

    with record() as recording:
        with GradientTape() as tape:
            results = fn(Tensor(x))
        tape.gradient(results[0], [w, v])
    program = Program.from_recording(
        recording, batch=[x], variables=[w, v], results=results, root=results[0]
    )
    with GradientTape() as tape:
        loss = fn(Tensor(x))[0]
    want_w, want_v = tape.gradient(loss, [w, v])
    (value,), (got_w, got_v) = program.run([x], exact=True)
    np.testing.assert_array_equal(value, loss.numpy())
    assert want_w is None and got_w is None
    np.testing.assert_array_equal(got_v, want_v.numpy())
    source = program.source
    lines = [line.strip() for line in source.splitlines()]
    assert "check('_HalfGradient', gx, multiply_out)" in lines
    assert "g_multiply_out = gx" in lines
    # What comes before it in the backward pass may be None.
    assert "if g_multiply_out is not None:" in lines
    assert "g_w = None" in lines


def test_replay_names_are_unique_identifiers_for_any_variable_path(rng):
    paths = ["w", "w", "class", "1st/kernel", "dense-1:bias"]
    variables = [Variable(rng.standard_normal(3).astype("float32"), name=p) for p in paths]
    x = rng.standard_normal((2, 3)).astype("float32")

    def fn(batch):
        total = batch
        for v in variables:
            total = total * v
        return [ops.sum(total)]

    with record() as recording:
        results = fn(Tensor(x))
    program = Program.from_recording(
        recording, batch=[x], variables=variables, results=results, root=results[0]
    )
    source = program.source
    lines = [line.strip() for line in source.splitlines()]
    for line in [
        "w = w_variable.data",
        "w_2 = w_2_variable.data",
        "class_2 = class_2_variable.data",  # `class` is a keyword
        "_1st_kernel = _1st_kernel_variable.data",
        "dense_1_bias = dense_1_bias_variable.data",
        "sum_out = sum.forward(multiply_5_out)",
    ]:
        assert line in lines
    _, grads = program.run([x], exact=True)
    with GradientTape() as tape:
        loss = fn(Tensor(x))[0]
    for got, want in zip(grads, tape.gradient(loss, variables)):
        np.testing.assert_array_equal(got, want.numpy())
