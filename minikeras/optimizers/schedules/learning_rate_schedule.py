"""Learning-rate schedules (`keras.optimizers.schedules`).

A schedule is a callable `schedule(step) -> learning rate`. An optimizer given a schedule as
its `learning_rate` calls it with its `iterations` counter (the number of updates done so
far, so the first update sees step 0). The arithmetic runs on numpy scalars of `floatx()`
(float32), as Keras computes it, so the values match Keras to the last bit or so. The
package's `__init__.py` lists what is public.

Example:
    >>> from minikeras.optimizers import schedules
    >>> decay = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> float(decay(10))
    0.05000000074505806
"""

import math

import numpy as np

from minikeras import config
from minikeras.autodiff import to_array
from minikeras.optimizers._serialization import find_class, serialize_object


def _float_type():
    return np.dtype(config.floatx()).type


def _as_float(value, float_type):
    """A step (int, Tensor, Variable, array) or a hyperparameter as a float scalar."""
    return float_type(to_array(value))


def _check_decay_steps(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement `__call__(step)` (return the learning rate for an optimizer step,
    a scalar) and, to be saved with a model, `get_config()`.

    Example:
        >>> class InverseStep(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / (float(step) + 1.0)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Creates a schedule from the dict `get_config()` returned."""
        return cls(**config)


class _BuiltinSchedule(LearningRateSchedule):
    """A built-in schedule: its config is the attributes named in `_config_keys`, in order."""

    _config_keys = ()

    def get_config(self):
        return {key: getattr(self, key) for key in self._config_keys}


class _Decay(_BuiltinSchedule):
    """Shared by the schedules that decay from `initial_learning_rate` over `decay_steps`."""

    def __init__(self, initial_learning_rate, decay_steps, name):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.name = name
        _check_decay_steps("decay_steps", decay_steps)


class _StepDecay(_Decay):
    """Shared by the schedules driven by `step / decay_steps` (floored with `staircase`)."""

    _config_keys = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        super().__init__(initial_learning_rate, decay_steps, name)
        self.decay_rate = decay_rate
        self.staircase = staircase

    def _progress(self, step, f):
        p = _as_float(step, f) / f(self.decay_steps)
        return np.floor(p) if self.staircase else p


class ExponentialDecay(_StepDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps over which the rate is multiplied by
            `decay_rate` once.
        decay_rate: the multiplier.
        staircase: if True, `step / decay_steps` is floored, so the rate drops in steps.
        name: a name for the schedule.

    Example:
        >>> schedule = ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True)
        >>> [round(float(schedule(s)), 6) for s in range(4)]
        [0.1, 0.1, 0.05, 0.05]
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        f = _float_type()
        p = self._progress(step, f)
        return f(self.initial_learning_rate) * f(self.decay_rate) ** p


class PiecewiseConstantDecay(_BuiltinSchedule):
    """A constant rate per interval of steps.

    The rate is `values[0]` while `step <= boundaries[0]`, `values[1]` while
    `boundaries[0] < step <= boundaries[1]`, ..., and `values[-1]` after the last boundary.

    Args:
        boundaries: strictly increasing step numbers.
        values: one more value than there are boundaries.
        name: a name for the schedule.

    Example:
        >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> float(schedule(150))
        0.5
    """

    _config_keys = ("boundaries", "values", "name")

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = to_array(step)
        # Boundaries take the step's type, as in Keras (a float boundary truncates when
        # the step is an integer).
        boundaries = [to_array(b).astype(step.dtype) for b in self.boundaries]
        result_type = to_array(self.values[0]).dtype.type
        values = [result_type(v) for v in self.values]
        # Sum of indicator * value, the way Keras writes it, rather than a search: for
        # increasing boundaries exactly one indicator is 1.
        result = result_type(step <= boundaries[0]) * values[0]
        result += result_type(step > boundaries[-1]) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            result += result_type((step > low) & (step <= high)) * value
        return result_type(result)


class PolynomialDecay(_Decay):
    """Decays from `initial_learning_rate` to `end_learning_rate` along `(1 - t) ** power`.

    `t = min(step, decay_steps) / decay_steps`; with `cycle=True` the decay restarts,
    with `decay_steps` stretched to the first multiple of `decay_steps` above `step`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps to reach `end_learning_rate`.
        end_learning_rate: the final rate (default 1e-4).
        power: the exponent of the polynomial (1.0 is a straight line).
        cycle: whether to restart after `decay_steps`.
        name: a name for the schedule.

    Example:
        >>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01)
        >>> round(float(schedule(5)), 6)   # halfway
        0.055
    """

    _config_keys = (
        "initial_learning_rate",
        "decay_steps",
        "end_learning_rate",
        "power",
        "cycle",
        "name",
    )

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, name)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle

    def __call__(self, step):
        f = _float_type()
        initial = f(self.initial_learning_rate)
        end = f(self.end_learning_rate)
        step = _as_float(step, f)
        decay_steps = f(self.decay_steps)
        if self.cycle:
            multiplier = f(1.0) if step == 0 else np.ceil(step / decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return (initial - end) * (1 - p) ** f(self.power) + end


class InverseTimeDecay(_StepDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive step scale.
        decay_rate: how fast the rate falls.
        staircase: if True, `step / decay_steps` is floored.
        name: a name for the schedule.

    Example:
        >>> float(InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2))   # 0.1 / 2
        0.05000000074505806
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        f = _float_type()
        p = self._progress(step, f)
        return f(self.initial_learning_rate) / (f(1) + f(self.decay_rate) * p)


class CosineDecay(_Decay):
    """Cosine decay, optionally after a linear warmup.

    Without `warmup_target`: the rate goes from `initial_learning_rate` to
    `initial_learning_rate * alpha` along half a cosine over `decay_steps`, then stays.
    With `warmup_target`: it first rises linearly from `initial_learning_rate` to
    `warmup_target` over `warmup_steps`, then decays from `warmup_target` the same way.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of decay steps.
        alpha: the final rate as a fraction of the rate the decay starts from.
        name: a name for the schedule.
        warmup_target: the rate reached at the end of warmup (None: no warmup).
        warmup_steps: number of warmup steps.

    Example:
        >>> schedule = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
        >>> float(schedule(5))   # halfway through warmup
        0.05000000074505806
    """

    _config_keys = (
        "initial_learning_rate",
        "decay_steps",
        "alpha",
        "name",
        "warmup_target",
        "warmup_steps",
    )

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        super().__init__(initial_learning_rate, decay_steps, name)
        self.alpha = alpha
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay_function(self, step, decay_steps, decay_from, f):
        completed_fraction = step / decay_steps
        cosine_decayed = 0.5 * (1.0 + np.cos(f(math.pi) * completed_fraction))
        decayed = (1 - self.alpha) * cosine_decayed + self.alpha
        return decay_from * decayed

    def __call__(self, step):
        f = _float_type()
        initial = f(self.initial_learning_rate)
        decay_steps = f(self.decay_steps)
        step = _as_float(step, f)
        if self.warmup_target is None:
            return f(self._decay_function(min(step, decay_steps), decay_steps, initial, f))
        warmup_target = f(self.warmup_target)
        warmup_steps = f(self.warmup_steps)
        step = min(step, decay_steps + warmup_steps)
        if step < warmup_steps:
            return (warmup_target - initial) * (step / warmup_steps) + initial
        return f(self._decay_function(step - warmup_steps, decay_steps, warmup_target, f))


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The rate decays along half a cosine from `initial_learning_rate` to
    `initial_learning_rate * alpha` over `first_decay_steps`, then restarts; each period
    is `t_mul` times longer than the previous one and starts `m_mul` times lower.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: positive length of the first period.
        t_mul: growth of the period length at each restart.
        m_mul: factor on the starting rate at each restart.
        alpha: the lowest rate as a fraction of `initial_learning_rate`.
        name: a name for the schedule.

    Example:
        >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=1.0)
        >>> float(schedule(10)) == float(schedule(0))   # restarted
        True
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps("first_decay_steps", first_decay_steps)

    def __call__(self, step):
        f = _float_type()
        initial = f(self.initial_learning_rate)
        alpha = f(self.alpha)
        t_mul = f(self._t_mul)
        m_mul = f(self._m_mul)
        completed_fraction = _as_float(step, f) / f(self.first_decay_steps)
        if t_mul == 1.0:
            restarts = np.floor(completed_fraction)
            completed_fraction = completed_fraction - restarts
        else:
            # Periods grow geometrically: solve sum_{k<i} t_mul**k <= fraction for i.
            restarts = np.floor(np.log(1.0 - completed_fraction * (1.0 - t_mul)) / np.log(t_mul))
            elapsed = (1.0 - t_mul**restarts) / (1.0 - t_mul)
            completed_fraction = (completed_fraction - elapsed) / t_mul**restarts
        m_factor = m_mul**restarts
        cosine_decayed = 0.5 * m_factor * (1.0 + np.cos(f(math.pi) * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return f(initial * decayed)

    def get_config(self):
        # `t_mul` and `m_mul` live in private attributes, as in Keras.
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILTIN_SCHEDULES = (
    ExponentialDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    InverseTimeDecay,
    CosineDecay,
    CosineDecayRestarts,
)


def serialize(learning_rate_schedule):
    """Returns the Keras-style config dict of a schedule.

    Example:
        >>> serialize(ExponentialDecay(0.1, 10, 0.9))["class_name"]
        'ExponentialDecay'
    """
    return serialize_object(
        learning_rate_schedule, "keras.optimizers.schedules", _BUILTIN_SCHEDULES
    )


def deserialize(config, custom_objects=None):
    """Creates a schedule from the dict `serialize` returned.

    Args:
        config: `{"class_name": ..., "config": {...}}` (the `module` and
            `registered_name` keys Keras writes are accepted).
        custom_objects: dict of your own schedule classes by name.
    """
    cls = find_class(config, "learning rate schedule", _BUILTIN_SCHEDULES, custom_objects)
    return cls.from_config(dict(config.get("config", {})))
