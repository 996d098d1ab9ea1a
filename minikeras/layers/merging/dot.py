"""`Dot` layer and its functional form `dot`: per-sample dot products of two tensors."""

from minikeras import config, ops
from minikeras.layers.merging.base_merge import Merge, _is_shape


def _l2_normalize(x, axis):
    """`x / ||x||` along `axis`, as Keras computes it: `x * min(rsqrt(sum(x^2)), 1/eps)`."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    inverse_norm = ops.minimum(ops.rsqrt(square_sum), 1.0 / config.epsilon())
    return x * inverse_norm


class Dot(Merge):
    """Dot product of the samples of two tensors along one axis each.

    For inputs of shapes `(batch, a, n)` and `(batch, b, n)` with `axes=2` the output has
    shape `(batch, a, b)`; for two `(batch, n)` inputs with `axes=1`, `(batch, 1)`.

    Args:
        axes: an int (the same axis of both inputs) or a pair `(axis_of_x, axis_of_y)`;
            the batch axis 0 cannot be used.
        normalize: L2-normalise both inputs along their axes first, so the output is the
            cosine similarity.

    Example:
        >>> x = np.arange(10.0).reshape(1, 5, 2)
        >>> y = np.arange(10.0, 20.0).reshape(1, 2, 5)
        >>> Dot(axes=(1, 2))([x, y]).numpy()
        array([[[260., 360.],
                [320., 445.]]], dtype=float32)
    """

    _min_inputs = 2
    _max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int) and not isinstance(axes, bool):
            pass
        elif isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            ):
                raise ValueError(
                    f"Dot: `axes` must be an int or a pair of ints. Received axes={axes!r}."
                )
            axes = tuple(axes)
        else:
            raise TypeError(
                f"Dot: `axes` must be an int or a pair of ints. Received axes={axes!r}."
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, shape1, shape2):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        axes = []
        for axis, shape in zip(pair, (shape1, shape2)):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f'Layer "{self.name}": axes {self.axes} are out of range for input shapes '
                    f"{tuple(shape1)} and {tuple(shape2)}."
                )
            axes.append(axis % len(shape))
        if 0 in axes:
            raise ValueError(
                f'Layer "{self.name}": Dot cannot take the product over the batch axis 0 '
                f"(axes={self.axes}, input shapes {tuple(shape1)} and {tuple(shape2)})."
            )
        return axes

    def _check_shapes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or not _is_shape(shapes[0]):
            raise ValueError(
                f'Layer "{self.name}": a Dot layer must be called on a list of 2 tensors. '
                f"Received input shape: {shapes}."
            )
        shape1, shape2 = (tuple(s) for s in shapes)
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f'Layer "{self.name}": Dot needs inputs of rank >= 2 (batch first). Received '
                f"shapes {shape1} and {shape2}."
            )
        if None not in (shape1[0], shape2[0]) and shape1[0] != shape2[0]:
            raise ValueError(
                f'Layer "{self.name}": cannot take dot products of tensors with different batch '
                f"sizes. Received shapes {shape1} and {shape2}."
            )
        a1, a2 = self._axes_for(shape1, shape2)
        if None not in (shape1[a1], shape2[a2]) and shape1[a1] != shape2[a2]:
            raise ValueError(
                f'Layer "{self.name}": incompatible input shapes {shape1} and {shape2}: axis '
                f"{a1} of the first has size {shape1[a1]}, axis {a2} of the second has size "
                f"{shape2[a2]}."
            )
        output = [s for i, s in enumerate(shape1) if i != a1]
        output += [s for i, s in enumerate(shape2) if i not in (0, a2)]
        if len(output) == 1:
            output.append(1)
        return tuple(output)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}": a Dot layer must be called on a list of 2 tensors. '
                f"Received a single input of shape {tuple(inputs.shape)}."
            )
        self._check_shapes([tuple(x.shape) for x in inputs])
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs):
        x, y = inputs
        a1, a2 = self._axes_for(x.shape, y.shape)
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        # One batched contraction: batch axis b shared, axis a1 of x with a2 of y.
        letters = "cdefghijklmnopqrstuvwxy"  # "b" is the batch, "z" the sum
        x_sub = ["b"] + [letters[i] for i in range(x.ndim - 1)]
        y_sub = ["b"] + [letters[x.ndim + i] for i in range(y.ndim - 1)]
        y_sub[a2] = x_sub[a1] = "z"
        out = [s for s in x_sub if s != "z"] + [s for s in y_sub[1:] if s != "z"]
        result = ops.einsum(f"{''.join(x_sub)},{''.join(y_sub)}->{''.join(out)}", x, y)
        if result.ndim == 1:
            result = ops.expand_dims(result, -1)
        return result

    def compute_mask(self, inputs, mask=None):
        return None  # as Keras: a dot product carries no mask

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of `Dot`: `Dot(axes, normalize, **kwargs)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
