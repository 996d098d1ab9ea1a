"""Forward + backward of convolution layers, against the same computation written by hand in
numpy with im2col, in the same process.

Run: python benchmarks/bench_layers.py
Workloads:
  1. Conv2D(32, 3, padding="same") on a 64x32x32x16 float32 batch, loss = sum(out * R) for a
     fixed random R; gradients for the kernel and the bias.
  2. The small convnet: Conv2D 8/16/32 (kernel 4, stride 2, "same", relu) ->
     GlobalAveragePooling2D -> Dense(10), sparse categorical cross-entropy from logits, on 64
     32x32x3 images; gradients for every weight.
  3. MaxPooling2D(2) on a 128x32x32x32 batch (half its values 0, as after a relu: tied
     maxima) and its backward pass from a fixed random upstream gradient R
     (`output_gradients` / `backward(R)`); the input gradient.
  4. BatchNormalization in training on a 128x32x32x32 batch and its backward pass from a
     fixed random upstream gradient R; gradients for the input, gamma and beta.
  Workloads 3 and 4 time the layer alone in all three versions: a loss `sum(out * R)`
  would add a product, a sum and the product's backward pass that the numpy versions do
  not do.
Each timed call runs `STEPS` steps in a row, as a training loop does; minikeras runs them
inside `ops.parallel.keep_one_blas_thread()`, as `fit` runs its steps (its blocked
convolutions then share their blocks between two threads with BLAS on one thread each).
Prints the time per step of each and `ratio = minikeras / numpy` (and PyTorch's time when
torch is installed). `python benchmarks/bench_layers.py BatchNorm` times only the rows
whose name contains one of the words given.
"""

import numpy as np

import minikeras as keras
from _timing import STEPS, compare, fmt, in_a_loop, machine
from _workloads import softmax_crossentropy_gradient
from minikeras import ops
from minikeras.layers import Dense, Input
from minikeras.layers.convolutional import Conv2D
from minikeras.layers.normalization import BatchNormalization
from minikeras.layers.pooling import GlobalAveragePooling2D, MaxPooling2D

# Steps per timed call: a short training loop.


