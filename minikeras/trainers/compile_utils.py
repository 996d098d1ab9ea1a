"""What `compile(loss=..., metrics=...)` turns into: one loss and metric list per output.

Both are built lazily on the first batch, when the shapes of `y_true` and `y_pred` are known
(needed to resolve "accuracy" and "crossentropy"). Outputs are matched by position, or by
name when the user passes dicts keyed by output names.
"""

import numpy as np

from minikeras import losses as losses_module
from minikeras import metrics as metrics_module
from minikeras import ops
from minikeras.trainers.data_adapters import flatten, map_structure


def _shape(value):
    return tuple(np.shape(value)) if not hasattr(value, "shape") else tuple(value.shape)


def binary_or_sparse(y_true, y_pred):
    """(is_binary, is_sparse_categorical) for one output, by Keras's shape rules."""
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    is_binary = bool(pred_shape) and pred_shape[-1] == 1
    is_sparse = len(true_shape) < len(pred_shape) or (
        bool(true_shape) and true_shape[-1] == 1 and bool(pred_shape) and pred_shape[-1] > 1
    )
    return is_binary, is_sparse


def object_name(obj):
    if hasattr(obj, "name") and isinstance(obj.name, str):
        return obj.name
    if hasattr(obj, "__name__"):
        return obj.__name__
    return type(obj).__name__


def resolve_metric(identifier, y_true, y_pred):
    """A Metric object for `identifier`; "accuracy"/"acc" picks the kind by shapes."""
    if identifier is None:
        raise ValueError("Expected a metric, received None.")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = binary_or_sparse(y_true, y_pred)
        if is_binary:
            metric = metrics_module.BinaryAccuracy(name=identifier)
        elif is_sparse:
            metric = metrics_module.SparseCategoricalAccuracy(name=identifier)
        else:
            metric = metrics_module.CategoricalAccuracy(name=identifier)
    else:
        metric = metrics_module.get(identifier)
        if isinstance(metric, type):
            metric = metric()
    name = identifier if isinstance(identifier, str) else object_name(metric)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


def resolve_loss(identifier, y_true, y_pred):
    """A Loss object for `identifier`; "crossentropy"/"ce" picks the kind by shapes."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = binary_or_sparse(y_true, y_pred)
        if is_binary:
            loss = losses_module.binary_crossentropy
        elif is_sparse:
            loss = losses_module.sparse_categorical_crossentropy
        else:
            loss = losses_module.categorical_crossentropy
    else:
        loss = losses_module.get(identifier)
        if isinstance(loss, type):
            loss = loss()
    if not isinstance(loss, losses_module.Loss):
        name = identifier if isinstance(identifier, str) else object_name(loss)
        loss = losses_module.LossFunctionWrapper(loss, name=name)
    return loss


def per_output(spec, output_names, what):
    """Spreads a compile argument over the outputs: one entry (or None) per output.

    `spec` may be a single item (applied to every output), a list/tuple with one item per
    output (nested like the outputs, or flat), or a dict keyed by output name.
    """
    count = len(output_names)
    if isinstance(spec, dict):
        unknown = [key for key in spec if key not in output_names]
        if unknown:
            raise ValueError(
                f"Unknown output name(s) {unknown} in `{what}`. The model's outputs are "
                f"{output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)):
        # As in Keras, any structure with one item per output matches the outputs: a
        # one-item list or namedtuple for a single output, nested lists for nested outputs.
        flat = flatten(spec)
        if len(flat) == count:
            return flat
        if count > 1 and len(spec) == count:
            return list(spec)
        raise ValueError(
            f"`{what}` has {len(flat)} entries, but the model has {count} "
            f"output{'s' if count > 1 else ''} {output_names}."
        )
    return [spec] * count


def _per_output_of(spec, names, what, y_pred):
    """`per_output` for a batch's predictions `y_pred`: with dict outputs a list is matched
    to the output names in sorted order, the order in which Keras flattens a dict."""
    if isinstance(y_pred, dict) and isinstance(spec, (list, tuple)) and len(names) > 1:
        ordered = sorted(names)
        by_name = dict(zip(ordered, per_output(spec, ordered, what)))
        return [by_name[name] for name in names]
    return per_output(spec, names, what)


def flat_outputs(values, output_names):
    """The per-output values of `values` (a tensor, list, or dict keyed by output name;
    None for an output a dict of output names leaves out)."""
    if isinstance(values, dict):
        if all(key in output_names for key in values):
            return [values.get(name) for name in output_names]
        return [values[key] for key in sorted(values)]
    return flatten(values)


def _structure_error(y_true, y_pred):
    def stars(structure):
        return map_structure(lambda _: "*", structure)

    return ValueError(
        "y_true and y_pred have different structures.\n"
        f"y_true: {stars(y_true)}\ny_pred: {stars(y_pred)}\n"
        "Give one target per output, or one per output that has a loss."
    )


def _only(value):
    """The target (or weight) of a single-output model given as a one-item list or dict."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.values()))
    return value


