"""`LayerNormalization`: normalises each sample over its feature axes."""

import warnings

from minikeras import constraints, initializers, ops, regularizers
from minikeras.layers.layer import Layer
from minikeras.layers.normalization.fused import Normalize


class LayerNormalization(Layer):
    """Normalises each sample to mean 0 and variance 1 over `axis`, then scales and shifts.

    `y = (x - mean) / sqrt(variance + epsilon) * gamma + beta`, with the mean and (biased)
    variance of each sample over `axis`. Unlike BatchNormalization, it behaves the same in
    training and inference. Forward and backward run as one fused graph node.

    Args:
        axis: the axis or list of axes to normalise over (-1, the features, by default).
        epsilon: added to the variance (1e-3).
        center, scale: whether to learn `beta` and `gamma` (shaped like the `axis` sizes).
        beta_initializer, gamma_initializer: initializers ("zeros", "ones").
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: optional.
        rms_scaling: deprecated in Keras, kept for its numbers: `x / sqrt(variance + epsilon)
            * gamma` with no centering and no `beta` (warns; prefer RMSNormalization).

    Example:
        >>> y = LayerNormalization()(np.array([[0.0, 10.0], [20.0, 30.0]]))
        >>> y.numpy().round(3)
        array([[-1., 1.],
               [-1., 1.]], dtype=float32)
    """

    _promotes_integer_inputs = True  # int inputs give float32, as in Keras

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
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
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "LayerNormalization: `rms_scaling=True` is deprecated in Keras: it divides by "
                "sqrt(variance + epsilon) without centering, not by the root mean square. "
                "Use RMSNormalization for RMS normalization.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.rms_scaling = rms_scaling
        self.supports_masking = True  # the mask passes through, as in Keras
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
                raise TypeError(
                    "LayerNormalization: `axis` must be an int or a list of ints. "
                    f"Received {axis!r}."
                )
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(
                f"LayerNormalization: `axis` must be an int or a list of ints. Received {axis!r}."
            )
        if float(epsilon) <= 0:
            raise ValueError(
                f"LayerNormalization: `epsilon` must be positive. Received epsilon={epsilon!r}."
            )
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _axes(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if not -rank <= axis < rank:
                raise ValueError(
                    f'Layer "{self.name}": axis {self.axis} is out of range for input shape '
                    f"{tuple(input_shape)}."
                )
        normalized = sorted({axis % rank for axis in axes})
        if len(normalized) != len(axes):
            raise ValueError(f'Layer "{self.name}": repeated axis in {self.axis}.')
        return tuple(normalized)

    def build(self, input_shape):
        axes = self._axes(input_shape)
        # Keras 3.15 reports `axis` as a list once built (as given, not made positive).
        self.axis = self.axis if isinstance(self.axis, list) else [self.axis]
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(
                f'Layer "{self.name}": the sizes of the normalised axes {self.axis} must be '
                f"known, got input shape {tuple(input_shape)}."
            )
        self.gamma = None
        self.beta = None
        # With the deprecated rms_scaling, Keras always learns gamma and never beta.
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self._built_axes = axes
        self._param_shape = tuple(
            input_shape[i] if i in axes else 1 for i in range(len(input_shape))
        )
        self.built = True

    def call(self, inputs):
        axes = self._axes(inputs.shape)
        expected = tuple(self._param_shape[a] for a in self._built_axes)
        received = tuple(inputs.shape[a] for a in axes)
        if received != expected:
            raise ValueError(
                f'Layer "{self.name}" was built for inputs with sizes {expected} on axes '
                f"{self.axis}, but received an input of shape {tuple(inputs.shape)}."
            )
        param_shape = self._param_shape
        if inputs.ndim != len(param_shape):
            # As in Keras, an input of another rank works when its normalised axes have the
            # sizes the layer was built for; gamma and beta then broadcast at that rank.
            param_shape = tuple(inputs.shape[i] if i in axes else 1 for i in range(inputs.ndim))
        if self.rms_scaling:
            return ops.layer_normalization(
                inputs, self.gamma, None, list(axes), self.epsilon, rms_scaling=True
            )
        params = [p for p in (self.gamma, self.beta) if p is not None]
        normalize = Normalize(
            axes,
            self.epsilon,
            param_shape,
            has_gamma=self.gamma is not None,
            has_beta=self.beta is not None,
        )
        return normalize(inputs, *params)

    def compute_output_shape(self, input_shape):
        self._axes(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config
