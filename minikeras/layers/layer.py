"""`Layer`: the base class of every layer and model.

What a layer does, in the order a call does it:

1. On symbolic inputs (from `keras.Input`), build the layer and record a graph node
   instead of computing (`layers/operation.py`).
2. Convert float inputs to the layer's dtype, build on the first call
   (`build(input_shape)` creates the weights), check the input against `input_spec`.
3. At the start of a top-level call, clear the losses added by the previous call,
   recursively (nested calls do not clear).
4. Run `call(...)`, passing `training` on to nested layers, and the inputs' masks
   (`layers/mask_propagation.py`).
5. Add the activity-regularizer loss, if any.

Sublayers, variables and metrics are found by looking at the layer's attributes (also
inside lists, tuples and dicts), in the order they were first assigned; `layers/tracking.py`
records when that structure changes, so the lists found can be cached. The rest of a layer
is in the classes `Layer` inherits, each in its own file of `layers/`: `Operation` (symbolic
calls, output shapes), `MaskSupport` (`compute_mask`), `WeightIO` (`get_weights`, the saving
hooks), `MetricTracking` (`metrics`), `Replayable` (what compiled steps may replay) and
`BuildConfig` (`get_build_config`, `build_from_config`).
"""

import numpy as np

from minikeras import config, random
from minikeras.autodiff import Tensor, Variable, convert_to_tensor
from minikeras.autodiff.masks import live_masks as _mask_table
from minikeras.autodiff.tensor import creation_logs, dtype_name
from minikeras.layers.auto_config import _constructor_arguments
from minikeras.layers.build_config import BuildConfig, recording_build
from minikeras.layers.call_arguments import (
    _autocast,
    _call_signature_flags,
    _check_call_arguments,
    _to_tensors,
)
from minikeras.layers.input_spec import assert_input_compatibility
from minikeras.layers.mask_propagation import (
    MaskSupport,
    _call_masks,
    _first_argument,
    _keep_masks,
    _set_output_masks,
)
from minikeras.layers.metric_tracking import MetricTracking
from minikeras.layers.operation import Operation, _symbolic_call, shapes_of
from minikeras.layers.replay import Replayable
from minikeras.layers.tracking import (
    TrackedDict,
    TrackedList,
    _attribute_version,
    _attribute_versions,
    _structure_version,
    attribute_values,
    each_once,
    layers_depth_first,
    structure_changed,
)
from minikeras.layers.weight_io import WeightIO
from minikeras.ops import symbolic as _symbolic
from minikeras.ops.symbolic import KerasTensor, any_symbolic
from minikeras.tree import flatten
from minikeras.utils import naming

_LAYER_KWARGS = ("input_shape", "batch_input_shape", "batch_size", "input_dim", "autocast")


def _is_trackable(value):
    if isinstance(value, KerasTensor):
        return False
    trackable = (Layer, Variable, random.SeedGenerator, list, tuple, dict)
    return isinstance(value, trackable) or hasattr(value, "reset_state")


