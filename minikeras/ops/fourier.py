"""Fourier transforms: `keras.ops.fft`, `fft2`, `ifft2`, `rfft`, `irfft` and `stft`.

As in Keras, complex values travel as `(real, imaginary)` pairs of float tensors. Each
transform is linear, so its backward pass is its adjoint: for the DFT matrix `F`, the
gradient of `(real, imaginary)` is the real and imaginary part of `F^H G`, where
`G = g_real + i g_imaginary` (and `F^H` is `n` times the inverse transform).
"""

import math

import numpy as np

from minikeras.autodiff import Function
from minikeras.ops._arguments import _float_tensor
from minikeras.ops.symbolic import op

__all__ = ["fft", "fft2", "ifft2", "irfft", "rfft", "stft"]


def _pair(x, name):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"{name}: x must be a tuple of two tensors (real, imaginary), got {type(x).__name__}."
        )
    real, imag = _float_tensor(x[0]), _float_tensor(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"{name}: the real and imaginary parts need the same shape, got {real.shape} and "
            f"{imag.shape}."
        )
    if imag.data.dtype != real.data.dtype:
        imag = _float_tensor(imag.data.astype(real.data.dtype))
    return real, imag


class ComplexTransform(Function):
    """A complex linear transform over the last `axes` axes, on `(real, imag)` pairs."""

    def __init__(self, axes, inverse):
        self.axes, self.inverse = axes, inverse

    def forward(self, real, imag):
        self.dtype = real.dtype
        z = real + 1j * imag
        out = np.fft.ifftn(z, axes=self.axes) if self.inverse else np.fft.fftn(z, axes=self.axes)
        self.size = math.prod(real.shape[a] for a in self.axes)
        return out.real.astype(self.dtype), out.imag.astype(self.dtype)

    def backward(self, g_real, g_imag):
        g = g_real + 1j * g_imag
        if self.inverse:  # (F^-1)^H = F / n
            adjoint = np.fft.fftn(g, axes=self.axes) / self.size
        else:  # F^H = n F^-1
            adjoint = np.fft.ifftn(g, axes=self.axes) * self.size
        return adjoint.real.astype(self.dtype), adjoint.imag.astype(self.dtype)


@op
def fft(x):
    """The discrete Fourier transform along the last axis of `x = (real, imag)`."""
    real, imag = _pair(x, "fft")
    return ComplexTransform((-1,), inverse=False)(real, imag)


