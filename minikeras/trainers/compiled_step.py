"""Compiled steps: record the model's forward pass and loss once, then replay them.

Keras compiles `train_step` and `test_step` into graphs by default (`jit_compile="auto"`)
and runs those for every batch. minikeras does the equivalent with `autodiff.program`: for
a model whose layers and loss are vetted as fixed sequences of primitives
(`Layer._is_replayable`, `Loss._is_replayable`), the predictions, the loss and (for
training) the gradients of a batch are computed by replaying a recording instead of calling
layers and loss objects. `predict` replays the forward pass alone (with `training=False`,
as `test_step` runs it); it needs only the layers vetted, not the loss. Per kind of step
(train, test, predict) and batch signature (the shapes and dtypes of x, y and
sample_weight):

1. the first step runs eagerly while its primitive calls are recorded;
2. the second step runs both ways and the two must agree to the last bit (loss, outputs and
   every gradient; the replay without its backward fusions); if they do not, that
   signature runs eagerly from then on;
3. later steps replay the recording, with the softmax / cross-entropy backward fusion of
   `autodiff.program` (gradients equal to the eager ones up to float32 rounding).

The optimizer update, the loss tracker, the metrics and the callbacks stay as in an eager
step: only the computation of `(y_pred, loss[, gradients])` is replaced. The optimizer is
not part of a recording: a changed learning rate, say, is used at the next step.

Contract. A replay must give what the eager step would give. For that it assumes:

- a vetted layer's `call` and a vetted loss run the same primitives, in the same order,
  for any values of the batch and the weights, and decide nothing from those values in
  Python; noise and moving statistics are drawn and updated inside primitives, from
  variables the replay reads and advances;
- besides its inputs and weights, a layer's `call` reads only the layer's own attributes
  and the global settings (`floatx`, `epsilon`, `image_data_format`), and a loss only its
  attributes; they change by assignment (`dropout.rate = 0.0`), through the lists and
  dicts a layer tracks, or, for a loss, in its attributes' dicts and lists. Other objects
  they hold (an activation function, a seed generator) count by identity: what changes
  inside them is not seen (replace them instead);
- one thread records at a time (`autodiff.program.record` waits for the other); a
  recording keeps only its own thread's primitive calls, and layer calls keep their
  context (nesting depth, training flag) per thread (`ops.symbolic.call_context`).

It checks at run time:

- at every step: the batch signature, which picks the recording; counters of assignments
  to any layer's attributes and of structure changes; `floatx` and `epsilon`; and the
  attributes of the compiled loss and its loss objects. When one of them moved, the model
  is vetted again and its fingerprint (every layer's attributes, with variables,
  sublayers and seed generators by identity; the loss objects' attributes; the settings)
  is compared with the one the recordings were made under: if it differs, every
  recording, train and test, is dropped, and the next steps record again. A change thus
  takes effect at the next step, as in an eager step (Keras's jit-compiled step keeps
  the values it traced, even through the next `fit`);
- at every train step: the trainable weights are the variables the recording
  differentiates (a layer frozen or unfrozen records again);
- at the second step of each signature: the replay gives the eager bits;
- when recording: `Program.from_recording` refuses recordings that show a value computed
  from the batch outside the primitives.

Eager only (as with `run_eagerly=True` or `jit_compile=False`): subclassed models (their
`call` is arbitrary Python), a custom `compute_loss`, layers that update state or draw
random numbers outside a primitive (RandomCrop, the image augmentation layers; Dropout,
AlphaDropout, the Gaussian noise layers and BatchNormalization do it inside theirs and are
replayed), `add_loss` / `add_metric`,
regularizers that add losses, loss scaling, losses not vetted (custom ones included),
multi-output models whose compiled loss tracks per-output values, a layer or loss holding
a numpy array (it could change in place, unseen), batches that are not numpy arrays, batch
signatures beyond the 32nd, and signatures whose checked step disagreed.
"""

import operator

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor
from minikeras.autodiff.program import NotReplayable, Program, record
from minikeras.layers.tracking import layer_versions
from minikeras.tree import flatten, map_structure