# -- hand-written numpy: im2col convolution, forward and backward -------------------------
def same_padding(size, kernel, stride):
    """(before, after) zero padding of a "same" convolution (TensorFlow/Keras rule)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def im2col(x, kh, kw, stride, padding):
    """Windows of `x` (N, H, W, C) as rows of a matrix (N * Ho * Wo, kh * kw * C)."""
    n, height, width, channels = x.shape
    if padding == "same":
        ph, pw = same_padding(height, kh, stride), same_padding(width, kw, stride)
        x = np.pad(x, [(0, 0), ph, pw, (0, 0)])
    else:
        ph = pw = (0, 0)
    out_h = (x.shape[1] - kh) // stride + 1
    out_w = (x.shape[2] - kw) // stride + 1
    sn, sh, sw, sc = x.strides
    windows = np.lib.stride_tricks.as_strided(
        x,
        shape=(n, out_h, out_w, kh, kw, channels),
        strides=(sn, sh * stride, sw * stride, sh, sw, sc),
        writeable=False,
    )
    return windows.reshape(n * out_h * out_w, kh * kw * channels), (out_h, out_w), (ph, pw)


def col2im(dcols, x_shape, kh, kw, stride, out_hw, pads):
    """Adds the window gradients `dcols` back into an input-shaped gradient."""
    n, height, width, channels = x_shape
    (top, bottom), (left, right) = pads
    gx = np.zeros((n, height + top + bottom, width + left + right, channels), dcols.dtype)
    dcols = dcols.reshape(n, *out_hw, kh, kw, channels)
    out_h, out_w = out_hw
    for a in range(kh):
        for b in range(kw):
            rows = slice(a, a + stride * (out_h - 1) + 1, stride)
            cols = slice(b, b + stride * (out_w - 1) + 1, stride)
            gx[:, rows, cols, :] += dcols[:, :, :, a, b, :]
    return gx[:, top : top + height, left : left + width, :]


def numpy_conv_step(x, kernel, bias, projection):
    """Conv2D(32, 3, "same") forward, loss = sum(out * projection), kernel/bias gradients."""
    kh, kw, _, filters = kernel.shape
    cols, _, _ = im2col(x, kh, kw, 1, "same")
    out = cols @ kernel.reshape(-1, filters)
    out += bias
    _loss = np.sum(out * projection.reshape(-1, filters))
    g = projection.reshape(-1, filters)
    grad_kernel = (cols.T @ g).reshape(kernel.shape)
    grad_bias = g.sum(axis=0)
    return grad_kernel, grad_bias


def numpy_convnet_step(weights, x, y):
    """The small convnet: forward, sparse CE from logits (mean), gradients of every weight."""
    saved = []
    h = x
    for i in range(3):
        kernel, bias = weights[2 * i], weights[2 * i + 1]
        kh, kw, _, filters = kernel.shape
        cols, out_hw, pads = im2col(h, kh, kw, 2, "same")
        out = cols @ kernel.reshape(-1, filters)
        out += bias
        np.maximum(out, 0, out=out)
        saved.append((cols, h.shape, out_hw, pads, out))
        h = out.reshape(h.shape[0], *out_hw, filters)
    pooled = h.mean(axis=(1, 2))
    logits = pooled @ weights[6] + weights[7]
    _loss, g = softmax_crossentropy_gradient(logits, y)

    grads = [None] * 8
    grads[6] = pooled.T @ g
    grads[7] = g.sum(axis=0)
    g_pooled = g @ weights[6].T
    batch, out_h, out_w, filters = h.shape
    g = np.broadcast_to(
        (g_pooled / np.float32(out_h * out_w))[:, None, :], (batch, out_h * out_w, filters)
    ).reshape(-1, filters)
    for i in reversed(range(3)):
        kernel = weights[2 * i]
        cols, x_shape, out_hw, pads, out = saved[i]
        g = g * (out > 0)
        grads[2 * i] = (cols.T @ g).reshape(kernel.shape)
        grads[2 * i + 1] = g.sum(axis=0)
        if i:
            dcols = g @ kernel.reshape(-1, kernel.shape[-1]).T
            kh, kw = kernel.shape[:2]
            g = col2im(dcols, x_shape, kh, kw, 2, out_hw, pads).reshape(-1, x_shape[-1])
    return grads


# -- minikeras --------------------------------------------------------------------------------
def minikeras_conv_step(layer, x, projection):
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(x) * projection)
    return tape.gradient(loss, [layer.kernel, layer.bias])


def small_convnet():
    return keras.Sequential(
        [
            Input((32, 32, 3)),
            Conv2D(8, 4, strides=2, padding="same", activation="relu"),
            Conv2D(16, 4, strides=2, padding="same", activation="relu"),
            Conv2D(32, 4, strides=2, padding="same", activation="relu"),
            GlobalAveragePooling2D(),
            Dense(10),
        ]
    )


def minikeras_convnet_step(model, x, y):
    with keras.GradientTape() as tape:
        logits = model(x)
        loss = ops.mean(ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
    return tape.gradient(loss, model.trainable_weights)


# -- PyTorch, when installed ---------------------------------------------------------------
def torch_functions(conv_case, convnet_case):
    """Step closures for both workloads in PyTorch, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    F = torch.nn.functional

    x, kernel, bias, projection = (torch.from_numpy(a) for a in conv_case)
    x_nchw = x.permute(0, 3, 1, 2).contiguous()
    w = torch.nn.Parameter(kernel.permute(3, 2, 0, 1).contiguous())
    b = torch.nn.Parameter(bias.clone())
    r = projection.permute(0, 3, 1, 2).contiguous()

    def conv_step():
        w.grad = b.grad = None
        (F.conv2d(x_nchw, w, b, padding="same") * r).sum().backward()

    weights, images, labels = convnet_case
    params = []
    for i in range(3):
        params.append(torch.nn.Parameter(torch.from_numpy(weights[2 * i]).permute(3, 2, 0, 1)))
        params.append(torch.nn.Parameter(torch.from_numpy(weights[2 * i + 1])))
    params.append(torch.nn.Parameter(torch.from_numpy(weights[6])))
    params.append(torch.nn.Parameter(torch.from_numpy(weights[7])))
    images = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(labels)

    def convnet_step():
        for p in params:
            p.grad = None
        h = images
        for i in range(3):
            # Keras "same" with stride 2 and an even kernel pads (1, 2): one more at the end.
            h = F.relu(F.conv2d(F.pad(h, (1, 2, 1, 2)), params[2 * i], params[2 * i + 1], 2))
        logits = h.mean(dim=(2, 3)) @ params[6] + params[7]
        F.cross_entropy(logits, labels).backward()

    return conv_step, convnet_step