def check_names(spec, what):
    """Raises at `compile()` for an unknown loss or metric name anywhere in `spec`.

    The objects themselves are made on the first batch (when the shapes are known); the
    names are checked now so that a typo does not wait for `fit` to surface. The error is
    the one `losses.get` / `metrics.get` give, with the closest valid name.
    """
    module = losses_module if what == "loss" else metrics_module
    picked_by_shapes = ("crossentropy", "ce") if what == "loss" else ("accuracy", "acc")
    for name in flatten(spec):
        if (
            isinstance(name, str)
            and name.lower() not in picked_by_shapes
            and name not in module.ALL_OBJECTS_DICT
        ):
            module.get(name)  # raises, naming the closest valid name


def _check_container(loss, y_pred):
    """Raises for a nested `loss` whose container type differs from the outputs' own.

    A flat list or tuple with one loss per output matches any outputs. A nested one of
    another type (a tuple of lists for list outputs, lists or a dict of lists for namedtuple
    outputs, lists for dict outputs) Keras 3.15 either refuses (dict outputs) or applies
    each of its losses to all outputs stacked together; minikeras refuses both rather than
    give other numbers.
    """
    if isinstance(loss, dict) and isinstance(y_pred, (list, tuple)):
        loss = list(loss.values())  # Keras lists a dict's losses for outputs that are no dict
    if not isinstance(loss, (list, tuple)) or not isinstance(y_pred, (list, tuple, dict)):
        return
    flat_match = len(loss) == len(flatten(y_pred)) and not any(
        isinstance(entry, (list, tuple, dict)) for entry in loss
    )
    if not flat_match and not isinstance(y_pred, type(loss)):
        raise ValueError(
            f"The nested `loss` is a {type(loss).__name__} but the model's outputs are a "
            f"{type(y_pred).__name__}: give the loss structure the outputs' own container "
            f"type (or a dict keyed by output name). Received: loss={loss!r}"
        )


