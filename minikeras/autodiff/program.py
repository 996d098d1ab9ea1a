"""Record the primitives of one computation, then replay them on new arrays.

A training step of a model built from fixed layers calls the same primitives, in the same
order, on arrays of the same shapes, every time; only the values change (the batch and the
weights). `record()` notes every primitive call of one eager run; `Program.from_recording`
turns the notes into a list of steps over numbered *slots* (the batch arrays, the variables,
constants, and every intermediate result); `Program.run` then calls `forward` and, for the
gradients, `backward` of fresh copies of those primitives directly: no layers, no loss
objects, no graph links, no heap. This is what `compile(jit_compile=...)` builds on (see
`trainers/compiled_step.py`), much as Keras traces its train step into a graph once.

A recording can only stand for other inputs when everything that depends on the values
happens inside primitives. The caller vouches for that (it vets the layers and the loss);
`from_recording` also refuses recordings that show signs of the opposite: a constant, or an
array parameter of a primitive, whose leading size is the batch size (most likely computed
from the batch outside any primitive).

`run(batch, exact=True)` gives the same bits as the eager run: the same `forward` and
`backward` calls on the same arrays, gradients summed in the same order (most recently
recorded call first). By default `run` also fuses the backward passes of a softmax and the
cross-entropy that consumes it (`_find_fusions`), which changes the gradients by rounding
only.

Contract. A program stands for the recorded computation on other batch arrays when:

- each primitive's result depends only on its input arrays and the attributes it had
  before the call (copied when recorded, restored on a fresh object at each replay);
- everything else the computation read is either a variable (read again at each run, so
  weight updates are seen) or a constant that does not depend on the batch;
- the same layers, losses and settings would run the same primitives again: the caller
  vouches for that, and must record again when they change (see
  `trainers/compiled_step.py`);
- one thread records at a time: `record()` replaces `Function.__call__` for the whole
  process while it runs, so another thread's `record()` waits for it to end; calls made
  meanwhile by other threads are not recorded, and the `__call__` it replaced is always put
  back.

`from_recording` checks what it can see: it raises `NotReplayable` when a primitive object
was called twice, when a constant or a primitive's array parameter has the batch's leading
size, when a result was not computed by the recorded primitives, or when the differentiated
value does not depend on the variables. `run` checks the gradient shapes of primitives
written outside minikeras, as `backward_pass` does. Nothing falls back inside this module:
the caller runs the eager computation when a recording is refused.

Example:
    >>> with record() as recording:
    ...     loss = ops.mean(ops.square(x @ w))
    >>> program = Program.from_recording(recording, batch=[x.data], variables=[w],
    ...                                  results=[loss], root=loss)
    >>> [loss_value], [dw] = program.run([new_x])
"""

import keyword
import math
import re
import threading
from contextlib import contextmanager

import numpy as np

from minikeras.autodiff.function import Function
from minikeras.autodiff.tensor import Tensor, Variable


class Recording:
    """The primitive calls seen by `record()`: `(function, parameters, inputs, outputs)`."""

    def __init__(self):
        self.calls = []


# One recording at a time in the process: `record` replaces `Function.__call__` for every
# thread, and two recordings that overlapped would each restore what the other installed.
_recording_lock = threading.RLock()


@contextmanager
def record():
    """Context manager that notes every primitive call made inside it by this thread.

    While it is active, `Function.__call__` is a version that also appends the calls of the
    recording thread to the recording (with a copy of the function's parameters, taken
    before `forward` adds what it saves for `backward`); other threads' calls, and every
    call outside it, run the ordinary, unmonitored `__call__` (the one installed before,
    `_fast.fast_call` or `Function.plain_call`). One thread records at a time (another
    thread's `record()` waits for this one to end); the ordinary `__call__` is always put
    back on exit.
    """
    with _recording_lock:
        recording = Recording()
        ordinary_call = Function.__call__
        calls = recording.calls
        thread = threading.get_ident()

        def recording_call(self, *inputs):
            if threading.get_ident() != thread:
                return ordinary_call(self, *inputs)
            parameters = dict(self.__dict__)
            outputs = ordinary_call(self, *inputs)
            calls.append(
                (self, parameters, inputs, outputs if type(outputs) is tuple else (outputs,))
            )
            return outputs

        Function.__call__ = recording_call
        try:
            yield recording
        finally:
            Function.__call__ = ordinary_call


