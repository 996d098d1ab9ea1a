import numpy as np
import pytest

import minikeras as keras


@pytest.fixture(autouse=True)
def _restore_config():
    """Each test starts from the default configuration and leaves it that way."""
    yield
    keras.config.set_floatx("float32")
    keras.config.set_epsilon(1e-7)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