class CompileLoss:
    """The compiled loss: per-output losses times `loss_weights`, summed.

    With several outputs it also tracks each output's (unweighted) loss as a Mean metric
    named `<output>_loss`, as Keras logs it.
    """

    def __init__(self, loss, loss_weights=None, output_names=None, output_structure=None):
        check_names(loss, "loss")
        self.output_structure = output_structure  # a Functional model's output tensors
        self.user_loss = loss
        self.user_loss_weights = loss_weights
        self.output_names = output_names
        self.built = False
        self.losses = []  # one per loss, with its output's position in `outputs`
        self.outputs = []
        self.weights = []
        self.metrics = []  # the per-output loss trackers, in Keras's order
        self._output_trackers = []  # the same, in output order
        self._paths = None  # for nested dict outputs: the keys leading to each output
        self.targeted = []  # the positions of the outputs that have a loss

    def build(self, y_true, y_pred):
        _check_container(self.user_loss, y_pred)
        if isinstance(y_pred, dict) and any(
            isinstance(value, (dict, list, tuple)) for value in y_pred.values()
        ):
            return self._build_by_paths(y_true, y_pred)
        names = self.output_names
        flat_pred = flatten(y_pred) if not isinstance(y_pred, dict) else list(y_pred.values())
        if not names or len(names) != len(flat_pred):
            if isinstance(y_pred, dict):
                names = list(y_pred)
            else:
                names = [None] * len(flat_pred)
        self.output_names = names
        keys = [n or str(i) for i, n in enumerate(names)]
        specs = _per_output_of(self.user_loss, keys, "loss", y_pred)
        weights = (
            _per_output_of(self.user_loss_weights, keys, "loss_weights", y_pred)
            if self.user_loss_weights is not None
            else [None] * len(names)
        )
        flat_pred = flat_outputs(y_pred, names)
        entries = _loss_entries(specs, weights, self.user_loss_weights)
        # The outputs that have a loss: with fewer targets than outputs, the targets are
        # theirs, in order (as Keras matches `fit(x, [y_b, y_c])` to `loss=[None, l, l]`).
        self.targeted = sorted({i for i, _, _ in entries})
        flat_true = flat_outputs(y_true, names) if len(names) > 1 else [_only(y_true)]
        flat_true = self.spread_targets(flat_true, y_true, y_pred)
        if len(names) == 1 and len(entries) > 1:
            # Keras 3.15 takes such a structure but adds only the first loss to the total
            # (its single-output fast path); refused rather than silently dropping a loss.
            raise ValueError(
                f"`loss` gives {len(entries)} losses for the model's single output: pass "
                f"one loss, or a function that sums them. Received: loss={self.user_loss!r}"
            )
        self.outputs = [i for i, _, _ in entries]
        self.losses = [resolve_loss(spec, flat_true[i], flat_pred[i]) for i, spec, _ in entries]
        self.weights = [weight for _, _, weight in entries]
        if len(entries) > 1:
            prefixes = _path_prefixes(y_pred, len(names))
            self._output_trackers = [
                metrics_module.Mean(name=f"{prefixes[i]}{names[i] or loss.name}_loss")
                for i, loss in zip(self.outputs, self.losses)
            ]
            order = _tracker_order(self.user_loss, y_pred, names)
            self.metrics = [
                tracker
                for position in order
                for i, tracker in zip(self.outputs, self._output_trackers)
                if i == position
            ]
        self.built = True

    def spread_targets(self, flat_true, y_true, y_pred):
        """One target per output (None for an output without one): `flat_true` as it is
        when it has one per output, else its targets given to the outputs that have a loss,
        in order. Raises when the counts match neither."""
        count = len(flatten(y_pred)) if not isinstance(y_pred, dict) else len(y_pred)
        if len(flat_true) == count:
            return flat_true
        if len(flat_true) != len(self.targeted):
            raise _structure_error(y_true, y_pred)
        spread = [None] * count
        for position, target in zip(self.targeted, flat_true):
            spread[position] = target
        return spread

    def _build_by_paths(self, y_true, y_pred):
        """`build` for dict outputs nested more than one level (`{"a": {"c": t, "d": t}}`):
        each output is found by its path of keys, and so are its loss and weight."""
        _check_loss_paths(self.user_loss, y_pred, ())
        self._paths = _leaf_paths(y_pred)
        specs = [_at_path(self.user_loss, path) for path in self._paths]
        weights = [_at_path(self.user_loss_weights, path) for path in self._paths]
        if isinstance(self.user_loss_weights, (list, tuple)):
            # A flat list of weights for a nested loss: one per loss, in the losses' order.
            flat_weights = flatten(self.user_loss_weights)
            flat_losses = [spec for spec in flatten(self.user_loss) if spec is not None]
            if len(flat_weights) != len(flat_losses):
                raise ValueError(
                    f"`loss_weights` must match the number of losses, got {len(flat_losses)} "
                    f"losses and {len(flat_weights)} weights. Received: "
                    f"loss_weights={self.user_loss_weights!r}"
                )
            given = iter(flat_weights)
            weights = [None if spec is None else next(given) for spec in specs]
        entries = _loss_entries(specs, weights, self.user_loss_weights)
        self.outputs = [i for i, _, _ in entries]
        self.losses = [
            resolve_loss(spec, _at_path(y_true, self._paths[i]), _at_path(y_pred, self._paths[i]))
            for i, spec, _ in entries
        ]
        self.weights = [weight for _, _, weight in entries]
        given = self.output_names
        if not given or len(given) != len(self._paths):
            given = [None] * len(self._paths)
        self.output_names = ["/".join(str(key) for key in path) for path in self._paths]
        if len(entries) > 1:
            # As Keras names them: the path of keys, where a last position (an item of a
            # list of outputs) is the output's layer name, or its loss's name if unknown.
            names = []
            for i, loss in zip(self.outputs, self.losses):
                path = self._paths[i]
                if isinstance(path[-1], int):
                    layer = _output_layer_name(self.output_structure, path)
                    path = path[:-1] + (layer or given[i] or loss.name,)
                names.append("/".join(str(key) for key in path))
            self._output_trackers = [metrics_module.Mean(name=f"{name}_loss") for name in names]
            self.metrics = list(self._output_trackers)
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        names = self.output_names
        if self._paths is not None:
            flat_true = [_at_path(y_true, path) for path in self._paths]
            flat_pred = [_at_path(y_pred, path) for path in self._paths]
            if isinstance(sample_weight, dict):
                flat_weights = [_at_path(sample_weight, path) for path in self._paths]
            else:
                flat_weights = [sample_weight] * len(self._paths)
        elif len(names) > 1:
            flat_true = flat_outputs(y_true, names)
            flat_pred = flat_outputs(y_pred, names)
            if len(flat_true) != len(flat_pred):
                flat_true = self.spread_targets(flat_true, y_true, y_pred)
            if sample_weight is not None and isinstance(sample_weight, (list, tuple, dict)):
                flat_weights = flat_outputs(sample_weight, names)
            else:
                flat_weights = [sample_weight] * len(names)
        else:
            flat_true = [_only(y_true)]
            flat_pred = flatten(y_pred) if not isinstance(y_pred, dict) else list(y_pred.values())
            flat_weights = [_only(sample_weight)]
        trackers = iter(self._output_trackers) if self.metrics else None
        total = None
        for i, loss, weight in zip(self.outputs, self.losses, self.weights):
            yt, yp, sw = flat_true[i], flat_pred[i], flat_weights[i]
            if yt is None:
                raise ValueError(
                    "The model has a loss for an output but no target (y) was given for it."
                )
            value = loss(yt, yp, sample_weight=sw)
            if self.metrics:
                next(trackers).update_state(value, sample_weight=_batch_size(yp))
            if weight is not None:
                value = ops.multiply(value, float(weight))
            total = value if total is None else ops.add(total, value)
        return total


