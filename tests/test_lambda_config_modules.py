"""A Lambda config names its function's module; renamed or missing modules are handled."""

import pytest

from minikeras import ops
from minikeras.layers import Lambda


def _config(module, name):
    layer = Lambda(ops.cosh)
    config = layer.get_config()
    config["function"] = dict(config["function"], module=module, config=name)
    return config


def test_a_config_saved_when_the_op_lived_in_ops_numpy_more_still_loads():
    layer = Lambda.from_config(_config("minikeras.ops.numpy_more", "cosh"))
    assert layer.function is ops.cosh


def test_a_config_naming_a_minikeras_module_that_does_not_exist_gives_a_clear_error():
    with pytest.raises(ValueError, match="cannot find the function 'cosh'"):
        Lambda.from_config(_config("minikeras.no_such_module", "cosh"))
