"""Where the memory of large arrays comes from, and why minikeras keeps freed memory.

A training step allocates the same large arrays at every step: a layer's output, its
input gradient, a convolution's window matrix. numpy gets them from the C library's
`malloc`. On Linux, glibc's `malloc` serves a block above its *mmap threshold* with fresh
pages from the kernel and gives them back when the block is freed; and when more than its
*trim threshold* of memory is free at the top of the heap, it gives that back too. Both
thresholds start small (128 KB) and adapt only up to 32 MB, so the arrays of a
convolutional or batch-normalised step keep going back to the kernel between steps and
coming back as new pages. The first write to each new page then costs a page fault and
the kernel's zeroing of it, on top of the work the step asked for.

Measured (2-core x86_64, glibc 2.36): batch normalisation forward and backward on a
128x32x32x32 float32 batch took 15.4 ms with about 1,600 page faults a step, and 9.9 ms
with none; one epoch of the VGG-block benchmark model went from 1,400 faults and 396 ms a
step to 300 and 330 ms.

`keep_freed_memory()` raises both thresholds through glibc's `mallopt`: blocks up to
`MMAP_THRESHOLD` bytes come from the heap, and up to `TRIM_THRESHOLD` bytes of freed
memory stay in the process for the next step to reuse, as the caching allocators of
other frameworks do. `import minikeras` calls it.

Contract.
- Changes no number: only where memory comes from and when it goes back to the system.
- Process-wide: `malloc` serves everything in the process, so other libraries' arrays
  are served the same way. The process keeps up to `TRIM_THRESHOLD` bytes of freed
  memory instead of returning it; blocks above `MMAP_THRESHOLD` (a large dataset array)
  still go straight back to the system when freed.
- Applies with glibc only (Linux); anywhere else `keep_freed_memory` does nothing and
  returns False.
- Opt out: set the environment variable `MINIKERAS_KEEP_FREED_MEMORY=0` before importing
  minikeras, or call `keep_freed_memory(False)`, which puts glibc's initial thresholds
  back (fixed ones: glibc no longer adapts them once they have been set).
"""

import ctypes
import ctypes.util
import os
import sys

import numpy as np

# Blocks up to this size come from the heap, and are reused once freed.
MMAP_THRESHOLD = 256 << 20
# Up to this much freed memory stays at the top of the heap.
TRIM_THRESHOLD = 512 << 20
# glibc's initial values, put back by `keep_freed_memory(False)`.
_GLIBC_MMAP_THRESHOLD = 128 << 10
_GLIBC_TRIM_THRESHOLD = 128 << 10
# `mallopt` parameter numbers (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

ENVIRONMENT_VARIABLE = "MINIKERAS_KEEP_FREED_MEMORY"


def _glibc():
    """The C library when it is glibc (it has `mallopt` and `gnu_get_libc_version`), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 (raises AttributeError outside glibc)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        return libc
    except (OSError, AttributeError):
        return None


def keep_freed_memory(keep=True):
    """Makes `malloc` keep freed memory for reuse (`keep=True`) or puts glibc's initial
    thresholds back (`keep=False`).

    Returns:
        Whether both thresholds were set (False without glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    mmap = MMAP_THRESHOLD if keep else _GLIBC_MMAP_THRESHOLD
    trim = TRIM_THRESHOLD if keep else _GLIBC_TRIM_THRESHOLD
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap)) & bool(libc.mallopt(_M_TRIM_THRESHOLD, trim))


def keep_freed_memory_unless_disabled():
    """What `import minikeras` calls: `keep_freed_memory()` unless the environment variable
    `MINIKERAS_KEEP_FREED_MEMORY` is `0` (or `false`, `no`, `off`)."""
    setting = os.environ.get(ENVIRONMENT_VARIABLE, "1").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return False
    return keep_freed_memory()


# Where `aligned_empty` starts its arrays: a cache line, the width of the widest (AVX-512)
# vector loads.
ALIGNMENT = 64


def aligned_empty(size, dtype):
    """A new 1-D array of `size` elements of `dtype` whose data starts on a 64-byte line.

    `malloc` aligns its blocks to 16 bytes only; numpy's vector loops over an array that
    starts mid-line split one load in four across two cache lines. For the flat buffers an
    optimizer updates at every step (parameters, slots, gradients, scratch), that measured
    about 15% on an RMSprop step over 55,000 float32 values in the core's L2 cache, and it
    came and went with where earlier allocations had left the heap. Same numbers either way.
    """
    dtype = np.dtype(dtype)
    raw = np.empty(size * dtype.itemsize + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + size * dtype.itemsize].view(dtype)
