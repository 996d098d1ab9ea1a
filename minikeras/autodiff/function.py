"""Primitives and the reverse-mode engine.

A primitive is a `Function` subclass with two methods on plain numpy arrays:

    forward(*arrays)      -> array or tuple of arrays
    backward(*gys)        -> one gradient array per input (None where not needed)

Calling a primitive on tensors runs `forward`; while gradients are being recorded and some
input requires a gradient, the call also links the output tensors to the function (their
`creator`) so that `backward_pass` can later walk the graph from an output back to the
leaves. Nothing else is stored: the graph *is* the chain of `creator` / `inputs` references,
and it is freed by reference counting when the outputs are dropped.
"""

import heapq
import itertools
from contextlib import contextmanager

import numpy as np

_grad_enabled = True


def is_grad_enabled():
    """Returns True when primitives record the graph needed by `backward`."""
    return _grad_enabled


@contextmanager
def no_grad():
    """Context manager in which no operation is recorded for differentiation.

    Example:
        >>> with no_grad():
        ...     y = w * 2.0   # y has no creator; w receives no gradient from it
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextmanager
def enable_grad():
    """Context manager that turns recording back on (e.g. a GradientTape inside no_grad)."""
    previous = set_grad_enabled(True)
    try:
        yield
    finally:
        set_grad_enabled(previous)


def set_grad_enabled(enabled):
    """Turns recording on or off; returns the previous setting."""
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = enabled
    return previous


def sum_to(g, shape):
    """Sums a broadcast gradient `g` back down to `shape` (the inverse of broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead and g.shape[lead:] == shape:  # only leading axes were added (a bias)
        return np.add.reduce(g, axis=0 if lead == 1 else tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = np.add.reduce(g, axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


class Function:
    """Base class of every differentiable primitive.

    Subclasses implement `forward` and `backward` on numpy arrays and keep whatever
    `backward` needs as attributes. `self.needs_grad[i]` says whether input `i` wants a
    gradient, so `backward` can skip work (returning None) for the others.
    """

    # Attributes set when the call is recorded; `saved` attributes live in __dict__.
    inputs = None
    needs_grad = ()
    generation = 0
    n_outputs = 1
    output_grads = None

    def __call__(self, *inputs):
        if len(inputs) == 1:
            x = inputs[0]
            ys = self.forward(x.data)
            record = _grad_enabled and x.requires_grad
            needs = (True,)
        elif len(inputs) == 2:
            x, y = inputs
            ys = self.forward(x.data, y.data)
            needs = (x.requires_grad, y.requires_grad)
            record = _grad_enabled and (needs[0] or needs[1])
        elif len(inputs) == 3:  # e.g. a fused linear layer: input, kernel, bias
            x, y, z = inputs
            ys = self.forward(x.data, y.data, z.data)
            needs = (x.requires_grad, y.requires_grad, z.requires_grad)
            record = _grad_enabled and (needs[0] or needs[1] or needs[2])
        else:
            ys = self.forward(*[x.data for x in inputs])
            if _grad_enabled:
                needs = tuple([x.requires_grad for x in inputs])
                record = True in needs
            else:
                record = False
        creator = self if record else None
        if type(ys) is tuple:
            self.n_outputs = len(ys)
            outputs = tuple([Tensor._wrap(y, creator, i) for i, y in enumerate(ys)])
            if record:
                self.output_specs = [(y.shape, y.dtype) for y in ys]
        else:  # Tensor._wrap, written out: this runs for every operation
            outputs = _new_tensor(Tensor)
            outputs.data = ys
            outputs.creator = creator
            outputs.requires_grad = record
            outputs.grad = None
            outputs._index = 0
        if record:
            self.inputs = inputs
            self.needs_grad = needs
            generation = 0
            for x in inputs:
                parent = x.creator
                if parent is not None and parent.generation >= generation:
                    generation = parent.generation + 1
            self.generation = generation
        return outputs

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    @property
    def name(self):
        return type(self).__name__

    def release(self):
        """Drops the inputs and saved arrays once the gradient has gone through."""
        self.inputs = None
        self.__dict__.clear()


def backward_pass(roots, retain_graph=False, capture=None):
    """Propagates gradients from `roots` back through the recorded graph.

    Functions are visited once each, newest generation first (a heap, no recursion), so a
    function runs only after every consumer of its outputs has added its share. The
    gradients of a function's outputs wait in `function.output_grads` until it runs (one
    slot per output); a function enters the heap when its first output gradient arrives.

    Args:
        roots: list of `(tensor, gradient_array)` pairs to start from.
        retain_graph: keep the graph so it can be differentiated again (persistent tape).
        capture: optional dict `{id(creator): [(output_index, key), ...]}`; the total
            gradient of those intermediate tensors is returned as `{key: gradient}`.

    Returns:
        `(leaf_grads, captured)`: `leaf_grads` maps `id(leaf)` to `[leaf, total gradient]`
        for every tensor without a creator that received a gradient; `captured` is the
        `{key: gradient}` dict asked for by `capture`.
    """
    heap = []
    waiting = {}  # function -> gradients of its outputs received so far (one slot each)
    leaf_grads = {}
    captured = {}
    counter = itertools.count()  # breaks generation ties in a fixed order
    push, pop = heapq.heappush, heapq.heappop

    # A gradient for tensor `x` goes to its creator's output slot (scheduling the creator on
    # its first gradient) or, for a leaf, into `leaf_grads`.
    pending = [(t, g) for t, g in roots if t.creator is not None or t.requires_grad]
    while True:
        for x, gx in pending:
            creator = x.creator
            if creator is None:
                entry = leaf_grads.get(id(x))
                if entry is None:
                    leaf_grads[id(x)] = [x, gx]
                else:
                    entry[1] = entry[1] + gx
                continue
            grads = waiting.get(creator)
            if grads is None:  # the first gradient for this function: schedule it
                if creator.inputs is None:
                    raise RuntimeError(
                        "The graph behind this tensor was already freed by an earlier "
                        "backward pass. Use GradientTape(persistent=True) to compute "
                        "gradients more than once."
                    )
                grads = waiting[creator] = [None] * creator.n_outputs
                push(heap, (-creator.generation, next(counter), creator))
            index = x._index
            previous = grads[index]
            grads[index] = gx if previous is None else previous + gx
        if not heap:
            return leaf_grads, captured
        function = pop(heap)[2]
        gys = waiting.pop(function)
        if capture is not None and id(function) in capture:
            for index, key in capture[id(function)]:
                captured[key] = gys[index]
        if function.n_outputs == 1:
            gxs = function.backward(gys[0])
        else:
            # An output nobody used still needs a gradient array for backward.
            gxs = function.backward(
                *[
                    np.zeros(shape, dtype) if g is None else g
                    for g, (shape, dtype) in zip(gys, function.output_specs)
                ]
            )
        if type(gxs) is not tuple:
            gxs = (gxs,)
        pending = []
        for x, needs, gx in zip(function.inputs, function.needs_grad, gxs):
            if needs and gx is not None:
                if gx.shape != x.data.shape:
                    raise RuntimeError(
                        f"{function.name}.backward returned a gradient of shape {gx.shape} "
                        f"for an input of shape {x.data.shape}."
                    )
                pending.append((x, gx))
        if not retain_graph:
            function.__dict__.clear()  # drops the inputs and saved arrays


# Imported last: tensor.py builds on the names defined above.
from minikeras.autodiff.tensor import Tensor  # noqa: E402

_new_tensor = object.__new__
