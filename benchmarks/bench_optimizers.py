"""One optimizer step over the weights of a 784-512-512-10 MLP: minikeras against the same
update written the straightforward way in numpy, in the same process.

Run: python benchmarks/bench_optimizers.py
Prints the time per step of each and `ratio = minikeras / numpy` (PyTorch's
`torch.optim` too when torch is installed).
"""

import itertools

import numpy as np

import minikeras as keras
from _timing import compare, fmt, machine
from minikeras import optimizers

SIZES = (784, 512, 512, 10)


def make_weights(rng):
    weights = []
    for fan_in, fan_out in itertools.pairwise(SIZES):
        weights.append(rng.normal(0, 0.05, (fan_in, fan_out)).astype(np.float32))
        weights.append(np.zeros(fan_out, np.float32))
    return weights


class NumpyAdam:
    """Adam as one would write it from the paper, expression by expression."""

    def __init__(self, weights, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.lr, self.beta_1, self.beta_2, self.epsilon = lr, beta_1, beta_2, epsilon
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.t = 0

    def step(self, weights, grads):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        for i, (w, g) in enumerate(zip(weights, grads)):
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            m_hat = self.m[i] / (1 - b1**self.t)
            v_hat = self.v[i] / (1 - b2**self.t)
            w -= self.lr * m_hat / (np.sqrt(v_hat) + self.epsilon)


class NumpyRMSprop:
    """RMSprop (Keras's form, epsilon inside the square root), expression by expression."""

    def __init__(self, weights, lr=0.001, rho=0.9, epsilon=1e-7):
        self.lr, self.rho, self.epsilon = lr, rho, epsilon
        self.v = [np.zeros_like(w) for w in weights]

    def step(self, weights, grads):
        for i, (w, g) in enumerate(zip(weights, grads)):
            self.v[i] = self.rho * self.v[i] + (1 - self.rho) * g * g
            w -= self.lr * g / np.sqrt(self.v[i] + self.epsilon)


def torch_step_function(name, weights, grads):
    """A closure doing one `torch.optim` step, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g.copy())
    if name == "Adam":
        optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7, foreach=False)
    else:
        optimizer = torch.optim.RMSprop(params, lr=1e-3, alpha=0.9, eps=1e-7, foreach=False)
    return optimizer.step


def run(name, rng):
    weights = make_weights(rng)
    grads = [rng.normal(0, 1, w.shape).astype(np.float32) for w in weights]
    variables = [keras.Variable(w) for w in weights]
    if name == "Adam":
        optimizer, reference = optimizers.Adam(), NumpyAdam(weights)
    else:
        optimizer, reference = optimizers.RMSprop(), NumpyRMSprop(weights)

    # Same result first. Keras's Adam adds epsilon to sqrt(v) before the bias correction,
    # the paper form after it: they differ where |g| is near epsilon, so compare elsewhere.
    optimizer.apply(grads, variables)
    reference.step(weights, grads)
    for variable, w, g in zip(variables, weights, grads):
        assert variable.data.dtype == w.dtype == np.float32
        away_from_epsilon = np.abs(g) > 1e-2
        np.testing.assert_allclose(
            variable.data[away_from_epsilon], w[away_from_epsilon], rtol=1e-5, atol=1e-6
        )

    functions = [
        lambda: optimizer.apply(grads, variables),
        lambda: reference.step(weights, grads),
    ]
    times = compare(*functions)
    torch_step = torch_step_function(name, weights, grads)
    if torch_step is not None:
        # Timed on its own: torch's worker threads would disturb the other timings.
        times = [*times, *compare(torch_step)]
    return times


def main():
    rng = np.random.default_rng(0)
    parameters = sum(a * b + b for a, b in itertools.pairwise(SIZES))
    print(f"one optimizer step, MLP {'-'.join(map(str, SIZES))} ({parameters} float32 weights)")
    print(f"({machine()})")
    rows = []
    for name in ("Adam", "RMSprop"):
        times = run(name, rng)
        t_mk, t_np = times[:2]
        line = f"{name:8s} minikeras {fmt(t_mk):>10s}  numpy {fmt(t_np):>10s}"
        if len(times) > 2:
            line += f"  torch {fmt(times[2]):>10s}"
        print(f"{line}  ratio = {t_mk / t_np:.2f}")
        rows.append((f"{name} step, {'-'.join(map(str, SIZES))} MLP weights", *times))
    return rows


if __name__ == "__main__":
    main()
