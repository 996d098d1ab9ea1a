"""`layer.dtype_policy` reports the layer's dtype; what minikeras cannot do raises."""

import pytest

from minikeras import layers


def test_dtype_policy_reports_the_layers_dtype_as_keras_does():
    policy = layers.Dense(2).dtype_policy
    assert policy.name == "float32"
    assert policy.compute_dtype == policy.variable_dtype == "float32"
    assert policy.quantization_mode is None
    assert repr(policy) == '<DTypePolicy "float32">'
    assert layers.Dense(2, dtype="float64").dtype_policy.name == "float64"


@pytest.mark.parametrize("policy", ["int8_from_float32", "mixed_float16", "bfloat16"])
def test_setting_a_policy_minikeras_cannot_follow_raises_instead_of_being_ignored(policy):
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(NotImplementedError, match="cannot change a layer's dtype policy"):
        layer.dtype_policy = policy
    assert layer.dtype_policy.name == "float32"


def test_setting_the_layers_own_dtype_policy_is_accepted():
    layer = layers.Dense(2)
    layer.dtype_policy = "float32"
    layer.dtype_policy = layers.Dense(3).dtype_policy
    assert layer.dtype_policy.name == "float32"
