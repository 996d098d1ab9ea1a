"""Regularizer configs as Keras 3.15.1 writes them."""

from minikeras import regularizers


def test_l1_and_orthogonal_configs_hold_the_float32_factor_as_keras():
    """Keras 3.15.1 keeps these factors as float32 tensors: `L1(0.01).get_config()` is
    `{"l1": 0.009999999776482582}`, and likewise OrthogonalRegularizer's `factor`; L2 and
    L1L2 keep the Python float. Values read from Keras 3.15.1."""
    assert regularizers.L1(0.01).get_config() == {"l1": 0.009999999776482582}
    assert regularizers.OrthogonalRegularizer(0.01).get_config() == {
        "factor": 0.009999999776482582,
        "mode": "rows",
    }
    assert regularizers.L2(0.01).get_config() == {"l2": 0.01}
    assert regularizers.L1L2(0.01, 0.02).get_config() == {"l1": 0.01, "l2": 0.02}
    restored = regularizers.L1.from_config(regularizers.L1(0.01).get_config())
    assert restored.get_config() == {"l1": 0.009999999776482582}
