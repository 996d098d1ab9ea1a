"""Metrics (`keras.metrics`): stateful objects that accumulate a value over batches.

Example:
    >>> from minikeras import metrics
    >>> m = metrics.BinaryAccuracy()
    >>> m.update_state([[1], [0]], [[0.8], [0.3]])
    >>> float(m.result())
    1.0
    >>> m.reset_state()

Strings accepted by `get` (as in Keras): class names ("AUC", "Precision", ...), their
snake_case forms ("auc", "precision", "binary_accuracy", "mean_squared_error",
"top_k_categorical_accuracy", ...) and the aliases mse, mae, mape, msle, bce; `get` returns a
new metric object. "accuracy" gives `Accuracy` (exact equality); `compile` instead resolves
"accuracy"/"acc" to Binary/Sparse/Categorical accuracy by shapes.
"""

from minikeras.losses import serialization as _serialization
from minikeras.losses.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
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
)
from minikeras.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from minikeras.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from minikeras.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from minikeras.metrics.f_score_metrics import F1Score, FBetaScore
from minikeras.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from minikeras.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from minikeras.metrics.metric import Metric
from minikeras.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from minikeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from minikeras.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)
from minikeras.utils.naming import to_snake_case
from minikeras.utils.suggestions import did_you_mean

# Keras 2 spellings of the functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
logcosh = log_cosh

ALL_OBJECTS = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    ConcordanceCorrelation,
    PearsonCorrelation,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update(
    _serialization.short_names(
        bce=BinaryCrossentropy,
        mse=MeanSquaredError,
        mae=MeanAbsoluteError,
        mape=MeanAbsolutePercentageError,
        msle=MeanSquaredLogarithmicError,
    )
)

# Functions that `deserialize` resolves from a {"class_name": "function"} config (what
# `serialize` writes for a metric function, e.g. one wrapped by MeanMetricWrapper).
_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        concordance_correlation,
        pearson_correlation,
        binary_crossentropy,
        binary_focal_crossentropy,
        categorical_crossentropy,
        categorical_focal_crossentropy,
        categorical_hinge,
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
    )
}

__all__ = [
    *sorted({cls.__name__ for cls in ALL_OBJECTS}),
    *sorted(_FUNCTIONS),
    "deserialize",
    "get",
    "serialize",
]


def serialize(metric):
    """Returns the Keras config dict of a metric object or function (None stays None).

    Example:
        >>> serialize(AUC())["class_name"]
        'AUC'
    """
    builtins = {**ALL_OBJECTS_DICT, **_FUNCTIONS}
    return _serialization.serialize_object(metric, "keras.metrics", builtins, "metric")


def deserialize(config, custom_objects=None):
    """Returns a new metric object (or a metric function) for a name or a config dict.

    Names mean metric classes ("mean_squared_error" is the MeanSquaredError metric, as in
    Keras); `{"class_name": "function", ...}` configs mean metric functions.

    Args:
        config: a metric name or the output of `serialize`.
        custom_objects: dict of your own metric classes/functions by name.
    """
    return _serialization.deserialize_object(
        config, ALL_OBJECTS_DICT, custom_objects, "metric", functions=_FUNCTIONS
    )


def get(identifier):
    """Returns a metric for `identifier`.

    Args:
        identifier: None (returns None), a name (a new metric object; see the module
            docstring), a config dict, a Metric instance, a Metric class (instantiated), or a
            function `fn(y_true, y_pred)` (returned as is; `compile` wraps it in
            `MeanMetricWrapper`).

    Raises:
        ValueError: for an unknown name, listing the valid ones.

    Example:
        >>> get("auc").name
        'auc'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            hint = did_you_mean(identifier, [*ALL_OBJECTS_DICT, "accuracy", "acc"])
            raise ValueError(
                f"Could not interpret metric identifier: {identifier!r}.{hint} Valid names "
                f"are {sorted(ALL_OBJECTS_DICT)}. (In compile(), 'accuracy' and 'acc' are "
                "also accepted and pick the accuracy metric by shapes.)"
            )
        found = ALL_OBJECTS_DICT[identifier]
    elif isinstance(identifier, dict):
        found = deserialize(identifier)
    else:
        found = identifier
    if isinstance(found, type):
        found = found()
    if not callable(found) and not isinstance(found, Metric):
        raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
    return found