_EAGER = "eager"  # marks a signature that runs eagerly
_MAX_SIGNATURES = 32  # batch shapes recorded per model; further ones run eagerly


class _Entry:
    """What is known about one batch signature: its program and whether it was checked."""

    __slots__ = ("checked", "program")

    def __init__(self, program):
        self.program = program
        self.checked = False


class CompiledSteps:
    """Computes the default steps' values for a model, replaying recordings when possible.

    `gradients` serves `train_step` (`(y_pred, loss, gradients, variables)`), `outputs`
    serves `test_step` (`(y_pred, loss)`), `predictions` serves `predict_step`
    (`(y_pred,)`); each kind of step has its own recordings.

    Attributes:
        replayed: how many steps of each kind ("train", "test", "predict") were replayed.
    """

    def __init__(self, model):
        self.model = model
        self.entries = {}  # (kind, batch signature) -> _Entry, or _EAGER
        self.replayed = {"train": 0, "test": 0, "predict": 0}
        # (what the answers depend on, whether train and test steps may be recorded,
        # whether predict steps may be: they need no loss)
        self._vetted = (None, False, False)
        self._fingerprint = None  # what the recordings in `entries` read (see `_fingerprint`)
        # The attribute dicts of the compiled loss and its loss objects, and copies of
        # them, compared at every step (a loss is not a layer: assigning to it moves no
        # counter).
        self._losses = self._losses_then = ()

    def __getstate__(self):
        # A copy (copy.deepcopy, pickle) vets its model again at its first step, which
        # points `_losses` at the copied loss objects' own attribute dicts.
        state = dict(self.__dict__)
        state["_vetted"] = (None, False, False)
        return state

    def gradients(self, x, y, sample_weight):
        """The train step's `(y_pred, loss, gradients, variables)`, `variables` being the
        model's trainable weights. Replayed gradients are numpy arrays, eager ones tensors:
        the optimizer takes both."""
        return self._step("train", self.model._eager_gradients, x, y, sample_weight)

    def outputs(self, x, y, sample_weight):
        """The test step's `(y_pred, loss)`."""
        return self._step("test", self.model._eager_outputs, x, y, sample_weight)

    def predictions(self, x):
        """The predict step's `(y_pred,)`: the forward pass alone, with `training=False`."""
        return self._step("predict", self.model._eager_predictions, x, None, None)

    def _step(self, kind, eager, x, y, sample_weight):
        if not self._model_is_vetted(kind):
            return eager(x, y, sample_weight)
        key, leaves = _signature(x, y, sample_weight)
        if key is None:
            return eager(x, y, sample_weight)
        key = (kind, key)
        entry = self.entries.get(key)
        if entry is _EAGER:
            return eager(x, y, sample_weight)
        if entry is None and len(self.entries) >= _MAX_SIGNATURES:
            return eager(x, y, sample_weight)
        if entry is not None and kind == "train":
            if not _same(entry.program.variables, self.model.trainable_weights):
                entry = None  # a layer was frozen or unfrozen: record again
        if entry is None:
            return self._record(key, eager, x, y, sample_weight, leaves)
        if not entry.checked:
            # The recording must stand for this batch too: replayed without fusions, it
            # must give the eager step's bits. State the replay advances (a dropout's
            # seed generator) is put back first, so both draw the same numbers.
            state = [(v, v.data.copy()) for _, v in entry.program.other_variables]
            replayed = _run(entry.program, leaves, exact=True)
            for variable, data in state:
                variable.data[...] = data
            values = eager(x, y, sample_weight)
            if _agree(replayed, values):
                entry.checked = True
            else:
                self.entries[key] = _EAGER
            return values
        self.replayed[kind] += 1
        return _run(entry.program, leaves)

    def _model_is_vetted(self, kind):
        """Whether a step of this kind may be recorded, after dropping every recording whose inputs
        (layer and loss attributes, variables, settings) changed.

        Runs at every step, so it compares counters and a few small dicts; when one of them
        moved, it vets the model again and compares its whole fingerprint.
        """
        compile_loss = self.model._compile_loss
        # The compiled loss knows its loss objects once it has seen a batch.
        state = (
            *layer_versions(),
            compile_loss is not None and compile_loss.built,
            config.floatx(),
            config.epsilon(),
        )
        if self._vetted[0] != state or self._losses != self._losses_then:
            self._refresh(state)
        return self._vetted[2] if kind == "predict" else self._vetted[1]

    def _refresh(self, state):
        model = self.model
        try:
            fingerprint = _fingerprint(model)
        except _Mutable:  # state that could change unseen: run eagerly
            self._vetted, self._losses, self._losses_then = (state, False, False), (), ()
            self.entries.clear()
            return
        if fingerprint != self._fingerprint:
            self.entries.clear()  # recorded with other settings, layers or variables
            self._fingerprint = fingerprint
        compile_loss = model._compile_loss
        self._losses, self._losses_then = _loss_states(compile_loss)
        forward = _vet_forward(model)
        self._vetted = (state, forward and _vet(model), forward)

    def _record(self, key, eager, x, y, sample_weight, leaves):
        """Runs the step eagerly, recording it; keeps the program if it can be replayed."""
        model = self.model
        # The batch enters as tensors, so every conversion of it is a recorded primitive.
        wrapped = {id(a): Tensor._wrap(a, None, 0) for a in leaves}

        def wrap(structure):
            if structure is None:
                return None
            return map_structure(lambda a: wrapped[id(a)], structure)

        with record() as recording:
            values = eager(wrap(x), wrap(y), wrap(sample_weight))
        kind = key[0]
        results = [values[0]] if kind == "predict" else [values[0], values[1]]
        variables = values[3] if kind == "train" else []
        program = _EAGER
        if not model.losses and all(isinstance(value, Tensor) for value in results):
            try:
                program = _Entry(
                    Program.from_recording(
                        recording,
                        batch=leaves,
                        variables=variables,
                        results=results,
                        root=values[1] if kind == "train" else None,
                    )
                )
            except NotReplayable:
                pass
        self.entries[key] = program
        return values


