"""`BatchNormalization`: normalises features with batch statistics, keeping moving averages."""

from minikeras import constraints, initializers, ops, regularizers
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.layers.normalization.fused import NormalizeAndTrack
from minikeras.layers.normalization.masked import MaskedNormalizeAndTrack
from minikeras.layers.normalization.renorm import check_renorm_clipping, renorm_train_forward


class BatchNormalization(Layer):
    """Normalises each feature (channel) to mean 0 and variance 1, then scales and shifts.

    Training (`training=True`, as in `fit`) and the layer trainable:
        `y = (x - mean_batch) / sqrt(var_batch + epsilon) * gamma + beta`, with the mean and
        the biased variance of the batch over every axis but `axis`; then
        `moving_mean = moving_mean * momentum + mean_batch * (1 - momentum)` (same for the
        variance). The whole forward and backward pass is one fused graph node.
        With a mask (one dimension less than the input, as `Embedding(mask_zero=True)`
        makes), the mean and variance count only the unmasked entries, as in Keras;
        masked entries are still normalised with them.
    Training with `renorm=True` (batch renormalisation, `renorm.py`): the normalised batch
        is corrected towards moving statistics, `y = (xhat * r + d) * gamma + beta`, with
        `r = stddev_batch / renorm_stddev` and `d = (mean_batch - renorm_mean) /
        renorm_stddev` (optionally clipped) kept out of the gradient; it runs as plain ops,
        eagerly.
    Inference (`training=False` or None, as in `predict`/`evaluate`), or a frozen layer
    (`trainable=False`, even during training, as in Keras 3 fine-tuning):
        `y = (x - moving_mean) / sqrt(moving_variance + epsilon) * gamma + beta`, and the
        moving statistics do not change.

    Args:
        axis: the feature axis (-1 by default; 1 for channels-first images).
        momentum: weight of the old value in the moving averages (0.99).
        epsilon: added to the variance (1e-3).
        center, scale: whether to learn `beta` and `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers ("zeros", "ones", "zeros", "ones").
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.
        renorm: use batch renormalisation in training.
        renorm_clipping: with `renorm`, optional bounds `{"rmin", "rmax", "dmax"}`: `r` is
            clipped to `[rmin, rmax]` and `d` to `[-dmax, dmax]`.
        renorm_momentum: with `renorm`, weight of the old value in the moving averages
            `renorm_mean` and `renorm_stddev` (0.99).

    Weights, in Keras's order: `gamma`, `beta` (trainable), `moving_mean`,
    `moving_variance` (non-trainable); with `renorm`, also `moving_stddev`, `renorm_mean`
    and `renorm_stddev` (non-trainable, the stddevs starting at the square root of
    `moving_variance_initializer`).

    Example:
        >>> layer = BatchNormalization()
        >>> y = layer(np.random.rand(32, 4), training=True)   # batch statistics
        >>> layer.moving_mean.numpy().shape
        (4,)
    """

    # Training moves the moving averages inside its primitive (NormalizeAndTrack), so a
    # replayed step keeps them moving.
    _replayable = True

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"BatchNormalization: `axis` must be an int. Received axis={axis!r}.")
        if synchronized:
            raise ValueError(
                "BatchNormalization: synchronized=True needs several devices (TensorFlow "
                "backend only in Keras); minikeras runs on one CPU."
            )
        if renorm:
            renorm_clipping = check_renorm_clipping(renorm_clipping)
        if not 0 <= float(momentum) <= 1:
            raise ValueError(
                f"BatchNormalization: `momentum` must be in [0, 1]. Received momentum={momentum!r}."
            )
        if float(epsilon) <= 0:
            raise ValueError(
                f"BatchNormalization: `epsilon` must be positive. Received epsilon={epsilon!r}."
            )
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.synchronized = synchronized
        self.gamma = None
        self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} is out of range for input shape '
                f"{tuple(input_shape)}."
            )
        axis = self.axis % rank
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f'Layer "{self.name}": the size of axis {self.axis} must be known, got input '
                f"shape {tuple(input_shape)}."
            )
        shape = (channels,)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            shape=shape,
            name="moving_mean",
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            name="moving_variance",
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        if self.renorm:
            self._build_renorm_weights(shape)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: channels})
        self._reduction_axes = tuple(i for i in range(rank) if i != axis)
        self._param_shape = tuple(channels if i == axis else 1 for i in range(rank))
        self.built = True

    def _build_renorm_weights(self, shape):
        """`moving_stddev`, `renorm_mean` and `renorm_stddev`, in Keras's order."""

        def stddev_initializer(shape, dtype=None):
            return ops.sqrt(_cloned(self.moving_variance_initializer)(shape, dtype=dtype))

        self.moving_stddev = self.add_weight(
            shape=shape, name="moving_stddev", initializer=stddev_initializer, trainable=False
        )
        self.renorm_mean = self.add_weight(
            shape=shape,
            name="renorm_mean",
            initializer=_cloned(self.moving_mean_initializer),
            trainable=False,
        )
        self.renorm_stddev = self.add_weight(
            shape=shape, name="renorm_stddev", initializer=stddev_initializer, trainable=False
        )

    def _is_replayable(self):
        # Renormalisation moves its statistics outside any primitive: it runs eagerly.
        return not self.renorm and super()._is_replayable()

    def call(self, inputs, training=None, mask=None):
        if mask is not None and len(mask.shape) != inputs.ndim - 1:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": the mask must have one dimension less '
                f"than the inputs. Received: mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}."
            )
        if training and self.trainable:
            if self.renorm:
                if mask is not None:
                    self._check_mask_shape(inputs, mask)
                return renorm_train_forward(self, inputs, mask)
            if mask is not None:
                return self._masked_train_forward(inputs, mask)
            return self._train_forward(inputs)
        # Inference: Keras's order of operations, x * inv + (beta - mean * inv).
        inv = ops.rsqrt(self.moving_variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * self.gamma
        shift = -self.moving_mean * inv
        if self.beta is not None:
            shift = shift + self.beta
        if inputs.ndim > 1 and self.axis % inputs.ndim != inputs.ndim - 1:
            inv = ops.reshape(inv, self._param_shape)
            shift = ops.reshape(shift, self._param_shape)
        return inputs * inv + shift

    def _train_forward(self, inputs):
        # One node normalises and moves the moving averages (batch statistics as
        # constants: no gradient flows into them).
        normalize = NormalizeAndTrack(*self._normalizer_arguments())
        params = [p for p in (self.gamma, self.beta) if p is not None]
        return normalize(inputs, *params, self.moving_mean, self.moving_variance)

    def _normalizer_arguments(self):
        """What the training primitives (`NormalizeAndTrack`, masked or not) are made with."""
        return (
            self._reduction_axes,
            self.epsilon,
            self._param_shape,
            self.gamma is not None,
            self.beta is not None,
            self.momentum,
        )

    def _masked_train_forward(self, inputs, mask):
        """Training with a mask: batch statistics over the unmasked entries only, as Keras.

        The mask (one dimension less than `inputs`) is broadcast over the last axis; every
        entry, masked or not, is then normalised with those statistics. One node
        (`masked.py`) computes them, normalises, moves the moving averages, and sends the
        gradient through the masked mean and variance.
        """
        self._check_mask_shape(inputs, mask)
        params = [p for p in (self.gamma, self.beta) if p is not None]
        normalize = MaskedNormalizeAndTrack(*self._normalizer_arguments())
        mask = ops.convert_to_tensor(mask)
        return normalize(inputs, mask, *params, self.moving_mean, self.moving_variance)

    def _check_mask_shape(self, inputs, mask):
        sizes = zip(tuple(mask.shape) + (1,), inputs.shape)
        if any(size not in (1, full) for size, full in sizes):
            raise ValueError(
                f'BatchNormalization layer "{self.name}": the mask must have the shape of the '
                f"inputs without their last axis. Received: mask.shape={tuple(mask.shape)}, "
                f"inputs.shape={tuple(inputs.shape)}."
            )

    def compute_output_shape(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} is out of range for input shape '
                f"{tuple(input_shape)}."
            )
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer
                ),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized,
                "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum,
            }
        )
        return config


def _cloned(initializer):
    """A fresh copy of an Initializer (as Keras clones the ones it calls twice), else itself."""
    if isinstance(initializer, initializers.Initializer):
        return type(initializer).from_config(initializer.get_config())
    return initializer
