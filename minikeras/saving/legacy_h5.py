"""Legacy Keras 2 `.h5` files (also written by Keras 3's `model.save("x.h5")`): loading only.

Layout of a weights file (or of the `model_weights` group of a whole-model file):

    attrs: layer_names = [name of each layer, in model order], keras_version, backend
    <layer name>/                     attrs: weight_names = ["dense/kernel:0", ...]
    <layer name>/<weight name>        one dataset per weight (names may contain "/")
    top_level_model_weights/          the model's own weights (Keras 3)

A whole-model file adds the attributes `model_config` (JSON) and `training_config`, and the
group `optimizer_weights`.

Weights load either by order (the layers of the model that have weights, matched in turn with
the file's layers that have weights) or, with `by_name=True`, by layer name. Each layer's
weights are in `trainable_weights + non_trainable_weights` order.
"""

import json
import warnings

import numpy as np

from minikeras.saving.saving_lib import is_numeric_dtype, open_h5
from minikeras.saving.serialization import SafeModeScope, deserialize_keras_object


def _decode(value):
    return value.decode("utf8") if hasattr(value, "decode") else value


def read_attribute_list(group, name):
    """A list attribute that Keras may have split into `name0`, `name1`, ... chunks."""
    if name in group.attrs:
        return [_decode(item) for item in group.attrs[name]]
    values, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        values.extend(_decode(item) for item in group.attrs[f"{name}{chunk}"])
        chunk += 1
    return values


def _layer_values(group):
    """The arrays of one layer group, in its `weight_names` order."""
    import h5py

    values = []
    for weight_name in read_attribute_list(group, "weight_names"):
        if weight_name not in group:
            raise ValueError(
                f"Invalid legacy weights file: group {group.name!r} lists weight "
                f"{weight_name!r}, which it does not hold."
            )
        dataset = group[weight_name]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"Invalid legacy weights file: {dataset.name!r} is not a dataset.")
        values.append(np.asarray(dataset[()]))
    return values


def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _model_layers(model):
    """The model's layers in Keras's order (the order legacy files list them in)."""
    from minikeras.models.functional import Functional

    if isinstance(model, Functional):
        from minikeras.models.functional_config import keras_layer_order

        return keras_layer_order(model)
    return list(model.layers)


def _shapes(items):
    return [tuple(np.shape(item)) for item in items]


def _weights_root(h5_file):
    if "layer_names" not in h5_file.attrs and "layer_names0" not in h5_file.attrs:
        if "model_weights" in h5_file:
            return h5_file["model_weights"]
        raise ValueError(
            f"{h5_file.filename!r} is not a legacy Keras weights file (no `layer_names` "
            "attribute). A Keras 3 weights file must be named `*.weights.h5`."
        )
    return h5_file


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Loads a legacy `.h5` weights (or whole-model) file into a built model.

    Args:
        model: the model.
        filepath: the `.h5` file.
        skip_mismatch: load what matches and warn about each layer that does not.
        by_name: match layers by name (layers without a match are left alone) instead of
            by order.

    Raises:
        ValueError: listing every layer whose weights do not match (unless skip_mismatch).
    """
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' is not built yet: build it (call it on data or "
            "model.build(input_shape)) before loading weights."
        )
    with open_h5(filepath) as h5_file:
        root = _weights_root(h5_file)
        if by_name:
            load_weights_by_name(root, model, skip_mismatch)
        else:
            load_weights_by_order(root, model, skip_mismatch)


def _report(problems, skip_mismatch, what):
    if not problems:
        return
    if skip_mismatch:
        for problem in problems:
            warnings.warn(f"Skipping weights: {problem}", stacklevel=4)
        return
    listing = "\n".join(f"  - {p}" for p in problems)
    raise ValueError(
        f"Could not load {what}: {len(problems)} layer(s) do not match.\n{listing}\nNothing was "
        "loaded. Pass skip_mismatch=True to load the matching layers only."
    )


def _match(layer, values, label):
    """A problem message, or None when `values` fit the layer's weights."""
    weights = _legacy_weights(layer)
    if _shapes(weights) != _shapes(values):
        return (
            f"{label}: the model expects {len(weights)} weight(s) with shapes "
            f"{_shapes(weights)}, the file has {len(values)} with shapes {_shapes(values)}."
        )
    for index, value in enumerate(values):
        if not is_numeric_dtype(value.dtype):
            return (
                f"{label}: the file stores weight {index} as {value.dtype.str!r} "
                f"({value.dtype}), not numbers."
            )
    return None


def _assign_all(pairs):
    for layer, values in pairs:
        for variable, value in zip(_legacy_weights(layer), values):
            variable.assign(value)


