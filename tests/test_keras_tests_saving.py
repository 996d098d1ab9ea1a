"""Saving behaviours that running Keras's own saving tests against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/saving/{saving_lib,saving_api,
serialization_lib,object_registration}_test.py (see tools/keras_tests_status.md, section
"Saving"). Expected values are the Keras tests' own literals or were checked with Keras 3.15.1.
"""

import contextlib
import signal
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras


@contextlib.contextmanager
def _fails_after(seconds):
    """Raises TimeoutError in the block after `seconds` (a hang becomes a failure)."""

    def stop(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _CyclicContainerModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        self.blocks.append(self.blocks)
        self.out = keras.layers.Dense(2)

    def call(self, x):
        return self.out(x)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_a_list_attribute_holding_itself_does_not_hang_calls_or_saving(tmp_path):
    x = np.random.default_rng(0).random((2, 4)).astype("float32")
    with _fails_after(20):
        model = _CyclicContainerModel()
        expected = np.asarray(model(x))
        path = tmp_path / "cyclic_container.keras"
        model.save(path)
        restored = keras.saving.load_model(
            path, custom_objects={"_CyclicContainerModel": _CyclicContainerModel}
        )
        np.testing.assert_allclose(np.asarray(restored(x)), expected)
    # Keras 3.15.1 writes this model's weights under layers/dense, as minikeras does.

    with zipfile.ZipFile(path) as archive:
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as h5_file:
        assert "layers/dense/vars/0" in h5_file and "layers/dense/vars/1" in h5_file
