"""The optimizers a learning-rate or moving-average callback acts on.

A `MultiOptimizer` has no learning rate or moving averages of its own: each of its inner
optimizers has its own. So `LearningRateScheduler`, `ReduceLROnPlateau`, `SwapEMAWeights`
and `TensorBoard` act on each inner optimizer, as Keras does, and log each learning rate as
`learning_rate_<optimizer name>`.
"""

__all__ = ["inner_optimizers"]


def inner_optimizers(optimizer, model):
    """The inner optimizers of a MultiOptimizer, or None for any other optimizer.

    As Keras, any optimizer with an `optimizers` attribute counts as a MultiOptimizer.
    Keras's `fit` builds the optimizer before the first callback hook, so a MultiOptimizer
    whose optimizers come from a callable map knows them from the first epoch on;
    minikeras builds optimizers at the first step, so it is built here (on the model's
    trainable weights, what that step would use) when the model is built and it is not.

    Args:
        optimizer: the model's optimizer.
        model: the model being trained.

    Returns:
        A list of optimizers, or None.
    """
    if not hasattr(optimizer, "optimizers"):
        return None
    if not getattr(optimizer, "built", True) and getattr(model, "built", False):
        optimizer.build(model.trainable_weights)
    return list(optimizer.optimizers)