# -- the runs ---------------------------------------------------------------------------------
def run_conv(rng):
    x = rng.standard_normal((64, 32, 32, 16)).astype(np.float32)
    projection = rng.standard_normal((64, 32, 32, 32)).astype(np.float32)
    layer = Conv2D(32, 3, padding="same", bias_initializer="random_normal")
    layer.build(x.shape)
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    tx, tp = ops.convert_to_tensor(x), ops.convert_to_tensor(projection)
    ours = minikeras_conv_step(layer, tx, tp)
    reference = numpy_conv_step(x, kernel, bias, projection)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(np.asarray(a), b, rtol=2e-4, atol=1e-2)
    functions = [
        lambda: minikeras_conv_step(layer, tx, tp),
        lambda: numpy_conv_step(x, kernel, bias, projection),
    ]
    return functions, (x, kernel, bias, projection)


def run_convnet(rng):
    keras.utils.set_random_seed(0)
    model = small_convnet()
    for weight in model.trainable_weights:  # non-zero biases so every term is exercised
        if len(weight.shape) == 1:
            weight.assign(rng.normal(0, 0.1, weight.shape).astype(np.float32))
    weights = [w.numpy() for w in model.trainable_weights]
    x = rng.standard_normal((64, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    tx = ops.convert_to_tensor(x)
    ours = minikeras_convnet_step(model, tx, y)
    reference = numpy_convnet_step(weights, x, y)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-3, atol=1e-5)
    functions = [
        lambda: minikeras_convnet_step(model, tx, y),
        lambda: numpy_convnet_step(weights, x, y),
    ]
    return functions, (weights, x, y)


# -- pooling and batch normalisation -------------------------------------------------------
def numpy_maxpool_step(x, projection):
    """2x2 max pooling forward and its input gradient (first maximum of each window)."""
    n, height, width, c = x.shape
    windows = x.reshape(n, height // 2, 2, width // 2, 2, c)
    pooled = windows.max(axis=(2, 4))
    gx = np.empty_like(windows)
    open_windows = np.ones(pooled.shape, bool)
    for a in range(2):
        for b in range(2):
            hit = windows[:, :, a, :, b] == pooled
            hit &= open_windows
            open_windows ^= hit
            np.multiply(projection, hit, out=gx[:, :, a, :, b])
    return gx.reshape(x.shape)


def numpy_batchnorm_step(x, gamma, beta, projection, epsilon=1e-3):
    """Batch normalisation over (batch, height, width) forward, and its three gradients."""
    axes = (0, 1, 2)
    count = x.size // x.shape[-1]
    mean = x.mean(axis=axes)
    centered = x - mean
    inv = 1 / np.sqrt(np.mean(centered * centered, axis=axes) + np.float32(epsilon))
    _out = centered * (inv * gamma) + beta
    gy = projection
    grad_beta = gy.sum(axis=axes)
    grad_gamma = np.sum(gy * centered, axis=axes) * inv
    scale = gamma * inv
    grad_x = scale * (gy - grad_beta / count) - centered * (scale * inv * grad_gamma / count)
    return grad_x, grad_gamma, grad_beta


def run_maxpool(rng):
    x = np.maximum(rng.standard_normal((128, 32, 32, 32)), 0).astype(np.float32)
    projection = rng.standard_normal((128, 16, 16, 32)).astype(np.float32)
    layer = MaxPooling2D(2)
    tx, tp = keras.Variable(x), ops.convert_to_tensor(projection)

    def step():
        with keras.GradientTape() as tape:
            out = layer(tx)
        return tape.gradient(out, tx, output_gradients=tp)

    np.testing.assert_array_equal(step().numpy(), numpy_maxpool_step(x, projection))
    return [step, lambda: numpy_maxpool_step(x, projection)], (x, projection)


def run_batchnorm(rng):
    x = rng.standard_normal((128, 32, 32, 32)).astype(np.float32)
    projection = rng.standard_normal(x.shape).astype(np.float32)
    layer = BatchNormalization()
    layer.build(x.shape)
    tx, tp = keras.Variable(x), ops.convert_to_tensor(projection)
    gamma, beta = layer.gamma.numpy(), layer.beta.numpy()

    def step():
        with keras.GradientTape() as tape:
            out = layer(tx, training=True)
        return tape.gradient(out, [tx, layer.gamma, layer.beta], output_gradients=tp)

    for a, b in zip(step(), numpy_batchnorm_step(x, gamma, beta, projection)):
        # gamma's gradient sums 131,072 products in float32: agreement to about 1e-2.
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-3, atol=2e-2)
    functions = [step, lambda: numpy_batchnorm_step(x, gamma, beta, projection)]
    return functions, (x, projection)


def torch_pool_and_norm(pool_case, norm_case):
    """PyTorch steps (NCHW, as a PyTorch user writes them) for workloads 3 and 4, or None."""
    try:
        import torch
    except ImportError:
        return None
    F = torch.nn.functional

    def nchw(array, grad=False):
        tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(0, 3, 1, 2)))
        return tensor.requires_grad_(grad)

    px, pr = nchw(pool_case[0], True), nchw(pool_case[1])
    nx, nr = nchw(norm_case[0], True), nchw(norm_case[1])
    channels = norm_case[0].shape[-1]
    gamma = torch.ones(channels, requires_grad=True)
    beta = torch.zeros(channels, requires_grad=True)

    def pool_step():
        px.grad = None
        F.max_pool2d(px, 2).backward(pr)

    def norm_step():
        nx.grad = gamma.grad = beta.grad = None
        F.batch_norm(nx, None, None, gamma, beta, training=True, eps=1e-3).backward(nr)

    return pool_step, norm_step


