"""`PReLU`: a leaky ReLU whose negative slopes are learned weights."""

from minikeras import constraints, initializers, ops, regularizers
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer


class PReLU(Layer):
    """Parametric rectified linear unit: `x` for `x >= 0`, `alpha * x` otherwise.

    `alpha` is a trainable weight shaped like one sample (`input_shape[1:]`), with size 1
    along `shared_axes`.

    Args:
        alpha_initializer: initializer of `alpha` ("zeros" by default, so the layer starts
            as a ReLU).
        alpha_regularizer, alpha_constraint: optional penalty and constraint on `alpha`.
        shared_axes: axes (counting the batch axis as 0) that share one slope, e.g.
            `[1, 2]` for one slope per channel of `(batch, height, width, channels)` images.

    Example:
        >>> layer = PReLU(alpha_initializer=keras.initializers.Constant(0.1))
        >>> layer(np.array([[-10.0, 5.0]])).numpy()
        array([[-1.,  5.]], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(
                    "PReLU: `shared_axes` must be axes >= 1 (axis 0 is the batch). "
                    f"Received shared_axes={shared_axes!r}."
                )
            self.shared_axes = axes

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= len(input_shape):
                raise ValueError(
                    f'Layer "{self.name}": shared axis {axis} is out of range for input '
                    f"shape {tuple(input_shape)}."
                )
            param_shape[axis - 1] = 1
        if any(size is None for size in param_shape):
            raise ValueError(
                f'Layer "{self.name}": PReLU needs known sizes for every non-shared axis, got '
                f"input shape {tuple(input_shape)}. Share the unknown axes with `shared_axes`."
            )
        self.alpha = self.add_weight(
            shape=param_shape,
            name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or ())
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        # relu(x) - alpha * relu(-x): the slope gets a gradient only from negative inputs.
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes,
            }
        )
        return config
