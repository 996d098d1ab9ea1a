"""`ops.allocator`: freed array memory is kept for reuse, and the opt-out works.

Whether pages are reused is read from the process's minor page-fault count (what a new
page costs), in a fresh interpreter so the test sees only the settings under test.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras.ops import allocator
from minikeras.ops.allocator import aligned_empty

glibc_only = pytest.mark.skipif(
    allocator._glibc() is None, reason="malloc thresholds are a glibc setting"
)

# Allocates, fills and frees a 64 MB array twice; prints the page faults of the second round.
_SCRIPT = """
import resource
import numpy as np
import minikeras
def fill():
    a = np.empty(16 << 20, np.float32)
    a.fill(1.0)
    return float(a[-1])
fill()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
fill()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults_of_second_round(env_value):
    env = {k: v for k, v in os.environ.items() if k != allocator.ENVIRONMENT_VARIABLE}
    if env_value is not None:
        env[allocator.ENVIRONMENT_VARIABLE] = env_value
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    return int(result.stdout.split()[-1])


@glibc_only
def test_import_keeps_freed_memory_for_the_next_allocation():
    # 64 MB is 16,384 pages of 4 KB: reused memory needs next to no new pages.
    assert _faults_of_second_round(None) < 1000


@glibc_only
def test_environment_variable_opts_out():
    # glibc's own thresholds: the 64 MB block is mapped afresh, page by page (or by huge
    # pages, 32 of them), so the second round faults again.
    kept = _faults_of_second_round(None)
    fresh = _faults_of_second_round("0")
    assert fresh > kept
    assert fresh >= 32


@glibc_only
def test_keep_freed_memory_reports_what_it_set():
    try:
        assert allocator.keep_freed_memory(False) is True
        assert allocator.keep_freed_memory(True) is True
    finally:
        allocator.keep_freed_memory_unless_disabled()


def test_without_glibc_nothing_is_set(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    assert allocator.keep_freed_memory() is False


def test_unless_disabled_reads_the_environment(monkeypatch):
    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append(1) or True)
    for value in ("0", "false", "No", " off "):
        monkeypatch.setenv(allocator.ENVIRONMENT_VARIABLE, value)
        assert allocator.keep_freed_memory_unless_disabled() is False
    monkeypatch.setenv(allocator.ENVIRONMENT_VARIABLE, "1")
    assert allocator.keep_freed_memory_unless_disabled() is True
    assert calls == [1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8"])
@pytest.mark.parametrize("size", [0, 1, 7, 55_050])
def test_aligned_empty_starts_on_a_64_byte_line(size, dtype):
    array = aligned_empty(size, dtype)
    assert array.shape == (size,) and array.dtype == dtype
    assert size == 0 or array.ctypes.data % 64 == 0
    assert array.flags.c_contiguous and array.flags.writeable


def test_an_optimizer_s_flat_buffers_are_aligned():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit(np.ones((8, 5), "float32"), np.ones((8, 2), "float32"), verbose=0)
    plan = model.optimizer._flat
    assert plan.gradient.ctypes.data % 64 == 0
    assert plan.variable.data.ctypes.data % 64 == 0
    assert plan.views[0].ctypes.data == plan.variable.data.ctypes.data
    assert all(velocity.data.ctypes.data % 64 == 0 for velocity in model.optimizer._velocities[-1:])
