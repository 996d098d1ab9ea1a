"""Primitives: the `Function` base class, and the switch that turns recording on and off.

A primitive is a `Function` subclass with two methods on plain numpy arrays:

    forward(*arrays)      -> array or tuple of arrays
    backward(*gys)        -> one gradient array per input (None where not needed)

Calling a primitive on tensors runs `forward`; while gradients are being recorded and some
input requires a gradient, the call also links the output tensors to the function (their
`creator`) so that `backward_pass` (backward.py) can later walk the graph from an output
back to the leaves. Nothing else is stored: the graph *is* the chain of `creator` /
`inputs` references, and it is freed by reference counting when the outputs are dropped.
"""

import itertools
import threading
from contextlib import contextmanager

import numpy as np

from minikeras.autodiff.tensor import Tensor


class _GradMode(threading.local):
    """Whether primitives record the graph, per thread: one thread's `no_grad` (an
    optimizer update, an `evaluate`) must not stop another thread's training step from
    recording."""

    enabled = True  # the starting value in every thread


_grad_mode = _GradMode()
_sequence = itertools.count(1)  # numbers the recorded calls, in order
# Functions called as `listener(enabled)` after a thread turns recording on or off (the
# fast call of `_fast.py` keeps a process-wide summary with one).
grad_mode_listeners = []


def is_grad_enabled():
    """Returns True when primitives record the graph needed by `backward` (in this thread)."""
    return _grad_mode.enabled


class no_grad:
    """Context manager in which no operation is recorded for differentiation (in this
    thread).

    Example:
        >>> with no_grad():
        ...     y = w * 2.0   # y has no creator; w receives no gradient from it
    """

    __slots__ = ("_previous",)

    def __enter__(self):
        self._previous = set_grad_enabled(False)

    def __exit__(self, *exception):
        set_grad_enabled(self._previous)


@contextmanager
def enable_grad():
    """Context manager that turns recording back on (e.g. a GradientTape inside no_grad)."""
    previous = set_grad_enabled(True)
    try:
        yield
    finally:
        set_grad_enabled(previous)


def set_grad_enabled(enabled):
    """Turns recording on or off in this thread; returns the previous setting."""
    previous = _grad_mode.enabled
    enabled = bool(enabled)
    if enabled != previous:
        _grad_mode.enabled = enabled
        for listener in grad_mode_listeners:
            listener(enabled)
    return previous


def next_sequence():
    """A new number in the order of recording: later than every function recorded so far."""
    return next(_sequence)


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

    # Whether the engine checks what `backward` returns: one gradient per input, each None
    # or an array of its input's shape. A wrong one raises a RuntimeError naming the
    # primitive, the input and both shapes (`backward.check_gradients`; a replayed step
    # checks the shapes too). On for every primitive defined outside the minikeras package
    # (also a user subclass of a built-in one), where a wrong gradient would otherwise
    # surface far away or not at all; off for the built-in ones, whose gradients the test
    # suite checks against finite differences, shapes included, so that every backward
    # pass does not pay for it. A class may set it itself.
    check_gradient_shapes = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "check_gradient_shapes" not in cls.__dict__:
            cls.check_gradient_shapes = not cls.__module__.startswith("minikeras.")

    # Attributes set when the call is recorded; `saved` attributes live in __dict__.
    inputs = None
    needs_grad = ()
    sequence = 0  # order of recording: every input was made by an earlier (smaller) one
    n_outputs = 1

    def __call__(self, *inputs):
        """Runs the primitive on tensors and, when recording, links the outputs to it.

        Args:
            *inputs: Tensors (the `ops` functions convert their arguments first).

        Returns:
            One Tensor, or a tuple of Tensors when `forward` returns a tuple of arrays.
        """
        ys = self.forward(*[x.data for x in inputs])
        needs_grad = tuple([x.requires_grad for x in inputs])
        record = is_grad_enabled() and any(needs_grad)
        creator = self if record else None  # outputs without a creator are constants
        if type(ys) is tuple:
            self.n_outputs = len(ys)
            outputs = tuple([Tensor._wrap(y, creator, i) for i, y in enumerate(ys)])
        else:
            outputs = Tensor._wrap(ys, creator, 0)
        if record:  # what backward_pass reads when it reaches this function
            self.inputs = inputs
            self.needs_grad = needs_grad
            self.sequence = next(_sequence)
            if type(ys) is tuple:  # to make zero gradients for outputs nobody used
                self.output_specs = [(y.shape, y.dtype) for y in ys]
        return outputs

    # `_fast.py` installs an unrolled copy of `__call__` as the one that runs (on small arrays
    # this one takes up to 1.6 times as long); under this name the plain call stays reachable.
    plain_call = __call__

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    @property
    def name(self):
        return type(self).__name__