def _loss_entries(specs, weights, user_loss_weights):
    """(output position, loss, weight) for every loss, in output order.

    An output's entry may be a list (or nested lists) of losses, as Keras accepts: each is
    its own loss on that output, and `loss_weights` then gives one weight per loss.
    """
    entries, spreads = [], []
    for position, spec in enumerate(specs):
        if isinstance(spec, (list, tuple)):
            losses = [loss for loss in flatten(spec) if loss is not None]
        else:
            losses = [] if spec is None else [spec]
        entries += [(position, loss) for loss in losses]
        weight = weights[position]
        spreads += flatten(weight) if isinstance(weight, (list, tuple)) else [weight]
    if user_loss_weights is None:
        return [(position, loss, None) for position, loss in entries]
    if len(spreads) == len(specs) and all(
        not isinstance(spec, (list, tuple)) or len(flatten(spec)) == 1 for spec in specs
    ):
        # One weight per output, each output with one loss (or none).
        return [(position, loss, spreads[position]) for position, loss in entries]
    if len(spreads) != len(entries):
        raise ValueError(
            f"`loss_weights` must match the number of losses, got {len(entries)} losses and "
            f"{len(spreads)} weights. Received: loss_weights={user_loss_weights!r}"
        )
    return [(position, loss, weight) for (position, loss), weight in zip(entries, spreads)]


def _at_path(structure, path):
    """What `structure` holds at `path` (keys and positions); a structure that ends before
    the path does (a single loss for a whole group of outputs) applies to all below it, and
    a dict without the key gives None."""
    for key in path:
        if isinstance(structure, dict):
            if key not in structure:
                return None
            structure = structure[key]
        elif isinstance(structure, (list, tuple)) and isinstance(key, int):
            structure = structure[key]
        else:
            break
    return structure


