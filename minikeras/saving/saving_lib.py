"""Keras 3's file formats: `.weights.h5` (the weights) and `.keras` (config + weights).

`.weights.h5` layout (an HDF5 file, read and written with h5py):

    vars                          the model's own variables (usually none); attr name
    layers/dense/vars/0, 1, ...   a layer's variables, trainable first, in creation order
    layers/dense_1/vars/...       the next Dense of the same container
    layers/sequential/layers/...  a nested model, recursively
    optimizer/vars/0, 1, ...      iteration, learning rate, then the optimizer's slots

Every object with a name gets a `vars` group with the attribute `name` (even when it has no
variables). Paths are found the way Keras walks a model:

- a Sequential or Functional model lists its layers first, under `layers`, each named by
  its snake_case class name, numbered within the list (`dense`, `dense_1`, ...);
- then the attributes, and the properties of the user's own classes, in sorted order
  (public names before `_private` ones): a layer attribute is a path segment
  (`self.encoder` -> `encoder`), a list, tuple or dict a container whose items are named
  like `layers` (a nested container is `container`, `container_1`, ...); a subclassed model
  also has `layers` (its direct sublayers) and a compiled model `optimizer`;
- an object reached twice is saved once, at the first path; loading looks at its later
  paths when the file has nothing at the first one.

`.keras` is a zip archive (stored, not compressed) of `metadata.json`, `config.json` (the
`serialize_keras_object` dict of the model, with its compile config) and `model.weights.h5`,
plus `assets/<path>/...`: the files that an object's `save_assets(dir_path)` wrote into the
folder it was given (path as in the weights file, e.g. `assets/layers/string_lookup/`).
Loading calls `load_assets(dir_path)` of the same objects (with None when the archive has
no folder for an object), as Keras does.

Writes are atomic: everything goes to a temporary file beside the target, which is flushed to
disk and then renamed over the target; a failure part way leaves the previous file as it was.
Loads are strict: every path where the model and the file disagree is reported at once, and
nothing is assigned unless everything matches (or `skip_mismatch=True`).
"""

import contextlib
import datetime
import io
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile

import numpy as np

from minikeras.saving.serialization import (
    ObjectSharingScope,
    deserialize_keras_object,
    serialize_keras_object,
)

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
VARS_FILENAME_H5 = "model.weights.h5"
# Files written by `save_assets` hooks live under assets/<object path>/ in the archive.
ASSETS_DIRNAME = "assets"
# The Keras release whose file format these files follow (written to metadata.json).
KERAS_FORMAT_VERSION = "3.15.1"
# config.json and metadata.json larger than this are refused (a "zip bomb" guard).
_MAX_JSON_BYTES = 1 << 28
# An asset file that unpacks to more than this, and to over _MAX_EXPANSION times its
# compressed size, is refused before extraction (it would fill the disk).
_MAX_PACKED_ASSET_BYTES = 1 << 28
_MAX_EXPANSION = 100
# The weights are read into memory: one that unpacks to more than this, and to over
# _MAX_EXPANSION times its compressed size, is refused before reading (as Keras does).
_MAX_PACKED_MEMBER_BYTES = 1 << 32

_umask = []


