"""The fast primitive call (`autodiff/_fast.py`) against the plain one (`Function.plain_call`).

Each test runs both calls on the same input tensors and compares everything the rest of the
engine reads: the outputs' fields and bits, the fields the call stores on the function
(`inputs`, `needs_grad`, `sequence`, `n_outputs`, `output_specs`), and the gradients a
backward pass then computes through each.
"""

import itertools
import threading
import time

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.autodiff import Function, Tensor, Variable, _fast, backward_pass, no_grad
from minikeras.autodiff.arithmetic import Add, Multiply, Negative
from minikeras.autodiff.program import record
from minikeras.ops.fused import Linear

CALLS = {"plain": Function.plain_call, "fast": _fast.fast_call}
TENSOR_FIELDS = [name for name in Tensor.__slots__ if name != "__weakref__"]


class WeightedSum(Function):
    """`1 * x0 + 2 * x1 + ...` over any number of inputs (ones of shape (2, 3) for none)."""

    def forward(self, *xs):
        self.n = len(xs)
        if not xs:
            return np.ones((2, 3), np.float32)
        return sum(np.float32(i + 1) * x for i, x in enumerate(xs))

    def backward(self, gy):
        return tuple(
            np.float32(i + 1) * gy if needs else None for i, needs in enumerate(self.needs_grad)
        )


class SumAndScaledFirst(Function):
    """Two outputs: the sum of the inputs and `3 * x0` (a constant pair for no input)."""

    def forward(self, *xs):
        if not xs:
            return np.zeros((2, 3), np.float32), np.ones(3, np.float32)
        return sum(xs), np.float32(3) * xs[0]

    def backward(self, g_sum, g_first):
        gxs = [g_sum if needs else None for needs in self.needs_grad]
        if self.needs_grad[0]:
            gxs[0] = g_sum + np.float32(3) * g_first
        return tuple(gxs)


PRIMITIVES = [WeightedSum, SumAndScaledFirst]


def _make_input(kind, seed):
    """A (2, 3) float32 input tensor: a constant, a leaf that requires a gradient, or the
    output of a recorded operation."""
    values = np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32)
    if kind == "constant":
        return Tensor(values)
    if kind == "leaf":
        return Variable(values)
    return Multiply()(Variable(values), Tensor(np.full((2, 3), 0.5, np.float32)))


def _call(name, primitive, inputs):
    function = primitive()
    return function, CALLS[name](function, *inputs)


def _as_tuple(outputs):
    return outputs if type(outputs) is tuple else (outputs,)


def _assert_same_tensor(plain, fast, plain_function, fast_function):
    assert type(plain) is type(fast) is Tensor
    for name in TENSOR_FIELDS:
        a, b = getattr(plain, name), getattr(fast, name)
        if name == "data":
            assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
            assert a.tobytes() == b.tobytes()
        elif name == "creator":
            assert (a is None and b is None) or (a is plain_function and b is fast_function)
        else:
            assert a == b and type(a) is type(b), name


def _same_value(a, b):
    """Equal, with arrays (also the arrays a `forward` saved) compared by their bits."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            type(a) is type(b)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, (tuple, list)):
        return (
            type(a) is type(b) and len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
        )
    return type(a) is type(b) and a == b


def _assert_same_call(plain, fast):
    """Both calls gave the same outputs and stored the same fields on their function."""
    (plain_function, plain_outputs), (fast_function, fast_outputs) = plain, fast
    assert type(plain_outputs) is type(fast_outputs)
    plain_outputs, fast_outputs = _as_tuple(plain_outputs), _as_tuple(fast_outputs)
    assert len(plain_outputs) == len(fast_outputs)
    for a, b in zip(plain_outputs, fast_outputs):
        _assert_same_tensor(a, b, plain_function, fast_function)
    plain_fields, fast_fields = dict(vars(plain_function)), dict(vars(fast_function))
    assert plain_fields.keys() == fast_fields.keys()
    if "inputs" in plain_fields:
        assert all(a is b for a, b in zip(plain_fields.pop("inputs"), fast_fields.pop("inputs")))
        # The fast call ran second: its number is the next one.
        assert fast_fields.pop("sequence") == plain_fields.pop("sequence") + 1
    for name in plain_fields:
        assert _same_value(plain_fields[name], fast_fields[name]), name


def _gradients(outputs, leaves):
    """The gradients of `sum(outputs)` for `leaves`, or None for those that get none."""
    roots = [(t, np.ones_like(t.data)) for t in _as_tuple(outputs)]
    grads, _ = backward_pass(roots, retain_graph=True)
    return [grads.get(leaf) for leaf in leaves]


def _leaves(inputs):
    """The leaf tensors that gradients reach: the inputs' own or, for a recorded input,
    its creator's variable."""
    found = []
    for x in inputs:
        found += [x] if x.creator is None else [x.creator.inputs[0]]
    return found