def _check_loss_paths(loss, y_pred, path):
    """Raises KeyError, as Keras does, for a key in a nested `loss` dict that the model's
    outputs do not have."""
    if not isinstance(loss, dict):
        return
    if not isinstance(y_pred, dict):
        raise KeyError(
            f"The path: {path} in the `loss` argument, can't be found in the model's output "
            f"(`y_pred`), whose keys there are none (it is a single output)."
        )
    for key, value in loss.items():
        if key not in y_pred:
            raise KeyError(
                f"The path: {path + (key,)} in the `loss` argument, can't be found in the "
                f"model's output (`y_pred`), whose keys there are {list(y_pred)}."
            )
        _check_loss_paths(value, y_pred[key], path + (key,))


def _leaf_paths(structure, path=()):
    """The path (keys and positions) to each leaf of `structure`, in `flatten` order."""
    if isinstance(structure, dict):
        items = structure.items()
    elif isinstance(structure, (list, tuple)):
        items = enumerate(structure)
    else:
        return [path]
    return [leaf for key, value in items for leaf in _leaf_paths(value, path + (key,))]


def _path_prefixes(y_pred, count):
    """What Keras puts before an output's name in its loss tracker's name: the path to the
    output inside nested outputs (`"1/"` for the first output of the second group), the
    output's own position or key being replaced by its name."""
    paths = _leaf_paths(y_pred)
    if len(paths) != count:
        return [""] * count
    return ["".join(f"{key}/" for key in path[:-1]) for path in paths]


def _output_layer_name(output_structure, path):
    """The name of the layer (or op) making the output at `path` of a Functional model's
    `output_structure`, or None when that is not known (a subclassed model's metrics then
    have no prefix, as in Keras)."""
    try:
        tensor = _at_path(output_structure, path)
        return tensor.node.operation.name
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _tracker_order(loss, y_pred, names):
    """The output positions in the order Keras lists the per-output loss trackers: for dict
    outputs, the order of a loss dict, else of the sorted output names; else output order.
    """
    positions = list(range(len(names)))
    if isinstance(y_pred, dict) and set(y_pred) == set(names):
        keys = [key for key in loss if key in names] if isinstance(loss, dict) else sorted(names)
        positions = [names.index(key) for key in keys]
    return positions


def _batch_size(value):
    shape = _shape(value)
    return shape[0] if shape else 1


def _check_metric_depth(entries, argument, value):
    """Raises for an output's metrics nested deeper than one list, which Keras refuses."""
    if isinstance(value, (list, tuple)) and len(value) == len(entries):
        entries = value  # the user's own entries, before `per_output` flattens them
    for entry in entries:
        for item in entry if isinstance(entry, (list, tuple)) else ():
            if isinstance(item, (list, tuple, dict)):
                raise ValueError(
                    f"Could not interpret metric identifier: {item!r}. An output's metrics "
                    f"are a metric or a flat list of them. Received: {argument}={value!r}"
                )


def _check_same_keys(spec, y_pred, argument, path):
    """Raises ValueError unless the metrics dict `spec` has the keys of the nested dict
    outputs `y_pred` at every level, as Keras requires of metrics for such outputs."""
    if not isinstance(y_pred, dict):
        return
    if not isinstance(spec, dict) or set(spec) != set(y_pred):
        got = list(spec) if isinstance(spec, dict) else spec
        raise ValueError(
            f"`{argument}` for nested dict outputs must be a dict with the outputs' keys at "
            f"every level: at {path} expected the keys {sorted(y_pred)}, received {got!r}."
        )
    for key in y_pred:
        _check_same_keys(spec[key], y_pred[key], argument, path + (key,))