# -- where each object's variables live --------------------------------------------------------
def to_snake_case(name):
    """`"BatchNormalization"` -> `"batch_normalization"`, as Keras names paths."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _name_key(name):
    # Keras visits private attributes last.
    return f"~{name}" if name.startswith("_") else name


# Attributes of minikeras layers and models that are bookkeeping, not user structure (the
# Keras counterparts are on its skip list or do not exist).
_INTERNAL_ATTRIBUTES = frozenset(
    (
        "layers",
        "optimizer",
        "inputs",
        "outputs",
        "history",
        "_layers",
        "_stack",
        "_functional",
        "_nodes",
        "_inputs_struct",
        "_outputs_struct",
        "_symbolic_losses",
        "_symbolic_metrics",
        "_compile_config",
        "_compile_loss",
        "_compile_metrics",
        "_loss_tracker",
        "_structure_cache",
        "_build_shapes",
        "_inbound_nodes",
        "_losses",
        "_init_args",
        "_own_variables",
        "_added_metrics",
    )
)


def _base_layer_attributes():
    from minikeras.layers.layer import Layer

    cached = getattr(_base_layer_attributes, "names", None)
    if cached is None:
        probe = Layer.__new__(Layer)
        Layer.__init__(probe, name="attribute_probe")
        cached = frozenset(vars(probe)) | _INTERNAL_ATTRIBUTES
        _base_layer_attributes.names = cached
    return cached


def _is_saveable(value):
    from minikeras.layers.layer import Layer
    from minikeras.optimizers import Optimizer

    return isinstance(value, (Layer, Optimizer))


def _children(obj):
    """`(attribute name, value)` pairs in the order Keras's saving walk visits them."""
    from minikeras.layers.layer import Layer
    from minikeras.layers.preprocessing.pipeline import Pipeline
    from minikeras.models.functional import Functional
    from minikeras.models.model import Model
    from minikeras.models.sequential import Sequential
    from minikeras.optimizers import Optimizer

    if not isinstance(obj, Layer):
        return []
    children = []
    if isinstance(obj, Sequential):
        children.append(("layers", obj.layers))
    elif isinstance(obj, Functional):
        from minikeras.models.functional_config import keras_layer_order

        children.append(("layers", keras_layer_order(obj)))
    elif isinstance(obj, Pipeline):
        # Keras's walk reads public properties first: a Pipeline's layers are `layers/...`.
        children.append(("layers", obj.layers))
    skip = _base_layer_attributes()
    named = {key: value for key, value in vars(obj).items() if key not in skip}
    named.update(_user_class_attributes(obj, skip))
    if isinstance(obj, Model):
        if not isinstance(obj, (Sequential, Functional)):
            named["layers"] = obj.layers
        optimizer = getattr(obj, "optimizer", None)
        if isinstance(optimizer, Optimizer):
            named["optimizer"] = optimizer
    for key in sorted(named, key=_name_key):
        children.append((key, named[key]))
    return children


def _user_class_attributes(obj, skip):
    """Layers, optimizers and containers that the classes a user wrote expose as class
    attributes or properties (`@property def encoder(self): return self._encoder`): Keras
    walks every name of `dir(obj)`, so such a property names the path of what it returns."""
    found = {}
    for klass in type(obj).__mro__:
        if klass.__module__.startswith("minikeras") or klass is object:
            continue
        for name in vars(klass):
            if name.startswith("__") or name in skip or name in found or name in vars(obj):
                continue
            try:
                value = getattr(obj, name)
            except Exception:  # as Keras: an attribute that fails to compute is passed over
                continue
            if _is_saveable(value) or isinstance(value, (list, tuple, dict)):
                found[name] = value
    return found


def _join(path, name):
    return f"{path}/{name}" if path else name