def _assert_same_gradients(plain, fast, inputs):
    leaves = _leaves(inputs)
    for a, b in zip(_gradients(plain[1], leaves), _gradients(fast[1], leaves)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _input_mixes():
    """Every mix of input kinds for 0 to 3 inputs; a few mixes of 4 and 5 inputs."""
    kinds = ("constant", "leaf", "recorded")
    mixes = [mix for n in range(4) for mix in itertools.product(kinds, repeat=n)]
    mixes += [
        ("constant",) * 4,
        ("leaf", "constant", "recorded", "constant"),
        ("constant", "constant", "constant", "constant", "leaf"),
        ("recorded", "leaf", "constant", "leaf", "recorded"),
    ]
    return mixes


@pytest.mark.parametrize("primitive", PRIMITIVES, ids=lambda p: p.__name__)
@pytest.mark.parametrize("mix", _input_mixes(), ids=lambda mix: "-".join(mix) or "none")
def test_the_fast_call_stores_and_returns_what_the_plain_call_does(primitive, mix):
    inputs = [_make_input(kind, seed) for seed, kind in enumerate(mix)]
    plain = _call("plain", primitive, inputs)
    fast = _call("fast", primitive, inputs)
    _assert_same_call(plain, fast)
    assert (plain[1] if primitive is WeightedSum else plain[1][0]).requires_grad == (
        "leaf" in mix or "recorded" in mix
    )
    _assert_same_gradients(plain, fast, inputs)


def _array(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


BUILT_IN_CALLS = {
    "negative": (Negative, lambda: [Variable(_array(2, 3))]),
    "add": (Add, lambda: [Tensor(_array(2, 3)), Variable(_array(3, seed=1))]),
    "multiply": (Multiply, lambda: [Variable(_array(2, 3)), Tensor(_array(2, 1, seed=1))]),
    "linear": (
        lambda: Linear("relu"),
        lambda: [Tensor(_array(2, 3)), Variable(_array(3, 4, seed=1)), Variable(_array(4))],
    ),
}


@pytest.mark.parametrize("case", BUILT_IN_CALLS)
def test_the_fast_call_of_built_in_primitives_matches_the_plain_call(case):
    primitive, make_inputs = BUILT_IN_CALLS[case]
    inputs = make_inputs()
    plain, fast = _call("plain", primitive, inputs), _call("fast", primitive, inputs)
    _assert_same_call(plain, fast)
    _assert_same_gradients(plain, fast, inputs)


@pytest.mark.parametrize("primitive", PRIMITIVES, ids=lambda p: p.__name__)
@pytest.mark.parametrize("n_inputs", [0, 1, 2, 3, 4])
def test_under_no_grad_neither_call_records(primitive, n_inputs):
    inputs = [_make_input("leaf", seed) for seed in range(n_inputs)]
    with no_grad():
        plain = _call("plain", primitive, inputs)
        fast = _call("fast", primitive, inputs)
    _assert_same_call(plain, fast)
    assert "inputs" not in vars(fast[0])
    assert all(t.creator is None and not t.requires_grad for t in _as_tuple(fast[1]))


def _in_another_thread(work):
    """Runs `work()` in a new thread; re-raises what it raised."""
    failure = []

    def run():
        try:
            work()
        except BaseException as error:  # handed back to the test's thread
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@pytest.mark.parametrize("primitive", PRIMITIVES, ids=lambda p: p.__name__)
@pytest.mark.parametrize("n_inputs", [1, 2, 3, 4])
def test_no_grad_in_one_thread_does_not_stop_another_from_recording(primitive, n_inputs):
    inputs = [_make_input("leaf", seed) for seed in range(n_inputs)]

    def both_calls():
        plain = _call("plain", primitive, inputs)
        fast = _call("fast", primitive, inputs)
        _assert_same_call(plain, fast)
        assert fast[0].inputs is not None and plain[0].inputs is not None
        _assert_same_gradients(plain, fast, inputs)

    with no_grad():
        _in_another_thread(both_calls)  # records: its thread has recording on
        plain = _call("plain", primitive, inputs)
        fast = _call("fast", primitive, inputs)
    _assert_same_call(plain, fast)
    assert "inputs" not in vars(fast[0])


@pytest.mark.parametrize("n_inputs", [1, 2, 3, 4])
def test_a_thread_in_no_grad_does_not_record_while_another_thread_records(n_inputs):
    inputs = [_make_input("leaf", seed) for seed in range(n_inputs)]
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def without_grad():
        with no_grad():
            inside.set()
            done.wait(10)
            seen["plain"] = _call("plain", WeightedSum, inputs)
            seen["fast"] = _call("fast", WeightedSum, inputs)

    thread = threading.Thread(target=without_grad)
    thread.start()
    try:
        inside.wait(10)
        plain, fast = _call("plain", WeightedSum, inputs), _call("fast", WeightedSum, inputs)
    finally:
        done.set()
        thread.join()
    _assert_same_call(plain, fast)
    assert fast[1].creator is fast[0]
    _assert_same_call(seen["plain"], seen["fast"])
    assert seen["fast"][1].creator is None and "inputs" not in vars(seen["fast"][0])


def test_calls_in_no_grad_never_record_while_threads_switch_recording_on_and_off():
    x = Variable(np.ones(3, np.float32))
    stop = threading.Event()
    recorded_in_no_grad = []

    def switching():
        while not stop.is_set():
            with no_grad():
                if (x * x).creator is not None:
                    recorded_in_no_grad.append(True)

    threads = [threading.Thread(target=switching) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.perf_counter() + 0.3  # many switches of the interpreter's thread
        while time.perf_counter() < deadline:
            assert (x * x).creator is not None
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not recorded_in_no_grad
    # With every no_grad ended, the fast call skips reading its thread's setting again.
    assert _fast._every_thread_records


def test_the_fast_call_is_installed_and_the_plain_call_can_replace_it():
    assert Function.__call__ is _fast.fast_call
    x = Variable(np.ones(3, np.float32))
    try:
        _fast.use_fast_call(False)
        assert Function.__call__ is Function.plain_call
        assert (x * x).creator is not None
    finally:
        _fast.use_fast_call()
    assert Function.__call__ is _fast.fast_call


def test_a_recording_puts_back_the_call_that_was_installed(monkeypatch):
    x = Variable(np.ones(3, np.float32))
    for installed in (Function.plain_call, _fast.fast_call):
        monkeypatch.setattr(Function, "__call__", installed)
        with record() as recording:
            y = x * x
        assert Function.__call__ is installed
        assert recording.calls[0][3] == (y,)


def _model(kind):
    keras.utils.set_random_seed(7)
    if kind == "mlp":
        model = keras.Sequential(
            [keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)]
        )
        x = np.random.default_rng(0).standard_normal((32, 6)).astype(np.float32)
    else:  # a recurrent primitive with more inputs than the fast call unrolls
        model = keras.Sequential([keras.Input((5, 2)), layers.LSTM(4), layers.Dense(3)])
        x = np.random.default_rng(0).standard_normal((32, 5, 2)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, 32)
    return model, x, y


@pytest.mark.parametrize("kind", ["mlp", "lstm"])
@pytest.mark.parametrize("jit_compile", [False, "auto"])
def test_training_gives_the_same_weights_bits_with_the_plain_call_installed(
    monkeypatch, kind, jit_compile
):
    results = {}
    for name in ("fast", "plain"):
        monkeypatch.setattr(Function, "__call__", CALLS[name])
        model, x, y = _model(kind)
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit_compile,
        )
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results[name] = (model.get_weights(), history.history["loss"])
    (fast_weights, fast_loss), (plain_weights, plain_loss) = results["fast"], results["plain"]
    assert fast_loss == plain_loss
    for a, b in zip(fast_weights, plain_weights):
        assert a.dtype == b.dtype == np.float32
        assert a.tobytes() == b.tobytes()
