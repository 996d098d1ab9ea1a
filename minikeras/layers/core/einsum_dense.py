"""`EinsumDense`: a dense layer whose product is any einsum of the input with its kernel."""

import re

from minikeras import activations, constraints, initializers, ops, regularizers
from minikeras.initializers.random_initializers import VarianceScaling
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer

_FORMS = (
    # (pattern, where the ellipsis is): "ab,bc->ac", "...b,bc->...c", "ab...,bc->ac..."
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$"), "right"),
)


def _split_equation(equation):
    """`((input, kernel, output) letters, ellipsis side or None)` of an equation."""
    for pattern, ellipsis in _FORMS:
        match = pattern.match(equation.replace(" ", ""))
        if match:
            return match.groups(), ellipsis
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """Works out the weight shapes of an `EinsumDense` for an input shape.

    Args:
        equation: e.g. "ab,bc->ac", "...b,bc->...c" or "abc...,cd->abd...".
        bias_axes: letters of the output that get a bias, or None.
        input_shape: the input's shape (batch first).
        output_shape: the output's shape without the batch axis (None for sizes the
            input decides).

    Returns:
        `(kernel_shape, bias_shape or None, full_output_shape, input_axes, output_axes)`;
        `input_axes`/`output_axes` are the kernel axes shared with the input/output (the
        fans of the kernel initializer).
    """
    (input_spec, kernel_spec, output_spec), ellipsis = _split_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    if elided < 0 or (elided and ellipsis is None):
        raise ValueError(
            f"EinsumDense equation '{equation}' names {len(input_spec)} input axes, but the "
            f"input has shape {input_shape}."
        )
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    # The full output shape: the batch size, then the elided axes where the equation says.
    full = [input_shape[0], *output_shape]
    if ellipsis == "left":
        full[1:1] = input_shape[1:elided]
        input_axis = {c: elided + i for i, c in enumerate(input_spec)}
        output_axis = {c: elided + i for i, c in enumerate(output_spec)}
    else:
        if elided:
            full.extend(input_shape[len(input_shape) - elided :])
        input_axis = {c: i for i, c in enumerate(input_spec)}
        output_axis = {c: i for i, c in enumerate(output_spec)}
    if len(full) != len(input_shape) - len(input_spec) + len(output_spec):
        raise ValueError(
            f"EinsumDense output_shape {tuple(output_shape)} does not match the output "
            f"'{output_spec}' of equation '{equation}' (without the batch axis)."
        )
    for c in input_spec:
        if c in output_axis:
            size, known = input_shape[input_axis[c]], full[output_axis[c]]
            if known is not None and size is not None and known != size:
                raise ValueError(
                    f"EinsumDense: input shape {input_shape} and output_shape "
                    f"{tuple(output_shape)} differ at the shared axis '{c}' ({size} vs {known})."
                )
            full[output_axis[c]] = size
    for c in output_spec:
        if c not in input_spec and c not in kernel_spec:
            raise ValueError(
                f"EinsumDense: output axis '{c}' of '{equation}' is in neither the input "
                f"'{input_spec}' nor the kernel '{kernel_spec}'."
            )
    kernel_shape, input_axes, output_axes = [], [], []
    for i, c in enumerate(kernel_spec):
        if c in output_axis:
            kernel_shape.append(full[output_axis[c]])
            output_axes.append(i)
        elif c in input_axis:
            kernel_shape.append(input_shape[input_axis[c]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"EinsumDense: kernel axis '{c}' of '{equation}' is in neither the input "
                f"'{input_spec}' nor the output '{output_spec}'."
            )
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(
                    f"EinsumDense: bias axis '{c}' is not in the output '{output_spec}' of "
                    f"'{equation}'."
                )
        # The bias spans the output from its first biased axis on; other axes get size 1.
        first = min(output_spec.index(c) for c in bias_axes)
        bias_shape = [full[output_axis[c]] if c in bias_axes else 1 for c in output_spec[first:]]
        if ellipsis != "left":
            bias_shape.extend([1] * elided)
    return kernel_shape, bias_shape, full, input_axes, output_axes


# Keras's (private) name for the same function, which code written for Keras imports.
_analyze_einsum_string = analyze_einsum


class EinsumDense(Layer):
    """A dense layer written as an einsum: `activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: "ab,bc->ac" style; the first operand is the input (batch axis first), the
            second the kernel. A leading or trailing "..." stands for axes passed through.
        output_shape: the output shape without the batch axis (an int for one axis); None
            for axes whose size comes from the input.
        activation: activation name or function.
        bias_axes: letters of the output axes that get a bias (None: no bias).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as for `Dense`.

    Example:
        >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
        >>> layer(np.ones((2, 10, 16))).shape   # kernel (16, 4, 8), bias (4, 8)
        (2, 10, 4, 8)
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if lora_rank is not None:
            raise NotImplementedError("EinsumDense(lora_rank=...) is not supported.")
        if quantization_config is not None:
            raise NotImplementedError("EinsumDense(quantization_config=...) is not supported.")
        if not isinstance(equation, str):
            raise TypeError(f"EinsumDense equation must be a string, got {equation!r}.")
        _split_equation(equation)  # an unusable equation fails here, not at the first call
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if None in kernel_shape or (bias_shape is not None and None in bias_shape):
            raise ValueError(
                f'EinsumDense layer "{self.name}" needs known sizes for its kernel '
                f"{tuple(kernel_shape)}; input shape {tuple(input_shape)}, output_shape "
                f"{self.partial_output_shape}."
            )
        initializer = self.kernel_initializer
        if isinstance(initializer, VarianceScaling) and (
            initializer.input_axes is None or initializer.output_axes is None
        ):
            # As Keras: the fans of a many-axis kernel are the products of its input and
            # output axes, not the convolution-kernel rule.
            config = {
                **initializer.get_config(),
                "seed": initializer.seed,
                "input_axes": input_axes,
                "output_axes": output_axes,
            }
            initializer = type(initializer).from_config(config)
        self.kernel = self.add_weight(
            name="kernel",
            shape=tuple(kernel_shape),
            initializer=initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=tuple(bias_shape),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.built = True

    def call(self, inputs):
        outputs = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(
            analyze_einsum(self.equation, self.bias_axes, input_shape, self.partial_output_shape)[2]
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": None,
            }
        )
        return config
