"""`RMSNormalization`: divides each sample by its root mean square, then scales."""

from minikeras import ops
from minikeras.layers.layer import Layer
from minikeras.layers.normalization.unit_normalization import _axes_list, check_axes_in_range


class RMSNormalization(Layer):
    """`y = x / sqrt(mean(x ** 2) + epsilon) * scale`, the mean taken over `axis`.

    Unlike LayerNormalization, nothing is subtracted: only the root mean square is
    divided out (Zhang and Sennrich, 2019). `scale` is learned, one value per index of the
    `axis` axes.

    Args:
        axis: int or list of ints (-1 by default); after building, a sorted list, as Keras
            reports it in the config.
        epsilon: added to the mean square (1e-6).

    Example:
        >>> RMSNormalization()(np.array([[3.0, -3.0]])).numpy().round(3)
        array([[ 1., -1.]], dtype=float32)
    """

    _replayable = True  # see Layer._replayable

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_list(axis, "RMSNormalization")
        if float(epsilon) < 0:
            raise ValueError(
                f"RMSNormalization: `epsilon` must be >= 0. Received epsilon={epsilon!r}."
            )
        self.epsilon = epsilon

    def build(self, input_shape):
        check_axes_in_range(self, input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self.axis = sorted(axes)
        rank = len(input_shape)
        kept = {a % rank for a in self.axis}
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(
                f'Layer "{self.name}": the sizes of the normalised axes {self.axis} must be '
                f"known. Received input shape {tuple(input_shape)}."
            )
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        # `scale` lines up with its axes whatever their position (Keras only broadcasts it
        # against the trailing axes).
        self._scale_shape = tuple(input_shape[a] if a in kept else 1 for a in range(rank))
        self._reduce = tuple(sorted(kept))
        self.built = True

    def _call_layout(self, input_shape):
        """(reduced axes, scale shape) for an input of this shape; Keras resolves a negative
        `axis` against each call's rank, so an input of another rank reduces its own last axes."""
        rank = len(input_shape)
        if rank == len(self._scale_shape):
            return self._reduce, self._scale_shape
        check_axes_in_range(self, input_shape)
        reduce = tuple(sorted({a % rank for a in self.axis}))
        received = tuple(input_shape[a] for a in reduce)
        if received != tuple(self.scale.shape):
            raise ValueError(
                f'Layer "{self.name}" was built with `scale` of shape {tuple(self.scale.shape)} '
                f"on axes {self.axis}, but received an input of shape {tuple(input_shape)}."
            )
        return reduce, tuple(input_shape[a] if a in reduce else 1 for a in range(rank))

    def call(self, inputs):
        reduce, scale_shape = self._call_layout(inputs.shape)
        mean_square = ops.mean(ops.square(inputs), axis=reduce, keepdims=True)
        scale = ops.reshape(self.scale, scale_shape)
        return inputs * ops.rsqrt(mean_square + self.epsilon) * scale

    def compute_output_shape(self, input_shape):
        check_axes_in_range(self, input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
