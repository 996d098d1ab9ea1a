"""Data and initial weights of the MLP benchmarks, shared by every implementation timed.

Only numpy here: `_keras_fit.py` imports it from an interpreter that has Keras, not minikeras.
"""

import itertools

import numpy as np


def make_data(n, rng):
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y


def initial_weights(sizes, seed=0):
    """Glorot-uniform kernels and zero biases for layer widths `sizes`, from `seed`."""
    return glorot_weights(sizes, np.random.default_rng(seed))


def glorot_weights(sizes, rng):
    """`[kernel, bias, kernel, bias, ...]`: Glorot-uniform kernels drawn from `rng`, zero biases."""
    weights = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        limit = np.sqrt(6 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        weights.append(np.zeros(fan_out, np.float32))
    return weights


def softmax_crossentropy_gradient(logits, y):
    """The mean sparse softmax cross-entropy of `logits` for labels `y`, and its gradient
    with respect to the logits (the hand-written baselines' loss)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    batch = len(y)
    loss = np.mean(np.log(total[:, 0]) - shifted[np.arange(batch), y])
    g = exp / total
    g[np.arange(batch), y] -= 1
    g /= np.float32(batch)
    return loss, g
