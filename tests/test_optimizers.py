"""Optimizers and learning-rate schedules against real Keras 3 numbers.

The reference values come from tests/fixtures/optimizers.json, written by
tests/fixtures/generate_optimizers.py with Keras 3 (JAX backend): each case applies the same
five gradients to three variables and records the variables after every step and the
optimizer variables after the last one.
"""

import json
import pathlib

import numpy as np
import pytest

import minikeras as keras
from minikeras import ops, optimizers
from minikeras.optimizers import schedules
from tests.fixtures import optimizer_scenarios as shared

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "optimizers.json").read_text())
NAMES = FIXTURE["variable_names"]
# The classes whose default configs the fixture records.
ALL_CLASSES = list(FIXTURE["config"])


def make_variables():
    return [keras.Variable(np.array(FIXTURE["initial"][n], "float32"), name=n) for n in NAMES]


def make_optimizer(case):
    return shared.make_optimizer(keras, case)


def _apply(optimizer, grads, variables, missing):
    if missing:
        with pytest.warns(UserWarning, match="Gradients do not exist"):
            optimizer.apply(grads, variables)
    else:
        optimizer.apply(grads, variables)


def run_case(case):
    """Replays a fixture case with minikeras; returns the optimizer, variables, history."""
    return shared.optimizer_steps(
        keras, case, NAMES, FIXTURE["initial"], FIXTURE["gradients"], _apply
    )


def assert_close_to_keras(actual, expected, what):
    expected = np.asarray(expected, "float32")
    # The updates repeat Keras's float32 operations in Keras's order, so most cases agree
    # to the bit; only sums of squares (clipping norms) are added in another order than
    # XLA's, a few ulp. Values are of order 0.01-3 and move by 0.001-1 over the steps.
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-7, err_msg=what)


@pytest.mark.parametrize("name", sorted(FIXTURE["cases"]))
def test_matches_keras(name):
    case = FIXTURE["cases"][name]
    optimizer, variables, history = run_case(case)
    for step, (ours, theirs) in enumerate(zip(history, case["steps"])):
        for var_name, a, b in zip(NAMES, ours, theirs):
            assert a.dtype == np.float32
            assert_close_to_keras(a, b, f"{name}: {var_name} after step {step + 1}")

    expected_vars = case["optimizer_variables"]
    assert len(optimizer.variables) == len(expected_vars)
    for ours, theirs in zip(optimizer.variables, expected_vars):
        # Keras leaves Nadam's momentum product unnamed ("variable", "variable_1", ...).
        unnamed = theirs["name"].startswith("variable")
        expected_name = "u_product" if unnamed else theirs["name"]
        assert ours.name == expected_name
        assert ours.path == f"{optimizer.name}/{expected_name}"
        if theirs["name"] == "iteration":
            assert ours.dtype == "int64"  # int32 in Keras on JAX
            assert int(ours.data) == theirs["value"]
        else:
            assert ours.dtype == theirs["dtype"]
            assert_close_to_keras(ours.numpy(), theirs["value"], f"{name}: {theirs['name']}")

    if "finalized" in case:
        optimizer.finalize_variable_values(variables)
        for var_name, v, expected in zip(NAMES, variables, case["finalized"]):
            assert_close_to_keras(v.numpy(), expected, f"{name}: finalized {var_name}")


# -- schedules ------------------------------------------------------------------------------
def make_schedule(spec):
    return getattr(schedules, spec["class_name"])(**spec["config"])


@pytest.mark.parametrize("name", sorted(FIXTURE["schedules"]))
def test_schedule_values_match_keras(name):
    spec = FIXTURE["schedules"][name]
    schedule = make_schedule(spec)
    for step, expected in zip(spec["steps"], spec["values"]):
        value = schedule(step)
        assert np.asarray(value).dtype == np.float32
        np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=f"{name} at {step}")
        # The optimizer passes its int64 `iterations` variable.
        step_variable = keras.Variable(np.int64(step), trainable=False)
        assert float(schedule(step_variable)) == float(value)


@pytest.mark.parametrize("name", sorted(FIXTURE["schedules"]))
def test_schedule_config_round_trip(name):
    spec = FIXTURE["schedules"][name]
    schedule = make_schedule(spec)
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    assert config["class_name"] == spec["class_name"]
    assert config["registered_name"] is None
    for key, value in spec["config"].items():
        assert config["config"][key] == value
    restored = schedules.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    assert [float(restored(s)) for s in range(8)] == [float(schedule(s)) for s in range(8)]


