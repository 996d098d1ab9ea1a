"""`clear_session()` and auto-naming against the names real Keras 3 gives.

tests/fixtures/clear_session.json is written by tests/fixtures/generate_clear_session.py
with Keras 3 (JAX backend) from the scenarios of tests/fixtures/session_scenarios.py: each
runs twice (names drift), then after `keras.backend.clear_session()` and after
`keras.utils.clear_session()`. Here the same scenarios run with minikeras after a
`clear_session()` (other tests made objects before).
"""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import session_scenarios

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "clear_session.json").read_text()
)


@pytest.mark.parametrize("name", sorted(session_scenarios.SCENARIOS))
def test_names_drift_then_start_again_after_clear_session_as_in_keras(name):
    keras.backend.clear_session()
    got = session_scenarios.sequence(keras, session_scenarios.SCENARIOS[name])
    assert got == FIXTURE[name]


def test_optimizer_names_count_from_the_bare_class_name_as_in_keras():
    keras.backend.clear_session()
    names = [keras.optimizers.Adam().name for _ in range(3)]
    assert names == FIXTURE["object_names"]["first"]["adam"] == ["adam", "adam_1", "adam_2"]
    assert keras.optimizers.Adam(name="custom").name == "custom"
    assert keras.optimizers.Adam().name == "adam_3"  # an explicit name takes no number


def test_utils_and_backend_clear_session_are_one_function():
    assert FIXTURE["same_function"]
    assert keras.utils.clear_session is keras.backend.clear_session


def test_backend_exposes_the_config_functions():
    assert keras.backend.floatx() == "float32"
    assert keras.backend.epsilon() == 1e-7
    assert keras.backend.image_data_format() == "channels_last"
    assert keras.backend.backend() == "numpy"
    keras.backend.set_floatx("float64")
    assert keras.config.floatx() == "float64"
    keras.backend.set_epsilon(1e-5)
    assert keras.config.epsilon() == 1e-5


def test_clear_session_keeps_settings():
    keras.config.set_floatx("float64")
    keras.config.set_epsilon(1e-4)
    keras.backend.clear_session(free_memory=False)
    assert keras.config.floatx() == "float64"
    assert keras.config.epsilon() == 1e-4


def test_clear_session_drops_the_generator_of_unseeded_random_ops():
    def draws(calls_before):
        keras.utils.set_random_seed(3)
        for _ in range(calls_before):
            keras.random.normal((2,))
        keras.backend.clear_session()
        return keras.random.normal((4,)).numpy()

    # The generator's position before clear_session no longer matters afterwards.
    np.testing.assert_array_equal(draws(0), draws(5))
    # And the new generator is not the one `set_random_seed` made.
    keras.utils.set_random_seed(3)
    assert not np.array_equal(keras.random.normal((4,)).numpy(), draws(0))


def test_importing_minikeras_does_not_import_backend():
    code = "import sys, minikeras; print('minikeras.backend' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "False"