class NotReplayable(Exception):
    """A recording that cannot stand for other inputs (the message says why)."""


class _Step:
    """One recorded primitive call, with its inputs and outputs as slot numbers."""

    __slots__ = (
        "backward",
        "cls",
        "count",
        "fused",
        "inputs",
        "needs",
        "outputs",
        "parameters",
    )

    def __init__(self, cls, parameters, inputs, needs, outputs):
        self.cls = cls
        self.parameters = parameters
        self.inputs = inputs  # slot numbers
        self.needs = needs  # per input: whether it wants a gradient
        self.outputs = outputs  # slot numbers
        self.backward = False  # on the path from the root to a variable
        self.fused = None  # its part in a fusion: "consumer", "producer" or "spread"
        self.count = 0  # for "spread": how many values the mean averages


def _batch_sized(value, batch_size):
    array = value.data if isinstance(value, Tensor) else value
    return isinstance(array, np.ndarray) and array.ndim >= 1 and array.shape[0] == batch_size


class Program:
    """A recorded computation as steps over slots; `run` replays it on new batch arrays.

    Slots: the batch arrays, then the differentiated variables, then, in the order they
    were met, the other variables, constants and the outputs of each step. Variables are
    read when the program runs, so weight updates between runs are seen.
    """

    def __init__(self, steps, n_slots, n_batch, variables, others, constants, results, root):
        self.steps = steps
        self.n_slots = n_slots
        self.n_batch = n_batch
        self.variables = variables  # slot n_batch + i holds variables[i].data
        self.other_variables = others  # [(slot, variable)]: read, not differentiated
        self.constants = constants  # [(slot, array)]
        self.results = results  # slots of the values `run` returns
        self.root = root  # slot differentiated (None: no gradients)
        self.backward_steps = [step for step in reversed(steps) if step.backward]
        self._replays = {}  # the generated functions (with and without fusions)

    @classmethod
    def from_recording(cls, recording, batch, variables, results, root=None):
        """Builds a program from a recording.

        Args:
            recording: what `record()` saw.
            batch: the arrays that change from run to run, in the order `run` receives them.
            variables: the variables to differentiate with respect to (their gradients are
                returned by `run`, in this order). Other variables met are read but not
                differentiated.
            results: tensors whose values `run` returns (outputs of recorded calls, or batch
                arrays).
            root: the tensor to differentiate (a scalar loss), or None.

        Raises:
            NotReplayable: the recording depends on values outside its primitives.
        """
        batch_size = batch[0].shape[0] if batch and batch[0].ndim else None
        slot_of_array = {id(array): i for i, array in enumerate(batch)}
        variables = list(variables)
        slot_of_variable = {id(v): len(batch) + i for i, v in enumerate(variables)}
        constants, others, steps, seen = [], [], [], set()
        shapes = {}  # slot -> shape of a step's output
        keep = []  # holds every recorded array so their ids stay unique while building
        n_slots = len(batch) + len(variables)

        def slot_for(tensor):
            nonlocal n_slots
            if isinstance(tensor, Variable):
                slot = slot_of_variable.get(id(tensor))
                if slot is None:  # read, not differentiated (e.g. a non-trainable weight)
                    slot = slot_of_variable[id(tensor)] = n_slots
                    n_slots += 1
                    others.append((slot, tensor))
                return slot
            slot = slot_of_array.get(id(tensor.data))
            if slot is None:
                if batch_size is not None and _batch_sized(tensor, batch_size):
                    raise NotReplayable(
                        f"a constant of shape {tensor.data.shape} has the batch's leading size"
                    )
                slot = n_slots
                n_slots += 1
                constants.append((slot, tensor.data))
                keep.append(tensor.data)
            return slot

        for function, parameters, inputs, outputs in recording.calls:
            if id(function) in seen:
                raise NotReplayable(f"{type(function).__name__} was called twice")
            seen.add(id(function))
            for value in parameters.values():
                if batch_size is not None and _batch_sized(value, batch_size):
                    raise NotReplayable(
                        f"{type(function).__name__} has a parameter with the batch's leading size"
                    )
            in_slots = tuple(slot_for(x) for x in inputs)
            needs = tuple(bool(x.requires_grad) for x in inputs)
            out_slots = []
            for y in outputs:
                keep.append(y.data)
                shapes[n_slots] = y.data.shape
                slot_of_array[id(y.data)] = n_slots
                out_slots.append(n_slots)
                n_slots += 1
            steps.append(_Step(type(function), parameters, in_slots, needs, tuple(out_slots)))

        result_slots = []
        for tensor in results:
            slot = slot_of_array.get(id(tensor.data))
            if slot is None:
                raise NotReplayable("a result was not computed by the recorded primitives")
            result_slots.append(slot)
        root_slot = None
        if root is not None:
            root_slot = slot_of_array.get(id(root.data))
            if root_slot is None or root_slot < len(batch) or not root.requires_grad:
                raise NotReplayable("the differentiated value does not depend on the variables")
            # Mark the steps on the way back from the root: those whose outputs receive a
            # gradient (the ones `backward_pass` would visit).
            carrying = {root_slot}
            for step in reversed(steps):
                if any(needs for needs in step.needs) and carrying.intersection(step.outputs):
                    step.backward = True
                    carrying.update(s for s, n in zip(step.inputs, step.needs) if n)
            _find_fusions(steps, root_slot, shapes)
        return cls(
            steps,
            n_slots,
            len(batch),
            variables,
            others,
            constants,
            result_slots,
            root_slot,
        )

    def run(self, batch, exact=False):
        """Replays the program on new batch arrays (same shapes and dtypes as recorded).

        Args:
            batch: the arrays, in the order given to `from_recording`.
            exact: skip the backward fusions (see `_find_fusions`), so that the results
                are bit for bit those of the eager computation.

        Returns:
            `(results, gradients)`: the values of the recorded `results`, and one gradient
            array per differentiated variable (None where the root does not depend on it).
        """
        fuse = not exact
        replay = self._replays.get(fuse)
        if replay is None:
            replay = self._replays[fuse] = _compile(self, fuse)
        return replay(*batch)

    @property
    def source(self):
        """The Python source of the replay function (see `_compile`)."""
        return _generate(self)[0]

    def __getstate__(self):
        # The generated functions refer to these very variables: a copy (copy.deepcopy,
        # pickle) generates its own, for its own copies of them.
        state = dict(self.__dict__)
        state["_replays"] = {}
        return state


