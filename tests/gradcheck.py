"""Finite-difference gradient checking, shared by the op and layer tests.

The check runs in float64: `fn` is called on float64 tensors, the analytic gradient of
`sum(fn(*xs) * projection)` (a fixed random projection, so every output element counts) is
compared with central differences of the same scalar.
"""

import contextlib

import numpy as np

import minikeras as keras
from minikeras import GradientTape


@contextlib.contextmanager
def float64():
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


def _scalar(outputs, projections):
    flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    total = 0.0
    for out, projection in zip(flat, projections, strict=True):
        total = total + keras.ops.sum(out * projection)
    return total


def check_gradients(fn, *arrays, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Asserts that minikeras gradients of `fn` match central differences.

    Args:
        fn: function of tensors returning a tensor or a list of tensors.
        *arrays: the inputs (numpy arrays; converted to float64 tensors).
        wrt: indices of the inputs to differentiate (all float inputs by default).
    """
    rng = np.random.default_rng(seed)
    with float64():
        arrays = [
            np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
            for a in arrays
        ]
        if wrt is None:
            wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
        tensors = [
            keras.Variable(a) if i in wrt else keras.ops.convert_to_tensor(a)
            for i, a in enumerate(arrays)
        ]
        outputs = fn(*tensors)
        flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        projections = [rng.standard_normal(np.shape(o)) for o in flat]
        with GradientTape() as tape:
            loss = _scalar(fn(*tensors), projections)
        grads = tape.gradient(loss, [tensors[i] for i in wrt])

        def value_at(index, perturbed):
            inputs = list(tensors)
            inputs[index] = keras.ops.convert_to_tensor(perturbed)
            with keras.no_grad():
                return float(_scalar(fn(*inputs), projections))

        for index, grad in zip(wrt, grads, strict=True):
            base = arrays[index]
            numeric = np.zeros_like(base)
            for position in np.ndindex(base.shape):
                plus = base.copy()
                plus[position] += eps
                minus = base.copy()
                minus[position] -= eps
                numeric[position] = (value_at(index, plus) - value_at(index, minus)) / (2 * eps)
            analytic = np.zeros_like(base) if grad is None else np.asarray(grad)
            assert analytic.shape == base.shape, (analytic.shape, base.shape)
            assert analytic.dtype == np.float64, analytic.dtype
            if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                raise AssertionError(
                    f"gradient mismatch for input {index}:\nanalytic=\n{analytic}\n"
                    f"numeric=\n{numeric}"
                )
