"""Forward + backward of an LSTM layer, against the same computation written by hand in numpy,
in the same process (and PyTorch eager when torch is installed).

Run: python benchmarks/bench_rnn.py
Workload: LSTM(64) over 100 timesteps, batch 64, input dim 32, float32, returning the last
output; loss = sum(h_T * R) for a fixed random R; gradients for the kernel, the recurrent
kernel, the bias and the input.
Prints the time per step of each and `ratio = minikeras / numpy`.

Each timed call runs `STEPS` steps in a row, as a training loop does; minikeras runs them
inside the loop setting `fit` uses (`parallel.keep_one_blas_thread()`, which leaves the
recurrent layers on BLAS's own threads). Each timestep multiplies small matrices
((64, 64) @ (64, 256)); with OpenBLAS's default threads such products can stall for
milliseconds waiting on busy cores, so on a shared or loaded machine both minikeras and
the numpy version vary wildly. With `OPENBLAS_NUM_THREADS=1` the numbers are steadier, and
minikeras's backward pass then makes the weights' and the input's gradients on a second
thread (minikeras/layers/rnn/fused.py, `_worker`).
"""

import numpy as np

import minikeras as keras
from _timing import STEPS, compare, fmt, in_a_loop, machine
from minikeras import ops
from minikeras.layers import LSTM

BATCH, TIMESTEPS, FEATURES, UNITS = 64, 100, 32, 64


# -- hand-written numpy: the LSTM forward and backward through time ---------------------------
def _sigmoid(a, out):
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def numpy_lstm_step(x, kernel, recurrent_kernel, bias, projection):
    """Gradients of `sum(h_T * projection)` for the kernel, recurrent kernel, bias and `x`."""
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    xt = np.ascontiguousarray(x.transpose(1, 0, 2))
    z = (xt.reshape(steps * batch, -1) @ kernel).reshape(steps, batch, 4 * units)
    z += bias
    gates = np.empty_like(z)
    cs = np.empty((steps, batch, units), np.float32)
    tanh_cs = np.empty_like(cs)
    hs = np.empty((steps + 1, batch, units), np.float32)  # hs[0] is h_0
    hs[0] = 0
    c = np.zeros((batch, units), np.float32)
    for t in range(steps):
        a = z[t] + hs[t] @ recurrent_kernel
        gate = gates[t]
        _sigmoid(a[:, : 2 * units], gate[:, : 2 * units])
        np.tanh(a[:, 2 * units : 3 * units], out=gate[:, 2 * units : 3 * units])
        _sigmoid(a[:, 3 * units :], gate[:, 3 * units :])
        i, f, g, o = (gate[:, k * units : (k + 1) * units] for k in range(4))
        c = cs[t] = f * c + i * g
        np.tanh(c, out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])
    dz = np.empty_like(z)
    dh = projection.copy()
    dc = np.zeros((batch, units), np.float32)
    for t in range(steps - 1, -1, -1):
        gate = gates[t]
        i, f, g, o = (gate[:, k * units : (k + 1) * units] for k in range(4))
        dc += dh * o * (1 - tanh_cs[t] ** 2)
        c_prev = cs[t - 1] if t else 0
        d = dz[t]
        d[:, :units] = dc * g * i * (1 - i)
        d[:, units : 2 * units] = dc * c_prev * f * (1 - f)
        d[:, 2 * units : 3 * units] = dc * i * (1 - g * g)
        d[:, 3 * units :] = dh * tanh_cs[t] * o * (1 - o)
        dc *= f
        dh = d @ recurrent_kernel.T
    dz2 = dz.reshape(steps * batch, -1)
    g_recurrent = hs[:-1].reshape(steps * batch, -1).T @ dz2
    g_kernel = xt.reshape(steps * batch, -1).T @ dz2
    g_bias = dz2.sum(axis=0)
    g_x = (dz2 @ kernel.T).reshape(steps, batch, -1).transpose(1, 0, 2)
    return g_kernel, g_recurrent, g_bias, g_x


# -- minikeras --------------------------------------------------------------------------------
def minikeras_lstm_step(layer, x, projection):
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(x) * projection)
    return tape.gradient(loss, [*layer.trainable_weights, x])


# -- PyTorch eager ----------------------------------------------------------------------------
def torch_function(x, kernel, recurrent_kernel, bias, projection):
    try:
        import torch
    except ImportError:
        return None
    lstm = torch.nn.LSTM(FEATURES, UNITS, batch_first=True)
    with torch.no_grad():  # PyTorch's gate order i, f, g, o is Keras's i, f, c, o
        lstm.weight_ih_l0.copy_(torch.from_numpy(kernel.T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(bias))
        lstm.bias_hh_l0.zero_()
    tx = torch.from_numpy(x).requires_grad_(True)
    tr = torch.from_numpy(projection)

    def step():
        lstm.zero_grad(set_to_none=True)
        tx.grad = None
        output, _ = lstm(tx)
        (output[:, -1] * tr).sum().backward()

    return step


def main():
    rng = np.random.default_rng(0)
    print(f"LSTM forward+backward, float32 ({machine()})")
    x = rng.standard_normal((BATCH, TIMESTEPS, FEATURES)).astype(np.float32)
    projection = rng.standard_normal((BATCH, UNITS)).astype(np.float32)
    keras.utils.set_random_seed(0)
    layer = LSTM(UNITS, bias_initializer="random_normal")
    layer.build(x.shape)
    kernel, recurrent_kernel, bias = layer.get_weights()
    tx = keras.Variable(x)
    ours = minikeras_lstm_step(layer, tx, projection)
    reference = numpy_lstm_step(x, kernel, recurrent_kernel, bias, projection)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-3, atol=1e-4)
    times = compare(
        in_a_loop(lambda: minikeras_lstm_step(layer, tx, projection), minikeras=True),
        in_a_loop(lambda: numpy_lstm_step(x, kernel, recurrent_kernel, bias, projection)),
    )
    torch_step = torch_function(x, kernel, recurrent_kernel, bias, projection)
    if torch_step is not None:
        # Timed on its own: torch's worker threads would disturb the other timings.
        times = [*times, *compare(in_a_loop(torch_step))]
    times = [t / STEPS for t in times]
    name = f"LSTM({UNITS}) fwd+bwd, {BATCH}x{TIMESTEPS}x{FEATURES}"
    line = f"{name:40s} minikeras {fmt(times[0]):>10s}  numpy {fmt(times[1]):>10s}"
    if len(times) > 2:
        line += f"  torch {fmt(times[2]):>10s}  minikeras/torch = {times[0] / times[2]:.2f}"
    print(f"{line}  ratio = {times[0] / times[1]:.2f}")
    return [(name, *times)]


if __name__ == "__main__":
    main()