def _find_fusions(steps, root_slot, shapes):
    """Marks softmax -> cross-entropy pairs whose backward passes can be done as one (and
    the mean of the cross-entropy's values, when that is the root).

    A step whose class has `softmax_logits_backward` (the cross-entropy from
    probabilities) can give the gradient with respect to the logits of the softmax that made
    its first input directly, when that input is the output of a step ending in a softmax
    over the class axis (`ends_in_softmax`, `backward_from_logits`) and nothing else
    differentiates through it. The pair then skips the softmax's Jacobian product: the same
    values up to rounding, in a few array operations instead of a dozen.
    """
    producer, consumer, uses = {}, {}, {}
    for step in steps:
        for slot in step.outputs:
            producer[slot] = step
        for slot, needs in zip(step.inputs, step.needs):
            if needs:
                uses[slot] = uses.get(slot, 0) + 1
                consumer[slot] = step
    for step in steps:
        if not step.backward or not hasattr(step.cls, "softmax_logits_backward"):
            continue
        slot = step.inputs[0]
        source = producer.get(slot)
        if (
            source is not None
            and source.backward
            and step.needs[0]
            and uses.get(slot) == 1
            and slot != root_slot
            and len(source.outputs) == 1
            and hasattr(source.cls, "backward_from_logits")
            and source.cls.ends_in_softmax(source.parameters, len(shapes[slot]))
        ):
            step.fused, source.fused = "consumer", "producer"
            # Its values averaged into the root: the mean's backward is a uniform
            # 1 / count, which the fused backward takes as a scalar (it broadcasts).
            values = step.outputs[0]
            mean = consumer.get(values)
            if (
                mean is not None
                and uses.get(values) == 1
                and mean.outputs == (root_slot,)
                and hasattr(mean.cls, "spreads_evenly")
                and mean.cls.spreads_evenly(mean.parameters)
            ):
                mean.fused, mean.count = "spread", math.prod(shapes[values])