def saveable_paths(model, objects_to_skip=(), aliases=None):
    """Every layer and optimizer under `model` with its path in a `.weights.h5` file.

    Args:
        model: the model.
        objects_to_skip: objects left out (with everything only they lead to).
        aliases: a list that receives `(path, object)` for each later path at which an
            object is reached again (saving uses the first path only).

    Returns:
        A list of `(path, object)`, in the order Keras visits them (the root has path "").
    """
    skipped = {id(obj) for obj in objects_to_skip}
    visited = set(skipped)
    result = []

    def visit(obj, path):
        if id(obj) in visited:
            if aliases is not None and id(obj) not in skipped and path:
                aliases.append((path, obj))
            return
        visited.add(id(obj))
        result.append((path, obj))
        for name, child in _children(obj):
            visit_value(child, _join(path, name))

    def visit_value(value, path):
        if _is_saveable(value):
            visit(value, path)
        elif isinstance(value, (list, tuple, dict)):
            visit_container(value, path, set())

    def visit_container(container, path, seen_containers):
        if id(container) in seen_containers:
            return
        seen_containers.add(id(container))
        used = {}
        items = container.values() if isinstance(container, dict) else container
        for item in items:
            if _is_saveable(item):
                visit(item, _join(path, _unique(to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                inner = _join(path, _unique("container", used))
                visit_container(item, inner, seen_containers)

    visit(model, "")
    return result


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def own_variables(obj):
    """The variables an object stores in its own `vars` group, in file order."""
    from minikeras.optimizers import Optimizer

    if isinstance(obj, Optimizer):
        return list(obj.variables)
    return obj._saved_variables()


def _vars_path(path):
    return _join(path, "vars")


# -- writing ----------------------------------------------------------------------------------
def _write_object(group, values):
    """Writes one object's arrays into its `vars` group, one dataset per `(key, array)`."""
    for key, value in values:
        group.create_dataset(key, data=value)


def _object_values(obj):
    """`(key, array)` pairs of what an object saves: its variables as "0", "1", ..., or what
    its own `save_own_variables` puts in the store."""
    if _has_own_hook(obj, "save_own_variables"):
        store = {}
        obj.save_own_variables(store)
        return [(str(key), np.asarray(value)) for key, value in store.items()]
    return [(str(i), variable.data) for i, variable in enumerate(own_variables(obj))]


def write_weights(model, h5_file, objects_to_skip=()):
    """Writes the variables of `model` (and its optimizer) into an open h5py file."""
    for path, obj in saveable_paths(model, objects_to_skip):
        group = h5_file.require_group(_vars_path(path))
        group.attrs["name"] = obj.name
        _write_object(group, _object_values(obj))


def _current_umask():
    if not _umask:
        mask = os.umask(0)
        os.umask(mask)
        _umask.append(mask)
    return _umask[0]


@contextlib.contextmanager
def atomic_write(filepath):
    """Yields a temporary path beside `filepath`; on success, flushes it to disk and renames
    it over `filepath`. On any exception the temporary file is removed and `filepath` is left
    untouched.

    Example:
        >>> with atomic_write("model.weights.h5") as temporary:
        ...     write_everything_to(temporary)
    """
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(filepath)}.", suffix=".tmp", dir=directory
    )
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            written.flush()
            os.fsync(written.fileno())
        # mkstemp makes the file private (0600); give it the usual permissions.
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def save_weights_only(model, filepath, objects_to_skip=None):
    """Writes the weights (and optimizer state) of a built model to a `.weights.h5` file.

    Args:
        model: a built model.
        filepath: path ending in `.weights.h5`.
        objects_to_skip: layers (or the optimizer) whose variables are left out.
    """
    import h5py

    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    _check_built(model, "saving")
    with atomic_write(filepath) as temporary:
        with h5py.File(temporary, "w") as h5_file:
            write_weights(model, h5_file, objects_to_skip or ())


def _check_built(model, what):
    if not model.built:
        raise ValueError(
            f"You are {what} the weights of model '{model.name}', which has not been built "
            "yet, so it has no weights. Build it first: call it on some data or call "
            "model.build(input_shape)."
        )


# -- reading ----------------------------------------------------------------------------------
def open_h5(source, what="weights file"):
    """Opens an HDF5 file (path or file-like) for reading, with a clear error when it is not
    one (missing, truncated, corrupted, or another format)."""
    import h5py

    name = source if isinstance(source, (str, os.PathLike)) else f"<{what}>"
    if isinstance(source, (str, os.PathLike)) and not os.path.exists(source):
        raise FileNotFoundError(f"No such {what}: {os.fspath(source)!r}")
    try:
        return h5py.File(source, "r")
    except OSError as error:
        raise OSError(
            f"Cannot read the {what} {os.fspath(name)!r}: it is not a valid HDF5 file (it may "
            f"be truncated, corrupted, or in another format). h5py reported: {error}"
        ) from error


def _vars_group(h5_file, path):
    import h5py

    group = h5_file.get(_vars_path(path), getlink=True)
    if group is None:
        return None
    if isinstance(group, (h5py.SoftLink, h5py.ExternalLink)):
        raise ValueError(f"Not allowed: the weights file links {_vars_path(path)!r} elsewhere.")
    group = h5_file[_vars_path(path)]
    if not isinstance(group, h5py.Group):
        raise ValueError(f"Invalid weights file: {_vars_path(path)!r} is not a group.")
    return group


def _datasets(group, path):
    """The datasets "0", "1", ... of a `vars` group, in order."""
    import h5py

    keys = list(group.keys())
    expected = [str(i) for i in range(len(keys))]
    if sorted(keys, key=lambda k: (len(k), k)) != expected:
        raise ValueError(
            f"Invalid weights file: the group {_vars_path(path)!r} should hold datasets named "
            f"0..{len(keys) - 1}, it holds {sorted(keys)}."
        )
    datasets = []
    for key in expected:
        if group.get(key, getlink=True).__class__ in (h5py.SoftLink, h5py.ExternalLink):
            raise ValueError(f"Not allowed: {_vars_path(path)}/{key} links elsewhere.")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"Invalid weights file: {_vars_path(path)}/{key} is not a dataset.")
        if dataset.external or dataset.is_virtual:
            raise ValueError(f"Not allowed: {_vars_path(path)}/{key} stores data outside the file.")
        datasets.append(dataset)
    return datasets