def main(selected=()):
    """Times every workload, or those whose name contains a word of `selected`."""
    rng = np.random.default_rng(0)
    print(f"forward+backward, float32 ({machine()})")
    conv_functions, conv_case = run_conv(rng)
    convnet_functions, convnet_case = run_convnet(rng)
    pool_functions, pool_case = run_maxpool(rng)
    norm_functions, norm_case = run_batchnorm(rng)
    torch_steps = torch_functions(conv_case, convnet_case)
    if torch_steps is not None:
        torch_steps = (*torch_steps, *torch_pool_and_norm(pool_case, norm_case))
    rows = []
    for index, (name, functions) in enumerate(
        (
            ('Conv2D(32, 3, "same") fwd+bwd, 64x32x32x16', conv_functions),
            ("convnet 8/16/32 + GAP + Dense fwd+bwd, batch 64", convnet_functions),
            ("MaxPooling2D(2) fwd+bwd, 128x32x32x32", pool_functions),
            ("BatchNormalization fwd+bwd, 128x32x32x32", norm_functions),
        )
    ):
        if selected and not any(word in name for word in selected):
            continue
        loops = [in_a_loop(functions[0], minikeras=True), in_a_loop(functions[1])]
        times = compare(*loops)
        if torch_steps is not None:
            # Timed on its own: torch's worker threads would disturb the other timings.
            times = [*times, *compare(in_a_loop(torch_steps[index]))]
        times = [t / STEPS for t in times]
        t_mk, t_np = times[:2]
        line = f"{name:48s} minikeras {fmt(t_mk):>10s}  numpy {fmt(t_np):>10s}"
        if len(times) > 2:
            line += f"  torch {fmt(times[2]):>10s} (minikeras / torch = {t_mk / times[2]:.2f})"
        print(f"{line}  ratio = {t_mk / t_np:.2f}")
        rows.append((name, *times))
    return rows


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
