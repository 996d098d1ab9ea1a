"""`Optimizer`: the base class every optimizer builds on (Keras 3's `BaseOptimizer`).

One call of `apply(grads, variables)` does, in Keras's order:

1. build the optimizer on the first call (create its per-variable state);
2. drop the variables whose gradient is None (with a warning);
3. divide the gradients by `loss_scale_factor`, if set;
4. with `gradient_accumulation_steps=n`: add the gradients to accumulators and only
   update on every n-th call, with their mean;
5. clip the gradients (`clipnorm`, `global_clipnorm` or `clipvalue`);
6. decoupled weight decay: `w -= w * weight_decay * learning_rate`;
7. `update_step(gradient, variable, learning_rate)` for each variable (the subclass's rule);
8. update the moving averages of the weights (`use_ema`);
9. apply each variable's `constraint`;
10. `iterations += 1`.

Step 7 has a fast path for the built-in optimizers, whose update rules are element-wise:
many small variables are updated as one flat array, with the same numbers (see
`_flat.py`, which says what it assumes, what it checks and when it falls back). In the
plain case (no None gradients, none of steps 3-6 and 8-9), `apply` takes a shorter path
to the same result (`_flat.apply_plain_step`): the training loop calls it on every batch.

The learning rate is a float32 variable or a schedule evaluated at `iterations` (before the
increment). Updates write into `variable.data` in place: the built-in rules use numpy's
`out=` arguments and scratch arrays shared by all variables, so a step allocates no
full-size temporaries.
"""

import functools
import inspect
import numbers
import re
import warnings

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor, Variable, no_grad
from minikeras.optimizers import _flat
from minikeras.optimizers.schedules import learning_rate_schedule
from minikeras.utils import naming

__all__ = ["Optimizer"]


def _initial_value(initializer, shape, dtype):
    if isinstance(initializer, str):
        if initializer == "zeros":
            return np.zeros(shape, dtype)
        if initializer == "ones":
            return np.ones(shape, dtype)
        raise ValueError(
            f"Unknown optimizer variable initializer {initializer!r}. Expected 'zeros', "
            "'ones', a number or a callable initializer(shape, dtype)."
        )
    if isinstance(initializer, numbers.Number):
        return np.full(shape, initializer, dtype)
    if callable(initializer):
        return initializer(shape, dtype=dtype.name)
    return np.broadcast_to(np.asarray(initializer, dtype), shape)


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


def _is_number(value):
    if isinstance(value, (bool, str)):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


