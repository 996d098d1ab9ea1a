"""`SpatialDropout1D` and `SpatialDropout2D`: drop whole feature maps during training."""

from minikeras.layers._validation import standardize_data_format
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.regularization.dropout import Dropout


class SpatialDropout1D(Dropout):
    """Drops entire features (the same ones at every step) of `(batch, steps, features)`.

    Args:
        rate: fraction of the features to drop, in [0, 1].
        seed: optional int seed.

    Example:
        >>> SpatialDropout1D(0.5, seed=0)(np.ones((2, 5, 4)), training=True).shape
        (2, 5, 4)
    """

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.input_spec = InputSpec(ndim=3)

    def _noise_shape(self, inputs):
        return (inputs.shape[0], 1, inputs.shape[2])

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout2D(Dropout):
    """Drops entire channels (feature maps) of a batch of images during training.

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> SpatialDropout2D(0.5, seed=0)(np.ones((2, 3, 3, 8)), training=True).shape
        (2, 3, 3, 8)
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format, type(self).__name__)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _noise_shape(self, inputs):
        channels_axis = 1 if self.data_format == "channels_first" else self.rank + 1
        shape = [inputs.shape[0]] + [1] * (self.rank + 1)
        shape[channels_axis] = inputs.shape[channels_axis]
        return tuple(shape)

    def get_config(self):
        return {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": self.dtype,
            "data_format": self.data_format,
        }


class SpatialDropout3D(SpatialDropout2D):
    """Drops entire channels (feature volumes) of a batch of 3-D inputs during training.

    Args:
        rate: fraction of the channels to drop, in [0, 1].
        data_format: "channels_last" (default) or "channels_first".
        seed: optional int seed.

    Example:
        >>> SpatialDropout3D(0.5, seed=0)(np.ones((2, 3, 3, 3, 8)), training=True).shape
        (2, 3, 3, 3, 8)
    """

    rank = 3