def _all_vars_groups(h5_file):
    """Paths (without `/vars`) of every `vars` group holding at least one dataset."""
    import h5py

    found = []

    def visit(name, item):
        if isinstance(item, h5py.Group) and name.split("/")[-1] == "vars" and len(item):
            found.append(name[: -len("vars")].rstrip("/"))

    h5_file.visititems(visit)
    return found


def _shapes(items):
    return [tuple(item.shape) for item in items]


def _describe(path, obj):
    where = path or "(the model itself)"
    name = getattr(obj, "name", None)
    return f"{where} ({type(obj).__name__} {name!r})" if name else where


def is_numeric_dtype(dtype):
    """True for data a variable can take: booleans, integers and real floats (not strings,
    bytes, complex numbers or compound records)."""
    return dtype.names is None and dtype.subdtype is None and dtype.kind in "biuf"


def _non_numeric(path, obj, found, source):
    """A problem message for the first dataset that holds no numbers, else None."""
    for index, dataset in enumerate(found):
        if not is_numeric_dtype(dataset.dtype):
            return (
                f"{_describe(path, obj)}: {source} stores variable {index} as "
                f"{dataset.dtype.str!r} ({dataset.dtype}), not numbers."
            )
    return None


def _assign(variable, dataset):
    array = variable.data
    if dataset.dtype == array.dtype and array.flags.c_contiguous and array.size:
        # Straight from the file into the variable's memory: no temporary copy.
        dataset.read_direct(array)
    else:
        variable.assign(np.asarray(dataset[()]).astype(array.dtype, copy=False))


def _has_own_hook(obj, name):
    """True when `obj`'s class overrides the Layer method `name` (the saver then calls it)."""
    from minikeras.layers.layer import Layer

    method = getattr(type(obj), name, None)
    return method is not None and method is not getattr(Layer, name, None)


