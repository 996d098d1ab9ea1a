"""Small helpers of the `fit`, `evaluate` and `predict` loops (trainer.py)."""

import sys

import numpy as np

from minikeras.tree import flatten


def resolve_verbose(verbose):
    """`"auto"` as Keras reads it: a progress bar on a terminal, one line per epoch else."""
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return verbose


def callback_list(model, callbacks, verbose, epochs, steps, add_history):
    """The `CallbackList` of one loop: the user's callbacks plus History and the progress
    bar (a `CallbackList` given, as `fit` gives its own to `evaluate`, is used as is)."""
    from minikeras.callbacks import CallbackList

    if isinstance(callbacks, CallbackList):
        return callbacks
    return CallbackList(
        callbacks,
        add_history=add_history,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        model=model,
    )


def batch_size_of(x):
    """The number of samples in a batch `x` (an array or a structure of arrays)."""
    if isinstance(x, np.ndarray):  # the common case, without flattening a structure
        return int(x.shape[0]) if x.ndim else 1
    leaves = [leaf for leaf in flatten(x) if leaf is not None]
    return int(leaves[0].shape[0]) if leaves and len(leaves[0].shape) else 1


def groups(iterator, size):
    """`(first, last, batches)` for each run of `size` batches of an epoch, as Keras's
    `steps_per_execution` groups them: `first` is the index of the first batch, `last` is
    `first + size - 1` even when the epoch ends before (Keras reports that index too)."""
    if size == 1:
        for step, batch in iterator:
            yield step, step, (batch,)
        return
    group, first = [], 0
    for step, batch in iterator:
        if not group:
            first = step
        group.append(batch)
        if len(group) == size:
            yield first, first + size - 1, group
            group = []
    if group:
        yield first, first + size - 1, group


def should_validate(epoch, validation_freq):
    """Whether `fit` validates after `epoch` (0-based), given its `validation_freq`."""
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"validation_freq must be >= 1, got {validation_freq}.")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(
        f"validation_freq must be an int or a list of epochs, got {validation_freq!r}."
    )


def concatenate(batches):
    """`predict`'s per-batch outputs joined along the batch axis, keeping their structure."""
    first = batches[0]
    if isinstance(first, dict):
        return {key: concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, (list, tuple)):
        items = [concatenate([b[i] for b in batches]) for i in range(len(first))]
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    return np.concatenate(batches, axis=0)