class HalvingSchedule(schedules.LearningRateSchedule):
    """Halves the rate every `every` steps (a user-defined schedule for the tests)."""

    def __init__(self, initial_learning_rate, every):
        self.initial_learning_rate = initial_learning_rate
        self.every = every

    def __call__(self, step):
        return self.initial_learning_rate * 0.5 ** (int(step) // self.every)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "every": self.every}


def test_custom_schedule_drives_optimizer_and_serializes():
    schedule = HalvingSchedule(0.4, every=2)
    optimizer = optimizers.SGD(learning_rate=schedule)
    w = keras.Variable(np.zeros(2, "float32"), name="w")
    rates = []
    for _ in range(5):
        rates.append(float(optimizer.learning_rate))
        optimizer.apply([np.ones(2, "float32")], [w])
    # Evaluated at `iterations` before the increment: steps 0..4.
    np.testing.assert_allclose(rates, [0.4, 0.4, 0.2, 0.2, 0.1], rtol=1e-7)
    np.testing.assert_allclose(w.numpy(), [-1.3, -1.3], rtol=1e-6)
    config = optimizers.serialize(optimizer)
    assert config["config"]["learning_rate"]["class_name"] == "HalvingSchedule"
    assert config["config"]["learning_rate"]["registered_name"] == "HalvingSchedule"
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        optimizers.deserialize(config)
    restored = optimizers.deserialize(config, custom_objects={"HalvingSchedule": HalvingSchedule})
    assert isinstance(restored._learning_rate, HalvingSchedule)
    assert restored._learning_rate.get_config() == schedule.get_config()


def test_schedule_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, first_decay_steps=-1)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule().get_config()
    with pytest.raises(ValueError, match="Valid names"):
        schedules.deserialize({"class_name": "NoSuchDecay", "config": {}})


def test_piecewise_constant_boundaries_are_inclusive():
    schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.25])
    assert [float(schedule(s)) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.25]


# -- configuration, get, serialize ------------------------------------------------------------
@pytest.mark.parametrize("class_name", ALL_CLASSES)
def test_config_matches_keras(class_name):
    expected = FIXTURE["config"][class_name]
    optimizer = getattr(optimizers, class_name)(name=class_name.lower())
    assert optimizers.serialize(optimizer) == expected
    restored = optimizers.deserialize(json.loads(json.dumps(expected)))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()


def test_config_round_trip_with_options_and_schedule():
    schedule = schedules.CosineDecay(0.1, decay_steps=100, warmup_target=0.2, warmup_steps=5)
    optimizer = optimizers.RMSprop(
        learning_rate=schedule,
        rho=0.8,
        momentum=0.5,
        centered=True,
        clipnorm=2.0,
        use_ema=True,
        ema_momentum=0.9,
        ema_overwrite_frequency=3,
        weight_decay=0.01,
        gradient_accumulation_steps=4,
        loss_scale_factor=128.0,
    )
    config = optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    restored = optimizers.RMSprop.from_config(json.loads(json.dumps(config)))
    assert restored.get_config() == config
    assert isinstance(restored._learning_rate, schedules.CosineDecay)


def test_get():
    for name in [
        "sgd",
        "rmsprop",
        "adam",
        "adamw",
        "adagrad",
        "adadelta",
        "adamax",
        "nadam",
        "lion",
        "ftrl",
        "Adam",
        "ADAM",
        "RMSprop",
        "AdamW",
    ]:
        optimizer = optimizers.get(name)
        assert type(optimizer).__name__.lower() == name.lower()
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    assert optimizers.get(None) is None
    sgd = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5}})
    assert isinstance(sgd, optimizers.SGD)
    assert float(sgd.learning_rate.data) == 0.5
    assert optimizers.get("adam").get_config()["learning_rate"] == pytest.approx(0.001)


def test_get_errors_list_valid_names():
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier") as info:
        optimizers.get("rms_prop")
    for name in ["adam", "rmsprop", "sgd", "adamw", "nadam"]:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        optimizers.deserialize({"class_name": "Momentum", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(optimizers.Adam)  # a class, not an instance
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)


def test_default_names_are_unique_snake_case():
    first, second = optimizers.RMSprop(), optimizers.RMSprop()
    assert first.name.startswith("rm_sprop")
    assert first.name != second.name
    assert optimizers.AdamW().name.startswith("adam_w")


def test_constructor_errors():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(lr=0.1)
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.Adam(decay=0.1)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency"):
        optimizers.Adam(use_ema=True, ema_overwrite_frequency=0.5)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="0.1")