def load_weights_by_order(root, model, skip_mismatch=False):
    """Matches the model's layers that have weights with the file's, in order."""
    layers = [layer for layer in _model_layers(model) if _legacy_weights(layer)]
    names = [name for name in read_attribute_list(root, "layer_names") if _has_weights(root, name)]
    if len(names) != len(layers):
        raise ValueError(
            f"Layer count mismatch when loading weights from file: model '{model.name}' has "
            f"{len(layers)} layer(s) with weights {[layer.name for layer in layers]}, the file "
            f"has {len(names)}: {names}."
        )
    problems, pairs = [], []
    for index, (layer, name) in enumerate(zip(layers, names)):
        values = _layer_values(root[name])
        problem = _match(
            layer, values, f"layer #{index} ('{layer.name}' in the model, '{name}' in the file)"
        )
        if problem:
            problems.append(problem)
        else:
            pairs.append((layer, values))
    top = _top_level(root, model, problems)
    _report(problems, skip_mismatch, f"the weights of model '{model.name}'")
    _assign_all(pairs + top)


def _has_weights(root, name):
    if name not in root:
        raise ValueError(f"Invalid legacy weights file: layer {name!r} is listed but missing.")
    return bool(read_attribute_list(root[name], "weight_names"))


def _top_level(root, model, problems):
    if "top_level_model_weights" not in root:
        return []
    values = _layer_values(root["top_level_model_weights"])
    own = list(model._own_variables)
    if not values and not own:
        return []
    if _shapes(own) != _shapes(values):
        problems.append(
            f"top-level weights of '{model.name}': the model expects {_shapes(own)}, the file "
            f"has {_shapes(values)}."
        )
        return []
    if not all(is_numeric_dtype(value.dtype) for value in values):
        problems.append(
            f"top-level weights of '{model.name}': the file stores them not as numbers."
        )
        return []

    class _Own:
        pass

    holder = _Own()
    holder.trainable_weights, holder.non_trainable_weights = own, []
    return [(holder, values)]


def load_weights_by_name(root, model, skip_mismatch=False):
    """Loads each file layer into the model's layers of the same name (others untouched)."""
    by_name = {}
    for layer in _model_layers(model):
        by_name.setdefault(layer.name, []).append(layer)
    problems, pairs = [], []
    for index, name in enumerate(read_attribute_list(root, "layer_names")):
        if name not in root:
            raise ValueError(f"Invalid legacy weights file: layer {name!r} is listed but missing.")
        values = _layer_values(root[name])
        for layer in by_name.get(name, []):
            problem = _match(layer, values, f"layer #{index} (named '{name}')")
            if problem:
                problems.append(problem)
            else:
                pairs.append((layer, values))
    top = _top_level(root, model, problems)
    _report(problems, skip_mismatch, f"the weights of model '{model.name}' by name")
    _assign_all(pairs + top)


def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Rebuilds a model from a legacy whole-model `.h5` file (config, weights, optimizer)."""
    with open_h5(filepath, what="model file") as h5_file:
        config = h5_file.attrs.get("model_config")
        if config is None:
            raise ValueError(
                f"No model config found in {filepath!r}: it holds weights only. Build the "
                "model in code and call model.load_weights() instead."
            )
        config = json.loads(_decode(config))
        with SafeModeScope(safe_mode):
            model = deserialize_keras_object(config, custom_objects=custom_objects)
        load_weights_by_order(h5_file["model_weights"], model)
        training_config = h5_file.attrs.get("training_config")
        if not compile or training_config is None:
            return model
        training_config = json.loads(_decode(training_config))
        _compile_from_training_config(model, training_config, custom_objects)
        if "optimizer_weights" in h5_file:
            _load_optimizer_weights(model, h5_file["optimizer_weights"])
    return model


def _compile_from_training_config(model, training_config, custom_objects):
    from minikeras import optimizers

    optimizer = optimizers.deserialize(training_config["optimizer_config"], custom_objects)

    def revive(value):
        return deserialize_keras_object(value, custom_objects=custom_objects)

    model.compile(
        optimizer=optimizer,
        loss=revive(training_config.get("loss")),
        metrics=revive(training_config.get("metrics")),
        weighted_metrics=revive(training_config.get("weighted_metrics")),
        loss_weights=training_config.get("loss_weights"),
    )


def _load_optimizer_weights(model, group):
    values = _layer_values(group)
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if _shapes(variables) != _shapes(values) or not all(
        is_numeric_dtype(value.dtype) for value in values
    ):
        warnings.warn(
            f"Could not restore the saved state of optimizer '{optimizer.name}' (expected "
            f"{_shapes(variables)} of numbers, the file has {_shapes(values)} of "
            f"{sorted({value.dtype.str for value in values})}): training continues from a "
            "fresh optimizer state.",
            stacklevel=3,
        )
        return
    for variable, value in zip(variables, values):
        variable.assign(np.asarray(value).astype(variable.dtype))
