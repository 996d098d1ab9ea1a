"""Lamb, Adafactor, Muon and ScheduleFreeAdamW against steps recorded from Keras 3
(tests/fixtures/generate_optimizers_more.py), their configs, and their `.weights.h5` state
layout."""

import gzip
import json
import pathlib

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import optimizers
from tests.fixtures import optimizer_scenarios as shared

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "optimizers_more.json").read_text()
)
NAMES = FIXTURE["variable_names"]
CLASSES = sorted(FIXTURE["config"])


def make_variables():
    return [keras.Variable(np.array(FIXTURE["initial"][n], "float32"), name=n) for n in NAMES]


def run_case(case):
    optimizer, _, history = shared.optimizer_steps(
        keras, case, NAMES, FIXTURE["initial"], FIXTURE["gradients"]
    )
    return optimizer, history


def assert_close_to_keras(actual, expected, what):
    expected = np.asarray(expected)
    # float32 steps in Keras's order; sums, means and matrix products (Muon's Newton-Schulz
    # iterations) add in another order than XLA's, a few ulp that five steps carry along.
    np.testing.assert_allclose(actual, expected, rtol=2e-5, atol=2e-6, err_msg=what)


@pytest.mark.parametrize("name", sorted(FIXTURE["cases"]))
def test_steps_and_state_match_keras(name):
    case = FIXTURE["cases"][name]
    optimizer, history = run_case(case)
    for step, (ours, theirs) in enumerate(zip(history, case["steps"])):
        for var_name, a, b in zip(NAMES, ours, theirs):
            assert a.dtype == np.float32
            assert_close_to_keras(a, b, f"{name}: {var_name} after step {step + 1}")
    expected = case["optimizer_variables"]
    assert [v.name for v in optimizer.variables] == [v["name"] for v in expected]
    for ours, theirs in zip(optimizer.variables, expected):
        assert list(ours.shape) == theirs["shape"]
        if theirs["name"] == "iteration":
            assert int(ours.data) == theirs["value"]  # int64 here, int32 in Keras on JAX
            continue
        # Paths start with the optimizer's auto-name (which counts differently here);
        # Adafactor's placeholders for vectors carry the bare variable name, as in Keras.
        prefix, _, rest = theirs["path"].rpartition("/")
        assert ours.path == (f"{optimizer.name}/{rest}" if prefix else rest)
        assert ours.dtype == theirs["dtype"]
        assert_close_to_keras(ours.numpy(), theirs["value"], f"{name}: {theirs['name']}")


def test_new_optimizers_update_per_variable():
    # Their rules read whole variables (norms, ranks, names): never the flat update.
    for class_name in CLASSES:
        assert vars(getattr(optimizers, class_name))["_elementwise_update_step"] is False
        optimizer, _ = run_case({"class_name": class_name, "config": {}})
        assert not optimizer._flat


@pytest.mark.parametrize("class_name", CLASSES)
def test_config_matches_keras(class_name):
    expected = FIXTURE["config"][class_name]
    optimizer = getattr(optimizers, class_name)(name=class_name.lower())
    serialized = optimizers.serialize(optimizer)
    assert serialized["class_name"] == expected["class_name"]
    ours, theirs = serialized["config"], expected["config"]
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        if isinstance(value, float):
            assert ours[key] == pytest.approx(value, rel=1e-6), key
        else:
            assert ours[key] == value, key
    restored = optimizers.deserialize(serialized)
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()
    assert type(optimizers.get(class_name.lower())) is type(optimizer)