# -- learning rate --------------------------------------------------------------------------
def test_learning_rate_accepts_ints_and_stays_float32():
    optimizer = optimizers.SGD(learning_rate=1)  # Keras rejects an int; we cast it
    assert optimizer.learning_rate.dtype == "float32"
    assert float(optimizer.learning_rate.data) == 1.0
    optimizer.learning_rate = 2
    assert optimizer.learning_rate.data.dtype == np.float32
    optimizer.learning_rate = np.float64(0.25)
    assert optimizer.learning_rate.data.dtype == np.float32
    assert optimizer.get_config()["learning_rate"] == 0.25


def test_learning_rate_setter():
    w = keras.Variable(np.zeros(1, "float32"), name="w")
    optimizer = optimizers.SGD(learning_rate=0.5)
    optimizer.apply([np.ones(1, "float32")], [w])
    lr_variable = optimizer.learning_rate
    optimizer.learning_rate = 0.25
    assert optimizer.learning_rate is lr_variable  # assigned in place
    optimizer.apply([np.ones(1, "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-0.75])
    # Replacing it by a schedule drops the variable from `variables`.
    optimizer.learning_rate = schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    assert lr_variable not in optimizer.variables
    assert float(optimizer.learning_rate) == 0.25  # 0.5 ** iterations(2)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.1


def test_callable_learning_rate():
    rates = iter([0.5, 0.25])
    w = keras.Variable(np.zeros(1, "float32"), name="w")
    optimizer = optimizers.SGD(learning_rate=lambda: next(rates))
    optimizer.apply([np.ones(1, "float32")], [w])
    optimizer.apply([np.ones(1, "float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-0.75])


# -- the update itself ----------------------------------------------------------------------
OPTION_SETS = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {}),
    ("Adagrad", {}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Lion", {}),
    ("Ftrl", {"l1_regularization_strength": 0.1, "beta": 0.1}),
    ("Adam", {"clipnorm": 1.0, "use_ema": True, "ema_overwrite_frequency": 2}),
    ("SGD", {"global_clipnorm": 1.0, "loss_scale_factor": 2.0}),
    ("RMSprop", {"clipvalue": 0.1, "weight_decay": 0.1}),
    ("Adam", {"gradient_accumulation_steps": 2}),
]
OPTION_IDS = [f"{name}-{'-'.join(options) or 'plain'}" for name, options in OPTION_SETS]


@pytest.mark.parametrize(("class_name", "options"), OPTION_SETS, ids=OPTION_IDS)
def test_updates_in_place_without_temporaries(class_name, options, rng):
    import tracemalloc

    optimizer = getattr(optimizers, class_name)(learning_rate=0.01, **options)
    shapes = [(500, 400), (400,), (400, 10)]
    variables = [
        keras.Variable(rng.normal(size=s).astype("float32"), name=f"v{i}")
        for i, s in enumerate(shapes)
    ]
    grads = [keras.ops.convert_to_tensor(rng.normal(size=s).astype("float32")) for s in shapes]
    arrays = [v.data for v in variables]
    optimizer.apply(grads, variables)  # builds the state and the scratch space
    optimizer.apply(grads, variables)
    slots = [v.data for v in optimizer.variables]

    tracemalloc.start()
    optimizer.apply(grads, variables)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # The largest variable is 800 kB; a single full-size temporary would show.
    assert peak < 100_000, f"{class_name} allocated {peak} bytes in a step"
    for variable, array in zip(variables, arrays):
        assert variable.data is array
        assert variable.data.dtype == np.float32
    for variable, array in zip(optimizer.variables, slots):
        assert variable.data is array
        assert variable.data.dtype in (np.float32, np.int64)
    assert int(optimizer._iterations.data) == 3


@pytest.mark.parametrize("class_name", ALL_CLASSES)
def test_float64_variables_and_gradients(class_name):
    """With floatx float64, state and arithmetic are float64 and agree with the float32
    Keras reference to float32 precision."""
    keras.config.set_floatx("float64")
    case = FIXTURE["cases"][class_name.lower() if class_name != "AdamW" else "adamw"]
    optimizer = make_optimizer(case)
    variables = [keras.Variable(np.array(FIXTURE["initial"][n]), name=n) for n in NAMES]
    for grads in FIXTURE["gradients"]:
        optimizer.apply([np.array(grads[n]) for n in NAMES], variables)
    for v, expected in zip(variables, case["steps"][-1]):
        assert v.data.dtype == np.float64
        np.testing.assert_allclose(v.data, expected, rtol=2e-4, atol=2e-5)
    assert all(v.data.dtype in (np.float64, np.int64) for v in optimizer.variables)


def test_float64_gradients_for_float32_variables_are_cast():
    w = keras.Variable(np.ones(3, "float32"), name="w")
    optimizer = optimizers.Adam(learning_rate=0.1)
    optimizer.apply([np.ones(3, "float64")], [w])
    assert w.data.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), np.full(3, 0.9, "float32"), rtol=1e-5)


def test_gradients_from_gradient_tape():
    x = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")
    y = np.array([[1.0], [0.0]], "float32")
    w = keras.Variable(np.array([[0.5], [-0.5]], "float32"), name="w")
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    expected_w, velocity = w.numpy(), np.zeros_like(w.numpy())
    for _ in range(3):
        with keras.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) - y))
        grads = tape.gradient(loss, [w])
        optimizer.apply(grads, [w])
        # Hand computation of the same step.
        g = 2 * x.T @ (x @ expected_w - y) / len(x)
        velocity = 0.9 * velocity - 0.1 * g
        expected_w = expected_w + velocity
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=1e-5)


