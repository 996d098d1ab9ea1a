"""Linear algebra (`keras.ops.linalg`): inverses, determinants, solves, factorizations.

Every op works on the last two axes and broadcasts over the others. The ops with a simple
closed-form gradient are primitives with a backward pass (`inv`, `det`, `slogdet`,
`solve`, `solve_triangular`, `cholesky`, `eigh`, `pinv`; `logdet`, `lstsq` and
`cholesky_inverse` are written with them). The other factorizations (`qr`, `svd`, `eig`,
`lu_factor`) and `matrix_rank` compute their values only: asking for their gradient raises
an error instead of returning a wrong (zero) one.
"""

import numpy as np

from minikeras import config
from minikeras.autodiff import Function, sum_to
from minikeras.ops._arguments import _constant, _float_tensor, _tensor
from minikeras.ops.math import norm
from minikeras.ops.numpy import matmul, slogdet, swapaxes
from minikeras.ops.shape_inference import broadcast_shapes
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "logdet",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
]


# -- shape rules: arrays of ones (the symbolic probe) are singular, so these ops say their
# output shape instead of running on them.
def _float_dtype(x):
    dtype = np.dtype(x.dtype)
    return dtype.name if dtype.kind == "f" else config.floatx()


def _check_matrices(x, name, square=True):
    """Keras's symbolic checks: rank >= 2 and, for square ops, equal last two sizes (an
    unknown size against a known one counts as different, as in Keras)."""
    if len(x.shape) < 2:
        raise ValueError(f"{name}: expected a tensor of rank >= 2, got shape {x.shape}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expected square matrices, got shape {x.shape}.")


def _same_shape_spec(fn, x, *args, **kwargs):
    _check_matrices(x, fn.__name__)
    return KerasTensor(x.shape, dtype=_float_dtype(x))


def _solve_spec(fn, a, b, *args, **kwargs):
    name = fn.__name__
    _check_matrices(a, name)
    if len(b.shape) == 0:
        raise ValueError(f"{name}: `b` must have rank >= 1, got a scalar.")
    # solve_triangular reads a `b` with one axis fewer than `a` as a stack of vectors, solve
    # (as jax.numpy's) as a matrix.
    vectors = (1, len(a.shape) - 1) if name == "solve_triangular" else (1,)
    if len(b.shape) in vectors:
        rows, batch = b.shape[-1], b.shape[:-1]
        tail = (a.shape[-1],)
    else:
        rows, batch = b.shape[-2], b.shape[:-2]
        tail = (a.shape[-1], b.shape[-1])
    if rows != a.shape[-1]:
        raise ValueError(f"{name}: incompatible shapes a {a.shape} and b {b.shape}.")
    batch = broadcast_shapes(a.shape[:-2], batch, name)
    return KerasTensor(batch + tail, dtype=_float_dtype(a))


def _lu_factor_spec(fn, x):
    _check_matrices(x, "lu_factor", square=False)
    rows, columns = x.shape[-2:]
    smaller = None if rows is None or columns is None else min(rows, columns)
    dtype = _float_dtype(x)
    return KerasTensor(x.shape, dtype=dtype), KerasTensor(x.shape[:-2] + (smaller,), "int32")


def _t(x):
    return np.swapaxes(x, -1, -2)


def _matrices(x, name, square=True):
    x = _float_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a tensor of rank >= 2, got shape {x.shape}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expected square matrices, got shape {x.shape}.")
    return x


class Inv(Function):
    def forward(self, x):
        self.y = np.linalg.inv(x)
        return self.y

    def backward(self, gy):
        y_t = _t(self.y)
        return -(y_t @ gy @ y_t)


@op(output_spec=_same_shape_spec)
def inv(x):
    """The inverse of each square matrix."""
    return Inv()(_matrices(x, "inv"))


class Det(Function):
    def forward(self, x):
        self.x = x
        self.y = np.linalg.det(x)
        return self.y

    def backward(self, gy):
        # d det / dX = det * inv(X)^T; solve() instead of inv() for accuracy.
        eye = np.broadcast_to(np.eye(self.x.shape[-1], dtype=self.x.dtype), self.x.shape)
        inverse_t = _t(np.linalg.solve(self.x, eye))
        return (gy * self.y)[..., None, None] * inverse_t


@op
def det(x):
    """The determinant of each square matrix."""
    return Det()(_matrices(x, "det"))


@op
def logdet(x):
    """`log(det(x))` of positive-definite matrices, through `slogdet`."""
    return slogdet(x)[1]


class Solve(Function):
    def __init__(self, vector):
        self.vector = vector  # b was a stack of vectors (given a trailing axis here)

    def forward(self, a, b):
        self.a = a
        self.x = np.linalg.solve(a, b)
        return self.x[..., 0] if self.vector else self.x

    def backward(self, gx):
        if self.vector:
            gx = gx[..., None]
        gb = np.linalg.solve(_t(self.a), gx)
        ga = -gb @ _t(self.x) if self.needs_grad[0] else None
        # The inputs as called (b already with its trailing axis); batch axes broadcast.
        return (
            None if ga is None else sum_to(ga, self.inputs[0].shape),
            sum_to(gb, self.inputs[1].shape) if self.needs_grad[1] else None,
        )