class CompileMetrics(metrics_module.Metric):
    """The compiled metrics of every output, as one metric named "compile_metrics".

    As in Keras, `model.metrics` lists this object rather than the metrics inside it: they
    are made on the first batch (`metrics` is empty until then), and `result()` returns a
    dict of their values under Keras's log names, which the trainer merges into the logs.
    """

    def __init__(
        self,
        metrics,
        weighted_metrics,
        output_names=None,
        output_structure=None,
        compile_loss=None,
    ):
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple, dict)):
                raise ValueError(
                    f"Expected `{argument}` to be a list, tuple or dict, received "
                    f"{argument}={value!r} of type {type(value).__name__}."
                )
        check_names([metrics, weighted_metrics], "metric")
        if output_names is not None and len(output_names) > 1 and output_structure is not None:
            # Checked now, when the model's outputs are known, rather than on the first
            # batch, which comes after the first weight update.
            for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
                if value:
                    _check_metric_depth(
                        per_output(value, list(output_names), argument), argument, value
                    )
        if isinstance(output_structure, dict) and any(
            isinstance(value, (dict, list, tuple)) for value in output_structure.values()
        ):
            # Nested dict outputs: checked now too, as the first batch updates the weights
            # before it updates the metrics.
            for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
                if value:
                    _check_same_keys(value, output_structure, argument, ())
        super().__init__(name="compile_metrics")
        self.user_metrics = metrics
        self.user_weighted_metrics = weighted_metrics
        self.output_names = output_names
        self._output_structure = output_structure
        self.built = False
        self.unweighted = []
        self.weighted = []
        self._paths = None  # for nested dict outputs: the keys leading to each output
        self.compile_loss = compile_loss  # the model's CompileLoss, to place partial targets

    def _build_set(self, spec, flat_true, flat_pred, names, argument, y_pred):
        if not spec:
            return [[] for _ in names]
        if len(names) == 1:
            return [[resolve_metric(m, flat_true[0], flat_pred[0]) for m in flatten(spec)]]
        # With several outputs a list has one entry (a metric, a list of them, or None)
        # per output, as in Keras 3; it is not applied to every output.
        per = _per_output_of(spec, [n or str(i) for i, n in enumerate(names)], argument, y_pred)
        _check_metric_depth(per, argument, spec)
        return [
            [resolve_metric(m, yt, yp) for m in flatten(entry) if m is not None]
            if entry is not None
            else []
            for entry, yt, yp in zip(per, flat_true, flat_pred)
        ]

    def _build_by_paths(self, y_true, y_pred):
        """`build` for dict outputs nested more than one level: as in Keras, each metrics
        argument is then a dict of the outputs' own nesting, with a list at every output."""
        self._paths = _leaf_paths(y_pred)
        # As Keras, the metrics are named after the layers that make the outputs (its
        # `output_names`), when they are known; else they have no prefix.
        given = self.output_names if len(self.output_names or ()) == len(self._paths) else None
        self.output_names = [
            _output_layer_name(self._output_structure, path) or (given and given[i])
            for i, path in enumerate(self._paths)
        ]
        sets = []
        for argument, spec in (
            ("metrics", self.user_metrics),
            ("weighted_metrics", self.user_weighted_metrics),
        ):
            if not spec:
                sets.append([[] for _ in self._paths])
                continue
            _check_same_keys(spec, y_pred, argument, ())
            sets.append(
                [
                    [
                        resolve_metric(m, _at_path(y_true, path), _at_path(y_pred, path))
                        for m in flatten(_at_path(spec, path))
                        if m is not None
                    ]
                    for path in self._paths
                ]
            )
        self.unweighted, self.weighted = sets
        self.built = True

    def build(self, y_true, y_pred):
        if isinstance(y_pred, dict) and any(
            isinstance(value, (dict, list, tuple)) for value in y_pred.values()
        ):
            return self._build_by_paths(y_true, y_pred)
        flat_pred = flatten(y_pred) if not isinstance(y_pred, dict) else list(y_pred.values())
        names = self.output_names
        if not names or len(names) != len(flat_pred):
            names = list(y_pred) if isinstance(y_pred, dict) else [None] * len(flat_pred)
        elif isinstance(y_pred, dict) and set(names) != set(y_pred):
            names = list(y_pred)  # as Keras: dict outputs are named by their keys
        self.output_names = names
        flat_true = flat_outputs(y_true, names) if len(names) > 1 else [_only(y_true)]
        flat_pred = flat_outputs(y_pred, names)
        if len(flat_true) != len(flat_pred):
            flat_true = self._spread_targets(flat_true, y_true, y_pred)
        self.unweighted = self._build_set(
            self.user_metrics, flat_true, flat_pred, names, "metrics", y_pred
        )
        self.weighted = self._build_set(
            self.user_weighted_metrics, flat_true, flat_pred, names, "weighted_metrics", y_pred
        )
        self.built = True

    def _spread_targets(self, flat_true, y_true, y_pred):
        """One target per output when the targets are only those of the outputs with a
        loss (`compile_loss`, set by `compile`, knows which). Keras 3.15 pairs such targets
        with the first outputs instead, and drops the metrics of the last ones."""
        if self.compile_loss is None or not self.compile_loss.built:
            raise _structure_error(y_true, y_pred)
        spread = self.compile_loss.spread_targets(flat_true, y_true, y_pred)
        keys = [name or str(i) for i, name in enumerate(self.output_names)]
        for argument, spec in (
            ("metrics", self.user_metrics),
            ("weighted_metrics", self.user_weighted_metrics),
        ):
            entries = _per_output_of(spec, keys, argument, y_pred) if spec else []
            for key, entry, target in zip(keys, entries, spread):
                if target is None and flatten(entry) and any(flatten(entry)):
                    raise ValueError(
                        f"Output {key} has `{argument}` but no target: give a target for it "
                        "in `y`, or no metrics."
                    )
        return spread

    @property
    def metrics(self):
        """The metrics inside, unweighted then weighted, output by output (none before the
        first batch)."""
        return [m for group in self.unweighted + self.weighted for m in group]

    @property
    def variables(self):
        return [v for metric in self.metrics for v in metric.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        names = self.output_names
        if self._paths is not None:
            flat_true = [_at_path(y_true, path) for path in self._paths]
            flat_pred = [_at_path(y_pred, path) for path in self._paths]
            if isinstance(sample_weight, dict):
                flat_weights = [_at_path(sample_weight, path) for path in self._paths]
            else:
                flat_weights = [sample_weight] * len(self._paths)
        elif len(names) > 1:
            flat_true, flat_pred = flat_outputs(y_true, names), flat_outputs(y_pred, names)
            if len(flat_true) != len(flat_pred):
                flat_true = self._spread_targets(flat_true, y_true, y_pred)
            if isinstance(sample_weight, (list, tuple, dict)):
                flat_weights = flat_outputs(sample_weight, names)
            else:
                flat_weights = [sample_weight] * len(names)
        else:
            flat_true, flat_pred = [_only(y_true)], flatten(y_pred)
            flat_weights = [_only(sample_weight)]
        for group, yt, yp in zip(self.unweighted, flat_true, flat_pred):
            for metric in group:
                metric.update_state(yt, yp)
        for group, yt, yp, sw in zip(self.weighted, flat_true, flat_pred, flat_weights):
            for metric in group:
                metric.update_state(yt, yp, sample_weight=sw)

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()

    def get_config(self):
        raise NotImplementedError("The compiled metrics are rebuilt by `compile`, not saved.")

    def result(self):
        """`{log_name: value}` with Keras's names: `<output>_` prefix for several outputs,
        `weighted_` for a weighted metric whose name is taken, `_1`, `_2` for repeats."""
        if not self.built:
            raise ValueError(
                "The compiled metrics have no result before the first batch: they are built "
                "from the shapes of the first `y` and `y_pred` they are updated with."
            )
        results, counts = {}, {}
        multi = len(self.output_names) > 1
        for weighted, groups in ((False, self.unweighted), (True, self.weighted)):
            for output_name, group in zip(self.output_names, groups):
                prefix = f"{output_name}_" if multi and output_name else ""
                for metric in group:
                    name = prefix + metric.name
                    if name in counts and weighted:
                        name = prefix + "weighted_" + metric.name
                    if name in counts:
                        counts[name] += 1
                        name = f"{name}_{counts[name] - 1}"
                    else:
                        counts[name] = 1
                    results[name] = metric.result()
        return results