def load_state(
    model,
    h5_file,
    skip_mismatch=False,
    objects_to_skip=(),
    source="the file",
    unused_paths="raise",
):
    """Loads `model`'s variables (and its optimizer's) from an open `.weights.h5` file.

    Every path is checked before anything is assigned: a missing group, a different number
    of variables or a different shape, data that is not numbers (strings, compound records,
    complex numbers), and variables in the file that no layer of the model uses. All of
    them are reported together in one ValueError and nothing changes; with
    `skip_mismatch=True` the matching layers are loaded and each mismatch is a warning.

    A layer that overrides `load_own_variables` reads its store itself, as in Keras; if
    such a hook raises, every variable of the model and its optimizer is put back.

    The optimizer state loads when the model has an optimizer (built here from
    `model.trainable_weights` if needed); if its shapes do not match, it is skipped with a
    warning, as Keras does.

    `unused_paths="warn"` (used by `load_model`, whose model comes from the file's own
    config) turns variables in the file that the model has no place for into a warning:
    they belong to state the config cannot rebuild, such as the optimizers a custom
    `compile()` kept as attributes. Keras skips them silently.
    """
    from minikeras.optimizers import Optimizer

    aliases = []
    plan = saveable_paths(model, objects_to_skip, aliases)
    problems, assignments, hooks, skipped_optimizers = [], [], [], []
    path_of = {id(obj): path for path, obj in plan}
    plan = [(_path_in_file(h5_file, path, path_of, aliases), obj) for path, obj in plan]
    known_paths = {path for path, _ in plan}
    path_of = {id(obj): path for path, obj in plan}
    for path, obj in plan:
        if isinstance(obj, Optimizer):
            pairs, problem, mismatch = _plan_optimizer(model, obj, h5_file, path, source)
            if problem:
                problems.append(problem)
            elif mismatch:
                skipped_optimizers.append(mismatch)
            assignments.extend(pairs)
            continue
        group = _vars_group(h5_file, path)
        if _has_own_hook(obj, "load_own_variables"):
            hooks.append((obj, _Store(_named_datasets(group, path))))
            continue
        found = [] if group is None else _datasets(group, path)
        variables = own_variables(obj)
        if not variables and not found:
            continue
        if group is None:
            problems.append(
                f"{_describe(path, obj)}: missing from {source}; the model expects "
                f"{len(variables)} variable(s) with shapes {_shapes(variables)}."
            )
        elif _shapes(variables) != _shapes(found):
            hint = ""
            if not variables and not getattr(obj, "built", True):
                hint = " The layer is not built: its build() did not run, so it has no weights."
            problems.append(
                f"{_describe(path, obj)}: the model expects {len(variables)} variable(s) with "
                f"shapes {_shapes(variables)}, {source} has {len(found)} with shapes "
                f"{_shapes(found)}.{hint}"
            )
        elif problem := _non_numeric(path, obj, found, source):
            problems.append(problem)
        else:
            assignments.extend(zip(variables, found))
    skipped = _skipped_paths(model, objects_to_skip)
    for path in _all_vars_groups(h5_file):
        if path in known_paths or path.split("/")[-1] == "optimizer":
            continue
        if any(path == prefix or path.startswith(f"{prefix}/") for prefix in skipped):
            continue  # what `objects_to_skip` leaves out may be in the file: it stays unread
        found = _datasets(h5_file[_vars_path(path)], path)
        unused = (
            f"{path}: {source} has {len(found)} variable(s) with shapes {_shapes(found)}, but "
            "the model has no layer at this path."
        )
        if unused_paths == "warn":
            warnings.warn(f"Not loaded: {unused}", stacklevel=3)
        else:
            problems.append(unused)
    if problems:
        if not skip_mismatch:
            listing = "\n".join(f"  - {p}" for p in problems)
            hint = ""
            if "layer_names" in h5_file.attrs or "model_weights" in h5_file:
                hint = (
                    "\nThis looks like a legacy Keras 2 weights file: give it a `.h5` name "
                    "(not `.weights.h5`) to load it by layer order."
                )
            raise ValueError(
                f"Could not load the weights of model '{model.name}' from {source}: "
                f"{len(problems)} path(s) do not match.\n{listing}\nNothing was loaded. Pass "
                f"skip_mismatch=True to load the matching layers only.{hint}"
            )
        for problem in problems:
            warnings.warn(f"Skipping weights: {problem}", stacklevel=3)
    for message in skipped_optimizers:
        warnings.warn(message, stacklevel=3)
    # Only a user's hook can still fail from here on: keep a copy to put back if it does.
    backup = _backup(model) if hooks else None
    try:
        for variable, dataset in assignments:
            _assign(variable, dataset)
        for obj, store in hooks:
            if skip_mismatch:
                _load_or_warn(obj, store, path_of[id(obj)])
            else:
                obj.load_own_variables(store)
    except BaseException:
        if backup is not None:
            _restore(backup)
        raise


def _backup(obj):
    variables = list(obj.variables)
    optimizer = getattr(obj, "optimizer", None)
    if optimizer is not None:
        variables += list(optimizer.variables)
    return [(variable, np.array(variable.data, copy=True)) for variable in variables]


def _restore(backup):
    for variable, value in backup:
        variable.assign(value)


def _path_in_file(h5_file, path, path_of, aliases):
    """`path`, or when the file has no group there, the first other path by which the walk
    reaches the same object (a layer saved as `dense` and now also reachable as `a_dense`
    behind a property `dense`), as Keras retries an object at its later paths."""
    if not path or h5_file.get(_vars_path(path)) is not None:
        return path
    for alias, obj in aliases:
        first = path_of[id(obj)]
        if first and (path == first or path.startswith(f"{first}/")):
            candidate = alias + path[len(first) :]
            if h5_file.get(_vars_path(candidate)) is not None:
                return candidate
    return path


def _skipped_paths(model, objects_to_skip):
    """The paths at which the objects of `objects_to_skip` would be saved."""
    if not objects_to_skip:
        return []
    skip = {id(obj) for obj in objects_to_skip}
    return [path for path, obj in saveable_paths(model) if id(obj) in skip]


def _load_or_warn(obj, store, path):
    """With `skip_mismatch`: a layer whose own `load_own_variables` raises keeps its
    variables, with a warning (Keras skips it the same way)."""
    backup = _backup(obj)
    try:
        obj.load_own_variables(store)
    except Exception as error:
        _restore(backup)
        warnings.warn(
            f"Skipping weights: {_describe(path, obj)}: its load_own_variables() raised "
            f"{type(error).__name__}: {error}",
            stacklevel=4,
        )


