"""Forward + backward of an MLP written with `minikeras.ops` and GradientTape, against the
same computation written by hand in numpy, in the same process.

Run: python benchmarks/bench_autodiff.py
Prints the time per step of each and `ratio = minikeras / numpy`.
"""

import numpy as np

import minikeras as keras
from _timing import compare, fmt, machine
from _workloads import glorot_weights, softmax_crossentropy_gradient
from minikeras import ops


def minikeras_step(variables, x, y):
    with keras.GradientTape() as tape:
        h = x
        for i in range(0, len(variables), 2):
            h = ops.add(ops.matmul(h, variables[i]), variables[i + 1])
            if i + 2 < len(variables):
                h = ops.relu(h)
        loss = ops.mean(ops.sparse_categorical_crossentropy(y, h, from_logits=True))
    return tape.gradient(loss, variables)


def numpy_step(weights, x, y):
    activations = [x]
    h = x
    n = len(weights) // 2
    for i in range(n):
        h = h @ weights[2 * i] + weights[2 * i + 1]
        if i + 1 < n:
            h = np.maximum(h, 0)
        activations.append(h)
    _loss, g = softmax_crossentropy_gradient(h, y)
    grads = [None] * len(weights)
    for i in reversed(range(n)):
        grads[2 * i + 1] = g.sum(axis=0)
        grads[2 * i] = activations[i].T @ g
        if i:
            g = g @ weights[2 * i].T
            g *= activations[i] > 0
    return grads


def run(sizes, batch, rng):
    weights = glorot_weights(sizes, rng)
    variables = [keras.Variable(w) for w in weights]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    ours = minikeras_step(variables, ops.convert_to_tensor(x), y)
    reference = numpy_step(weights, x, y)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4, atol=1e-6)
    tx = ops.convert_to_tensor(x)
    return compare(lambda: minikeras_step(variables, tx, y), lambda: numpy_step(weights, x, y))


def main():
    rng = np.random.default_rng(0)
    print(f"forward+backward, float32 ({machine()})")
    rows = []
    for sizes, batch in (((784, 64, 64, 10), 64), ((784, 512, 512, 10), 128)):
        t_mk, t_np = run(sizes, batch, rng)
        name = f"ops + GradientTape, MLP {'-'.join(map(str, sizes))} batch {batch}"
        rows.append((name, t_mk, t_np))
        print(
            f"{name:36s} minikeras {fmt(t_mk):>10s}  numpy {fmt(t_np):>10s}  "
            f"ratio = {t_mk / t_np:.2f}"
        )
    return rows


if __name__ == "__main__":
    main()