def test_none_gradients_are_dropped_with_a_warning():
    a = keras.Variable(np.ones(2, "float32"), name="a")
    b = keras.Variable(np.ones(2, "float32"), name="b")
    optimizer = optimizers.SGD(learning_rate=0.5)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b'\]"):
        optimizer.apply([np.ones(2, "float32"), None], [a, b])
    np.testing.assert_array_equal(a.numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])
    assert int(optimizer.iterations.data) == 1
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.apply([None, None], [a, b])


def test_constraint_is_applied_after_the_update():
    w = keras.Variable(np.array([0.0, 1.0, -1.0], "float32"), name="w")
    w.constraint = lambda value: ops.maximum(value, 0.0)  # non-negative weights
    optimizer = optimizers.SGD(learning_rate=1.0)
    optimizer.apply([np.array([0.5, 0.25, -3.0], "float32")], [w])
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.75, 2.0])


def test_iterations_counting():
    w = keras.Variable(np.zeros(2, "float32"), name="w")
    optimizer = optimizers.Adam()
    assert int(optimizer.iterations.data) == 0
    assert optimizer.iterations.dtype == "int64"
    optimizer.apply([], [])  # no gradients: nothing happens
    assert not optimizer.built
    for step in range(1, 4):
        optimizer.apply([np.ones(2, "float32")], [w])
        assert int(optimizer.iterations.data) == step
    assert optimizer.apply_gradients([(np.ones(2, "float32"), w)]) is optimizer.iterations
    assert int(optimizer.iterations.data) == 4

    accumulating = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    v = keras.Variable(np.zeros(1, "float32"), name="v")
    values = []
    for g in [1.0, 2.0, 6.0, 3.0]:
        accumulating.apply([np.array([g], "float32")], [v])
        values.append(float(v.data[0]))
    # Updated only on the third call, with the mean gradient 3.
    assert values == [0.0, 0.0, -3.0, -3.0]
    assert int(accumulating.iterations.data) == 1  # 4 calls // 3
    assert int(accumulating._iterations.data) == 4


def test_apply_variants_and_errors():
    a = keras.Variable(np.ones(2, "float32"), name="a")
    b = keras.Variable(np.ones((2, 2), "float32"), name="b")
    optimizer = optimizers.SGD(learning_rate=0.5)
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([np.ones(2, "float32")])
    optimizer.build([a, b])
    optimizer.apply([np.ones(2, "float32"), np.ones((2, 2), "float32")])  # built order
    np.testing.assert_array_equal(b.numpy(), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="gradients must match the variables"):
        optimizer.apply([np.ones(2, "float32")])
    stranger = keras.Variable(np.ones(2, "float32"), name="stranger")
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([np.ones(2, "float32")], [stranger])
    with pytest.raises(ValueError, match=r"shape \(3,\) does not match variable 'a'"):
        optimizer.apply([np.ones(3, "float32")], [a])


def test_exclude_from_weight_decay_by_variable():
    a = keras.Variable(np.ones(2, "float32"), name="a")
    b = keras.Variable(np.ones(2, "float32"), name="b")
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.2)
    optimizer.exclude_from_weight_decay(var_list=[b])
    zeros = np.zeros(2, "float32")
    optimizer.apply([zeros, zeros], [a, b])
    np.testing.assert_allclose(a.numpy(), [0.9, 0.9], rtol=1e-7)  # 1 - 1 * 0.2 * 0.5
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])


