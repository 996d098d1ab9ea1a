"""Forward + backward of MultiHeadAttention against the same computation written by hand in
numpy, in the same process.

Run: python benchmarks/bench_attention.py
Workload: self-attention `MultiHeadAttention(num_heads=4, key_dim=64)` on a 64 x 128 x 256
float32 batch (64 sequences of 128 tokens), loss = sum(out * R) for a fixed random R;
gradients for the eight projection weights. Prints the time per step and
`ratio = minikeras / numpy` (and PyTorch's time, eager, when torch is installed).
"""

import numpy as np

import minikeras as keras
from _timing import compare, fmt, machine
from minikeras import ops
from minikeras.layers import MultiHeadAttention

BATCH, LENGTH, DIM, HEADS, KEY_DIM = 64, 128, 256, 4, 64


# -- hand-written numpy ---------------------------------------------------------------------
def numpy_step(x, weights, projection):
    """Self-attention forward, loss = sum(out * projection), gradients of every weight."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    batch, length, dim = x.shape
    heads, depth = wq.shape[1], wq.shape[2]
    scale = np.float32(1.0 / np.sqrt(depth))
    x2 = x.reshape(-1, dim)

    def project(w, b):
        h = x2 @ w.reshape(dim, -1)
        h += b.reshape(-1)
        return h.reshape(batch, length, heads, depth).transpose(0, 2, 1, 3)

    q, k, v = project(wq, bq), project(wk, bk), project(wv, bv)
    scores = q @ k.transpose(0, 1, 3, 2)
    scores *= scale
    scores -= scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores, out=scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch * length, heads * depth)
    out = context @ wo.reshape(heads * depth, dim)
    out += bo
    _loss = np.sum(out * projection.reshape(-1, dim))

    g = projection.reshape(-1, dim)
    g_wo = (context.T @ g).reshape(wo.shape)
    g_bo = g.sum(axis=0)
    g_context = (g @ wo.reshape(heads * depth, dim).T).reshape(batch, length, heads, depth)
    g_context = g_context.transpose(0, 2, 1, 3)
    g_probs = g_context @ v.transpose(0, 1, 3, 2)
    g_v = probs.transpose(0, 1, 3, 2) @ g_context
    g_scores = probs * (g_probs - (g_probs * probs).sum(axis=-1, keepdims=True))
    g_scores *= scale
    g_q = g_scores @ k
    g_k = g_scores.transpose(0, 1, 3, 2) @ q

    def project_back(g_h, w):
        g_h = g_h.transpose(0, 2, 1, 3).reshape(batch * length, heads * depth)
        return (x2.T @ g_h).reshape(w.shape), g_h.sum(axis=0).reshape(heads, depth)

    return [*project_back(g_q, wq), *project_back(g_k, wk), *project_back(g_v, wv), g_wo, g_bo]


# -- minikeras ------------------------------------------------------------------------------
def minikeras_step(layer, x, projection):
    with keras.GradientTape() as tape:
        loss = ops.sum(layer(x, x) * projection)
    return tape.gradient(loss, layer.trainable_weights)


# -- PyTorch, when installed ----------------------------------------------------------------
def torch_step_function(x, weights, projection):
    try:
        import torch
    except ImportError:
        return None
    F = torch.nn.functional
    x = torch.from_numpy(x)
    r = torch.from_numpy(projection)
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights]

    def step():
        for p in params:
            p.grad = None
        wq, bq, wk, bk, wv, bv, wo, bo = params
        q = torch.einsum("btd,dnh->bnth", x, wq) + bq[:, None, :]
        k = torch.einsum("btd,dnh->bnth", x, wk) + bk[:, None, :]
        v = torch.einsum("btd,dnh->bnth", x, wv) + bv[:, None, :]
        context = F.scaled_dot_product_attention(q, k, v)
        out = torch.einsum("bnth,nhd->btd", context, wo) + bo
        (out * r).sum().backward()

    return step


def main():
    rng = np.random.default_rng(0)
    print(f"forward+backward, float32 ({machine()})")
    x = rng.standard_normal((BATCH, LENGTH, DIM)).astype(np.float32)
    projection = rng.standard_normal((BATCH, LENGTH, DIM)).astype(np.float32)
    keras.utils.set_random_seed(0)
    layer = MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM, bias_initializer="random_normal")
    tx, tp = ops.convert_to_tensor(x), ops.convert_to_tensor(projection)
    layer(tx, tx)
    weights = [w.numpy() for w in layer.trainable_weights]
    ours = minikeras_step(layer, tx, tp)
    reference = numpy_step(x, weights, projection)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(np.asarray(a), b, rtol=2e-3, atol=2e-2)
    name = f"MultiHeadAttention({HEADS}, {KEY_DIM}) fwd+bwd, {BATCH}x{LENGTH}x{DIM}"
    times = compare(
        lambda: minikeras_step(layer, tx, tp),
        lambda: numpy_step(x, weights, projection),
        repeat=5,
    )
    torch_step = torch_step_function(x, weights, projection)
    if torch_step is not None:
        # Timed on its own: torch's worker threads would disturb the other timings.
        times = [*times, *compare(torch_step, repeat=5)]
    t_mk, t_np = times[:2]
    line = f"{name:40s} minikeras {fmt(t_mk):>10s}  numpy {fmt(t_np):>10s}"
    if len(times) > 2:
        line += f"  torch {fmt(times[2]):>10s}"
    print(f"{line}  ratio = {t_mk / t_np:.2f}")
    return [(name, *times)]


if __name__ == "__main__":
    main()
