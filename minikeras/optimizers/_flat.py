"""Flat optimizer updates: one update step over many small variables at once.

The plain path (`Optimizer._backend_update_step`) calls `update_step` once per variable.
For models made of many small variables the per-call overhead dominates, so this fast path
lays the variables out in one flat buffer (every `variable.data` becomes a view into it),
does the same with each per-variable slot list (momentums, velocities, ...), and calls
`update_step` once on the whole buffer.

What it assumes: the update rule is element-wise. Each output element depends only on the
same element of the variable, its gradient and its slots (plus scalars such as the
learning rate and the step count); then one step over the concatenation gives exactly the
numbers of one step per variable. A rule that looks at a whole variable (a norm, a mean,
its shape or name, as LARS and LAMB do) gives other numbers on the concatenation. Also,
the per-variable state lives in lists indexed by `_get_variable_index` (as
`add_optimizer_variables` returns them), and updates write into `.data` in place.

What it checks, once, when the optimizer is first applied (`build_plan`):
- every method the flat update relies on (`ELEMENTWISE_HOOKS`: `build` creates the slot
  lists it regroups, `update_step` is the rule, `_backend_update_step` calls it,
  `_get_variable_index` finds the flat slots) is defined by a class that promises an
  element-wise rule by setting `_elementwise_update_step = True` in its own class body.
  The promise is read from the defining class's own `__dict__`, so a subclass that
  overrides one of these methods does not inherit it (a user's LARS subclass of SGD keeps
  per-variable updates), and none of them may be replaced on the instance;
- there are at least two variables, all of one dtype, averaging at most
  `Optimizer._FLAT_MAX_AVERAGE_SIZE` elements (above that, per-variable updates are faster:
  they skip copying the gradients into the flat buffer), and `Optimizer._FLAT_UPDATES` is
  true (tests set it to False to force the plain path).

And at every step (`current_plan`): the variables are exactly the ones the optimizer was
built with, in order, and each `.data` is still its view of the buffer (another optimizer
over the same variables may have re-pointed it: its values are copied back in).

What falls back: any failed check at build time means per-variable updates for the life
of the optimizer; a failed per-step check means per-variable updates for that step.

`apply_plain_step` goes one step further for the training loop's common case (no options
that change gradients or weights outside `update_step`): copy the gradients in, one
update, `iterations += 1`, with none of `apply`'s per-variable bookkeeping.
"""

import numpy as np

from minikeras.autodiff import Tensor, Variable
from minikeras.autodiff.function import set_grad_enabled
from minikeras.ops.allocator import aligned_empty

# The methods whose code the flat update depends on (see the module docstring).
ELEMENTWISE_HOOKS = ("build", "update_step", "_backend_update_step", "_get_variable_index")
# The general path's steps that `apply_plain_step` skips: it runs only while they are the
# base `Optimizer`'s own, or its base classes' (Nadam, for one, overrides
# `_backend_update_step`).
PLAIN_STEP_HOOKS = (
    "_backend_apply_gradients",
    "_backend_update_step",
    "_clip_gradients",
    "_apply_weight_decay",
)
# Per-variable lists of the base class that `update_step` does not index.
_NOT_SLOTS = (
    "_trainable_variables",
    "_variables",
    "_model_variables_moving_average",
    "_accumulated_gradients",
)


class FlatPlan:
    """The flat buffers of one optimizer.

    Attributes:
        gradient: the flat gradient buffer (numpy array).
        variable: a Variable (tracked nowhere) whose `.data` is the flat weight buffer.
        slices: per variable, its view of `gradient`, in the variable's shape.
        views: per variable, its view of the weight buffer (what `.data` should be).
        plain_step: whether `apply_plain_step` may run (no general-path step overridden).
    """

    __slots__ = ("gradient", "plain_step", "slices", "variable", "views")

    def __init__(self, gradient, variable, slices, views, plain_step):
        self.gradient = gradient
        self.variable = variable
        self.slices = slices
        self.views = views
        self.plain_step = plain_step


def _defining_class(cls, name):
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def promises_elementwise_update(cls):
    """Whether every method in `ELEMENTWISE_HOOKS` of class `cls` comes from a class that
    sets `_elementwise_update_step = True` in its own body."""
    return all(
        vars(_defining_class(cls, name)).get("_elementwise_update_step") is True
        for name in ELEMENTWISE_HOOKS
    )