class _Store:
    """The `vars` group of one object as a `load_own_variables` store: its datasets by name
    ("0", "1", ... for variables), read as numpy arrays."""

    def __init__(self, datasets):
        self._datasets = dict(datasets)

    def keys(self):
        return self._datasets.keys()

    def __len__(self):
        return len(self._datasets)

    def __iter__(self):
        return iter(self._datasets)

    def __contains__(self, key):
        return key in self._datasets

    def __getitem__(self, key):
        return np.asarray(self._datasets[key][()])


def _named_datasets(group, path):
    """`{name: dataset}` of a `vars` group (empty when the group is missing), in the order
    the names were written (numbers in numeric order)."""
    import h5py

    if group is None:
        return {}
    datasets = {}
    for key in sorted(group.keys(), key=lambda k: (not k.isdigit(), len(k), k)):
        if group.get(key, getlink=True).__class__ in (h5py.SoftLink, h5py.ExternalLink):
            raise ValueError(f"Not allowed: {_vars_path(path)}/{key} links elsewhere.")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(f"Invalid weights file: {_vars_path(path)}/{key} is not a dataset.")
        if dataset.external or dataset.is_virtual:
            raise ValueError(f"Not allowed: {_vars_path(path)}/{key} stores data outside the file.")
        datasets[key] = dataset
    return datasets


def _plan_optimizer(model, optimizer, h5_file, path, source):
    """`(pairs to assign, problem, mismatch warning)` for the optimizer's saved state."""
    group = _vars_group(h5_file, path)
    if group is None or not len(group):
        return [], None, None
    found = _datasets(group, path)
    if not optimizer.built:
        weights = model.trainable_weights
        if weights:
            optimizer.build(weights)
    variables = own_variables(optimizer)
    if _shapes(variables) != _shapes(found):
        return (
            [],
            None,
            f"Skipping variable loading for optimizer '{optimizer.name}': it has "
            f"{len(variables)} variables with shapes {_shapes(variables)}, whereas the saved "
            f"optimizer has {len(found)} with shapes {_shapes(found)}. Training continues "
            "from a fresh optimizer state.",
        )
    problem = _non_numeric(path, optimizer, found, source)
    if problem:
        return [], problem, None
    return list(zip(variables, found)), None, None


def load_weights_only(model, filepath, skip_mismatch=False, objects_to_skip=None):
    """Loads weights saved by `save_weights_only` (or Keras 3) from `.weights.h5` or `.keras`.

    Raises:
        FileNotFoundError / OSError: the file is missing or not a readable HDF5/zip file.
        ValueError: the file does not match the model (every mismatch is listed).
    """
    filepath = os.fspath(filepath)
    _check_built(model, "loading")
    if filepath.endswith(".keras"):
        with _open_archive(filepath) as archive:
            h5_file = _open_archived_weights(archive, filepath)
    else:
        h5_file = open_h5(filepath)
    with h5_file:
        load_state(
            model,
            h5_file,
            skip_mismatch=skip_mismatch,
            objects_to_skip=objects_to_skip or (),
            source=f"'{filepath}'",
        )


# -- .keras archives --------------------------------------------------------------------------
def _model_json(model):
    with ObjectSharingScope():
        config = serialize_keras_object(model)
    import minikeras

    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "minikeras_version": minikeras.__version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    return json.dumps(config), json.dumps(metadata)


