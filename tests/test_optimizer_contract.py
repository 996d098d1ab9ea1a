"""The flat optimizer update keeps the per-variable numbers, and only runs where it may.

The flat update (minikeras/optimizers/_flat.py) applies one update step to all variables
laid out in one buffer, which is right only for element-wise update rules. These tests
compare it bit for bit with the per-variable path for every built-in optimizer, and check
that user rules that look at a whole variable (LARS-like trust ratios) keep per-variable
updates.
"""

import numpy as np
import pytest

import minikeras as keras
from minikeras import optimizers
from minikeras.optimizers import _flat

SHAPES = [(3, 4), (4,), (4, 2), (2,)]


def _values(seed=7):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def _gradients(steps=4):
    return [
        [np.random.default_rng(100 + step).standard_normal(s).astype(np.float32) for s in SHAPES]
        for step in range(steps)
    ]


def _run(make, values, steps, flat=True, one_optimizer_per_variable=False):
    """Applies `steps` with optimizers from `make`; returns the variables and optimizers."""
    variables = [keras.Variable(v) for v in values]
    if one_optimizer_per_variable:
        # A single variable cannot be flattened: this is the per-variable rule by
        # construction, whatever the flat path does.
        used = [make() for _ in variables]
        for grads in steps:
            for optimizer, gradient, variable in zip(used, grads, variables):
                optimizer.apply([gradient], [variable])
        return variables, used
    optimizer = make()
    if not flat:
        optimizer._FLAT_UPDATES = False
    for grads in steps:
        optimizer.apply(grads, variables)
    return variables, [optimizer]


def _norm(array):
    return np.sqrt(np.sum(np.square(array, dtype=np.float32), dtype=np.float32))


class LarsSGD(optimizers.SGD):
    """SGD whose step is scaled by each variable's trust ratio `|w| / |g|` (as LARS)."""

    def update_step(self, gradient, variable, learning_rate):
        ratio = _norm(variable.data) / _norm(gradient)
        super().update_step(gradient, variable, np.float32(learning_rate * ratio))


class LambAdam(optimizers.Adam):
    """Adam with the learning rate scaled by `|w| / |g|` per variable (LAMB-like)."""

    def update_step(self, gradient, variable, learning_rate):
        ratio = _norm(variable.data) / _norm(gradient)
        super().update_step(gradient, variable, np.float32(learning_rate * ratio))


def test_lars_like_sgd_subclass_scales_each_variable_by_its_own_norm():
    variables = [keras.Variable(np.array([3.0, 4.0])), keras.Variable(np.array([10.0]))]
    optimizer = LarsSGD(learning_rate=0.1)
    optimizer.apply([np.array([1.0, 0.0], np.float32), np.array([1.0], np.float32)], variables)
    # Per variable: ratios 5 / 1 and 10 / 1. One ratio over both variables would be
    # sqrt(125) / sqrt(2) and give 9.2094... instead of 9.0.
    np.testing.assert_allclose(variables[0].numpy(), [2.5, 4.0], rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), [9.0], rtol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LarsSGD(learning_rate=0.1),
        lambda: LarsSGD(learning_rate=0.1, momentum=0.9),
        lambda: LambAdam(learning_rate=0.01),
    ],
    ids=["lars_sgd", "lars_sgd_momentum", "lamb_adam"],
)
def test_user_subclass_overriding_update_step_gets_per_variable_numbers(make):
    values, steps = _values(), _gradients()
    variables, _ = _run(make, values, steps)
    expected, _ = _run(make, values, steps, one_optimizer_per_variable=True)
    for got, want in zip(variables, expected):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_update_step_replaced_on_an_instance_gets_per_variable_numbers():
    def make():
        optimizer = optimizers.SGD(learning_rate=0.1)
        plain = optimizer.update_step

        def trust_ratio_step(gradient, variable, learning_rate):
            ratio = _norm(variable.data) / _norm(gradient)
            plain(gradient, variable, np.float32(learning_rate * ratio))

        optimizer.update_step = trust_ratio_step
        return optimizer

    values, steps = _values(), _gradients()
    variables, _ = _run(make, values, steps)
    expected, _ = _run(make, values, steps, one_optimizer_per_variable=True)
    for got, want in zip(variables, expected):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_user_subclass_overriding_build_keeps_its_own_lists_intact():
    class Tracking(optimizers.Adam):
        def build(self, variables):
            super().build(variables)
            # Per-variable state of the user's own: a flat layout must not extend it.
            self.first_values = [self.add_variable_from_reference(v, "first") for v in variables]
            for first, variable in zip(self.first_values, variables):
                first.assign(variable)

    values, steps = _values(), _gradients()
    variables, (optimizer,) = _run(lambda: Tracking(0.01), values, steps)
    assert len(optimizer.first_values) == len(variables)
    for first, value in zip(optimizer.first_values, values):
        np.testing.assert_array_equal(first.numpy(), value)
    expected, _ = _run(lambda: optimizers.Adam(0.01), values, steps, flat=False)
    for got, want in zip(variables, expected):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


