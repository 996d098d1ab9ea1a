"""One epoch of `fit` on convnets, against a hand-written numpy training loop and PyTorch.

Workloads (float32, channels last, Adam 1e-3, sparse categorical cross-entropy from logits):
  1. the Keras guide's small convnet: Conv2D 8/16/32 (kernel 4, stride 2, "same", relu) ->
     GlobalAveragePooling2D -> Dense(10), batch 64, on random 32x32x3 images;
  2. a CIFAR-style VGG block model: [Conv2D(32, 3, "same", relu) x2 -> MaxPooling2D(2)],
     [Conv2D(64, 3, "same", relu) x2 -> MaxPooling2D(2)] -> Flatten -> Dense(10), batch 128.
The numpy loop does the same computation by hand (im2col convolutions, reshape max-pooling,
in-place Adam). Keras 3 runs in its own interpreter (`--keras-python` or $KERAS_PYTHON, see
bench_fit.py) via `_keras_convnet_fit.py`.

Run: python benchmarks/bench_convnet_fit.py [--samples N] [--repeat R] [--keras-python PATH]
"""

import argparse
import os
import pathlib
import subprocess
import time

import numpy as np
from bench_fit import keras_interpreter
from bench_layers import col2im, im2col

import minikeras as keras
from _timing import fmt, machine
from _workloads import convnet_layers, make_images, softmax_crossentropy_gradient
from minikeras import layers


# -- minikeras ------------------------------------------------------------------------------
def minikeras_model(name):
    built = [keras.Input((32, 32, 3))]
    for kind, *args in convnet_layers(name):
        if kind == "conv":
            filters, kernel, stride = args
            built.append(layers.Conv2D(filters, kernel, stride, "same", activation="relu"))
        elif kind == "maxpool":
            built.append(layers.MaxPooling2D(2))
        elif kind == "gap":
            built.append(layers.GlobalAveragePooling2D())
        elif kind == "flatten":
            built.append(layers.Flatten())
        else:
            built.append(layers.Dense(args[0]))
    return keras.Sequential(built)