def _owned(gradients):
    """As `GradientTape.gradient` does: each returned gradient owns its array."""
    handed_out = set()
    for i, g in enumerate(gradients):
        if g is None:
            continue
        if id(g) in handed_out or (g.base is not None and not g.flags.writeable):
            g = gradients[i] = g.copy()
        handed_out.add(id(g))
    return gradients


def _check_shape(name, gx, x):
    if gx is not None and gx.shape != x.shape:
        raise RuntimeError(
            f"{name}.backward returned a gradient of shape {gx.shape} for an input of shape "
            f"{x.shape}."
        )


def _identifier(text, lower=True):
    """`text` made into a Python identifier (`dense_1/kernel` -> `dense_1_kernel`; with
    `lower`, `SparseCrossentropy` -> `sparse_crossentropy`)."""
    name = str(text)
    if lower:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    name = re.sub(r"\W+", "_", name).strip("_") or "value"
    return f"_{name}" if name[0].isdigit() else name


class _Names:
    """Hands out unique identifiers: `dense_kernel`, then `dense_kernel_2`, ..."""

    def __init__(self, taken):
        self.taken = set(taken) | set(keyword.kwlist)

    def __call__(self, text, lower=True):
        base = name = _identifier(text, lower)
        n = 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name


# What the generated function finds besides the objects it names itself.
_HELPERS = {"new": object.__new__, "ones": np.ones, "zeros_like": np.zeros_like}