def _layout_model(class_name):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, name="hidden"), keras.layers.Dense(2, name="out")]
    )
    model.compile(optimizer=getattr(optimizers, class_name)(), loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    return model


@pytest.mark.parametrize("class_name", CLASSES)
def test_weights_file_optimizer_layout_matches_keras(class_name, tmp_path):
    expected = FIXTURE["layouts"][class_name]
    model = _layout_model(class_name)
    names = [v.name for v in model.optimizer.variables]
    assert len(names) == len(expected["variables"])
    for ours, theirs in zip(names, expected["variables"]):
        # Keras prefixes slots with the model's auto-name ("sequential_3_hidden_..."): compare
        # the part after the model name.
        assert (
            ours.split("hidden")[-1].split("out")[-1]
            == (theirs["name"].split("hidden")[-1].split("out")[-1])
        )
    path = tmp_path / "model.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        group = f["optimizer"]["vars"]
        keys = sorted(group.keys(), key=int)
        assert keys == expected["keys"]
        for key, theirs in zip(keys, expected["datasets"]):
            assert list(group[key].shape) == theirs["shape"], key
            if key != "0":  # the iteration count is int64 here, int32 in Keras on JAX
                assert str(group[key].dtype) == theirs["dtype"], key
    # The state reloads into a fresh model and optimizer.
    other = _layout_model(class_name)
    other.load_weights(path)
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_constructor_arguments_are_validated():
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Lamb(beta3=0.5)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        optimizers.Muon().zeropower_via_newtonschulz5(np.ones(3, "float32"), 5)


def test_muon_splits_variables_between_muon_and_adam():
    optimizer = optimizers.Muon(exclude_layers=["head"])
    variables = [
        keras.Variable(np.ones((3, 2), "float32"), name="kernel"),
        keras.Variable(np.ones((3, 2), "float32"), name="head_kernel"),
        keras.Variable(np.ones((3, 2), "float32"), name="token_embedding"),
        keras.Variable(np.ones((2,), "float32"), name="bias"),
        keras.Variable(np.ones((2, 2, 2), "float32"), name="filters"),
    ]
    optimizer.build(variables)
    assert [optimizer._should_use_adamw(v) for v in variables] == [False, True, True, True, True]
    assert optimizer.adam_velocities[0] is None


# -- Keras's `_clip_gradients(grads)` -------------------------------------------------------
CLIP = FIXTURE["clip_gradients"]


@pytest.mark.parametrize(
    "case", CLIP["cases"], ids=[next(iter(c["options"])) for c in CLIP["cases"]]
)
def test_clip_gradients_takes_the_keras_signature(case):
    grads = [None if g is None else np.array(g, "float32") for g in CLIP["gradients"]]
    originals = [None if g is None else g.copy() for g in grads]
    clipped = optimizers.SGD(**case["options"])._clip_gradients(grads)
    assert len(clipped) == len(case["clipped"])
    for ours, theirs in zip(clipped, case["clipped"]):
        if theirs is None:
            assert ours is None
        else:
            assert ours.dtype == np.float32
            np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for g, original in zip(grads, originals):  # the inputs are left alone
        if g is not None:
            np.testing.assert_array_equal(g, original)


def test_clip_gradients_override_with_the_keras_signature_is_used_by_apply():
    class HalvedSGD(optimizers.SGD):
        def _clip_gradients(self, grads):
            return [keras.ops.multiply(g, 0.5) for g in grads]

    w = keras.Variable(np.ones(3, "float32"), name="w")
    HalvedSGD(learning_rate=0.1).apply([np.ones(3, "float32")], [w])
    np.testing.assert_allclose(w.numpy(), np.full(3, 0.95, "float32"))
    assert w.numpy().dtype == np.float32


# -- LossScaleOptimizer and MultiOptimizer ----------------------------------------------------
WRAPPERS = FIXTURE["wrappers"]


def make_wrapper(name):
    if name == "loss_scale":
        return optimizers.LossScaleOptimizer(
            optimizers.SGD(0.1, momentum=0.5), initial_scale=4.0, dynamic_growth_steps=2
        )
    return optimizers.MultiOptimizer(
        optimizers.OptimizerMap(
            optimizers.SGD(0.1, momentum=0.9),
            {"kernel|wide": optimizers.Adam(0.1), "filt.*": optimizers.Lion(0.05)},
        )
    )


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_wrapper_optimizers_match_keras(name):
    expected = WRAPPERS[name]
    optimizer = make_wrapper(name)
    variables = make_variables()
    optimizer.build(variables)
    for step, grads in enumerate(FIXTURE["gradients"]):
        step_grads = [np.array(grads[n], "float32") for n in NAMES]
        if name == "loss_scale" and step == 2:
            step_grads[0] = np.full_like(step_grads[0], np.inf)  # this step is skipped
        assert float(optimizer.scale_loss(1.5)) == expected["scaled_losses"][step]
        optimizer.apply(step_grads, variables)
        for var_name, ours, theirs in zip(NAMES, variables, expected["steps"][step]):
            assert_close_to_keras(ours.numpy(), theirs, f"{name}: {var_name} after {step + 1}")
    assert int(optimizer.iterations.numpy()) == expected["iterations"]
    theirs = expected["optimizer_variables"]
    assert [v.name for v in optimizer.variables] == [v["name"] for v in theirs]
    for ours, want in zip(optimizer.variables, theirs):
        if want["name"] != "iteration":  # int64 here, int32 in Keras on JAX
            assert ours.dtype == want["dtype"]
        assert_close_to_keras(ours.numpy(), want["value"], f"{name}: {want['name']}")
    # The config has Keras's layout (up to auto-generated names) and rebuilds the wrapper.
    config = optimizers.serialize(optimizer)
    assert _without_names(config) == _without_names(expected["config"])
    rebuilt = optimizers.deserialize(config)
    assert _without_names(optimizers.serialize(rebuilt)) == _without_names(config)


def _without_names(value):
    if isinstance(value, dict):
        return {k: _without_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, list):
        return [_without_names(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def test_multi_optimizer_trains_a_model_and_has_no_learning_rate():
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4, name="encoder"),
            keras.layers.Dense(1, name="head"),
        ]
    )
    # The paths start with the Sequential's name ("sequential/encoder/kernel"), as in Keras.
    optimizer = optimizers.MultiOptimizer(
        optimizers.OptimizerMap(optimizers.SGD(0.0), {".*encoder/.*": optimizers.Adam(0.01)})
    )
    model.compile(optimizer=optimizer, loss="mse")
    head_before = model.layers[1].kernel.numpy().copy()
    encoder_before = model.layers[0].kernel.numpy().copy()
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 1), "float32"), epochs=2, verbose=0)
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), head_before)  # SGD(0.0)
    assert not np.allclose(model.layers[0].kernel.numpy(), encoder_before)
    with pytest.raises(AttributeError, match="sub-optimizers"):
        optimizer.learning_rate
    with pytest.raises(ValueError, match="cannot be MultiOptimizer"):
        optimizers.OptimizerMap(optimizers.SGD())["x"] = optimizers.MultiOptimizer(
            optimizers.OptimizerMap(optimizers.SGD())
        )