class Optimizer:
    """Base class of optimizers.

    To write your own, subclass it and override `build(variables)` (call `super().build`
    first, then create per-variable state with `add_variable_from_reference`),
    `update_step(gradient, variable, learning_rate)` and `get_config()`. Your
    `update_step` is called once per variable, so it may use a variable's norm or shape;
    only a rule that is element-wise may opt in to the flat update of many variables at
    once, by setting `_elementwise_update_step = True` in its class body (see `_flat.py`).

    Args:
        learning_rate: a float (ints are accepted too), a `LearningRateSchedule`, or a
            callable with no arguments returning the rate.
        weight_decay: if set, decoupled weight decay `w -= w * weight_decay * lr`
            before each update (see `exclude_from_weight_decay`).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to `[-clipvalue, clipvalue]`.
        global_clipnorm: clip all gradients together to this global L2 norm. At most
            one of the three clipping options may be set.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: `average = m * average + (1 - m) * weight` (m = 0 on the first step).
        ema_overwrite_frequency: every this many steps, copy the averages into the
            weights; None: only `finalize_variable_values` does.
        loss_scale_factor: `scale_loss` multiplies the loss by it and `apply` divides the
            gradients by it.
        gradient_accumulation_steps: update only every this many calls (an int >= 2),
            with the mean of the gradients received since the last update.
        name: a name (default: the snake-cased class name, made unique).

    Example:
        >>> import numpy as np, minikeras as keras
        >>> w = keras.Variable(np.ones(3, "float32"), name="w")
        >>> opt = keras.optimizers.SGD(learning_rate=0.1)
        >>> opt.apply([np.ones(3, "float32")], [w])
        >>> w.numpy()
        array([0.9, 0.9, 0.9], dtype=float32)
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        self._variables = []
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=2
            )
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.name = name if name is not None else naming.auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.built = False
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        # Scratch space: per dtype, flat arrays as large as the largest variable, viewed
        # in each variable's shape (see `_scratch`).
        self._scratch_pool = {}
        self._scratch_views = {}
        self._gradient_buffers = {}

        # The step counter is int64 (Keras uses int64 on TensorFlow, int32 on JAX).
        self._iterations = self._make_variable(np.zeros((), np.int64), "iteration")
        if isinstance(learning_rate, learning_rate_schedule.LearningRateSchedule) or callable(
            learning_rate
        ):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = self._make_variable(
                self._learning_rate_array(learning_rate), "learning_rate"
            )

    # -- state ----------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if name != "_variables" and "_variables" not in self.__dict__:
            raise RuntimeError(
                f"In optimizer '{type(self).__name__}', you forgot to call "
                "`super().__init__()` as the first statement in the `__init__()` method."
            )
        # Variables assigned as attributes are optimizer state too (as in Keras).
        if isinstance(value, Variable):
            self._track_variable(value)
        object.__setattr__(self, name, value)

    def _make_variable(self, value, name):
        variable = Variable(value, dtype=value.dtype, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        return variable

    def _track_variable(self, variable):
        if not any(v is variable for v in self._variables):
            self._variables.append(variable)

    def _untrack_variable(self, variable):
        self._variables = [v for v in self._variables if v is not variable]

    @property
    def variables(self):
        """All optimizer variables: `iteration`, `learning_rate`, then the per-variable
        state in creation order (the order `.weights.h5` files store them in)."""
        return self._variables[:]

    @property
    def iterations(self):
        """The number of updates applied (a variable; divided by
        `gradient_accumulation_steps` when accumulating)."""
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.data // self.gradient_accumulation_steps)
        return self._iterations

    def _iteration_count(self):
        """`iterations` as a Python int (what Adam's bias correction counts)."""
        count = int(self._iterations.data)
        if self.gradient_accumulation_steps:
            count //= self.gradient_accumulation_steps
        return count

    def build(self, variables):
        """Creates the optimizer's state for `variables` (called by the first `apply`).

        Subclasses call `super().build(variables)` first, then create their slots.
        """
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average"
            )
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = []
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[id(variable)] = i
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(
                    self.add_variable_from_reference(variable, name="gradient_accumulator")
                )
        self._trainable_variables = variables[:]
        self.built = True

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(variable)]

    def add_variable(
        self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None
    ):
        """Creates a non-trainable optimizer variable and tracks it.

        Args:
            shape: its shape.
            initializer: "zeros", "ones", a number, or a callable `initializer(shape, dtype)`.
            dtype: defaults to `floatx()`.
            name: its name (the path is `<optimizer name>/<name>`).
        """
        dtype = np.dtype(dtype or config.floatx())
        value = np.asarray(_initial_value(initializer, tuple(shape), dtype), dtype)
        variable = self._make_variable(value, name or "variable")
        self._track_variable(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Creates an optimizer variable shaped like `reference_variable`.

        It is named `<reference path with / replaced by _>_<name>`, e.g.
        `dense_kernel_momentum`, as in Keras.
        """
        prefix = getattr(reference_variable, "path", None) or reference_variable.name
        return self.add_variable(
            shape=reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{prefix.replace('/', '_').replace(':', '_')}_{name or 'var'}",
        )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Creates one optimizer variable per trainable variable and name.

        Args:
            trainable_variables: the model variables.
            name: a name, or a list of names (the variables are then created interleaved:
                for each model variable, one per name, as Keras orders them).
            initializer: an initializer, or one per name.

        Returns:
            A list of variables for one name; a tuple of lists for a list of names.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(initializer, (list, tuple)):
            initializers = list(initializer)
        else:
            initializers = [initializer] * len(names)
        if len(names) != len(initializers):
            raise ValueError(
                "The number of provided names must match the number of provided "
                f"initializers. Received name='{name}', initializer='{initializer}'"
            )
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, (slot_name, slot_initializer) in enumerate(zip(names, initializers)):
                slots[i].append(
                    self.add_variable_from_reference(
                        variable, name=slot_name, initializer=slot_initializer
                    )
                )
        return slots[0] if isinstance(name, str) else slots

    def _scratch(self, variable, count):
        """Returns `count` scratch arrays shaped like `variable`.

        They are views of flat buffers shared by all variables of a dtype (variables are
        updated one at a time), so update steps need no temporaries of their own. Their
        contents are undefined on entry and belong to the caller until it returns.
        """
        views = self._scratch_views.get(id(variable))
        if views is not None and len(views) >= count:
            return views
        array = variable.data
        size = max(
            [array.size]
            + [v.data.size for v in self._trainable_variables if v.data.dtype == array.dtype]
        )
        pool = self._scratch_pool.setdefault(array.dtype, [])
        if any(buffer.size < size for buffer in pool):
            # A larger variable than any seen: start over with bigger buffers.
            pool.clear()
            self._scratch_views.clear()
        while len(pool) < count:
            pool.append(np.empty(size, array.dtype))
        views = [buffer[: array.size].reshape(array.shape) for buffer in pool]
        self._scratch_views[id(variable)] = views
        return views

    def _gradient_buffer(self, variable):
        """A persistent per-variable array that processed gradients are written into."""
        buffer = self._gradient_buffers.get(id(variable))
        if buffer is None:
            buffer = np.empty_like(variable.data)
            self._gradient_buffers[id(variable)] = buffer
        return buffer

    # -- learning rate --------------------------------------------------------------------
    @staticmethod
    def _learning_rate_array(learning_rate):
        if isinstance(learning_rate, Tensor):
            learning_rate = learning_rate.data
        if not _is_number(learning_rate):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of "
                "LearningRateSchedule, or a callable (that takes in the current iteration "
                "value and returns the corresponding learning rate value). Received "
                f"instead: learning_rate={learning_rate}"
            )
        return np.asarray(learning_rate, dtype=config.floatx()).reshape(())

    @property
    def learning_rate(self):
        """The current learning rate: the float32 variable, or the schedule's value at
        `iterations` (as a Tensor). Assign a number or a schedule to change it."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return Tensor(self._current_learning_rate())

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, learning_rate_schedule.LearningRateSchedule) or callable(
            learning_rate
        ):
            self._learning_rate = learning_rate
            if previous is not None:
                self._untrack_variable(previous)
        elif previous is None:
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` (or a callable) as "
                "its `learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument."
            )
        else:
            previous.assign(self._learning_rate_array(learning_rate))

    def _current_learning_rate(self):
        """The learning rate for this step as a numpy scalar of `floatx()`."""
        learning_rate = self._learning_rate
        if isinstance(learning_rate, Variable):
            return learning_rate.data[()]
        if isinstance(learning_rate, learning_rate_schedule.LearningRateSchedule):
            value = learning_rate(self._iterations)
        else:
            value = learning_rate()
        if isinstance(value, Tensor):
            value = value.data
        return np.asarray(value, dtype=config.floatx())[()]

    # -- applying gradients ---------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """`apply` for a list of `(gradient, variable)` pairs; returns `iterations`."""
        grads, trainable_variables = zip(*grads_and_vars)
        self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates the variables with their gradients (one optimizer step).

        Args:
            grads: one gradient per variable (Tensors or numpy arrays; None to skip one).
            trainable_variables: the variables; may be omitted once the optimizer is built,
                then the gradients follow the order of the variables it was built with.
        """
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is not None:
            trainable_variables = list(trainable_variables)
            # The training loop's step, in as few Python calls as possible (see below).
            if self._apply_plain_flat_step(grads, trainable_variables):
                return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must "
                    f"match the variables one-to-one. Received {len(grads)} gradients, but "
                    f"the optimizer is tracking {len(self._trainable_variables)} trainable "
                    "variables."
                )
            trainable_variables = self._trainable_variables
        else:
            if len(grads) != len(trainable_variables):
                raise ValueError(
                    f"Received {len(grads)} gradients for {len(trainable_variables)} variables."
                )
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)

        if "_flat" not in self.__dict__:
            # Before any state array is read: this may turn `.data` arrays into views.
            self._flat = _flat.build_plan(self)
        with no_grad():
            grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
            grads = [self._gradient_array(g, v) for g, v in zip(grads, trainable_variables)]
            if self.loss_scale_factor is not None:
                # x / scale computed as x * (1 / scale), as XLA compiles Keras's `g / scale`.
                grads = [
                    np.multiply(
                        g,
                        g.dtype.type(1) / g.dtype.type(self.loss_scale_factor),
                        out=self._gradient_buffer(v),
                    )
                    for g, v in zip(grads, trainable_variables)
                ]
            self._backend_apply_gradients(grads, trainable_variables)
            for variable in trainable_variables:
                if variable.constraint is not None:
                    variable.assign(variable.constraint(variable))
        self._increment_iterations()

    # The training loop's step when nothing but the update itself is to be done (a method,
    # so that tests can switch it off on one optimizer).
    _apply_plain_flat_step = _flat.apply_plain_step

    def _increment_iterations(self):
        count = self._iterations.data
        # In place, through a Python int: `count += 1` costs ten times more (a ufunc call).
        count[()] = int(count) + 1

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {getattr(v, 'path', v)!r}. This optimizer can only be "
                    "called for the variables it was originally built with. When working with "
                    "a new set of variables, you should recreate a new optimizer instance."
                )

    def _filter_empty_gradients(self, grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if len(kept) < len(grads):
            missing = [v.path for g, v in zip(grads, variables) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
            return [g for g, _ in kept], [v for _, v in kept]
        return grads, variables

    @staticmethod
    def _gradient_array(gradient, variable):
        """The gradient as a numpy array of the variable's dtype (no copy when it is one)."""
        array = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if array.dtype != variable.data.dtype:
            array = array.astype(variable.data.dtype)
        if array.shape != variable.data.shape:
            raise ValueError(
                f"Gradient of shape {array.shape} does not match variable "
                f"{variable.path!r} of shape {variable.data.shape}."
            )
        return array

    def _backend_apply_gradients(self, grads, trainable_variables):
        """Accumulation, clipping, weight decay, the update steps, then the EMA."""
        learning_rate = self._current_learning_rate()
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [
                self._accumulated_gradients[self._get_variable_index(v)].data
                for v in trainable_variables
            ]
            if (int(self._iterations.data) + 1) % steps == 0:
                mean_grads = []
                for g, accumulator, v in zip(grads, accumulators, trainable_variables):
                    mean = np.add(g, accumulator, out=self._gradient_buffer(v))
                    mean *= mean.dtype.type(1) / mean.dtype.type(steps)
                    mean_grads.append(mean)
                grads = self._clipped(mean_grads, trainable_variables)
                self._apply_weight_decay(trainable_variables, learning_rate)
                self._backend_update_step(grads, trainable_variables, learning_rate)
                for accumulator in accumulators:
                    accumulator.fill(0)
            else:
                for g, accumulator in zip(grads, accumulators):
                    accumulator += g
        else:
            grads = self._clipped(grads, trainable_variables)
            self._apply_weight_decay(trainable_variables, learning_rate)
            self._backend_update_step(grads, trainable_variables, learning_rate)

        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            frequency = self.ema_overwrite_frequency
            if frequency and (self._iteration_count() + 1) % frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        plan = _flat.current_plan(self, trainable_variables)
        if plan is not None:
            # Many small variables: one update over all of them (see _flat.py).
            _flat.update(self, plan, grads, learning_rate)
            return
        for gradient, variable in zip(grads, trainable_variables):
            self.update_step(gradient, variable, learning_rate)

    # The flat update (see _flat.py) runs only for classes that set this in their own body:
    # a promise that `update_step` (and the other methods _flat.ELEMENTWISE_HOOKS lists)
    # is element-wise. Subclasses do not inherit it for the methods they override. Here it
    # covers the base class's `build`, `_backend_update_step` and `_get_variable_index`.
    _elementwise_update_step = True
    # Off: always update variable by variable (tests use it to compare both paths).
    _FLAT_UPDATES = True
    # Above this average size per variable, per-variable updates are faster.
    _FLAT_MAX_AVERAGE_SIZE = 20_000

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable in place (override in subclasses).

        Args:
            gradient: a numpy array of the variable's shape and dtype (read-only: it may
                be the caller's array).
            variable: the `Variable`; write the new values into `variable.data`.
            learning_rate: the learning rate for this step, a numpy float scalar.
        """
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement `update_step`."
        )

    def _clipped(self, grads, variables):
        """`_clip_gradients` as `apply` runs it: the built-in one writes into per-variable
        buffers; an override is called as Keras calls it, `(grads)`, unless it also takes
        the variables."""
        method = type(self)._clip_gradients
        if method is Optimizer._clip_gradients:
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

    # -- weight decay ---------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay (call it before the first `apply`).

        Args:
            var_list: variables to exclude.
            var_names: strings; a variable whose name contains one of them is excluded
                (e.g. `["bias"]`).
        """
        self._exclude_from_weight_decay = {id(v) for v in var_list or ()}
        if var_names:
            self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names)))
        else:
            self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable):
        cache = self.__dict__.setdefault("_exclude_from_weight_decay_cache", {})
        key = id(variable)
        if key not in cache:
            excluded = key in getattr(self, "_exclude_from_weight_decay", ())
            pattern = getattr(self, "_exclude_from_weight_decay_pattern", None)
            if pattern is not None and pattern.search(variable.name) is not None:
                excluded = True
            cache[key] = not excluded
        return cache[key]

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        for variable in variables:
            if self._use_weight_decay(variable):
                float_type = variable.data.dtype.type
                (decay,) = self._scratch(variable, 1)[:1]
                np.multiply(variable.data, float_type(self.weight_decay), out=decay)
                decay *= float_type(learning_rate)
                variable.data -= decay

    # -- moving average of the weights ----------------------------------------------------
    def _update_model_variables_moving_average(self, trainable_variables):
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            float_type = variable.data.dtype.type
            # The first step copies the weights: momentum 0.
            momentum = float_type(self.ema_momentum if self._iteration_count() != 0 else 0)
            (scratch,) = self._scratch(variable, 1)[:1]
            average.data *= momentum
            np.multiply(variable.data, 1 - momentum, out=scratch)
            average.data += scratch

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override "
                "does not match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the "
                "optimizer was called on your model."
            )
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            variable.assign(average)

    def finalize_variable_values(self, var_list):
        """Ends training: with `use_ema`, copies the moving averages into the variables."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    # -- helpers for subclasses written with ops ------------------------------------------
    def assign(self, variable, value):
        """`variable.assign(value)` (for update steps written with `ops`, as in Keras)."""
        variable.assign(value)

    def assign_add(self, variable, value):
        """`variable.assign_add(value)`."""
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        """`variable.assign_sub(value)`."""
        variable.assign_sub(value)

    def scale_loss(self, loss):
        """Multiplies the loss by `loss_scale_factor` (if set) before differentiation."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -- saving ---------------------------------------------------------------------------
    def set_weights(self, weights):
        """Sets the optimizer variables from a list of arrays (in `variables` order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {variable.shape} not "
                    f"compatible with provided weight shape {np.shape(weight)}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Writes the variables into `store` under keys "0", "1", ... (Keras's layout)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads the variables back from `store`; warns and skips on a count mismatch."""
        if len(store.keys()) != len(self.variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if len(self.variables) == 0:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    # -- config ---------------------------------------------------------------------------
    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict (Keras's keys)."""
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            learning_rate = learning_rate_schedule.serialize(self._learning_rate)
        elif isinstance(self._learning_rate, Variable):
            learning_rate = float(self._learning_rate.data)
        else:
            # A plain callable cannot be written to JSON: record its current value.
            learning_rate = float(self._current_learning_rate())
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer (without its state) from `get_config()`'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = learning_rate_schedule.deserialize(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
