"""The saving entry points: `save_model`, `load_model`, `save_weights`, `load_weights`,
`to_json`/`model_from_json` and `clone_model`. They pick the format from the file name, as
Keras 3 does:

| name              | save_model              | save_weights | load_weights                 |
|-------------------|-------------------------|--------------|------------------------------|
| `x.keras`         | zip: config + weights   | -            | the weights inside           |
| `x.weights.h5`    | -                       | Keras 3 h5   | Keras 3 h5                   |
| `x.h5`, `x.hdf5`  | -                       | -            | Keras 2 h5 (`by_name=...`)   |
"""

import json
import os
import warnings

from minikeras.saving import legacy_h5, saving_lib
from minikeras.saving.serialization import (
    ObjectSharingScope,
    deserialize_keras_object,
    serialize_keras_object,
)


def _check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(
            f"{os.fspath(filepath)!r} exists and overwrite=False: nothing was written."
        )


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves a model as a `.keras` file: architecture, weights, optimizer state, compile
    configuration.

    Args:
        model: the model.
        filepath: path ending in `.keras` (or a directory name with `zipped=False`).
        overwrite: replace an existing file (else FileExistsError).
        zipped: False writes the three files into a directory instead of a zip.

    Example:
        >>> model.save("model.keras")
        >>> restored = keras.saving.load_model("model.keras")
    """
    kwargs.pop("include_optimizer", None)  # Keras 3 ignores it for .keras files too.
    filepath = os.fspath(filepath)
    save_format = kwargs.pop("save_format", None)
    if save_format:
        # As Keras 3: the file name decides the format; the argument only warns or fails.
        if not filepath.endswith((".keras", ".h5", ".hdf5")):
            raise ValueError(
                "The `save_format` argument is deprecated in Keras 3. Please remove this "
                "argument and pass a file path with a `.keras` extension. "
                f"Received: save_format={save_format}"
            )
        warnings.warn(
            "The `save_format` argument is deprecated in Keras 3. We recommend removing this "
            f"argument as it can be inferred from the file path. Received: save_format="
            f"{save_format}",
            stacklevel=2,
        )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {sorted(kwargs)}")
    zipped = True if zipped is None else zipped
    if zipped and filepath.endswith((".h5", ".hdf5")):
        raise ValueError(
            "minikeras saves whole models only in the Keras 3 format: use a `.keras` file name "
            f"(legacy `.h5` model files can be loaded, not written). Received: {filepath}"
        )
    if zipped and not filepath.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add a `.keras` extension for the "
            f"native Keras format. Received: filepath={filepath}."
        )
    _check_overwrite(filepath, overwrite)
    saving_lib.save_model(model, filepath, zipped=zipped)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Loads a model saved with `model.save()` (by minikeras or Keras 3).

    Args:
        filepath: a `.keras` file, a directory saved with `zipped=False`, or a legacy Keras
            `.h5` model file.
        custom_objects: dict of your own classes and functions by the names the file uses.
        compile: compile the model as it was when saved (and restore the optimizer state).
        safe_mode: refuse to load Python lambdas stored as bytecode, the only thing in a file
            that could run code. Pass False only for files you trust.

    Returns:
        The model, compiled when it was compiled and `compile=True`.
    """
    filepath = os.fspath(filepath)
    if filepath.endswith((".h5", ".hdf5")) and not os.path.isdir(filepath):
        return legacy_h5.load_model_from_hdf5(
            filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
        )
    if not filepath.endswith(".keras") and not os.path.isdir(filepath):
        raise ValueError(
            f"File format not supported: filepath={filepath}. minikeras loads `.keras` files, "
            "directories saved with zipped=False and legacy `.h5` model files."
        )
    return saving_lib.load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def save_weights(model, filepath, overwrite=True, **kwargs):
    """Saves the weights (and the optimizer state) to a `.weights.h5` file, atomically."""
    if kwargs.get("max_shard_size") is not None:
        raise ValueError("Sharded weights (max_shard_size) are not supported by minikeras.")
    kwargs.pop("max_shard_size", None)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    _check_overwrite(filepath, overwrite)
    saving_lib.save_weights_only(model, filepath, objects_to_skip=objects_to_skip)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Loads weights from a `.weights.h5`, `.keras` or legacy `.h5` file.

    Args:
        model: a built model.
        filepath: the file; its name picks the format.
        skip_mismatch: load the layers that match and warn about the others, instead of
            raising a ValueError that lists every mismatch.
        by_name: legacy `.h5` files only: match layers by name instead of by order.
        objects_to_skip: `.weights.h5` files only: layers left as they are.
    """
    filepath = os.fspath(filepath)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {sorted(kwargs)}")
    if filepath.endswith((".keras", ".weights.h5")):
        if by_name is not None:
            raise ValueError(
                f"`by_name` only applies to legacy `.h5` or `.hdf5` files. Received: {filepath}"
            )
        if objects_to_skip is not None and filepath.endswith(".keras"):
            raise ValueError(f"`objects_to_skip` only applies to `.weights.h5` files: {filepath}")
        saving_lib.load_weights_only(
            model, filepath, skip_mismatch=skip_mismatch, objects_to_skip=objects_to_skip
        )
    elif filepath.endswith((".h5", ".hdf5")):
        if objects_to_skip is not None:
            raise ValueError(f"`objects_to_skip` only applies to `.weights.h5` files: {filepath}")
        legacy_h5.load_weights(model, filepath, skip_mismatch=skip_mismatch, by_name=bool(by_name))
    else:
        raise ValueError(
            f"File format not supported: filepath={filepath}. minikeras loads weights from "
            "`.weights.h5`, `.keras` and legacy `.h5` files."
        )


def model_to_json(model, **kwargs):
    """The model's architecture as a JSON string (`json.dumps` arguments pass through)."""
    return json.dumps(serialize_keras_object(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """Builds a model (new weights) from the JSON string of `model.to_json()`."""
    config = json.loads(json_string)
    with ObjectSharingScope():
        return deserialize_keras_object(config, custom_objects=custom_objects)


def clone_model(
    model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs
):
    """A new model with the same architecture and fresh weights.

    Args:
        model: a Sequential, Functional or subclassed model (the latter needs `get_config`).
        input_tensors: Sequential/Functional only: the inputs to build the copy on.
        clone_function: `fn(layer) -> layer` used for each layer (default: a new layer
            from `layer.get_config()`). `lambda layer: layer` shares the layers.
        call_function: Functional only: `fn(layer, *args, **kwargs)` making each call.
        recursive: also clone nested Sequential/Functional models layer by layer.
    """
    from minikeras.saving import cloning

    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs)}")
    return cloning.clone_model(
        model,
        input_tensors=input_tensors,
        clone_function=clone_function,
        call_function=call_function,
        recursive=recursive,
    )