def test_scale_loss():
    assert optimizers.Adam().scale_loss(3.0) == 3.0
    assert optimizers.Adam(loss_scale_factor=8.0).scale_loss(3.0) == 24.0


def test_variables_save_and_load():
    def trained():
        w = keras.Variable(np.ones((2, 3), "float32"), name="w")
        optimizer = optimizers.Adam(learning_rate=0.1)
        optimizer.apply([np.full((2, 3), 0.5, "float32")], [w])
        return optimizer, w

    optimizer, _ = trained()
    assert [v.name for v in optimizer.variables] == [
        "iteration",
        "learning_rate",
        "w_momentum",
        "w_velocity",
    ]
    assert all(not v.trainable for v in optimizer.variables)
    store = {}
    optimizer.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]
    fresh, w = trained()
    fresh.apply([np.ones((2, 3), "float32")], [w])
    fresh.load_own_variables(store)
    for ours, saved in zip(fresh.variables, optimizer.variables):
        np.testing.assert_array_equal(ours.numpy(), saved.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Adam().load_own_variables(store)
    fresh.set_weights([v.numpy() for v in optimizer.variables])
    with pytest.raises(ValueError, match="not compatible"):
        fresh.set_weights([np.zeros(5)])
    with pytest.raises(ValueError, match="not yet been built"):
        optimizers.Adam().set_weights([])


class KerasStyleMomentum(optimizers.Optimizer):
    """A user optimizer written with ops, as the Keras guide shows."""

    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(
            m, ops.subtract(ops.multiply(m, self.momentum), ops.multiply(gradient, learning_rate))
        )
        self.assign_add(variable, m)

    def get_config(self):
        config = super().get_config()
        config["momentum"] = self.momentum
        return config


def test_user_optimizer_written_with_ops_matches_sgd():
    case = FIXTURE["cases"]["sgd_momentum"]
    optimizer = KerasStyleMomentum(learning_rate=0.1, momentum=0.9)
    variables = make_variables()
    for grads in FIXTURE["gradients"]:
        optimizer.apply([np.array(grads[n], "float32") for n in NAMES], variables)
    for v, expected in zip(variables, case["steps"][-1]):
        assert_close_to_keras(v.numpy(), expected, "KerasStyleMomentum")
    assert [v.name for v in optimizer.variables][2:] == [f"{n}_momentum" for n in NAMES]
    restored = optimizers.deserialize(
        optimizers.serialize(optimizer), custom_objects={"KerasStyleMomentum": KerasStyleMomentum}
    )
    assert restored.get_config() == optimizer.get_config()


def test_forgetting_super_init_is_reported():
    class Broken(optimizers.Optimizer):
        def __init__(self):
            self.momentum = 0.9
            super().__init__(learning_rate=0.1)

    with pytest.raises(RuntimeError, match="forgot to call `super"):
        Broken()


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "nadam", "adagrad", "lion"])
def test_flat_update_of_small_variables_equals_per_variable_updates(name):
    rng = np.random.default_rng(7)
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    results = []
    for flat in (True, False):
        variables = [keras.Variable(v) for v in values]
        optimizer = optimizers.get(name)
        optimizer._FLAT_UPDATES = flat
        for step in range(4):
            grads = [
                np.random.default_rng(step).standard_normal(s).astype(np.float32) for s in shapes
            ]
            optimizer.apply(grads, variables)
        assert bool(optimizer._flat) is flat
        results.append([v.numpy() for v in variables])
        # The variables still behave as separate arrays.
        neighbour = variables[1].numpy()
        variables[0].assign(np.zeros(shapes[0]))
        np.testing.assert_array_equal(variables[0].numpy(), 0)
        np.testing.assert_array_equal(variables[1].numpy(), neighbour)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_two_optimizers_over_the_same_small_variables_both_take_effect():
    variables = [keras.Variable(np.ones((2, 2))), keras.Variable(np.ones(2))]
    grads = [np.ones((2, 2), np.float32), np.ones(2, np.float32)]
    first, second = optimizers.SGD(0.5), optimizers.SGD(0.25)
    first.apply(grads, variables)
    second.apply(grads, variables)
    first.apply(grads, variables)
    np.testing.assert_allclose(variables[0].numpy(), 1 - 0.5 - 0.25 - 0.5)
    np.testing.assert_allclose(variables[1].numpy(), 1 - 0.5 - 0.25 - 0.5)


