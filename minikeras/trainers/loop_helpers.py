"""Small helpers of the `fit`, `evaluate` and `predict` loops (trainer.py)."""

import sys

import numpy as np

from minikeras.tree import flatten, map_structure


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


def numpy_outputs(model, outputs):
    """One batch of `predict` or `predict_on_batch` outputs as numpy arrays, in Keras's
    structure: Keras on JAX returns the dicts of a compiled step (its default) with their
    keys sorted, as JAX rebuilds them; with `run_eagerly=True` or `jit_compile=False`, in
    the model's own order."""
    outputs = map_structure(np.asarray, outputs)
    if isinstance(outputs, np.ndarray) or getattr(model, "run_eagerly", False):
        return outputs
    return outputs if getattr(model, "jit_compile", "auto") is False else _sort_keys(outputs)


def _sort_keys(structure):
    if type(structure) is dict:  # an OrderedDict keeps its order in JAX too
        return {key: _sort_keys(structure[key]) for key in sorted(structure)}
    if isinstance(structure, dict):
        return type(structure)((key, _sort_keys(value)) for key, value in structure.items())
    if isinstance(structure, (list, tuple)):
        items = [_sort_keys(item) for item in structure]
        return type(structure)(*items) if hasattr(structure, "_fields") else type(structure)(items)
    return structure
