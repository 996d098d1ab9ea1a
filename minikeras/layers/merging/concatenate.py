"""`Concatenate` layer and its functional form `concatenate`."""

from minikeras import ops
from minikeras.layers.merging.base_merge import Merge, _is_shape


class Concatenate(Merge):
    """Joins a list of tensors along `axis`; all other dimensions must match.

    Args:
        axis: the axis to concatenate along (-1, the features, by default).

    Example:
        >>> Concatenate()([np.ones((2, 3)), np.ones((2, 5))]).shape
        (2, 8)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"Concatenate: `axis` must be an int. Received axis={axis!r}.")
        self.axis = axis

    def compute_mask(self, inputs, mask=None):
        """The masks joined along `axis` (an unmasked input counts everywhere); a timestep
        counts when any of its joined entries does."""
        if mask is None:
            return None
        self._check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = ops.ones_like(x, dtype="bool")
            elif len(m.shape) < len(x.shape):
                m = ops.logical_or(ops.expand_dims(m, -1), ops.zeros_like(x, dtype="bool"))
            masks.append(m)
        return ops.any(ops.concatenate(masks, axis=self.axis), axis=-1)

    def _check_shapes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or not _is_shape(shapes[0]):
            raise ValueError(
                f'Layer "{self.name}": a Concatenate layer must be called on a list of tensors. '
                f"Received input shape: {shapes}."
            )
        rank = len(shapes[0])
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}": axis {self.axis} is out of range for inputs of rank '
                f"{rank}. Received shapes {list(shapes)}."
            )
        axis = self.axis % rank
        output = list(shapes[0])
        for shape in shapes[1:]:
            compatible = len(shape) == rank and all(
                a is None or b is None or a == b
                for i, (a, b) in enumerate(zip(output, shape))
                if i != axis
            )
            if not compatible:
                raise ValueError(
                    f'Layer "{self.name}": a Concatenate layer requires inputs with matching '
                    f"shapes except for the concatenation axis {self.axis}. Received shapes "
                    f"{list(shapes)}."
                )
            for i, size in enumerate(shape):
                if i == axis:
                    output[i] = None if output[i] is None or size is None else output[i] + size
                elif output[i] is None:
                    output[i] = size
        return tuple(output)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}": a Concatenate layer must be called on a list of tensors. '
                f"Received a single input of shape {tuple(inputs.shape)}."
            )
        self._check_shapes([tuple(x.shape) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of `Concatenate`: `Concatenate(axis, **kwargs)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