def _general_path_only(optimizer):
    """Makes `optimizer` skip the plain-step fast path of `apply`."""
    optimizer._apply_plain_flat_step = lambda grads, variables: False
    return optimizer


def _count_general_steps(optimizer):
    """Counts the steps that go through the general path (`_backend_apply_gradients`)."""
    calls = []
    general = optimizer._backend_apply_gradients

    def counting(grads, variables):
        calls.append(1)
        return general(grads, variables)

    optimizer._backend_apply_gradients = counting
    return calls


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(0.1, momentum=0.9),
        lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
        lambda: optimizers.RMSprop(0.01),
        lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
        lambda: optimizers.Adam(0.01),
        lambda: optimizers.Adam(schedules.ExponentialDecay(0.01, 2, 0.5)),
    ],
)
def test_plain_step_fast_path_gives_the_general_paths_numbers(make):
    rng = np.random.default_rng(3)
    shapes = [(5, 4), (4,), (4, 3), (3,)]
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    steps = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(4)]
    results = []
    for fast in (True, False):
        variables = [keras.Variable(v) for v in values]
        optimizer = make() if fast else _general_path_only(make())
        general_steps = _count_general_steps(optimizer)
        for grads in steps:
            optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads], variables)
        # Only the first call (which builds the optimizer) takes the general path.
        assert len(general_steps) == (1 if fast else 4)
        assert int(optimizer.iterations.data) == 4
        results.append([v.numpy() for v in variables + optimizer.variables])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_plain_step_fast_path_steps_aside_for_every_change_made_between_steps():
    """Options set, constraints added and unusual gradients after the optimizer was built
    take effect at once: each step checks the plain case anew."""

    def with_option(name, value):
        def change(optimizer, variables):
            setattr(optimizer, name, value)

        return change

    def with_constraint(optimizer, variables):
        variables[0].constraint = lambda w: ops.clip(w, -0.1, 0.1)

    changes = [
        with_option("clipnorm", 0.01),
        with_option("clipvalue", 0.001),
        with_option("global_clipnorm", 0.01),
        with_option("weight_decay", 0.5),
        with_option("loss_scale_factor", 4.0),
        with_constraint,
    ]
    rng = np.random.default_rng(5)
    shapes = [(3, 2), (2,), (2, 2)]
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    for change in changes:
        results = []
        for fast in (True, False):
            variables = [keras.Variable(v) for v in values]
            optimizer = optimizers.RMSprop(0.1)
            if not fast:
                _general_path_only(optimizer)
            optimizer.apply(grads, variables)
            optimizer.apply(grads, variables)
            change(optimizer, variables)
            general_steps = _count_general_steps(optimizer)
            optimizer.apply(grads, variables)
            assert len(general_steps) == 1
            results.append([v.numpy() for v in variables])
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b)


def test_plain_step_fast_path_steps_aside_for_unusual_gradients_and_variables():
    rng = np.random.default_rng(6)
    shapes = [(3, 2), (2,), (2, 2)]
    variables = [keras.Variable(rng.standard_normal(s).astype(np.float32)) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    optimizer = optimizers.Adam(0.1)
    optimizer.apply(grads, variables)
    general_steps = _count_general_steps(optimizer)
    optimizer.apply(grads, variables)
    optimizer.apply(iter(grads), iter(variables))  # any iterables
    assert len(general_steps) == 0

    optimizer.apply([g.astype(np.float64) for g in grads], variables)  # cast
    optimizer.apply(grads[::-1], variables[::-1])  # another order
    optimizer.apply([g.tolist() for g in grads], variables)  # not arrays
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply([None, *grads[1:]], variables)
    assert len(general_steps) == 4
    with pytest.raises(ValueError, match="does not match variable"):
        optimizer.apply([np.ones((1, 2), np.float32), *grads[1:]], variables)
    assert int(optimizer.iterations.data) == 7


def test_subclasses_overriding_a_general_step_keep_the_general_path():
    class HalvedGradients(optimizers.SGD):
        def _clip_gradients(self, grads, variables):
            return [g * np.float32(0.5) for g in grads]

    variables = [keras.Variable(np.ones((2, 2))), keras.Variable(np.ones(2))]
    grads = [np.ones((2, 2), np.float32), np.ones(2, np.float32)]
    optimizer = HalvedGradients(0.5)
    for _ in range(2):
        optimizer.apply(grads, variables)
    np.testing.assert_array_equal(variables[1].numpy(), [0.5, 0.5])