def save_model(model, filepath, zipped=True):
    """Writes `model` as a `.keras` archive (or, with `zipped=False`, a directory holding the
    same three files)."""
    import h5py

    filepath = os.fspath(filepath)
    if zipped and not filepath.endswith(".keras"):
        raise ValueError(
            f"Invalid `filepath` argument: expected a `.keras` extension. Received: {filepath}"
        )
    if not zipped and filepath.endswith(".keras"):
        raise ValueError(
            "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
            f"Received: {filepath}"
        )
    if not model.built:
        warnings.warn(
            f"Model '{model.name}' is saved before being built: the file has no weights yet.",
            stacklevel=3,
        )
    config_json, metadata_json = _model_json(model)
    if not zipped:
        os.makedirs(filepath, exist_ok=True)
        _save_to_directory(model, filepath, config_json, metadata_json)
        return
    with atomic_write(filepath) as temporary:
        # The weights go to a file of their own first (h5py writes files fastest), then
        # into the archive.
        handle, weights_path = tempfile.mkstemp(
            prefix=f".{os.path.basename(filepath)}.", suffix=".h5", dir=os.path.dirname(temporary)
        )
        os.close(handle)
        try:
            with h5py.File(weights_path, "w") as h5_file:
                write_weights(model, h5_file)
            with (
                zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as archive,
                tempfile.TemporaryDirectory(dir=os.path.dirname(temporary)) as assets,
            ):
                archive.writestr(METADATA_FILENAME, metadata_json)
                archive.writestr(CONFIG_FILENAME, config_json)
                archive.write(weights_path, VARS_FILENAME_H5)
                _save_assets(model, assets)
                for full_path, name in _files_under(assets):
                    archive.write(full_path, f"{ASSETS_DIRNAME}/{name}")
        finally:
            os.remove(weights_path)


def _save_assets(model, directory):
    """Calls `save_assets(folder)` of every object under `model` that has the hook, each with
    its own folder `directory/<object path>` (the model itself gets `directory`)."""
    for path, obj in saveable_paths(model):
        if callable(getattr(obj, "save_assets", None)):
            folder = os.path.join(directory, *path.split("/")) if path else directory
            os.makedirs(folder, exist_ok=True)
            obj.save_assets(folder)


def _files_under(directory):
    """`(full path, "/"-separated path relative to directory)` of every file, sorted."""
    found = []
    for root, _, files in os.walk(directory):
        for name in files:
            full_path = os.path.join(root, name)
            found.append((full_path, os.path.relpath(full_path, directory).replace(os.sep, "/")))
    return sorted(found, key=lambda item: item[1])


def _save_to_directory(model, filepath, config_json, metadata_json):
    """Writes the three files and `assets/` of a `zipped=False` save into `filepath`.

    Every file is written beside its target first and renamed over it only once all of them
    (weights and assets included) are written, so a failing `save_own_variables` or
    `save_assets` hook leaves the directory as it was.
    """
    import h5py

    staging = tempfile.mkdtemp(prefix=".assets.", dir=filepath)
    try:
        # atomic_write renames on leaving its block: all renames wait for the stack's end.
        with contextlib.ExitStack() as renames:
            for name, text in ((METADATA_FILENAME, metadata_json), (CONFIG_FILENAME, config_json)):
                temporary = renames.enter_context(atomic_write(os.path.join(filepath, name)))
                with open(temporary, "w", encoding="utf-8") as handle:
                    handle.write(text)
            temporary = renames.enter_context(
                atomic_write(os.path.join(filepath, VARS_FILENAME_H5))
            )
            with h5py.File(temporary, "w") as h5_file:
                write_weights(model, h5_file)
            _save_assets(model, staging)
        target = os.path.join(filepath, ASSETS_DIRNAME)
        if os.path.isdir(target):
            shutil.rmtree(target)
        if _files_under(staging):
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract_assets(archive, filepath, directory):
    """Copies the archive's `assets/...` files into `directory`; returns True if there were
    any. Every name is checked first: one that would land outside `directory`, or a file
    that unpacks to far more than it stores, is refused before anything is written."""
    prefix = f"{ASSETS_DIRNAME}/"
    root = os.path.realpath(directory)
    planned = []
    for info in archive.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        parts = info.filename[len(prefix) :].split("/")
        target = os.path.realpath(os.path.join(root, *parts))
        if (
            "\\" in info.filename
            or any(part in ("", ".", "..") for part in parts)
            or os.path.commonpath([root, target]) != root
        ):
            raise ValueError(f"Not allowed: {filepath!r} holds the asset path {info.filename!r}.")
        if (
            info.file_size > _MAX_PACKED_ASSET_BYTES
            and info.file_size > _MAX_EXPANSION * info.compress_size
        ):
            raise ValueError(
                f"Not allowed: the asset {info.filename!r} of {filepath!r} unpacks from "
                f"{info.compress_size} to {info.file_size} bytes (a zip bomb?)."
            )
        planned.append((info, target))
    for info, target in planned:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with archive.open(info) as source, open(target, "wb") as destination:
            shutil.copyfileobj(source, destination)
    return bool(planned)


