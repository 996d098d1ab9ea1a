"""Data and initial weights of the MLP benchmarks, shared by every implementation timed.

Only numpy here: `_keras_fit.py` imports it from an interpreter that has Keras, not minikeras.
"""

import itertools

import numpy as np


def make_data(n, rng):
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y


def make_images(n, rng):
    """`n` random 32x32x3 float32 images (channels last) and labels in [0, 10)."""
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return x, y


def convnet_layers(name):
    """The layers of a convnet benchmark, as `(kind, *arguments)` tuples: `("conv", filters,
    kernel, stride)` ("same" padding, relu), `("maxpool",)` (2x2), `("gap",)`,
    `("flatten",)`, `("dense", units)` (logits)."""
    if name == "guide":
        convs = [("conv", 8, 4, 2), ("conv", 16, 4, 2), ("conv", 32, 4, 2)]
        return [*convs, ("gap",), ("dense", 10)]
    if name == "vgg":
        block = [("conv", 32, 3, 1), ("conv", 32, 3, 1), ("maxpool",)]
        block += [("conv", 64, 3, 1), ("conv", 64, 3, 1), ("maxpool",)]
        return [*block, ("flatten",), ("dense", 10)]
    raise ValueError(f"unknown convnet {name!r}; expected 'guide' or 'vgg'")


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
