"""`ops.allocator`: freed array memory is kept for reuse, and the opt-out works.

Whether pages are reused is read from the process's minor page-fault count (what a new
page costs), in a fresh interpreter so the test sees only the settings under test.
"""

import os
import subprocess
import sys

import pytest

from minikeras.ops import allocator

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
