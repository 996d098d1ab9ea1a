"""Losses (`keras.losses`): functions giving one value per sample, and `Loss` classes that
add sample weighting and a reduction.

Example:
    >>> from minikeras import losses
    >>> losses.get("mse") is losses.mean_squared_error
    True
    >>> float(losses.MeanSquaredError()([[0.0, 2.0]], [[1.0, 2.0]]))
    0.5

Strings accepted by `get`: the class names ("MeanSquaredError", ...), the function names
("mean_squared_error", ...), the aliases mse, mae, mape, msle, kld, bce (and their upper-case
forms), and "crossentropy"/"ce". For the last two, `get` returns the function `crossentropy`,
which picks binary, sparse or categorical cross-entropy from the shapes of each batch with
the same rule `compile` uses (Keras resolves these two names only inside `compile`).
"""

from minikeras.losses import serialization as _serialization
from minikeras.losses.loss import (
    Loss,
    Reduction,
    get_keras_mask,
    reduce_values,
    reduce_weighted_values,
    set_keras_mask,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from minikeras.losses.losses import (
    CTC,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    CategoricalHinge,
    Circle,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    categorical_hinge,
    circle,
    cosine_similarity,
    ctc,
    dice,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    tversky,
)
from minikeras.utils.suggestions import did_you_mean

# Keras 2 spellings that Keras 3 still exports as aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh


def _shape(value):
    return tuple(getattr(value, "shape", ()))


def crossentropy(y_true, y_pred):
    """Cross-entropy of the kind the shapes call for (what "crossentropy"/"ce" resolve to).

    `y_pred` with last dimension 1 -> `binary_crossentropy`; integer-label-shaped `y_true`
    (lower rank than `y_pred`, or last dimension 1 against several classes) ->
    `sparse_categorical_crossentropy`; otherwise `categorical_crossentropy`. Probabilities
    are expected (use a Loss class with `from_logits=True` for logits).
    """
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    if pred_shape and pred_shape[-1] == 1:
        return binary_crossentropy(y_true, y_pred)
    if len(true_shape) < len(pred_shape) or (
        true_shape and true_shape[-1] == 1 and pred_shape and pred_shape[-1] > 1
    ):
        return sparse_categorical_crossentropy(y_true, y_pred)
    return categorical_crossentropy(y_true, y_pred)


_CLASSES = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Dice,
    Tversky,
    Circle,
    CTC,
)
_FUNCTIONS = (
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    dice,
    tversky,
    circle,
    ctc,
)

ALL_OBJECTS = (*_CLASSES, *_FUNCTIONS)
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    _serialization.short_names(
        bce=binary_crossentropy,
        kld=kl_divergence,
        mae=mean_absolute_error,
        mse=mean_squared_error,
        mape=mean_absolute_percentage_error,
        msle=mean_squared_logarithmic_error,
    )
)
# Accepted by `get` only: resolved per batch from the shapes.
_GET_ONLY = {"crossentropy": crossentropy, "ce": crossentropy}

__all__ = [
    "CTC",
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "Reduction",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "crossentropy",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "get_keras_mask",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_values",
    "reduce_weighted_values",
    "serialize",
    "set_keras_mask",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
    "tversky",
]


def serialize(loss):
    """Returns the Keras config dict of a loss function or `Loss` object (None stays None).

    Example:
        >>> serialize(mean_squared_error)["config"]
        'mean_squared_error'
    """
    return _serialization.serialize_object(loss, "keras.losses", ALL_OBJECTS_DICT, "loss")


def deserialize(name, custom_objects=None):
    """Returns the loss function or a new `Loss` object for a name or a config dict.

    Args:
        name: a loss name or the output of `serialize`.
        custom_objects: dict of your own loss classes/functions by name.
    """
    if isinstance(name, str) and name in _GET_ONLY:
        if not (custom_objects and name in custom_objects):
            return _GET_ONLY[name]
    return _serialization.deserialize_object(name, ALL_OBJECTS_DICT, custom_objects, "loss")


def get(identifier):
    """Returns a loss function or `Loss` object for `identifier`.

    Args:
        identifier: None (returns None), a name, a config dict, a `Loss` instance or class
            (instantiated), or any callable `fn(y_true, y_pred)`.

    Raises:
        ValueError: for an unknown name (listing the valid ones) or an object that is not
            callable.

    Example:
        >>> get("mse") is mean_squared_error
        True
        >>> type(get("CategoricalCrossentropy")).__name__
        'CategoricalCrossentropy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier in _GET_ONLY:
            return _GET_ONLY[identifier]
        if identifier not in ALL_OBJECTS_DICT:
            valid = sorted([*ALL_OBJECTS_DICT, *_GET_ONLY])
            raise ValueError(
                f"Could not interpret loss identifier: {identifier!r}."
                f"{did_you_mean(identifier, valid)} Valid names are {valid}."
            )
        found = ALL_OBJECTS_DICT[identifier]
    elif isinstance(identifier, dict):
        found = deserialize(identifier)
    else:
        found = identifier
    if isinstance(found, type):
        found = found()
    if not callable(found):
        raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
    return found
