"""Gradient clipping, step 5 of `Optimizer.apply`: `clipnorm`, `global_clipnorm` or
`clipvalue`.

`GradientClipping` is one of `Optimizer`'s base classes. Its methods read the three
options the constructor stores and write the clipped gradients into the optimizer's
per-variable gradient buffers (`_buffers.py`), so clipping in `apply` makes no new
arrays. `_clip_gradients` is Keras's hook: a subclass may override it, with Keras's
`(grads)` signature or minikeras's older `(grads, variables)`.
"""

import functools
import inspect

import numpy as np

from minikeras.autodiff import Tensor

__all__ = ["GradientClipping", "check_clipping_options"]


def check_clipping_options(clipnorm, clipvalue, global_clipnorm):
    """Raises a ValueError when more than one of the three clipping options is set."""
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
            f"global_clipnorm={global_clipnorm}"
        )


def _sum_of_squares(array):
    flat = array.reshape(-1)
    return np.dot(flat, flat)


@functools.cache
def _takes_variables(method):
    """Whether a `_clip_gradients` override accepts `(grads, variables)` (minikeras's
    older form) rather than Keras's `(grads)`."""
    parameters = list(inspect.signature(method).parameters.values())[1:]
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


class GradientClipping:
    """The gradient clipping of `Optimizer` (reads `clipnorm`, `global_clipnorm`,
    `clipvalue`)."""

    def _clipped(self, grads, variables):
        """`_clip_gradients` as `apply` runs it: the built-in one writes into per-variable
        buffers; an override is called as Keras calls it, `(grads)`, unless it also takes
        the variables."""
        method = type(self)._clip_gradients
        if method is GradientClipping._clip_gradients:
            return self._clip_gradients(grads, variables)
        if _takes_variables(method):
            clipped = self._clip_gradients(list(grads), variables)
        else:
            clipped = self._clip_gradients(list(grads))
        return [self._gradient_array(g, v) for g, v in zip(clipped, variables)]

    def _clip_gradients(self, grads, variables=None):
        """Clips gradients by `clipnorm`, `global_clipnorm` or `clipvalue` (Keras's
        `_clip_gradients(grads)`).

        Args:
            grads: arrays or tensors; None entries stay None.
            variables: optional, the gradients' variables: the results are then written
                into per-variable buffers instead of new arrays.

        Returns:
            A list of numpy arrays (and Nones).
        """
        clipnorm, global_clipnorm, clipvalue = self.clipnorm, self.global_clipnorm, self.clipvalue
        if not (clipnorm and clipnorm > 0) and not (global_clipnorm and global_clipnorm > 0):
            if not (clipvalue and clipvalue > 0):
                return grads  # the common case: nothing to clip
        if variables is None:
            variables = [None] * len(grads)
        grads = [g.data if isinstance(g, Tensor) else g for g in grads]
        present = [(np.asarray(g), v) for g, v in zip(grads, variables) if g is not None]

        def out(variable, gradient):
            if variable is None:
                return np.empty_like(gradient)
            return self._gradient_buffer(variable)

        if clipnorm and clipnorm > 0:
            clipped = [self._clip_by_norm(g, out(v, g)) for g, v in present]
        elif global_clipnorm and global_clipnorm > 0:
            scale = self._global_clip_scale([g for g, _ in present])
            clipped = [np.multiply(g, g.dtype.type(scale), out=out(v, g)) for g, v in present]
        else:
            clipped = []
            for g, v in present:
                limit = g.dtype.type(clipvalue)
                clipped.append(np.clip(g, -limit, limit, out=out(v, g)))
        results = iter(clipped)
        return [None if g is None else next(results) for g in grads]

    def _clip_by_norm(self, gradient, out=None):
        """`gradient * clipnorm / max(norm(gradient), clipnorm)`, written into `out` (a new
        array when None)."""
        if out is None:
            out = np.empty_like(gradient)
        clipnorm = gradient.dtype.type(self.clipnorm)
        squared = _sum_of_squares(gradient)
        norm = np.sqrt(squared) if squared > 0 else squared
        np.multiply(gradient, clipnorm, out=out)
        # Dividing by a scalar multiplies by its reciprocal, as XLA compiles Keras's code.
        out *= gradient.dtype.type(1) / max(norm, clipnorm)
        return out

    def _global_clip_scale(self, grads):
        """The factor that brings the global norm of `grads` down to `global_clipnorm`."""
        float_type = grads[0].dtype.type
        squared = float_type(0)
        for g in grads:
            squared += _sum_of_squares(g)
        norm = np.sqrt(squared)
        with np.errstate(divide="ignore", invalid="ignore"):
            # As in Keras: a scale of 1 below the threshold, NaN if the norm is not finite.
            scale = float_type(self.global_clipnorm) * min(
                float_type(1) / norm, float_type(1.0 / self.global_clipnorm)
            )
            return scale + (norm - norm)
