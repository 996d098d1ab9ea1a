"""Small timing helpers shared by the benchmark scripts (run them from the repository root)."""

import os
import platform
import time

STEPS = 4  # training steps per timed call of `in_a_loop`


def in_a_loop(step, minikeras=False):
    """`STEPS` calls of `step` in a row; minikeras's inside the loop setting `fit` uses."""
    from minikeras.ops import parallel

    def loop():
        if minikeras:
            with parallel.keep_one_blas_thread():
                for _ in range(STEPS):
                    step()
        else:
            for _ in range(STEPS):
                step()

    return loop


def best_time(fn, repeat=7, number=None, min_seconds=0.2):
    """Best (minimum) seconds per call of `fn` over `repeat` rounds of `number` calls."""
    fn()  # warm up
    if number is None:
        number, start = 1, time.perf_counter()
        while time.perf_counter() - start < min_seconds / repeat:
            fn()
            number += 1
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def compare(*fns, repeat=9, min_seconds=0.3):
    """Best seconds per call of each function, timed in interleaved rounds.

    Interleaving keeps the comparison fair when the machine's load changes during the run.
    """
    numbers = []
    for fn in fns:
        fn()
        count, start = 1, time.perf_counter()
        while time.perf_counter() - start < min_seconds / repeat:
            fn()
            count += 1
        numbers.append(count)
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, (fn, number) in enumerate(zip(fns, numbers)):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best


def machine():
    """One line naming the machine the numbers were measured on."""
    processor = platform.processor() or platform.machine()
    return f"{processor}, {os.cpu_count()} cores, Python {platform.python_version()}"


def fmt(seconds):
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} us"
