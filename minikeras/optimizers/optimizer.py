"""`Optimizer`: the base class every optimizer builds on (Keras 3's `BaseOptimizer`).

One call of `apply(grads, variables)` does, in Keras's order (where each step lives in
brackets; the base classes of `Optimizer` sit in modules of this package):

1. build the optimizer on the first call: `build` creates its per-variable state with
   `add_optimizer_variables` (`_variables.py`);
2. drop the variables whose gradient is None, with a warning, and set the variables with
   `overwrite_with_gradient` to their gradient, then drop them too (`_gradients.py`);
3. divide the gradients by `loss_scale_factor`, if set (`apply`);
4. with `gradient_accumulation_steps=n`: add the gradients to accumulators and only
   update on every n-th call, with their mean (`_backend_apply_gradients`);
5. clip the gradients: `clipnorm`, `global_clipnorm` or `clipvalue` (`_clipping.py`);
6. decoupled weight decay: `w -= w * weight_decay * learning_rate` (`_weight_decay.py`);
7. `update_step(gradient, variable, learning_rate)` for each variable: the subclass's
   rule (`_backend_update_step`);
8. update the moving averages of the weights, with `use_ema` (`_moving_average.py`);
9. apply each variable's `constraint` (`apply`);
10. `iterations += 1` (`_increment_iterations`).

Step 7 has a fast path for the built-in optimizers, whose update rules are element-wise:
many small variables are updated as one flat array, with the same numbers (see
`_flat.py`, which says what it assumes, what it checks and when it falls back). In the
plain case (no None gradients, none of steps 3-6 and 8-9), `apply` takes a shorter path
to the same result (`_flat.apply_plain_step`): the training loop calls it on every batch.

The learning rate is a float32 variable or a schedule evaluated at `iterations` (before the
increment). Updates write into `variable.data` in place: the built-in rules use numpy's
`out=` arguments and scratch arrays shared by all variables (`_buffers.py`), so a step
allocates no full-size temporaries. Saving, loading and `get_config` are in `_saving.py`.
"""

import warnings

import numpy as np

from minikeras import config
from minikeras.autodiff import Tensor, Variable, no_grad
from minikeras.optimizers import _flat
from minikeras.optimizers._buffers import ScratchBuffers
from minikeras.optimizers._clipping import GradientClipping, check_clipping_options
from minikeras.optimizers._gradients import GradientChecks
from minikeras.optimizers._moving_average import MovingAverage, check_ema_options
from minikeras.optimizers._saving import SavingAndConfig
from minikeras.optimizers._variables import OptimizerVariables
from minikeras.optimizers._weight_decay import WeightDecay
from minikeras.optimizers.schedules import learning_rate_schedule
from minikeras.utils import naming

__all__ = ["Optimizer"]


def _is_number(value):
    if isinstance(value, (bool, str)):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


class Optimizer(
    OptimizerVariables,
    GradientChecks,
    GradientClipping,
    WeightDecay,
    MovingAverage,
    ScratchBuffers,
    SavingAndConfig,
):
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
        check_ema_options(use_ema, ema_momentum, ema_overwrite_frequency)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        check_clipping_options(clipnorm, clipvalue, global_clipnorm)
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
        """Updates the variables with their gradients (one optimizer step): steps 1-3 and
        9-10 of the module docstring here, 4-8 in `_backend_apply_gradients`.

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
            grads, trainable_variables = self._overwrite_variables_directly_with_gradients(
                grads, trainable_variables
            )
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
            if grads:
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

    def _backend_apply_gradients(self, grads, trainable_variables):
        """Steps 4-8 of `apply`: accumulation, clipping, weight decay, the update steps,
        then the EMA."""
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

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