def build_plan(optimizer):
    """Lays the optimizer's variables and slots out flat; returns a `FlatPlan`, or False
    (changing nothing) when the flat update must not be used for this optimizer."""
    # Imported here: `optimizer.py` imports this module.
    from minikeras.optimizers.optimizer import Optimizer

    variables = optimizer._trainable_variables
    cls = type(optimizer)
    if (
        not optimizer._FLAT_UPDATES
        or len(variables) < 2
        or not promises_elementwise_update(cls)
        or any(name in vars(optimizer) for name in ELEMENTWISE_HOOKS)
    ):
        return False
    dtype = variables[0].data.dtype
    total = sum(v.data.size for v in variables)
    if any(
        v.data.dtype != dtype for v in variables
    ) or total > optimizer._FLAT_MAX_AVERAGE_SIZE * len(variables):
        return False
    n = len(variables)
    # Every per-variable slot list that update_step indexes (velocities, momentums, ...).
    slot_lists = [
        value
        for key, value in vars(optimizer).items()
        if key not in _NOT_SLOTS
        and isinstance(value, list)
        and len(value) == n
        and all(
            isinstance(s, Variable) and s.data.shape == v.data.shape and s.data.dtype == dtype
            for s, v in zip(value, variables)
        )
    ]
    flat_variable = _flatten_into_views(variables, dtype, total)
    views = [v.data for v in variables]
    # The flat slots go at index n of each list: `_get_variable_index(flat_variable)`.
    for slots in slot_lists:
        slots.append(_flatten_into_views(slots, dtype, total))
    optimizer._trainable_variables_indices[id(flat_variable)] = n
    flat_gradient = aligned_empty(total, dtype)
    slices, offset = [], 0
    for v in variables:
        slices.append(flat_gradient[offset : offset + v.data.size].reshape(v.data.shape))
        offset += v.data.size
    plain_step = all(
        _defining_class(cls, name) is _defining_class(Optimizer, name) for name in PLAIN_STEP_HOOKS
    )
    return FlatPlan(flat_gradient, flat_variable, slices, views, plain_step)


def current_plan(optimizer, trainable_variables):
    """The optimizer's `FlatPlan` when one flat update applies to exactly
    `trainable_variables`, else None."""
    plan = vars(optimizer).get("_flat")
    if not plan:
        return None
    variables = optimizer._trainable_variables
    if len(trainable_variables) != len(variables) or any(
        a is not b for a, b in zip(trainable_variables, variables)
    ):
        return None
    # Another optimizer built over the same variables may have re-pointed their `.data`
    # to its own buffer: take the current values back into ours.
    for variable, view in zip(variables, plan.views):
        if variable.data is not view:
            view[...] = variable.data
            variable.data = view
    return plan


def update(optimizer, plan, grads, learning_rate):
    """One update of every variable of `plan` with `grads` (one array per variable)."""
    for gradient, piece in zip(grads, plan.slices):
        piece[...] = gradient
    optimizer.update_step(plan.gradient, plan.variable, learning_rate)


def apply_plain_step(optimizer, grads, trainable_variables):
    """`Optimizer.apply` in its plain case; returns False (having changed no state)
    outside it.

    The plain case: a flat plan whose general-path steps are not overridden, over exactly
    these variables, in order, none with a constraint or `overwrite_with_gradient`; dense
    gradients of their variables' dtype and shape; no loss scaling, accumulation,
    clipping, weight decay or EMA. All of it is checked at every step: options may change
    between steps.
    """
    plan = vars(optimizer).get("_flat")
    if (
        not plan
        or not plan.plain_step
        or optimizer.loss_scale_factor is not None
        or optimizer.gradient_accumulation_steps
        or optimizer.clipnorm
        or optimizer.clipvalue
        or optimizer.global_clipnorm
        or optimizer.weight_decay is not None
        or optimizer.use_ema
    ):
        return False
    variables = optimizer._trainable_variables
    if len(grads) != len(variables) or len(trainable_variables) != len(variables):
        return False
    arrays = []
    for gradient, variable, known, view, piece in zip(
        grads, trainable_variables, variables, plan.views, plan.slices
    ):
        array = gradient.data if isinstance(gradient, Tensor) else gradient
        if (
            variable is not known
            or variable.data is not view  # re-pointed: current_plan takes it back
            or variable.constraint is not None
            or variable.overwrite_with_gradient
            or type(array) is not np.ndarray
            or array.dtype is not piece.dtype
            or array.shape != piece.shape
        ):
            return False
        arrays.append(array)
    previous = set_grad_enabled(False)  # as `no_grad()`, for update steps using ops
    try:
        update(optimizer, plan, arrays, optimizer._current_learning_rate())
    finally:
        set_grad_enabled(previous)
    optimizer._increment_iterations()
    return True


def _flatten_into_views(variables, dtype, total):
    """Copies the variables into one flat buffer and makes each `.data` a view of it.

    Returns a Variable (not tracked anywhere) whose `.data` is the whole buffer.
    """
    flat = aligned_empty(total, dtype)
    offset = 0
    for variable in variables:
        size = variable.data.size
        view = flat[offset : offset + size].reshape(variable.data.shape)
        view[...] = variable.data
        variable.data = view
        offset += size
    holder = Variable(np.zeros(0, dtype), trainable=False, name="flat")
    holder.data = flat
    return holder
