"""Learning-rate schedules (`keras.optimizers.schedules`): pass one as an optimizer's
`learning_rate` to change the rate as training goes.

Example:
    >>> from minikeras import optimizers
    >>> schedule = optimizers.schedules.CosineDecay(0.1, decay_steps=1000)
    >>> optimizer = optimizers.SGD(learning_rate=schedule)
"""

from minikeras.optimizers.schedules.learning_rate_schedule import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
    deserialize,
    serialize,
)

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]