@op
def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of `x = (real, imag)`."""
    real, imag = _pair(x, "fft2")
    if real.ndim < 2:
        raise ValueError(f"fft2: needs rank >= 2, got shape {real.shape}.")
    return ComplexTransform((-2, -1), inverse=False)(real, imag)


@op
def ifft2(x):
    """The inverse 2-D discrete Fourier transform over the last two axes."""
    real, imag = _pair(x, "ifft2")
    if real.ndim < 2:
        raise ValueError(f"ifft2: needs rank >= 2, got shape {real.shape}.")
    return ComplexTransform((-2, -1), inverse=True)(real, imag)


def _fit_last_axis(array, length):
    """Cuts or zero-pads the last axis to `length`."""
    if array.shape[-1] >= length:
        return array[..., :length]
    padding = [(0, 0)] * (array.ndim - 1) + [(0, length - array.shape[-1])]
    return np.pad(array, padding)


class RealFFT(Function):
    def __init__(self, n):
        self.n = n

    def forward(self, x):
        self.length, self.dtype = x.shape[-1], x.dtype
        out = np.fft.rfft(x, n=self.n, axis=-1)
        return out.real.astype(x.dtype), out.imag.astype(x.dtype)

    def backward(self, g_real, g_imag):
        # Only the first n // 2 + 1 frequencies exist: the others contribute zero.
        full = np.fft.ifft(g_real + 1j * g_imag, n=self.n, axis=-1) * self.n
        return _fit_last_axis(full.real, self.length).astype(self.dtype)


@op
def rfft(x, fft_length=None):
    """The Fourier transform of real `x` along its last axis (first `fft_length // 2 + 1`
    frequencies; `x` is cut or zero-padded to `fft_length`). Returns `(real, imag)`."""
    x = _float_tensor(x)
    if x.ndim == 0:
        raise ValueError("rfft: needs rank >= 1, got a scalar.")
    n = x.shape[-1] if fft_length is None else int(fft_length)
    return RealFFT(n)(x)


class InverseRealFFT(Function):
    def __init__(self, n):
        self.n = n

    def forward(self, real, imag):
        self.length, self.dtype = real.shape[-1], real.dtype
        return np.fft.irfft(real + 1j * imag, n=self.n, axis=-1).astype(real.dtype)

    def backward(self, g):
        # The inverse sums each inner frequency twice (it and its mirror), the first
        # (and, for even n, the middle) once; it ignores their imaginary parts.
        spectrum = np.fft.rfft(g, axis=-1)
        weights = np.full(spectrum.shape[-1], 2.0)
        weights[0] = 1.0
        if self.n % 2 == 0:
            weights[-1] = 1.0
        spectrum = spectrum * weights / self.n
        g_real = _fit_last_axis(spectrum.real, self.length).astype(self.dtype)
        g_imag = _fit_last_axis(spectrum.imag, self.length).astype(self.dtype)
        return g_real, g_imag


@op
def irfft(x, fft_length=None):
    """The real inverse of `rfft`: `x = (real, imag)` holds the first frequencies; the
    result has `fft_length` entries (default `2 * (frequencies - 1)`)."""
    real, imag = _pair(x, "irfft")
    if real.ndim == 0:
        raise ValueError("irfft: needs rank >= 1, got scalars.")
    n = 2 * (real.shape[-1] - 1) if fft_length is None else int(fft_length)
    if n < 1:
        raise ValueError(f"irfft: the output length must be >= 1, got {n}.")
    return InverseRealFFT(n)(real, imag)


def _periodic_window(name, length, dtype):
    """The periodic Hann or Hamming window (scipy's `get_window`, which Keras uses)."""
    phase = 2 * np.pi * np.arange(length) / length
    if name == "hann":
        return (0.5 - 0.5 * np.cos(phase)).astype(dtype)
    return (0.54 - 0.46 * np.cos(phase)).astype(dtype)


@op
def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """Short-time Fourier transform along the last axis of real `x`.

    Frames of `fft_length` samples every `sequence_stride` samples (after reflecting
    `fft_length // 2` samples at both ends when `center`), each multiplied by `window`
    ("hann", "hamming" or an array of `sequence_length` values) centred in the frame (None:
    the whole frame, unweighted), then `rfft`. Returns `(real, imag)` of shape
    `(..., frames, fft_length // 2 + 1)`.
    """
    from minikeras.ops.core_more import extract_sequences
    from minikeras.ops.numpy import multiply, pad

    x = _float_tensor(x)
    for name, value in (
        ("sequence_length", sequence_length),
        ("sequence_stride", sequence_stride),
        ("fft_length", fft_length),
    ):
        # int() would truncate a stride of 1.5 to 1 without a word.
        if not isinstance(value, int | np.integer) or value <= 0:
            raise ValueError(f"stft: `{name}` must be a positive integer. Received: {value!r}")
    sequence_length, fft_length = int(sequence_length), int(fft_length)
    if fft_length < sequence_length:
        raise ValueError(
            f"stft: `fft_length` ({fft_length}) must be at least `sequence_length` "
            f"({sequence_length})."
        )
    if isinstance(window, str) and window not in ("hann", "hamming"):
        raise ValueError(
            f"stft: window must be 'hann', 'hamming', an array or None, got {window!r}."
        )
    dtype = x.data.dtype
    if window is None:
        # No window: each frame keeps all its `fft_length` samples (as Keras on JAX does),
        # not only the `sequence_length` in its middle.
        weights = np.ones(fft_length, dtype)
    else:
        if isinstance(window, str):
            weights = _periodic_window(window, sequence_length, dtype)
        else:
            weights = np.asarray(window.data if hasattr(window, "data") else window, dtype)
            if weights.shape != (sequence_length,):
                raise ValueError(
                    f"stft: the window must have shape ({sequence_length},), got {weights.shape}."
                )
        left = (fft_length - sequence_length) // 2
        weights = np.pad(weights, (left, fft_length - sequence_length - left))
    if center:
        width = [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)]
        x = pad(x, width, mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    return rfft(multiply(frames, weights), fft_length)
