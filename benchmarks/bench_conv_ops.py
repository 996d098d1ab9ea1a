"""Forward + backward of a 2-D convolution with `minikeras.ops.conv` and GradientTape, against
the same computation written by hand in numpy (im2col), in the same process.

Workload: a float32 batch of 64 images of 32x32x16, 32 filters of 3x3, padding "same",
stride 1; loss = sum(conv(x, kernel) * r) for a fixed random r; gradients with respect to
both the input and the kernel.

Run: python benchmarks/bench_conv_ops.py
Prints the best time per step of each, `ratio = minikeras / numpy`, and PyTorch's time when
torch is installed. It also prints the "matrix-product floor": the three BLAS products any
im2col formulation needs (forward, kernel gradient, input gradient), timed alone on ready
operands, with no window copies or scatters. No numpy convolution of this shape built from
im2col can run faster than that floor on this machine.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

import minikeras as keras
from _timing import compare, fmt, machine
from minikeras.ops.convolution import conv

BATCH, SIZE, CHANNELS, FILTERS, KERNEL = 64, 32, 16, 32, 3


def minikeras_step(x, kernel, projection):
    with keras.GradientTape() as tape:
        y = conv(x, kernel, padding="same")
        loss = keras.ops.sum(y * projection)
    return tape.gradient(loss, [x, kernel])


def numpy_step(x, kernel, projection):
    """The same step by hand: stride 1 and "same" padding of a 3x3 kernel (one pixel a side)."""
    n, h, w, c = x.shape
    k, filters = kernel.shape[0], kernel.shape[-1]
    pad = k // 2
    xp = np.zeros((n, h + 2 * pad, w + 2 * pad, c), dtype=x.dtype)
    xp[:, pad : pad + h, pad : pad + w] = x
    s = xp.strides
    windows = as_strided(xp, (n, h, w, k, k, c), (s[0], s[1], s[2], s[1], s[2], s[3]))
    cols = windows.reshape(n * h * w, k * k * c)
    y = cols @ kernel.reshape(-1, filters)
    _loss = np.sum(y.reshape(n, h, w, filters) * projection)
    gy = projection.reshape(-1, filters)  # d loss / d y
    grad_kernel = (cols.T @ gy).reshape(kernel.shape)
    # Input gradient: for each kernel position, gy times that position's weights, added
    # into the shifted window it was read from (one product buffer reused for all).
    weights = kernel.reshape(k * k, c, filters)
    product = np.empty((n * h * w, c), dtype=x.dtype)
    shifted = product.reshape(n, h, w, c)
    gxp = np.zeros_like(xp)
    for i in range(k):
        for j in range(k):
            np.matmul(gy, weights[i * k + j].T, out=product)
            gxp[:, i : i + h, j : j + w] += shifted
    grad_x = gxp[:, pad : pad + h, pad : pad + w]
    return grad_x, grad_kernel


def matrix_products(cols, kernel2d, gy):
    """The forward, kernel-gradient and input-gradient products of an im2col convolution."""
    cols @ kernel2d
    cols.T @ gy
    gy @ kernel2d.T


def torch_step(torch, x, kernel, projection):
    x = x.detach().requires_grad_(True)
    kernel = kernel.detach().requires_grad_(True)
    y = torch.nn.functional.conv2d(x, kernel, padding="same")
    (y * projection).sum().backward()
    return x.grad, kernel.grad


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZE, SIZE, CHANNELS)).astype(np.float32)
    kernel = (rng.standard_normal((KERNEL, KERNEL, CHANNELS, FILTERS)) * 0.1).astype(np.float32)
    projection = rng.standard_normal((BATCH, SIZE, SIZE, FILTERS)).astype(np.float32)

    tx, tkernel = keras.Variable(x), keras.Variable(kernel)
    tprojection = keras.ops.convert_to_tensor(projection)
    ours = minikeras_step(tx, tkernel, tprojection)
    reference = numpy_step(x, kernel, projection)
    for a, b in zip(ours, reference):
        assert np.asarray(a).dtype == np.float32
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-3, atol=1e-3)

    print(
        f"conv2d forward+backward, float32, x {x.shape}, kernel {kernel.shape}, "
        f'padding="same" ({machine()})'
    )
    mk, ref = compare(
        lambda: minikeras_step(tx, tkernel, tprojection),
        lambda: numpy_step(x, kernel, projection),
        repeat=7,
    )
    print(f"  minikeras : {fmt(mk)}")
    print(f"  numpy     : {fmt(ref)}")
    print(f"  ratio = minikeras / numpy = {mk / ref:.2f}")
    cols = rng.standard_normal((BATCH * SIZE * SIZE, KERNEL * KERNEL * CHANNELS)).astype(np.float32)
    gy = projection.reshape(-1, FILTERS)
    (floor,) = compare(lambda: matrix_products(cols, kernel.reshape(-1, FILTERS), gy), repeat=7)
    print(f"  matrix-product floor of im2col: {fmt(floor)}")

    try:
        import torch
    except ImportError:
        print("  torch     : not installed")
        return [("conv2d op forward+backward", mk, ref)]
    tx_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    tk_t = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    tp_t = torch.from_numpy(np.ascontiguousarray(projection.transpose(0, 3, 1, 2)))
    (torch_time,) = compare(lambda: torch_step(torch, tx_t, tk_t, tp_t), repeat=7)
    print(f"  torch     : {fmt(torch_time)} ({torch.get_num_threads()} threads, NCHW)")
    print(f"  floor / torch = {floor / torch_time:.2f}")
    return [("conv2d op forward+backward", mk, ref, torch_time)]


if __name__ == "__main__":
    main()
