"""Fused primitives used by layers where one node does the work of several.

`linear(x, kernel, bias, activation)` computes `activation(x @ kernel + bias)` as a single
graph node: the forward pass adds the bias (and applies relu or softmax) in place, and the
backward pass needs no intermediate gradient arrays for the addition or the activation.
These are minikeras helpers, not Keras ops.
"""

import numpy as np

from minikeras.autodiff import Function
from minikeras.ops._arguments import _tensor
from minikeras.ops.symbolic import op

__all__ = ["linear"]

_FUSED_ACTIVATIONS = (None, "relu", "softmax")


class Linear(Function):
    """`y = act(x @ W + b)` over the last axis of `x` (any number of leading axes)."""

    def __init__(self, activation=None):
        self.activation = activation

    def forward(self, x, kernel, bias=None):
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        y = x2 @ kernel
        if bias is not None:
            y += bias
        if self.activation == "relu":
            np.maximum(y, 0, out=y)
        elif self.activation == "softmax":  # the same steps as ops.softmax, in place
            y -= np.maximum.reduce(y, axis=1, keepdims=True)
            np.exp(y, out=y)
            y /= np.add.reduce(y, axis=1, keepdims=True)
        self.x2, self.kernel, self.y = x2, kernel, y
        self.x_shape = x.shape
        y = y.reshape(*x.shape[:-1], kernel.shape[-1]) if x.ndim != 2 else y
        return y

    def backward(self, gy):
        g = gy.reshape(-1, gy.shape[-1]) if gy.ndim != 2 else gy
        if self.activation == "relu":
            g = g * (self.y > 0)  # a bool mask: cheaper than np.sign's 0/1 floats
        elif self.activation == "softmax":  # as Softmax.backward
            y = self.y
            g = g * y
            g -= y * np.add.reduce(g, axis=1, keepdims=True)
        return self._affine_backward(g)

    # A replayed program (autodiff/program.py) may hand this node the gradient with respect
    # to its softmax's input directly, computed by the cross-entropy that consumes it.
    @staticmethod
    def ends_in_softmax(parameters, ndim):
        return parameters.get("activation") == "softmax"

    def backward_from_logits(self, g_logits):
        """`backward` for a gradient already taken with respect to `x @ W + b`."""
        g = g_logits.reshape(-1, g_logits.shape[-1]) if g_logits.ndim != 2 else g_logits
        return self._affine_backward(g)

    def _affine_backward(self, g):
        needs = self.needs_grad
        gx = (g @ self.kernel.T).reshape(self.x_shape) if needs[0] else None
        gw = self.x2.T @ g if needs[1] else None
        if len(needs) == 3:
            gb = np.add.reduce(g, axis=0) if needs[2] else None
            return gx, gw, gb
        return gx, gw


@op
def linear(x, kernel, bias=None, activation=None):
    """`activation(x @ kernel + bias)` as one differentiable node.

    Args:
        x: tensor of shape `(..., in)`.
        kernel: `(in, out)` weights.
        bias: optional `(out,)` bias.
        activation: None, "relu" or "softmax" (over the last axis), computed in the same
            node; apply any other activation afterwards.
    """
    if activation not in _FUSED_ACTIVATIONS:
        raise ValueError(
            f"linear fuses only the activations {list(_FUSED_ACTIVATIONS)}, got {activation!r}."
        )
    x, kernel = _tensor(x), _tensor(kernel)
    if x.data.dtype.kind not in "fc":  # integers and booleans: as Keras, the kernel's dtype
        x = _tensor(x.data.astype(kernel.data.dtype))
    x_shape, kernel_shape = x.data.shape, kernel.data.shape
    if not x_shape or x_shape[-1] != kernel_shape[0]:
        raise ValueError(
            f"linear: input of shape {x_shape} does not match kernel of shape {kernel_shape}."
        )
    function = Linear(activation)
    if bias is None:
        return function(x, kernel)
    return function(x, kernel, _tensor(bias))
