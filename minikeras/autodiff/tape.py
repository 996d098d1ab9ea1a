"""`GradientTape`, the custom-training-loop interface of the Keras/TensorFlow guides."""

import numpy as np

from minikeras.autodiff.backward import backward_pass
from minikeras.autodiff.function import no_grad, set_grad_enabled
from minikeras.autodiff.tensor import Tensor, Variable, to_array
from minikeras.tree import flatten, pack_sequence_as


class GradientTape:
    """Records operations so their gradients can be computed, as `tf.GradientTape` does.

    Trainable variables are always watched; other tensors are watched with `watch`.

    Args:
        persistent: allow several `gradient` calls (the graph is kept until the tape is
            dropped).
        watch_accessed_variables: when False, only explicitly watched tensors get gradients.

    Example:
        >>> w = Variable([[1.0], [2.0]])
        >>> with GradientTape() as tape:
        ...     loss = ops.sum((x @ w) ** 2)
        >>> (dw,) = tape.gradient(loss, [w])
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched = []
        self._restore = []
        self._used = False
        self._recording = None

    def __enter__(self):
        self._recording = set_grad_enabled(True)  # remembers the previous setting
        return self

    def __exit__(self, *exc_info):
        set_grad_enabled(self._recording)
        self._recording = None
        for tensor, requires_grad in self._restore:
            tensor.requires_grad = requires_grad
        self._restore = []
        return False

    def watch(self, tensor):
        """Makes the tape compute gradients for `tensor` (or every tensor in a structure)."""
        for item in flatten(tensor):
            if not isinstance(item, Tensor):
                raise TypeError(f"GradientTape.watch expects tensors, got {type(item).__name__}.")
            if not any(item is watched for watched in self._watched):
                self._watched.append(item)
            if not item.requires_grad:
                self._restore.append((item, item.requires_grad))
                item.requires_grad = True

    def stop_recording(self):
        """Context manager in which operations are not recorded."""
        return no_grad()

    def reset(self):
        """Forgets the watched tensors."""
        self._watched = []

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """Computes the gradient of `target` with respect to `sources`.

        Args:
            target: a tensor (non-scalar targets are summed) or a list of tensors (their
                gradients add up).
            sources: a tensor or variable, or a list, tuple or dict of them.
            output_gradients: optional initial gradients, one per target.
            unconnected_gradients: `"none"` (default) returns None for sources the target does
                not depend on; `"zero"` returns zeros.

        Returns:
            Gradients with the structure of `sources`, each shaped like its source.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}."
            )
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only compute one set of gradients. "
                "Use GradientTape(persistent=True) to call gradient() several times."
            )
        self._used = True
        targets = [target] if isinstance(target, Tensor) else flatten(target)
        if output_gradients is None:
            seeds = [None] * len(targets)
        else:
            seeds = flatten(output_gradients)
            if len(seeds) != len(targets):
                raise ValueError(f"Got {len(seeds)} output_gradients for {len(targets)} targets.")
        roots = []
        for tensor, seed in zip(targets, seeds):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"GradientTape.gradient target must be a tensor, got {tensor!r}.")
            data = tensor.data
            if seed is None:
                g = np.ones(data.shape, data.dtype)
            else:
                g = to_array(seed, tensor.dtype)
                if g.shape != data.shape:
                    raise ValueError(
                        f"output_gradients has an entry of shape {g.shape} for a target of "
                        f"shape {data.shape}; they must match."
                    )
            roots.append((tensor, g))

        flat_sources = sources if type(sources) is list else flatten(sources)
        capture = None  # intermediate sources: id(creator) -> [(output index, position)]
        for position, source in enumerate(flat_sources):
            if not isinstance(source, Tensor):
                raise TypeError(
                    f"GradientTape.gradient sources must be tensors or variables, got "
                    f"{type(source).__name__}."
                )
            if source.creator is not None:
                capture = capture or {}
                capture.setdefault(id(source.creator), []).append((source._index, position))

        leaf_grads, captured = backward_pass(roots, retain_graph=self.persistent, capture=capture)
        results = []
        returned = set()  # ids of the arrays handed out so far
        ignore_unwatched = not self.watch_accessed_variables
        zeros = unconnected_gradients == "zero"
        for position, source in enumerate(flat_sources):
            g = leaf_grads.get(source) if source.creator is None else captured.get(position)
            if g is not None:
                if ignore_unwatched and self._ignored(source):
                    g = None
                elif id(g) in returned or (g.base is not None and not g.flags.writeable):
                    # Each result owns its array: a gradient shared with another source (a
                    # source listed twice, `a + b`) or a read-only broadcast view is copied.
                    g = g.copy()
            if g is None:
                results.append(Tensor._wrap(np.zeros_like(source.data), None, 0) if zeros else None)
            else:
                returned.add(id(g))
                results.append(Tensor._wrap(g, None, 0))
        if type(sources) is list:
            return results
        return pack_sequence_as(sources, results)

    def _ignored(self, source):
        if self.watch_accessed_variables or not isinstance(source, Variable):
            return False
        return not any(source is watched for watched in self._watched)