def _generate(program, fuse=True):
    """Writes the program out as one straight-line Python function.

    Values are named after what computes them: the batch arrays are the arguments
    `batch_0, batch_1, ...`, a variable's value is named after its path (`dense_kernel`),
    a step's primitive after its class (`linear_1`) and its result `linear_1_out`; `g_<name>`
    is the gradient of `<name>`. For each step the function creates a fresh primitive,
    restores the recorded parameters, and calls `forward`; then, most recent first,
    `backward` for the steps on the way back from the root, adding up gradients exactly as
    `backward_pass` does. Which gradients exist is decided here, not at run time: a
    minikeras primitive returns a gradient for every input that needs one, so only the
    gradients of primitives written outside minikeras (which may return None) are tested.
    With `fuse`, the pairs marked by `_find_fusions` use their combined backward pass.

    Returns:
        `(source, names)`: the function's text and the objects it refers to by name.
    """
    names = {}  # objects the function refers to: name -> object
    # The helpers, and the builtins and locals the function itself uses.
    unique = _Names(
        [*_HELPERS, "owned", "check", "type", "tuple", "gx", "gxs", "results", "replay"]
    )
    value = {}  # slot -> the name of its value
    lines = []
    args = [unique(f"batch_{i}") for i in range(program.n_batch)]
    value.update(enumerate(args))
    targets = list(range(program.n_batch, program.n_batch + len(program.variables)))
    read = list(zip(targets, program.variables)) + list(program.other_variables)
    for slot, variable in read:
        value[slot] = unique(getattr(variable, "path", None) or "variable")
        holder = unique(f"{value[slot]}_variable")
        names[holder] = variable
        lines.append(f"{value[slot]} = {holder}.data")
    for slot, array in program.constants:
        value[slot] = unique("constant")
        names[value[slot]] = array
    counts = {}
    for step in program.steps:
        counts[step.cls] = counts.get(step.cls, 0) + 1
    classes, seen, primitive = {}, {}, {}
    for step in program.steps:
        if step.cls not in classes:
            classes[step.cls] = unique(step.cls.__name__, lower=False)
            names[classes[step.cls]] = step.cls
        seen[step.cls] = seen.get(step.cls, 0) + 1
        base = _identifier(step.cls.__name__)
        f = primitive[id(step)] = unique(
            base if counts[step.cls] == 1 else f"{base}_{seen[step.cls]}"
        )
        lines.append(f"{f} = new({classes[step.cls]})")
        if step.parameters:
            parameters = unique(f"{f}_parameters")
            names[parameters] = step.parameters
            lines.append(f"{f}.__dict__.update({parameters})")
        lines.append(f"{f}.needs_grad = {step.needs!r}")
        call = f"{f}.forward({', '.join(value[i] for i in step.inputs)})"
        if len(step.outputs) == 1:
            value[step.outputs[0]] = unique(f"{f}_out")
            lines.append(f"{value[step.outputs[0]]} = {call}")
        else:
            for n, slot in enumerate(step.outputs):
                value[slot] = unique(f"{f}_out_{n}")
            lines.append(f"{', '.join(value[o] for o in step.outputs)} = {call}")
            lines.append(f"{f}.n_outputs = {len(step.outputs)}")
    results = f"[{', '.join(value[r] for r in program.results)}]"
    header = [
        f"# Replays {len(program.steps)} recorded primitive calls on new batch arrays"
        + ("." if program.root is None else f", then differentiates {value[program.root]}.")
    ]
    if program.root is None:
        lines.append(f"return {results}, {[None] * len(program.variables)}")
    else:
        lines.append(f"results = {results}")
        backward, maybe_none = _backward_lines(program, fuse, value, primitive, unique)
        if maybe_none:
            lines.append(" = ".join(sorted(maybe_none)) + " = None")
        lines += backward
        header.append(
            f"# g_<name> is the gradient of {value[program.root]} with respect to <name>."
        )
    body = "\n".join("    " + line for line in lines)
    source = "\n".join(header) + f"\ndef replay({', '.join(args)}):\n{body}\n"
    return source, names


# What `_backward_lines` knows of a gradient at a point of the generated function.
UNSET, SET, MAYBE = 0, 1, 2


def _guarded_states(guarded, before, state, g, maybe_none):
    """After a step's lines: a gradient first set inside an `if` may still be None after it."""
    if not guarded:
        return
    for slot, now in state.items():
        if now != before.get(slot, UNSET) and before.get(slot, UNSET) != SET:
            state[slot] = MAYBE
            if before.get(slot, UNSET) == UNSET:
                maybe_none.add(g(slot))