@op(output_spec=_solve_spec)
def solve(a, b):
    """`x` with `a @ x == b`; a 1-D `b` is a vector, otherwise (stacks of) matrices that
    broadcast against `a` (as on JAX: a `b` with one axis fewer than `a` is a matrix too,
    where Keras's symbolic shape rule reads it as a stack of vectors)."""
    a = _matrices(a, "solve")
    b = _float_tensor(b)
    if b.ndim == 0:
        raise ValueError("solve: `b` must have rank >= 1, got a scalar.")
    vector = b.ndim == 1
    if (b.shape[-1] if vector else b.shape[-2]) != a.shape[-1]:
        raise ValueError(f"solve: incompatible shapes a {a.shape} and b {b.shape}.")
    if vector:
        from minikeras.ops.numpy import expand_dims

        return Solve(True)(a, expand_dims(b, -1))
    return Solve(False)(a, b)


class SolveTriangular(Function):
    def __init__(self, lower):
        self.lower = lower

    def _triangle(self, a):
        return np.tril(a) if self.lower else np.triu(a)

    def forward(self, a, b):
        self.a = self._triangle(a)
        self.x = np.linalg.solve(self.a, b)
        return self.x

    def backward(self, gx):
        gb = np.linalg.solve(_t(self.a), gx)
        ga = self._triangle(-gb @ _t(self.x)) if self.needs_grad[0] else None
        return (
            None if ga is None else sum_to(ga, self.inputs[0].shape),
            sum_to(gb, self.inputs[1].shape) if self.needs_grad[1] else None,
        )


@op(output_spec=_solve_spec)
def solve_triangular(a, b, lower=False):
    """`x` with `a @ x == b` for triangular `a` (only its lower or upper triangle is read)."""
    a = _matrices(a, "solve_triangular")
    b = _float_tensor(b)
    if b.ndim == 0:
        raise ValueError("solve_triangular: `b` must have rank >= 1, got a scalar.")
    if b.ndim in (1, a.ndim - 1):
        from minikeras.ops.numpy import expand_dims

        if b.shape[-1] != a.shape[-1]:
            raise ValueError(f"solve_triangular: incompatible shapes a {a.shape} and b {b.shape}.")
        return SolveTriangular(lower)(a, expand_dims(b, -1))[..., 0]
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve_triangular: incompatible shapes a {a.shape} and b {b.shape}.")
    return SolveTriangular(lower)(a, b)


class Cholesky(Function):
    def __init__(self, upper):
        self.upper = upper

    def forward(self, x):
        try:
            self.lower_factor = np.linalg.cholesky(x)
        except np.linalg.LinAlgError:
            raise ValueError("cholesky: the matrix is not positive definite.") from None
        return _t(self.lower_factor) if self.upper else self.lower_factor

    def backward(self, gy):
        factor = self.lower_factor
        g = _t(gy) if self.upper else gy
        # With Phi = lower triangle with a halved diagonal:
        # S = L^-T Phi(L^T G) L^-1, and the gradient is its symmetric part.
        phi = np.tril(_t(factor) @ g)
        diagonal = np.einsum("...ii->...i", phi)
        diagonal *= 0.5
        eye = np.broadcast_to(np.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
        inverse = np.linalg.solve(factor, eye)
        s = _t(inverse) @ phi @ inverse
        return (s + _t(s)) / 2


@op(output_spec=_same_shape_spec)
def cholesky(x, upper=False):
    """The Cholesky factor of each positive-definite matrix: lower `L` with `L @ L^T == x`
    (or upper `U` with `U^T @ U == x`)."""
    return Cholesky(upper)(_matrices(x, "cholesky"))


@op(output_spec=_same_shape_spec)
def cholesky_inverse(x, upper=False):
    """The inverse of `L @ L^T` (or `U^T @ U`) from its Cholesky factor `x`."""
    factor = _matrices(x, "cholesky_inverse")
    product = (
        matmul(swapaxes(factor, -1, -2), factor)
        if upper
        else matmul(factor, swapaxes(factor, -1, -2))
    )
    return inv(product)


class Eigh(Function):
    def forward(self, x):
        self.w, self.v = np.linalg.eigh(x)
        return self.w, self.v

    def backward(self, gw, gv):
        w, v = self.w, self.v
        eye = np.eye(w.shape[-1], dtype=bool)
        # V (diag(gw) + F * (V^T gV)) V^T with F_ij = 1 / (w_j - w_i) off the diagonal.
        gaps = w[..., None, :] - w[..., :, None]
        factor = np.where(eye, 0, 1 / np.where(eye, 1, gaps))
        inner = np.where(eye, gw[..., None, :], 0) + factor * (_t(v) @ gv)
        g = v @ inner @ _t(v)
        return (g + _t(g)) / 2  # the input is read as symmetric


@op
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices: `(w, v)`."""
    return Eigh()(_matrices(x, "eigh"))


class Pinv(Function):
    def __init__(self, rcond):
        self.rcond = rcond

    def forward(self, x):
        self.x = x
        if self.rcond is None:
            self.y = np.linalg.pinv(x)
        else:
            self.y = np.linalg.pinv(x, rcond=self.rcond)
        return self.y.astype(x.dtype)

    def backward(self, gy):
        a, p = self.x, self.y
        eye_m = np.eye(a.shape[-2], dtype=a.dtype)
        eye_n = np.eye(a.shape[-1], dtype=a.dtype)
        # The pseudo-inverse's derivative at constant rank (Golub & Pereyra), transposed.
        return (
            -_t(p) @ gy @ _t(p)
            + (eye_m - a @ p) @ _t(gy) @ p @ _t(p)
            + _t(p) @ p @ _t(gy) @ (eye_n - p @ a)
        )


@op
def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse of each matrix (singular values below `rcond` times
    the largest are dropped)."""
    return Pinv(rcond)(_matrices(x, "pinv", square=False))


@op
def lstsq(a, b, rcond=None):
    """The least-squares solution `x` of `a @ x ~= b` (for a full-rank `a`: `pinv(a) @ b`)."""
    a = _matrices(a, "lstsq", square=False)
    b = _float_tensor(b)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            f"lstsq: a must be 2-D and b 1-D or 2-D with as many rows, got {a.shape} and {b.shape}."
        )
    return matmul(pinv(a, rcond=rcond), b)


