"""`SpectralNormalization`: keeps a wrapped layer's kernel at spectral norm 1 in training."""

import numpy as np

from minikeras import config, initializers
from minikeras.layers.core.wrapper import Wrapper
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.layers.tracking import structure_changed


def _l2_normalize(vector):
    """`vector / ||vector||`, the inverse norm capped at `1 / epsilon()` as in Keras."""
    inverse = np.minimum(1.0 / np.sqrt(np.sum(np.square(vector))), 1.0 / config.epsilon())
    return vector * vector.dtype.type(inverse)


class SpectralNormalization(Wrapper):
    """Wraps a layer with a `kernel` (or `embeddings`) and divides it by its largest
    singular value at every training call (Miyato et al., 2018).

    The singular value is estimated by power iteration from a vector `vector_u` kept
    between calls (a non-trainable weight), so one iteration per step is usually enough.
    The division is written into the wrapped layer's kernel before the layer runs, so
    the gradient reaches the kernel as usual. Inference calls change nothing.

    Args:
        layer: the layer to wrap (Dense, Conv*, Embedding, ...).
        power_iterations: power-iteration steps per training call (1 by default).

    Example:
        >>> layer = SpectralNormalization(Dense(3))
        >>> layer(np.ones((2, 4)), training=True).shape
        (2, 3)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "SpectralNormalization: `layer` must be a layer instance. "
                f"Received layer={layer!r}."
            )
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int):
            raise TypeError(
                "SpectralNormalization: `power_iterations` must be an integer. "
                f"Received power_iterations={power_iterations!r}."
            )
        if power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: `power_iterations` should be greater than zero. "
                f"Received: power_iterations={power_iterations}."
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise ValueError(
                f"SpectralNormalization: the wrapped {type(self.layer).__name__} has no "
                "`kernel` nor `embeddings` weight to normalise."
            )
        self.kernel = kernel
        # Keras also counts the wrapped kernel as the wrapper's own first weight: it comes
        # first in `weights` and is saved again under the wrapper's "vars" in weight files.
        self._own_variables.append(kernel)
        structure_changed()
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, kernel.shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            dtype=kernel.dtype,
        )
        self.built = True

    def normalized_weights(self):
        """`(vector_u, kernel / sigma)`: the next `vector_u` and the normalised kernel."""
        kernel = self.kernel.numpy()
        weights = kernel.reshape(-1, kernel.shape[-1])
        vector_u = self.vector_u.numpy()
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(vector_u @ weights.T)
            vector_u = _l2_normalize(vector_v @ weights)
        sigma = (vector_v @ weights) @ vector_u.T  # shape (1, 1)
        return vector_u, (kernel / sigma).astype(kernel.dtype)

    def call(self, inputs, training=False):
        # An all-zero kernel has no direction to normalise (Keras leaves it alone too).
        if training and np.any(self.kernel.numpy() != 0):
            vector_u, kernel = self.normalized_weights()
            self.vector_u.assign(vector_u)
            self.kernel.assign(kernel)
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config