def minikeras_epoch(name, batch_size, x, y):
    keras.utils.set_random_seed(0)
    model = minikeras_model(name)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    # Warm up on two batches: the replayed step is recorded outside the timing.
    model.fit(x[: 2 * batch_size], y[: 2 * batch_size], batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start


# -- hand-written numpy -----------------------------------------------------------------------
def numpy_weights(name, rng):
    weights, channels, size = [], 3, 32
    for kind, *args in convnet_layers(name):
        if kind == "conv":
            filters, kernel, stride = args
            limit = np.sqrt(6 / (kernel * kernel * (channels + filters)))
            weights.append(rng.uniform(-limit, limit, (kernel, kernel, channels, filters)))
            weights.append(np.zeros(filters))
            channels, size = filters, -(-size // stride)
        elif kind == "maxpool":
            size //= 2
        elif kind == "dense":
            fan_in = channels if name == "guide" else channels * size * size
            limit = np.sqrt(6 / (fan_in + args[0]))
            weights.append(rng.uniform(-limit, limit, (fan_in, args[0])))
            weights.append(np.zeros(args[0]))
    return [w.astype(np.float32) for w in weights]


def numpy_step(name, weights, xb, yb):
    """Forward, loss and gradients of every weight, written out by hand."""
    saved, h, w = [], xb, 0
    for kind, *args in convnet_layers(name):
        if kind == "conv":
            kernel, bias = weights[w], weights[w + 1]
            kh, kw, _, filters = kernel.shape
            cols, out_hw, pads = im2col(h, kh, kw, args[2], "same")
            out = cols @ kernel.reshape(-1, filters)
            out += bias
            np.maximum(out, 0, out=out)
            saved.append((kind, w, cols, h.shape, out_hw, pads, out, args[2]))
            h, w = out.reshape(h.shape[0], *out_hw, filters), w + 2
        elif kind == "maxpool":
            n, height, width, c = h.shape
            windows = h.reshape(n, height // 2, 2, width // 2, 2, c)
            pooled = windows.max(axis=(2, 4))
            saved.append((kind, windows, pooled))
            h = pooled
        elif kind == "gap":
            saved.append((kind, h.shape))
            h = h.mean(axis=(1, 2))
        elif kind == "flatten":
            saved.append((kind, h.shape))
            h = h.reshape(h.shape[0], -1)
        else:
            saved.append((kind, w, h))
            h, w = h @ weights[w] + weights[w + 1], w + 2
    loss, g = softmax_crossentropy_gradient(h, yb)
    grads = [None] * len(weights)
    for entry in reversed(saved):
        kind = entry[0]
        if kind == "dense":
            _, w, inputs = entry
            grads[w], grads[w + 1] = inputs.T @ g, g.sum(axis=0)
            g = g @ weights[w].T
        elif kind in ("flatten", "gap"):
            shape = entry[1]
            if kind == "flatten":
                g = g.reshape(shape)
            else:
                g = np.broadcast_to(g[:, None, None, :] / np.float32(shape[1] * shape[2]), shape)
        elif kind == "maxpool":
            _, windows, pooled = entry
            # The first maximum of each window (row-major) takes the gradient.
            g = g.reshape(pooled.shape)
            routed = np.empty(windows.shape, np.float32)
            open_windows = np.ones(pooled.shape, bool)
            for a in range(2):
                for b in range(2):
                    hit = (windows[:, :, a, :, b] == pooled) & open_windows
                    open_windows &= ~hit
                    routed[:, :, a, :, b] = g * hit
            n, half_h, _, half_w, _, c = windows.shape
            g = routed.reshape(n, 2 * half_h, 2 * half_w, c)
        else:
            _, w, cols, x_shape, out_hw, pads, out, stride = entry
            kernel = weights[w]
            g = g.reshape(-1, kernel.shape[-1]) * (out > 0)
            grads[w] = (cols.T @ g).reshape(kernel.shape)
            grads[w + 1] = g.sum(axis=0)
            if w:
                dcols = g @ kernel.reshape(-1, kernel.shape[-1]).T
                g = col2im(dcols, x_shape, *kernel.shape[:2], stride, out_hw, pads)
    return loss, grads


def numpy_epoch(name, batch_size, x, y):
    weights = numpy_weights(name, np.random.default_rng(0))
    moments = [np.zeros_like(w) for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    lr, beta1, beta2, eps = 1e-3, 0.9, 0.999, 1e-7
    start = time.perf_counter()
    order = np.random.default_rng(0).permutation(len(x))
    for step, begin in enumerate(range(0, len(x), batch_size), start=1):
        index = order[begin : begin + batch_size]
        _, grads = numpy_step(name, weights, x[index], y[index])
        alpha = np.float32(lr * np.sqrt(1 - beta2**step) / (1 - beta1**step))
        for w, g, m, v in zip(weights, grads, moments, velocities):
            m += (g - m) * np.float32(1 - beta1)
            v += (g * g - v) * np.float32(1 - beta2)
            w -= alpha * m / (np.sqrt(v) + np.float32(eps))
    return time.perf_counter() - start


# -- PyTorch ----------------------------------------------------------------------------------
def torch_epoch(name, batch_size, x, y):
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    modules, channels, size = [], 3, 32
    for kind, *args in convnet_layers(name):
        if kind == "conv":
            filters, kernel, stride = args
            if stride == 1:
                modules.append(torch.nn.Conv2d(channels, filters, kernel, padding="same"))
            else:
                # Keras "same" with stride 2 and an even kernel pads one more at the end.
                total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
                before = total // 2
                modules.append(torch.nn.ZeroPad2d((before, total - before) * 2))
                modules.append(torch.nn.Conv2d(channels, filters, kernel, stride))
            modules.append(torch.nn.ReLU())
            channels, size = filters, -(-size // stride)
        elif kind == "maxpool":
            modules.append(torch.nn.MaxPool2d(2))
            size //= 2
        elif kind == "gap":
            modules += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
        else:
            fan_in = channels if name == "guide" else channels * size * size
            modules.append(torch.nn.Linear(fan_in, args[0]))
    model = torch.nn.Sequential(*modules)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    labels = torch.from_numpy(y)
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for begin in range(0, len(x), batch_size):
        index = order[begin : begin + batch_size]
        optimizer.zero_grad()
        loss_fn(model(images[index]), labels[index]).backward()
        optimizer.step()
    return time.perf_counter() - start


def keras_epoch(python, name, batch_size, samples):
    """Seconds for one epoch of Keras 3 `fit` (run by `_keras_convnet_fit.py`)."""
    script = pathlib.Path(__file__).with_name("_keras_convnet_fit.py")
    command = [python, str(script), name, str(batch_size), str(samples)]
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return float(done.stdout.split()[-1])


WORKLOADS = (
    ("guide", 64, "fit convnet 8/16/32 + GAP, batch 64"),
    ("vgg", 128, "fit VGG blocks 32-32-pool-64-64-pool, batch 128"),
)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keras-python", default=os.environ.get("KERAS_PYTHON"))
    args = parser.parse_args(argv)
    keras_python = keras_interpreter(args.keras_python)
    x, y = make_images(args.samples, np.random.default_rng(0))
    print(f"one epoch of fit on {args.samples} x 32x32x3 float32 ({machine()})")
    rows = []
    for name, batch, title in WORKLOADS:
        ours, hand, torch_times = [], [], []
        for _ in range(args.repeat):  # interleaved, best of each
            ours.append(minikeras_epoch(name, batch, x, y))
            hand.append(numpy_epoch(name, batch, x, y))
            t = torch_epoch(name, batch, x, y)
            if t is not None:
                torch_times.append(t)
        t_torch = min(torch_times) if torch_times else None
        t_keras = keras_epoch(keras_python, name, batch, args.samples) if keras_python else None
        line = f"{title:50s} minikeras {fmt(min(ours)):>10s}  numpy {fmt(min(hand)):>10s}"
        line += f"  ratio = {min(ours) / min(hand):.2f}"
        if t_torch is not None:
            line += f"  torch {fmt(t_torch)} (minikeras / torch = {min(ours) / t_torch:.2f})"
        if t_keras is not None:
            line += f"  keras-jax {fmt(t_keras)}"
        print(line)
        rows.append((title, min(ours), min(hand), t_torch, t_keras))
    return rows


if __name__ == "__main__":
    main()