def test_loss_scale_optimizer_in_fit_matches_its_inner_optimizer():
    def train(optimizer):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(optimizer=optimizer, loss="mse")
        x = np.random.default_rng(0).standard_normal((16, 3)).astype("float32")
        model.fit(x, np.ones((16, 2), "float32"), epochs=2, batch_size=8, verbose=0)
        return model.get_weights()

    scaled = train(optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=8.0))
    plain = train(optimizers.SGD(0.1))
    for a, b in zip(scaled, plain):
        np.testing.assert_allclose(a, b, rtol=1e-6)  # powers of two: exact up to rounding
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)


@pytest.mark.parametrize("class_name", CLASSES)
def test_loads_the_optimizer_state_of_a_keras_saved_weights_file(class_name, tmp_path):
    path = tmp_path / "keras.weights.h5"
    with gzip.open(
        pathlib.Path(__file__).parent / "fixtures" / "saving" / f"{class_name}.weights.h5.gz"
    ) as f:
        path.write_bytes(f.read())
    model = _layout_model(class_name)
    for variable in model.optimizer.variables:  # so that only loading can restore them
        variable.assign(np.zeros(variable.shape, variable.dtype))
    model.load_weights(path)
    with h5py.File(path, "r") as f:
        group = f["optimizer"]["vars"]
        saved = [group[k][()] for k in sorted(group.keys(), key=int)]
    assert len(saved) == len(model.optimizer.variables)
    for variable, value in zip(model.optimizer.variables, saved):
        np.testing.assert_array_equal(variable.numpy(), value.astype(variable.dtype))
    assert int(model.optimizer.iterations.numpy()) == 1