def _backward_lines(program, fuse, value, primitive, unique):
    """The backward half of `_generate`, with what each gradient is known to be.

    Each gradient is, at each point of the function, known to be unset, known to be an
    array, or maybe None (after a primitive written outside minikeras, or inside an `if`).
    Returns the lines and the gradients that must start out as None.
    """
    state, grad, maybe_none = {}, {}, set()

    def g(slot):
        if slot not in grad:
            grad[slot] = unique(f"g_{value[slot]}")
        return grad[slot]

    root = program.root
    lines = [f"{g(root)} = ones({value[root]}.shape, {value[root]}.dtype)"]
    state[root] = SET
    for step in program.backward_steps:
        outs = [o for o in step.outputs if state.get(o, UNSET) != UNSET]
        if not outs:  # no gradient can reach it
            continue
        f = primitive[id(step)]
        trusted = not step.cls.check_gradient_shapes
        before = dict(state)
        guarded = all(state[o] == MAYBE for o in outs)
        indent = "    " if guarded else ""
        if guarded:
            lines.append(f"if {' or '.join(f'{g(o)} is not None' for o in outs)}:")
        if fuse and step.fused == "spread":  # the mean's gradient, as one scalar
            gxs = [f"{g(step.outputs[0])} / {step.count}"]
        else:
            method = "backward"
            if fuse and step.fused == "consumer":
                method = "softmax_logits_backward"
            elif fuse and step.fused == "producer":
                method = "backward_from_logits"
            gys = []
            for o in step.outputs:
                if state.get(o, UNSET) == UNSET:
                    gys.append(f"zeros_like({value[o]})")
                elif state[o] == MAYBE and len(step.outputs) > 1:
                    gys.append(f"zeros_like({value[o]}) if {g(o)} is None else {g(o)}")
                else:
                    gys.append(g(o))
            call = f"{f}.{method}({', '.join(gys)})"
            needed = [s for s, n in zip(step.inputs, step.needs) if n]
            if (
                trusted
                and len(step.inputs) > 1
                and len(set(needed)) == len(needed)
                and all(state.get(s, UNSET) == UNSET for s in needed)
            ):  # every gradient is a first one: unpack them by name
                unpacked = [g(s) if n else "_" for s, n in zip(step.inputs, step.needs)]
                lines.append(f"{indent}{', '.join(unpacked)} = {call}")
                for s in needed:
                    state[s] = SET
                _guarded_states(guarded, before, state, g, maybe_none)
                continue
            lines.append(f"{indent}gxs = {call}")
            if len(step.inputs) == 1:  # a one-input backward may give its gradient bare
                lines.append(f"{indent}if type(gxs) is not tuple: gxs = (gxs,)")
            gxs = [f"gxs[{i}]" for i in range(len(step.inputs))]
        before = dict(state)
        for position, (slot, needs) in enumerate(zip(step.inputs, step.needs)):
            if not needs:
                continue
            gx, known = gxs[position], state.get(slot, UNSET)
            if not trusted:
                lines.append(f"{indent}gx = {gx}")
                lines.append(f"{indent}check({step.cls.__name__!r}, gx, {value[slot]})")
                gx = "gx"
            if trusted and known == UNSET:
                lines.append(f"{indent}{g(slot)} = {gx}")
                state[slot] = SET
            elif trusted and known == SET:
                lines.append(f"{indent}{g(slot)} = {g(slot)} + {gx}")
            elif trusted:
                lines.append(f"{indent}{g(slot)} = {gx} if {g(slot)} is None else {g(slot)} + {gx}")
                state[slot] = SET
            elif known == UNSET:
                lines.append(f"{indent}{g(slot)} = gx")
                state[slot] = MAYBE
            else:
                lines.append(f"{indent}if gx is not None:")
                update = "gx" if known == SET else f"gx if {g(slot)} is None else {g(slot)} + gx"
                lines.append(f"{indent}    {g(slot)} = {update}")
        _guarded_states(guarded, before, state, g, maybe_none)
    targets = range(program.n_batch, program.n_batch + len(program.variables))
    final = [g(t) if state.get(t, UNSET) != UNSET else "None" for t in targets]
    lines.append(f"return results, owned([{', '.join(final)}])")
    return lines, maybe_none


def _compile(program, fuse):
    source, names = _generate(program, fuse)
    namespace = {**_HELPERS, "owned": _owned, "check": _check_shape, **names}
    exec(compile(source, "<minikeras replay>", "exec"), namespace)
    return namespace["replay"]
