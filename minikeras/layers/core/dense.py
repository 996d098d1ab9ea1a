"""`Dense`: the densely connected layer, `activation(inputs @ kernel + bias)`."""

from minikeras import activations, constraints, initializers, regularizers
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.ops.fused import linear

_FUSED_ACTIVATIONS = {activations.relu: "relu", activations.softmax: "softmax"}


class Dense(Layer):
    """Densely connected layer: `output = activation(dot(input, kernel) + bias)`.

    Inputs of rank > 2 are multiplied along their last axis.

    Args:
        units: dimension of the output.
        activation: activation name or function (none by default).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers ("glorot_uniform", "zeros").
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Example:
        >>> layer = Dense(64, activation="relu")
        >>> layer(np.ones((2, 784))).shape
        (2, 64)
    """

    _promotes_integer_inputs = True  # int inputs give float32, as in Keras

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}.")
        for argument, value in (
            ("lora_rank", lora_rank),
            ("quantization_config", quantization_config),
        ):
            if value is not None:  # LoRA and quantization are not there (README)
                raise NotImplementedError(f"Dense({argument}=...) is not supported.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f'Dense layer "{self.name}" needs a known last input dimension, got input '
                f"shape {input_shape}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        # relu and softmax are computed inside the fused linear node; others run after it.
        # Looked up at each call, so an activation assigned after construction is used.
        fused = _FUSED_ACTIVATIONS.get(self.activation)
        outputs = linear(inputs, self.kernel, self.bias, activation=fused)
        if fused is None and self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": None,
            }
        )
        return config
