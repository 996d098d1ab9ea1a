"""`GroupNormalization`: normalises each sample over groups of channels."""

from minikeras import constraints, initializers, ops, regularizers
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class GroupNormalization(Layer):
    """Splits the channels into `groups` and normalises each sample within each group.

    For every sample and group, the mean and (biased) variance are taken over the group's
    channels and all other non-batch axes; then `gamma` and `beta` (one per channel)
    scale and shift. `groups=1` is LayerNormalization over all axes; `groups=-1` (one
    channel per group) is instance normalization.

    Args:
        groups: the number of groups (32 by default); must divide the channel count.
        axis: the channel axis (-1 by default).
        epsilon: added to the variance (1e-3).
        center, scale: whether to learn `beta` and `gamma`.
        beta_initializer, gamma_initializer: initializers ("zeros", "ones").
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.

    Example:
        >>> GroupNormalization(groups=2)(np.ones((1, 5, 4))).shape
        (1, 5, 4)
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        valid = isinstance(groups, int) and not isinstance(groups, bool)
        if not valid or (groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                f"normalization). Received groups={groups!r}."
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization: `axis` must be an int. Received axis={axis!r}.")
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} is out of bounds for input shape '
                f"{tuple(input_shape)}."
            )
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} of the input must have a known size. '
                f"Received input shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups or channels % self.groups:
            raise ValueError(
                f'Layer "{self.name}": the number of groups ({self.groups}) must divide the '
                f"number of channels ({channels}) of input shape {tuple(input_shape)}."
            )
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: channels})
        self.gamma = None
        self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma",
                shape=(channels,),
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta",
                shape=(channels,),
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.built = True

    def call(self, inputs):
        shape = tuple(inputs.shape)
        rank = len(shape)
        axis = self.axis % rank
        per_group = shape[axis] // self.groups
        # (..., channels, ...) -> (..., groups, channels per group, ...)
        grouped_shape = (*shape[:axis], self.groups, per_group, *shape[axis + 1 :])
        grouped = ops.reshape(inputs, grouped_shape)
        reduce_axes = tuple(a for a in range(1, rank + 1) if a != axis)
        mean, variance = ops.moments(grouped, axes=reduce_axes, keepdims=True)
        param_shape = [1] * (rank + 1)
        param_shape[axis] = self.groups
        param_shape[axis + 1] = per_group
        inverse = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inverse = inverse * ops.reshape(self.gamma, param_shape)
        outputs = (grouped - mean) * inverse
        if self.beta is not None:
            outputs = outputs + ops.reshape(self.beta, param_shape)
        return ops.reshape(outputs, shape)

    def compute_output_shape(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} is out of bounds for input shape '
                f"{tuple(input_shape)}."
            )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "groups": self.groups,
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config