BUILT_IN = [
    lambda: optimizers.SGD(0.1),
    lambda: optimizers.SGD(0.1, momentum=0.9),
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: optimizers.RMSprop(0.01),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Adam(0.01),
    lambda: optimizers.Adam(0.01, amsgrad=True),
    lambda: optimizers.AdamW(0.01, weight_decay=0.1),
    lambda: optimizers.Adagrad(0.1),
    lambda: optimizers.Adadelta(1.0),
    lambda: optimizers.Adamax(0.01),
    lambda: optimizers.Nadam(0.01),
    lambda: optimizers.Lion(0.01),
    lambda: optimizers.Ftrl(0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.01),
    lambda: optimizers.Ftrl(0.1, l2_shrinkage_regularization_strength=0.1, beta=0.5),
]
BUILT_IN_IDS = [
    "sgd",
    "sgd_momentum",
    "sgd_nesterov",
    "rmsprop",
    "rmsprop_centered_momentum",
    "adam",
    "adam_amsgrad",
    "adamw",
    "adagrad",
    "adadelta",
    "adamax",
    "nadam",
    "lion",
    "ftrl",
    "ftrl_shrinkage",
]


@pytest.mark.parametrize("make", BUILT_IN, ids=BUILT_IN_IDS)
def test_every_built_in_optimizer_gives_the_same_bits_flat_and_per_variable(make):
    values, steps = _values(), _gradients(steps=5)
    flat_variables, (flat,) = _run(make, values, steps)
    plain_variables, (plain,) = _run(make, values, steps, flat=False)
    assert flat._flat and not plain._flat  # each path really ran
    for got, want in zip(flat_variables + flat.variables, plain_variables + plain.variables):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_every_built_in_optimizer_class_promises_an_element_wise_rule():
    """A new built-in optimizer must say whether its update rule is element-wise."""
    for name in optimizers.__all__:
        cls = getattr(optimizers, name)
        if isinstance(cls, type) and issubclass(cls, optimizers.Optimizer):
            # Rules that read whole variables (norms, ranks) say False in their own body.
            if vars(cls).get("_elementwise_update_step") is False:
                assert not _flat.promises_elementwise_update(cls), name
            else:
                assert _flat.promises_elementwise_update(cls), name


class ElementwiseMomentum(optimizers.Optimizer):
    """A user's element-wise rule written with ops, opting in to the flat update."""

    _elementwise_update_step = True

    def __init__(self, learning_rate=0.1, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(
            m,
            keras.ops.subtract(
                keras.ops.multiply(m, self.momentum), keras.ops.multiply(gradient, learning_rate)
            ),
        )
        self.assign_add(variable, m)


def test_user_rule_that_promises_to_be_element_wise_gets_the_flat_update_and_its_numbers():
    values, steps = _values(), _gradients()
    flat_variables, (flat,) = _run(ElementwiseMomentum, values, steps)
    expected, _ = _run(ElementwiseMomentum, values, steps, one_optimizer_per_variable=True)
    assert flat._flat
    for got, want in zip(flat_variables, expected):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
