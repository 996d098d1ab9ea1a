"""The base optimizer and `keras.ops.numpy` stay in modules a reader can hold, and moving
code between those modules changes nothing a user or a subclass sees."""

import inspect
import pathlib

import pytest

import minikeras
from minikeras import ops
from minikeras.autodiff import Function
from minikeras.ops import numpy as numpy_ops
from minikeras.optimizers.optimizer import Optimizer

PACKAGE = pathlib.Path(minikeras.__file__).parent
NUMPY_PARTS = [
    "elementwise",
    "elementwise_generic",
    "elementwise_no_gradient",
    "reductions",
    "statistics",
    "products",
    "manipulation",
    "indexing",
    "creation",
]


def _lines(relative_path):
    return len((PACKAGE / relative_path).read_text().splitlines())


def test_optimizer_py_is_at_most_500_lines():
    assert _lines("optimizers/optimizer.py") <= 500


@pytest.mark.parametrize("module", ["numpy", "_arguments", *NUMPY_PARTS])
def test_each_module_of_ops_numpy_is_at_most_700_lines(module):
    assert _lines(f"ops/{module}.py") <= 700


def _part(name):
    return getattr(ops, name)


def test_ops_numpy_gathers_each_op_of_its_parts_once():
    gathered = [name for part in NUMPY_PARTS for name in _part(part).__all__]
    assert len(gathered) == len(set(gathered))
    assert sorted(numpy_ops.__all__) == sorted(gathered)
    for part in NUMPY_PARTS:
        for name in _part(part).__all__:
            assert getattr(numpy_ops, name) is getattr(_part(part), name), name
            assert getattr(ops, name) is getattr(_part(part), name), name


def test_ops_numpy_offers_the_primitive_of_every_op():
    for part in NUMPY_PARTS:
        module = _part(part)
        primitives = [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, Function)
            and value.__module__ == module.__name__
        ]
        for primitive in primitives:
            assert getattr(numpy_ops, primitive.__name__) is primitive


# Keras 3's `BaseOptimizer` methods and properties a user or a subclass reaches for.
KERAS_OPTIMIZER_API = [
    "add_optimizer_variables",
    "add_variable",
    "add_variable_from_reference",
    "apply",
    "apply_gradients",
    "assign",
    "assign_add",
    "assign_sub",
    "build",
    "exclude_from_weight_decay",
    "finalize_variable_values",
    "from_config",
    "get_config",
    "iterations",
    "learning_rate",
    "load_own_variables",
    "save_own_variables",
    "scale_loss",
    "set_weights",
    "update_step",
    "variables",
]


@pytest.mark.parametrize("name", KERAS_OPTIMIZER_API)
def test_the_keras_optimizer_api_is_on_the_optimizer_class(name):
    assert hasattr(Optimizer, name)


def test_the_steps_of_apply_name_modules_that_exist():
    doc = inspect.getmodule(Optimizer).__doc__
    named = {word.strip("`(),.;") for word in doc.split() if word.strip("`(),.;").endswith(".py")}
    assert named, "the module docstring names where each step of apply lives"
    for filename in named:
        assert (PACKAGE / "optimizers" / filename).exists(), filename


def test_each_op_of_ops_numpy_names_ops_numpy_as_its_module():
    for name in numpy_ops.__all__:
        assert getattr(numpy_ops, name).__module__ == "minikeras.ops.numpy", name


@pytest.mark.parametrize("function", [ops.abs, ops.sum, ops.cosh, ops.reshape, ops.bitwise_and])
def test_a_lambda_layer_config_names_ops_numpy_and_loads_back(function):
    layer = minikeras.layers.Lambda(function)
    config = layer.get_config()
    assert config["function"]["module"] == "minikeras.ops.numpy"
    assert type(layer).from_config(config).function is function