class _ValuesOnly(Function):
    """Runs a numpy factorization; its gradient is not implemented and says so."""

    def __init__(self, name, function):
        self.op_name, self.function = name, function

    def forward(self, x):
        return self.function(x)

    def backward(self, *gys):
        raise NotImplementedError(
            f"The gradient of ops.{self.op_name} is not implemented in minikeras; apply "
            f"ops.stop_gradient to its input if you only need its values."
        )


def _values_only(name, function, x):
    x = _tensor(x)
    if x.requires_grad:
        return _ValuesOnly(name, function)(x)
    result = function(x.data)
    return tuple(_constant(r) for r in result) if isinstance(result, tuple) else _constant(result)


@op
def qr(x, mode="reduced"):
    """The QR decomposition `(q, r)` of each matrix (`mode` "reduced" or "complete")."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}.")
    x = _matrices(x, "qr", square=False)
    return _values_only("qr", lambda a: tuple(np.linalg.qr(a, mode=mode)), x)


@op
def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition `(u, s, vh)` (or only `s` without `compute_uv`)."""
    x = _matrices(x, "svd", square=False)

    def decompose(a):
        if not compute_uv:
            return np.linalg.svd(a, compute_uv=False)
        return tuple(np.linalg.svd(a, full_matrices=full_matrices))

    return _values_only("svd", decompose, x)


@op
def eig(x):
    """Eigenvalues and eigenvectors `(w, v)` of general square matrices (complex)."""
    x = _matrices(x, "eig")

    def decompose(a):
        w, v = np.linalg.eig(a)
        dtype = np.complex128 if a.dtype == np.float64 else np.complex64
        return w.astype(dtype), v.astype(dtype)

    return _values_only("eig", decompose, x)


def _lu_factor(a):
    """LU with partial pivoting: the packed `lu` (unit-lower L below the diagonal, U on and
    above) and the row swapped with each row (LAPACK's pivots, 0-based)."""
    lu = a.copy()
    steps = min(lu.shape[-2:])
    pivots = np.zeros(lu.shape[:-2] + (steps,), np.int32)
    for k in range(steps):
        p = np.argmax(np.abs(lu[..., k:, k]), axis=-1) + k
        pivots[..., k] = p
        rows_k = lu[..., k, :].copy()
        rows_p = np.take_along_axis(lu, p[..., None, None], axis=-2)[..., 0, :].copy()
        lu[..., k, :] = rows_p
        np.put_along_axis(lu, p[..., None, None], rows_k[..., None, :], axis=-2)
        pivot = lu[..., k : k + 1, k : k + 1]
        safe = np.where(pivot == 0, 1, pivot)
        lu[..., k + 1 :, k : k + 1] /= safe
        lu[..., k + 1 :, k + 1 :] -= lu[..., k + 1 :, k : k + 1] * lu[..., k : k + 1, k + 1 :]
    return lu, pivots


@op(output_spec=_lu_factor_spec)
def lu_factor(x):
    """LU factorization with partial pivoting: `(lu, pivots)` as LAPACK packs them; `x` may
    be rectangular (`(..., m, n)`: `min(m, n)` pivots)."""
    x = _matrices(x, "lu_factor", square=False)
    return _values_only("lu_factor", _lu_factor, x)


@op
def matrix_rank(x, tol=None):
    """The rank of each matrix (singular values above `tol`, numpy's default otherwise)."""
    x = _matrices(x, "matrix_rank", square=False)
    return _constant(np.asarray(np.linalg.matrix_rank(x.data, tol=tol)).astype(np.int32))
