"""The primitive call as it runs: `Function.__call__` unrolled for one, two and three inputs.

Every operation on tensors goes through `Function.__call__`, so its few Python steps are
paid on every op of every batch. `fast_call` does what the plain call of `function.py`
(`Function.plain_call`) does, with the loops written out for the common numbers of inputs
and `Tensor._wrap` written out for the common single output. `use_fast_call()` (run once by
`autodiff/__init__.py`) installs it as `Function.__call__`; `use_fast_call(False)` puts the
plain call back.

Contract:

- it assumes what the plain call assumes: every input is a `Tensor` (the `ops` functions
  convert their arguments first), and `forward` returns either a tuple of arrays (several
  outputs) or anything else (one output, wrapped as it is);
- it also assumes that recording is only ever turned on and off through
  `function.set_grad_enabled` (as `no_grad`, `enable_grad` and `GradientTape` do): that is
  how it learns, through a listener, whether some thread has recording off. While none
  has, it skips reading its thread's setting; otherwise it reads it, as the plain call
  always does;
- it checks nothing the plain call does not check;
- it returns the same objects with the same fields as the plain call: the outputs are
  `Tensor`s with the same `data` (the very arrays `forward` returned), `creator`,
  `requires_grad`, `grad` and `_index`; on a recorded call the function gets the same
  `inputs`, `needs_grad`, `sequence`, `n_outputs` and `output_specs`, and `n_outputs` is set
  for a tuple even when the call is not recorded, as the plain call does;
- whatever it does not unroll (no input, four or more inputs) runs the plain call itself; a
  subclass that defines its own `__call__` is not affected (Python finds that one first).

`tests/test_autodiff_fast_call.py` runs both calls on the same inputs (0 to 5 inputs; one and
two outputs; constants, leaves and recorded inputs in every mix up to three inputs; built-in
primitives; under `no_grad`; in a thread with recording on while another has it off, and the
reverse; threads switching `no_grad` on and off meanwhile) and compares every stored field,
the output bits and the gradients through both; it also trains small models (an MLP, and an
LSTM whose primitive takes more inputs than are unrolled) both ways, eagerly and with
compiled steps, and compares the weights bit for bit.
"""

import threading

from minikeras.autodiff import function
from minikeras.autodiff.function import Function, _grad_mode, _sequence
from minikeras.autodiff.tensor import Tensor

_new_tensor = object.__new__
_plain_call = Function.plain_call

# Whether recording is on in every thread. While it is, a call need not read its thread's
# setting (a thread-local lookup is a few percent of a small operation); once any thread
# turns recording off, calls read their own thread's setting again.
_every_thread_records = True
_threads_without_grad = set()  # the idents of the threads with recording off
_threads_lock = threading.Lock()


def _note_grad_mode(enabled):
    """Keeps `_every_thread_records` up to date (a listener of `set_grad_enabled`).

    A thread runs this after changing its own setting and before its next primitive call;
    the lock makes each update see every earlier one, so the flag is never True while a
    thread with recording off can run a primitive.
    """
    global _every_thread_records
    with _threads_lock:
        if enabled:
            _threads_without_grad.discard(threading.get_ident())
        else:
            _threads_without_grad.add(threading.get_ident())
        _every_thread_records = not _threads_without_grad


function.grad_mode_listeners.append(_note_grad_mode)


def fast_call(self, *inputs):
    """`Function.plain_call`, unrolled (see the module docstring for the contract)."""
    if len(inputs) == 1:
        (x,) = inputs
        ys = self.forward(x.data)
        needs = (x.requires_grad,)
        record = needs[0] and (_every_thread_records or _grad_mode.enabled)
    elif len(inputs) == 2:
        x, y = inputs
        ys = self.forward(x.data, y.data)
        needs = (x.requires_grad, y.requires_grad)
        record = (needs[0] or needs[1]) and (_every_thread_records or _grad_mode.enabled)
    elif len(inputs) == 3:  # e.g. a fused linear layer: input, kernel, bias
        x, y, z = inputs
        ys = self.forward(x.data, y.data, z.data)
        needs = (x.requires_grad, y.requires_grad, z.requires_grad)
        record = (needs[0] or needs[1] or needs[2]) and (
            _every_thread_records or _grad_mode.enabled
        )
    else:
        return _plain_call(self, *inputs)
    creator = self if record else None
    if type(ys) is tuple:
        self.n_outputs = len(ys)
        outputs = tuple([Tensor._wrap(y, creator, i) for i, y in enumerate(ys)])
        if record:
            self.output_specs = [(y.shape, y.dtype) for y in ys]
    else:  # Tensor._wrap(ys, creator, 0), written out
        outputs = _new_tensor(Tensor)
        outputs.data = ys
        outputs.creator = creator
        outputs.requires_grad = creator is not None
        outputs.grad = None
        outputs._index = 0
    if record:
        self.inputs = inputs
        self.needs_grad = needs
        self.sequence = next(_sequence)
    return outputs


def use_fast_call(enabled=True):
    """Installs `fast_call` as `Function.__call__` (or, with False, the plain call)."""
    Function.__call__ = fast_call if enabled else _plain_call
