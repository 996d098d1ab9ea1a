"""`GradientTape`, the custom-training-loop interface of the Keras/TensorFlow guides.

What a tape sees. The graph itself is global: every primitive called while recording is on
(`function.py`) links its output to its inputs, tape or no tape; `Tensor.backward()` (the
PyTorch way) walks all of it. A tape adds TensorFlow's rule for what came before it: a
tensor computed before the `with` block is a constant for the tape (gradients stop there;
it gets one itself only if watched). So after `y = w * 2` outside and `z = y * 3` inside,
`tape.gradient(z, w)` is None, as in TensorFlow, not 6 as the global graph would give.

One difference is kept on purpose: operations run after the block still count, so
`tape.gradient(ops.sum(y), x)` written after the block gives the gradient where TensorFlow
returns None (it stopped recording). Returning None there is a silent trap, while the
gradient is what the line asks for. A tape never entered records nothing: None again.

How: every recorded call gets a number from one increasing counter (`Function.sequence`).
Entering the tape takes a number, and `gradient` walks back only through functions
numbered after it (`backward_pass(..., since=start)`). That costs one comparison per edge
of the backward pass and nothing while recording, so the training step
(`Trainer._eager_gradients`, and the replayed steps recorded from it) runs as before. A
tape entered again (`persistent=True`) keeps the number of its first entry.
"""

import numpy as np

from minikeras.autodiff.backward import backward_pass
from minikeras.autodiff.function import next_sequence, no_grad, set_grad_enabled
from minikeras.autodiff.tensor import Tensor, Variable, to_array
from minikeras.tree import flatten, pack_sequence_as


class GradientTape:
    """Records operations so their gradients can be computed, as `tf.GradientTape` does.

    Only the operations run inside the `with` block count (see the module docstring).
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
        self._start = None  # the sequence number taken at the first entry

    def __enter__(self):
        self._recording = set_grad_enabled(True)  # remembers the previous setting
        if self._start is None:
            self._start = next_sequence()
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
        # A tape never entered recorded nothing.
        since = next_sequence() if self._start is None else self._start
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
        before = None  # positions of the sources made before the tape
        for position, source in enumerate(flat_sources):
            if not isinstance(source, Tensor):
                raise TypeError(
                    f"GradientTape.gradient sources must be tensors or variables, got "
                    f"{type(source).__name__}."
                )
            if source.creator is None:
                continue
            if source.creator.sequence < since:  # made before the tape
                before = before or set()
                before.add(position)
            else:
                capture = capture or {}
                capture.setdefault(id(source.creator), []).append((source._index, position))

        leaf_grads, captured = backward_pass(
            roots, retain_graph=self.persistent, capture=capture, since=since
        )
        results = []
        returned = set()  # ids of the arrays handed out so far
        ignore_unwatched = not self.watch_accessed_variables
        zeros = unconnected_gradients == "zero"
        for position, source in enumerate(flat_sources):
            if source.creator is None:
                g = leaf_grads.get(source)
            elif before is None or position not in before:
                g = captured.get(position)
            else:  # made before the tape: a constant unless watched
                g = leaf_grads.get(source) if self._is_watched(source) else None
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

    def _is_watched(self, tensor):
        return any(tensor is watched for watched in self._watched)

    def _ignored(self, source):
        if self.watch_accessed_variables or not isinstance(source, Variable):
            return False
        return not self._is_watched(source)
