"""The reverse-mode engine: `backward_pass` walks a recorded graph from outputs to leaves.

The graph is made of tensors and the function nodes that created them (`function.py`). A
tensor `t` made by a primitive has `t.creator`, the node; a node has `inputs` (tensors),
`needs_grad` (one bool per input), `n_outputs`, `sequence` (its place in the order of
recording) and `backward(*gys)` (one gradient array per input). This module uses only
those attributes, so it imports nothing from the rest of the core and the core's modules
import in one direction: backward -> tensor -> function -> arithmetic -> tape.
"""

import heapq

import numpy as np


class _Roots:
    """The starting point of a backward pass: its "backward" hands out the seed gradients.

    It looks like a recorded function to the loop below (inputs, needs_grad, backward).
    """

    n_outputs = 1
    check_gradient_shapes = False

    def __init__(self, roots):
        self.inputs = tuple(tensor for tensor, _ in roots)
        self.needs_grad = (True,) * len(roots)
        self.seeds = tuple(gradient for _, gradient in roots)

    def backward(self, gy):
        return self.seeds


def backward_pass(roots, retain_graph=False, capture=None, since=0):
    """Propagates gradients from `roots` back through the recorded graph.

    Functions are visited once each, most recently recorded first (a heap keyed by
    `function.sequence`, no recursion). A function's consumers were recorded after it, so it
    runs only after every consumer of its outputs has added its share. Until then the
    gradient of its output waits in `waiting[function]` (a list with one slot per output
    for functions with several); a function enters the heap with its first gradient.

    Args:
        roots: list of `(tensor, gradient_array)` pairs to start from.
        retain_graph: keep the graph so it can be differentiated again (persistent tape).
        capture: optional dict `{id(creator): [(output_index, key), ...]}`; the total
            gradient of those intermediate tensors is returned as `{key: gradient}`.
        since: functions recorded before this sequence number are not walked: their
            outputs count as leaves (a GradientTape sees only what ran inside it).

    Returns:
        `(leaf_grads, captured)`: `leaf_grads` maps every leaf (a tensor without a creator,
        or made before `since`) that received a gradient to its total gradient; `captured`
        is the `{key: gradient}` dict asked for by `capture`.
    """
    heap = []
    waiting = {}
    leaf_grads = {}
    captured = {}
    push, pop = heapq.heappush, heapq.heappop
    function = _Roots([(t, g) for t, g in roots if t.creator is not None or t.requires_grad])
    gys = None
    while True:
        if function.n_outputs == 1:
            gxs = function.backward(gys)
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
        if function.check_gradient_shapes:  # a primitive written outside minikeras
            check_gradients(function, gxs)
        # Route each input's gradient: to its creator's waiting slot, or, for a leaf, into
        # `leaf_grads`.
        for x, needs, gx in zip(function.inputs, function.needs_grad, gxs):
            if not needs or gx is None:
                continue
            creator = x.creator
            if creator is None or creator.sequence < since:
                previous = leaf_grads.get(x)
                leaf_grads[x] = gx if previous is None else previous + gx
                continue
            slot = waiting.get(creator)
            if slot is None:  # the first gradient for this function: schedule it
                if creator.inputs is None:
                    raise RuntimeError(
                        "The graph behind this tensor was already freed by an earlier "
                        "backward pass. Use GradientTape(persistent=True) to compute "
                        "gradients more than once."
                    )
                push(heap, (-creator.sequence, creator))  # sequences are unique: no ties
                if creator.n_outputs == 1:
                    waiting[creator] = gx
                    continue
                slot = waiting[creator] = [None] * creator.n_outputs
            elif creator.n_outputs == 1:
                waiting[creator] = slot + gx
                continue
            index = x._index
            slot[index] = gx if slot[index] is None else slot[index] + gx
        if not retain_graph:
            function.__dict__.clear()  # drops the inputs and saved arrays
        if not heap:
            return leaf_grads, captured
        function = pop(heap)[1]
        gys = waiting.pop(function)
        if capture is not None and id(function) in capture:
            for index, key in capture[id(function)]:
                captured[key] = gys if function.n_outputs == 1 else gys[index]


def check_gradients(function, gxs):
    """Raises unless `function.backward` gave what the engine needs: one gradient per input
    (a tuple), each None or an array shaped like its input, for the inputs that need one.

    Args:
        function: a recorded function (`inputs`, `needs_grad`, `name`).
        gxs: what its `backward` returned, as a tuple.

    Raises:
        RuntimeError: naming the primitive, the input and both shapes (or counts).
    """
    name = function.name
    if len(gxs) != len(function.inputs):
        raise RuntimeError(
            f"{name}.backward gave gradients for {len(gxs)} inputs, but {name} has "
            f"{len(function.inputs)}; it must return a tuple with one entry per input "
            "(None for an input that needs no gradient)."
        )
    for index, (x, needs, gx) in enumerate(zip(function.inputs, function.needs_grad, gxs)):
        if not needs or gx is None:
            continue
        shape = getattr(gx, "shape", None)
        if shape is None:
            raise RuntimeError(
                f"{name}.backward returned a {type(gx).__name__} as the gradient of its "
                f"input {index}; gradients must be numpy arrays (of shape {x.data.shape})."
            )
        if shape != x.data.shape:
            raise RuntimeError(
                f"{name}.backward returned a gradient of shape {shape} for its input "
                f"{index}, of shape {x.data.shape}."
            )