class Layer(Operation, MaskSupport, WeightIO, MetricTracking, Replayable, BuildConfig):
    """Base class of layers: weights, `build`/`call`, losses, metrics, configuration.

    Args:
        name: unique name (defaults to the snake_case class name, numbered).
        trainable: whether the weights are updated by training.
        dtype: dtype of the weights and computations (`floatx()` by default).
        activity_regularizer: optional function of the outputs added to `losses`.

    Example:
        >>> class Linear(Layer):
        ...     def __init__(self, units):
        ...         super().__init__()
        ...         self.units = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1], self.units))
        ...     def call(self, x):
        ...         return ops.matmul(x, self.w)
    """

    def __init_subclass__(cls, **kwargs):
        # A subclass's build() marks the layer built and records its build config, however
        # it is called (as Keras does).
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = recording_build(cls.__dict__["build"])

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # Set before any subclass __init__ runs, so attribute assignment can be tracked.
        object.__setattr__(layer, "_losses", [])
        object.__setattr__(layer, "_own_variables", [])
        object.__setattr__(layer, "_inbound_nodes", [])
        object.__setattr__(layer, "_added_metrics", {})
        object.__setattr__(layer, "built", False)
        object.__setattr__(layer, "_trainable", True)
        object.__setattr__(layer, "_init_args", (args, kwargs))
        return layer

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable=True,
        dtype=None,
        autocast=True,
        name=None,
        **kwargs,
    ):
        unknown = set(kwargs) - set(_LAYER_KWARGS)
        if unknown:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(unknown)}"
            )
        self.name = name or naming.auto_name(type(self).__name__)
        self._trainable = bool(trainable)
        self._dtype = np.dtype(dtype or config.floatx()).name
        self.autocast = autocast
        self.activity_regularizer = _get_regularizer(activity_regularizer)
        self.input_spec = None
        # As Keras: a layer that defines compute_mask supports masking.
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        # Keras-2 style shape hints, used when this is the first layer of a Sequential.
        input_shape = kwargs.get("input_shape")
        if "input_dim" in kwargs and input_shape is None:
            input_shape = (kwargs["input_dim"],)
        if "batch_input_shape" in kwargs:
            self._batch_input_shape = tuple(kwargs["batch_input_shape"])
        elif input_shape is not None:
            self._batch_input_shape = (kwargs.get("batch_size"), *tuple(input_shape))
        else:
            self._batch_input_shape = None

    # -- attribute tracking -----------------------------------------------------------------
    # Sublayers, variables and metrics are found by scanning the attributes. The results are
    # cached and recomputed only after the structure of some layer changed (an attribute
    # holding a layer, variable, metric or container was set, a tracked list or dict was
    # modified, or a weight was added): `_structure_version` counts those changes.
    def __setattr__(self, name, value):
        if type(value) is list:
            value = TrackedList(value)
        elif type(value) is dict:
            value = TrackedDict(value)
        if _is_trackable(value) or _is_trackable(self.__dict__.get(name)):
            structure_changed()
            if isinstance(value, Variable) and not any(v is value for v in self._own_variables):
                if not any(value is v for layer in self._sublayers() for v in layer.weights):
                    self._own_variables.append(value)
                    structure_changed()
        object.__setattr__(self, name, value)
        _attribute_version[0] = next(_attribute_versions)

    def __delattr__(self, name):
        structure_changed()
        object.__delattr__(self, name)
        _attribute_version[0] = next(_attribute_versions)

    def _cached(self, key, compute):
        cache = self.__dict__.get("_structure_cache")
        if cache is None or cache[0] != _structure_version[0]:
            cache = (_structure_version[0], {})
            object.__setattr__(self, "_structure_cache", cache)
        values = cache[1]
        if key not in values:
            values[key] = compute()
        return values[key]

    def _tracked(self, kind):
        """Objects of `kind` among the attributes, in first-assignment order, no repeats."""
        return self._cached(("tracked", kind), lambda: attribute_values(self, kind))

    def _sublayers(self):
        """Direct sublayers, in the order they were assigned."""
        return self._tracked(Layer)

    @property
    def layers(self):
        return self._sublayers()

    def _flatten_layers(self, include_self=True):
        """This layer and every layer below it, depth first, each once."""
        everything = self._cached("flatten", self._collect_layers)
        return everything if include_self else everything[1:]

    # A method (a bound method costs less than a new closure on every call).
    _collect_layers = layers_depth_first

    # -- weights ----------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def compute_dtype(self):
        return self._dtype

    @property
    def variable_dtype(self):
        return self._dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for variable in self._own_variables:
            if getattr(variable, "_created_trainable", True):
                variable.trainable = value
        for layer in self._sublayers():
            layer.trainable = value

    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        overwrite_with_gradient=False,
        name=None,
    ):
        """Creates a weight variable owned by this layer.

        Args:
            shape: shape of the weight (`()` by default).
            initializer: name, Initializer or callable; `"glorot_uniform"` for floats,
                `"zeros"` otherwise by default.
            trainable: whether training updates it.
            regularizer: optional penalty added to `losses`.
            constraint: optional projection applied after each optimizer update.
            name: readable name (also used in saved files).
        """
        from minikeras import constraints, initializers, regularizers

        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = np.dtype(dtype or self._dtype).name
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        initializer = initializers.get(initializer)
        variable = Variable(
            initializer, shape=shape, dtype=dtype, trainable=trainable, name=name or "variable"
        )
        scope = config.current_path()  # the open keras.name_scope, as in Keras
        variable.path = (
            f"{scope}/{self.name}/{variable.name}" if scope else f"{self.name}/{variable.name}"
        )
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        variable.overwrite_with_gradient = overwrite_with_gradient
        variable._created_trainable = bool(trainable)
        if not self._trainable:
            variable.trainable = False
        self._own_variables.append(variable)
        structure_changed()
        return variable

    add_variable = add_weight

    @property
    def weights(self):
        """All weights: own trainable, own non-trainable, then sublayers', each once."""
        return list(self._cached("weights", self._collect_weights))

    def _own_weights(self):
        # Keras keeps the order fixed by how each variable was created.
        own = self._own_variables
        return [v for v in own if getattr(v, "_created_trainable", True)] + [
            v for v in own if not getattr(v, "_created_trainable", True)
        ]

    def _collect_weights(self):
        sublayers = [w for layer in self._sublayers() for w in layer.weights]
        return each_once(self._own_weights() + sublayers)

    def _collect_variables(self):
        seeds = [generator.state for generator in self._tracked(random.SeedGenerator)]
        sublayers = [v for layer in self._sublayers() for v in layer.variables]
        return each_once(self._own_weights() + seeds + sublayers)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def variables(self):
        """As Keras: own weights, own seed generators' states, then each sublayer's
        variables, each once; metric state is in `metrics_variables`."""
        return list(self._cached("variables", self._collect_variables))

    trainable_variables = trainable_weights

    @property
    def non_trainable_variables(self):
        everything = self.variables
        return everything if not self._trainable else [v for v in everything if not v.trainable]

    def count_params(self):
        """Total number of weight values (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f'Layer "{self.name}" is not built yet, so its number of parameters is '
                "unknown. Call it on data or call build(input_shape) first."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # -- build and call ---------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights once the input shape is known. Override in subclasses."""
        self.built = True
        self._build_shapes = input_shape  # its build config (see build_config.py)

    def _maybe_build(self, args, kwargs):
        if self.built:
            return
        first = args[0] if args else next(iter(kwargs.values()), None)
        shape = shapes_of(first)
        self.build(shape)
        self.built = True
        self._build_shapes = shape
        # Values `build` assigns to the variables it creates stay (only calls are undone).
        for log in creation_logs:
            for variable in self.weights:
                if id(variable) in log:
                    log[id(variable)] = (variable, variable.data.copy())

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    # Keras lets only tensors (or None) be passed positionally to most layers: a value meant
    # for `training` or a layer option must be a keyword. Functional models (whose call takes
    # a structure of inputs) and a few preprocessing layers allow other values.
    _allow_non_tensor_positional_args = False

    def __call__(self, *args, **kwargs):
        if len(args) > 1 or "mask" in kwargs:
            _check_call_arguments(self, args, kwargs)
        context = _symbolic.call_context  # this thread's running layer calls
        depth = context.eager_depth
        if depth:
            # Inside an eager call arguments are concrete, except while a model builds its
            # graph lazily (a Sequential on its first batch): check the first one only.
            if args and type(args[0]) is KerasTensor:
                return _symbolic_call(self, args, kwargs)
        elif any_symbolic(args, kwargs):
            return _symbolic_call(self, args, kwargs)
        # Masks are looked for only when some tensor carries one or a mask is passed.
        masked = bool(_mask_table) or kwargs.get("mask") is not None
        if self.autocast:
            first = args[0] if len(args) == 1 else None
            # One tensor already in the layer's dtype (the usual call) needs no conversion.
            if type(first) is not Tensor or dtype_name(first.data.dtype) != self._dtype:
                converted = _to_tensors(args, self._dtype)
                if masked and args:
                    _keep_masks(args[0], converted[0])
                args = converted
        if kwargs:
            kwargs = {
                k: _autocast(v, np.dtype(self._dtype)) if isinstance(v, np.ndarray) else v
                for k, v in kwargs.items()
            }
        has_training, has_mask = _call_signature_flags(type(self))
        # An explicit `training=None` with none inherited reaches `call` as None, as in
        # Keras (a call's own default, such as RandomFlip's True, applies only when omitted).
        explicit = "training" in kwargs
        training = kwargs.pop("training", None)
        if training is None:
            training = context.training[-1]  # inherited from the enclosing call
        if has_training and (training is not None or explicit):
            kwargs["training"] = training
        previous_mask = _call_masks(self, args, kwargs, has_mask) if masked else None
        if not has_mask:
            kwargs.pop("mask", None)
        if depth == 0:
            for layer in self._flatten_layers():
                layer._losses.clear()
        context.eager_depth = depth + 1
        context.training.append(training)
        try:
            self._maybe_build(args, kwargs)
            if self.input_spec is not None and args:
                # Checked once per input shape: training calls repeat the same shapes.
                shape = getattr(args[0], "shape", None)
                if shape is None or shape != self.__dict__.get("_checked_shape"):
                    assert_input_compatibility(self.input_spec, args[0], self.name)
                    object.__setattr__(self, "_checked_shape", shape)
            outputs = self.call(*args, **kwargs)
            # (`_makes_masks`, inlined: this runs at every eager call.)
            if previous_mask is not None or (
                type(self).compute_mask is not Layer.compute_mask and self.supports_masking
            ):
                _set_output_masks(self, _first_argument(self, args, kwargs), outputs, previous_mask)
        finally:
            context.training.pop()
            context.eager_depth = depth
        if self.activity_regularizer is not None:
            for output in flatten(outputs):
                if isinstance(output, Tensor) and output.data.dtype.kind == "f":
                    batch = output.shape[0] if output.ndim else 1
                    self.add_loss(self.activity_regularizer(output) / float(batch))
        return outputs

    # -- losses -----------------------------------------------------------------------------
    def add_loss(self, loss):
        """Adds a loss term (a scalar or tensor, summed) to `losses` for this forward pass.

        Inside `call`, the value is kept until the next top-level call. A zero-argument
        callable is evaluated each time `losses` is read.
        """
        if isinstance(loss, KerasTensor):
            raise ValueError(
                f'Layer "{self.name}" received a symbolic loss. Symbolic losses can only be '
                "added to a Functional model (model.add_loss(...) after Model(inputs, "
                "outputs))."
            )
        self._losses.append(loss)

    def _own_losses(self):
        values = []
        for loss in self._losses:
            values.append(loss() if callable(loss) and not isinstance(loss, Tensor) else loss)
        return values

    @property
    def losses(self):
        """Losses added during the last forward pass plus weight-regularizer penalties."""
        from minikeras import ops

        result = []
        for layer in self._flatten_layers():
            if layer._losses:
                result.extend(convert_to_tensor(v) for v in layer._own_losses())
        if self._trainable:
            regularized = self._cached(
                "regularized",
                lambda: [v for v in self.weights if getattr(v, "regularizer", None) is not None],
            )
            for variable in regularized:
                if variable.trainable:
                    result.append(ops.convert_to_tensor(variable.regularizer(variable)))
        return result

    # -- configuration ----------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments that recreate this layer (without its weights).

        Built-in layers override this. For a user subclass that does not, the arguments its
        constructor was called with are returned when they are plain Python values.
        """
        config_dict = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        cls = type(self)
        if cls.get_config is Layer.get_config and cls.__init__ is not Layer.__init__:
            config_dict.update(_constructor_arguments(self))
        return config_dict

    @classmethod
    def from_config(cls, config):
        """Creates a layer from the dict returned by `get_config`."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _get_regularizer(identifier):
    if identifier is None:
        return None
    from minikeras import regularizers

    return regularizers.get(identifier)
