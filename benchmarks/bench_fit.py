"""One epoch of `fit` on 60,000 x 784 float32 against a hand-written numpy training loop.

Workloads (as in the Keras training guide): the 784-64-64-10 MLP (relu, softmax, RMSprop 1e-3,
sparse categorical cross-entropy, batch 64) and a wide 784-512-512-10 MLP (batch 128). The
numpy loop does the same computation by hand: forward pass, softmax cross-entropy, backward
pass, in-place RMSprop update, per-epoch shuffling, and a running loss. Both run in this
process; the ratio is minikeras / numpy. PyTorch and Keras (JAX) are timed too when they are
importable.

Keras 3 runs in its own interpreter (it must not share a process with minikeras's
`keras`-like names): the one given by `--keras-python` or $KERAS_PYTHON, or this one when it
can import keras. Its time is one epoch after a warm-up fit that compiles the step.

Run: python benchmarks/bench_fit.py [--samples N] [--keras-python PATH]
"""

import argparse
import importlib.util
import itertools
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

import minikeras as keras
from _timing import fmt, machine
from _workloads import initial_weights, make_data
from minikeras import layers


def minikeras_epoch(sizes, batch_size, x, y):
    inputs = keras.Input(shape=(sizes[0],))
    h = inputs
    for units in sizes[1:-1]:
        h = layers.Dense(units, activation="relu")(h)
    outputs = layers.Dense(sizes[-1], activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.set_weights(initial_weights(sizes))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy")
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start, history.history["loss"][0]


def numpy_epoch(sizes, batch_size, x, y, seed=0):
    """A hand-written, fused numpy training loop: the baseline."""
    weights = initial_weights(sizes)
    caches = [np.zeros_like(w) for w in weights]
    lr, rho, eps = np.float32(1e-3), np.float32(0.9), np.float32(1e-7)
    scratch = [np.empty_like(w) for w in weights]
    n_layers = len(weights) // 2
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    order = rng.permutation(len(x))
    total, count = 0.0, 0
    for begin in range(0, len(x), batch_size):
        index = order[begin : begin + batch_size]
        xb, yb = x[index], y[index]
        activations = [xb]
        h = xb
        for i in range(n_layers):
            h = h @ weights[2 * i]
            h += weights[2 * i + 1]
            if i + 1 < n_layers:
                np.maximum(h, 0, out=h)
            activations.append(h)
        h -= h.max(axis=1, keepdims=True)
        np.exp(h, out=h)
        h /= h.sum(axis=1, keepdims=True)
        rows = np.arange(len(yb))
        picked = np.clip(h[rows, yb], 1e-7, 1 - 1e-7)
        total += float(-np.log(picked).sum())
        count += len(yb)
        g = h
        g[rows, yb] -= 1
        g /= np.float32(len(yb))
        grads = [None] * len(weights)
        for i in reversed(range(n_layers)):
            grads[2 * i + 1] = g.sum(axis=0)
            grads[2 * i] = activations[i].T @ g
            if i:
                g = g @ weights[2 * i].T
                g *= activations[i] > 0
        for w, grad, cache, tmp in zip(weights, grads, caches, scratch):
            np.multiply(grad, grad, out=tmp)
            tmp *= 1 - rho
            cache *= rho
            cache += tmp
            np.add(cache, eps, out=tmp)
            np.sqrt(tmp, out=tmp)
            np.divide(grad, tmp, out=tmp)
            tmp *= lr
            w -= tmp
    return time.perf_counter() - start, total / count


def torch_epoch(sizes, batch_size, x, y):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    modules = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        modules.append(torch.nn.Linear(a, b))
        if i + 2 < len(sizes):
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for begin in range(0, len(x), batch_size):
        index = order[begin : begin + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(tx[index]), ty[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def keras_epoch(python, sizes, batch_size, samples):
    """Seconds for one epoch of Keras 3 `fit` (run by `_keras_fit.py` under `python`)."""
    script = pathlib.Path(__file__).with_name("_keras_fit.py")
    command = [python, str(script), "-".join(map(str, sizes)), str(batch_size), str(samples)]
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return float(done.stdout.split()[-1])


def keras_interpreter(given):
    """The Python that can run Keras 3, or None."""
    if given:
        return given
    if importlib.util.find_spec("keras") is not None and importlib.util.find_spec("jax"):
        return sys.executable
    return None


def best_of(fn, repeat):
    results = [fn() for _ in range(repeat)]
    return min(results, key=lambda r: r[0] if isinstance(r, tuple) else r)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keras-python", default=os.environ.get("KERAS_PYTHON"))
    args = parser.parse_args(argv)
    keras_python = keras_interpreter(args.keras_python)
    rng = np.random.default_rng(0)
    x, y = make_data(args.samples, rng)
    print(f"one epoch of fit on {args.samples} x 784 float32 ({machine()})")
    rows = []
    for sizes, batch in (((784, 64, 64, 10), 64), ((784, 512, 512, 10), 128)):
        # Interleave the two so a change in machine load affects both alike.
        ours, hand = [], []
        for _ in range(args.repeat):
            ours.append(minikeras_epoch(sizes, batch, x, y))
            hand.append(numpy_epoch(sizes, batch, x, y))
        t_mk, loss_mk = min(ours)
        t_np, loss_np = min(hand)
        name = f"fit MLP {'-'.join(map(str, sizes))} batch {batch}"
        line = (
            f"{name:40s} minikeras {fmt(t_mk):>10s}  numpy {fmt(t_np):>10s}  "
            f"ratio = {t_mk / t_np:.2f}  (loss {loss_mk:.4f} vs {loss_np:.4f})"
        )
        t_torch = torch_epoch(sizes, batch, x, y)
        if t_torch is not None:
            line += f"  torch {fmt(t_torch)}"
        t_keras = keras_epoch(keras_python, sizes, batch, args.samples) if keras_python else None
        if t_keras is not None:
            line += f"  keras-jax {fmt(t_keras)}"
        print(line)
        rows.append((name, t_mk, t_np, t_torch, t_keras))
    return rows


if __name__ == "__main__":
    main()