def _vet_forward(model):
    """Whether the model's forward pass may be recorded: the whole predict step."""
    from minikeras.trainers.trainer import Trainer

    return type(model)._eager_predictions is Trainer._eager_predictions and model._is_replayable()


def _vet(model):
    """Whether the model's train and test steps may be recorded, its forward pass being
    vetted (see the module docstring)."""
    from minikeras.trainers.trainer import Trainer

    kind = type(model)
    compile_loss = model._compile_loss
    optimizer = model.optimizer
    return (
        kind.compute_loss is Trainer.compute_loss
        and kind._compute_loss is Trainer._compute_loss
        and kind._eager_gradients is Trainer._eager_gradients
        and kind._eager_outputs is Trainer._eager_outputs
        and compile_loss is not None
        and compile_loss.built
        and not compile_loss.metrics
        and all(loss is None or loss._is_replayable() for loss in compile_loss.losses)
        and optimizer is not None
        and type(optimizer).scale_loss is _base_scale_loss()
        and optimizer.loss_scale_factor is None
    )


class _Mutable(Exception):
    """A layer or loss holds an array (or tensor) that could change in place unnoticed."""


class _Same:
    """Compares equal only to a `_Same` of the very same object (whatever its `==`)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value  # held, so that its id cannot be reused by another object

    def __eq__(self, other):
        return type(other) is _Same and other.value is self.value

    def __hash__(self):
        return id(self.value)


# Layer attributes that are bookkeeping, not settings: they change as the model is called
# or used in new graphs, and no layer's `call` reads them.
_BOOKKEEPING = frozenset(
    (
        "_added_metrics",
        "_batch_input_shape",
        "_build_shapes",
        "_checked_shape",
        "_inbound_nodes",
        "_init_args",
        "_losses",
        "_structure_cache",
        "_window_checked_shape",  # pooling's last checked input shape
    )
)


def _frozen(value):
    """A value that compares equal to a later `_frozen(value)` only if the value is the
    same: numbers and strings by value, containers by their items, other objects (tensors,
    functions, sublayers, seed generators) by identity."""
    if value is None or type(value) in (bool, int, float, str, complex, bytes):
        return value
    if isinstance(value, (list, tuple)):
        return (type(value), tuple([_frozen(item) for item in value]))
    if isinstance(value, dict):
        return (dict, tuple([(key, _frozen(item)) for key, item in value.items()]))
    if isinstance(value, np.ndarray):
        raise _Mutable
    if isinstance(value, np.generic):
        return value.item()
    return _Same(value)


def _fingerprint(model):
    """Everything besides the batch that a recording of the model's step reads: the global
    settings, each layer's attributes (its variables by identity) and the loss objects'."""
    layers = model._flatten_layers(include_self=False)
    compile_loss = model._compile_loss
    losses = () if compile_loss is None else [compile_loss, *compile_loss.losses]
    return (
        (config.floatx(), config.epsilon(), config.image_data_format()),
        tuple(
            [
                (
                    _Same(layer),
                    tuple(
                        [(k, _frozen(v)) for k, v in vars(layer).items() if k not in _BOOKKEEPING]
                    ),
                )
                for layer in layers
            ]
        ),
        tuple([_frozen(vars(loss)) for loss in losses if loss is not None]),
    )


def _loss_states(compile_loss):
    """The attribute dicts of the compiled loss and its loss objects, and copies of them
    (their dicts and lists copied too), for `_model_is_vetted` to compare."""
    if compile_loss is None:
        return (), ()
    dicts = [vars(loss) for loss in (compile_loss, *compile_loss.losses) if loss is not None]
    copies = [
        {k: v.copy() if type(v) in (dict, list) else v for k, v in attributes.items()}
        for attributes in dicts
    ]
    return dicts, copies


def _base_scale_loss():
    from minikeras.optimizers.optimizer import Optimizer

    return Optimizer.scale_loss


def _signature(x, y, sample_weight):
    """`(key, leaves)`: the batch's shapes and dtypes (and nesting) as a dict key, and its
    numpy arrays in order; `(None, None)` when some part is not an array."""
    if type(x) is np.ndarray and type(y) is np.ndarray and sample_weight is None and x is not y:
        return (x.shape, x.dtype, y.shape, y.dtype), [x, y]  # the usual (x, y) batch
    leaves = []
    for part in (x, y, sample_weight):
        if part is None:
            continue
        for leaf in flatten(part):
            if type(leaf) is not np.ndarray:
                return None, None
            leaves.append(leaf)
    if not leaves or len({id(a) for a in leaves}) != len(leaves):
        return None, None  # one array passed twice cannot be told apart from itself
    key = tuple((a.shape, a.dtype) for a in leaves)
    return key + (_layout(x), _layout(y), _layout(sample_weight)), leaves


def _layout(structure):
    """The nesting of a batch part (dict keys in order, list lengths), as a hashable value.

    Keys stay in insertion order, the order of the leaves: the same keys in another order
    make another signature.
    """
    if structure is None or type(structure).__module__ == "numpy":
        return None
    if isinstance(structure, dict):
        return ("dict", tuple((k, _layout(v)) for k, v in structure.items()))
    if isinstance(structure, (list, tuple)):
        return (type(structure).__name__, tuple(_layout(v) for v in structure))
    return type(structure).__name__


def _same(a, b):
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _run(program, leaves, exact=False):
    """`(y_pred, loss)` (or `(y_pred,)` for a predict step) as tensors and, for a train
    step, the gradient arrays and their variables, from a replay."""
    results, gradients = program.run(leaves, exact)
    wrap = Tensor._wrap
    if len(results) == 1:
        return (wrap(results[0], None, 0),)
    y_pred, loss = results
    if program.root is None:
        return wrap(y_pred, None, 0), wrap(loss, None, 0)
    return wrap(y_pred, None, 0), wrap(loss, None, 0), gradients, program.variables


def _agree(replayed, eager):
    """Whether a replayed step gave exactly the eager step's values."""
    pairs = list(zip(replayed[:2], eager[:2]))
    if len(replayed) > 2:  # a train step: its gradients, for the same variables
        if not _same(replayed[3], eager[3]):
            return False
        pairs += list(zip(replayed[2], eager[2]))
    for a, b in pairs:
        if (a is None) != (b is None):
            return False
        if a is not None and not np.array_equal(getattr(a, "data", a), b.data):
            return False
    return True