def _load_assets(model, directory):
    """Calls `load_assets(folder)` of every object under `model` that has the hook (None when
    the archive has no folder for it), as Keras does."""
    for path, obj in saveable_paths(model):
        if callable(getattr(obj, "load_assets", None)):
            folder = os.path.join(directory, *path.split("/")) if path else directory
            obj.load_assets(folder if os.path.isdir(folder) else None)


class MissingFileError(FileNotFoundError, ValueError):
    """A `.keras` file that does not exist: Keras raises a ValueError here, Python code
    expects a FileNotFoundError; this is both."""


def _open_archive(filepath):
    if not os.path.exists(filepath):
        raise MissingFileError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file."
        )
    try:
        return zipfile.ZipFile(filepath, "r")
    except zipfile.BadZipFile as error:
        raise OSError(
            f"Cannot read {filepath!r}: it is not a valid .keras file (not a zip archive; it may "
            f"be truncated or corrupted). {error}"
        ) from error


def _read_member(archive, name, filepath, limit=None):
    if name not in archive.namelist():
        raise ValueError(
            f"Invalid .keras file {filepath!r}: it has no {name!r}. It holds {archive.namelist()}."
        )
    info = archive.getinfo(name)
    if limit is not None and info.file_size > limit:
        raise ValueError(f"Refusing to read {name!r} of {filepath!r}: it is too large.")
    if (
        info.file_size > _MAX_PACKED_MEMBER_BYTES
        and info.file_size > _MAX_EXPANSION * info.compress_size
    ):
        raise ValueError(
            f"Not allowed: {name!r} of {filepath!r} unpacks from {info.compress_size} to "
            f"{info.file_size} bytes (a decompression bomb?)."
        )
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise OSError(f"Cannot read {name!r} from {filepath!r}: {error}") from error


def _open_archived_weights(archive, filepath):
    data = _read_member(archive, VARS_FILENAME_H5, filepath)
    return open_h5(io.BytesIO(data), what=f"weights file inside {filepath!r}")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Rebuilds a model from a `.keras` archive (or a directory of the same files).

    Args:
        filepath: the `.keras` file or directory.
        custom_objects: dict of your own classes and functions by name.
        compile: also compile the model as it was compiled when saved, and load the
            optimizer state.
        safe_mode: refuse Python lambdas stored as bytecode (they would run code from the
            file). Nothing else in the file can run code.
    """
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        config_path = os.path.join(filepath, CONFIG_FILENAME)
        if not os.path.exists(config_path):
            raise ValueError(f"The directory {filepath!r} has no {CONFIG_FILENAME}.")
        with open(config_path, encoding="utf-8") as handle:
            config_json = handle.read()
        model = _model_from_config(config_json, custom_objects, compile, safe_mode, filepath)
        weights_path = os.path.join(filepath, VARS_FILENAME_H5)
        if not os.path.exists(weights_path):
            raise ValueError(f"The directory {filepath!r} has no {VARS_FILENAME_H5}.")
        with open_h5(weights_path) as h5_file:
            load_state(model, h5_file, source=f"'{weights_path}'", unused_paths="warn")
        assets = os.path.join(filepath, ASSETS_DIRNAME)
        if os.path.isdir(assets):
            _load_assets(model, assets)
        return model
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filename: expected a `.keras` extension. Received: {filepath}")
    with contextlib.ExitStack() as stack:
        with _open_archive(filepath) as archive:
            config_json = _read_member(archive, CONFIG_FILENAME, filepath, _MAX_JSON_BYTES)
            model = _model_from_config(config_json, custom_objects, compile, safe_mode, filepath)
            h5_file = _open_archived_weights(archive, filepath)
            assets = stack.enter_context(tempfile.TemporaryDirectory())
            has_assets = _extract_assets(archive, filepath, assets)
        with h5_file:
            load_state(model, h5_file, source=f"'{filepath}'", unused_paths="warn")
        if has_assets:
            _load_assets(model, assets)
    return model


def _model_from_config(config_json, custom_objects, compile, safe_mode, filepath):  # noqa: A002
    try:
        config = json.loads(config_json)
    except ValueError as error:
        raise ValueError(f"Invalid {CONFIG_FILENAME} in {filepath!r}: {error}") from error
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Invalid {CONFIG_FILENAME} in {filepath!r}: not a model config.")
    if not compile:
        config["compile_config"] = None
    with ObjectSharingScope():
        return deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
