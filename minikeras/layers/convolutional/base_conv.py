"""`BaseConv` (what Conv1D, Conv2D and Conv3D share) and the helpers every convolution
layer uses."""

import numpy as np

from minikeras import activations, constraints, initializers, regularizers
from minikeras.autodiff import Function
from minikeras.layers.convolutional import blocked_bias, conv_utils
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.ops.convolution import conv


def positive_int(value, name, layer_name):
    """Checks that a count argument (filters, groups, depth_multiplier) is an int > 0."""
    if not conv_utils.is_integer(value) or value <= 0:
        raise ValueError(
            f"{layer_name}: `{name}` must be a positive integer. Received {name}={value!r}."
        )
    return int(value)


def input_channels(layer, input_shape):
    """The channel count of `input_shape` for `layer`'s data format; it must be known."""
    shape = tuple(input_shape)
    rank = layer.rank
    if len(shape) != rank + 2:
        raise ValueError(
            f'Layer "{layer.name}" expects inputs of rank {rank + 2} (batch, {rank} spatial '
            f"dimension(s) and channels), but received input shape {shape}."
        )
    channels = shape[conv_utils.channel_axis(layer.data_format)]
    if channels is None:
        raise ValueError(
            f'Layer "{layer.name}" needs a known number of input channels, but received input '
            f"shape {shape} (data_format={layer.data_format!r})."
        )
    return channels


def standardize_window(layer, kernel_size, strides, padding, dilation_rate, allow_causal=False):
    """Sets the window arguments every convolution layer has, checked: `kernel_size`,
    `strides` and `dilation_rate` as tuples of `layer.rank` ints, and `padding`."""
    rank = layer.rank
    layer.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
    layer.strides = conv_utils.standardize_tuple(strides, rank, "strides")
    layer.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
    layer.padding = conv_utils.standardize_padding(padding, allow_causal=allow_causal)


def check_strides_and_dilation(layer):
    """A window moves by more than one step, or is dilated, not both (as in Keras)."""
    if max(layer.strides) > 1 and max(layer.dilation_rate) > 1:
        raise ValueError(
            f"{type(layer).__name__}: strides > 1 cannot be combined with dilation_rate > 1. "
            f"Received strides={layer.strides}, dilation_rate={layer.dilation_rate}."
        )


def expect_channels(layer, channels):
    """Once built, `layer` takes inputs of rank `layer.rank + 2` with `channels` channels."""
    layer.input_spec = InputSpec(
        ndim=layer.rank + 2, axes={conv_utils.channel_axis(layer.data_format): channels}
    )


class BiasActivation(Function):
    """`activation(x + bias)` along the channels axis, computed in place in `x`.

    Only for the output of the convolution made inside a layer's `call`: that array is new,
    nothing else holds it and the convolution's backward pass does not read it, so writing
    into it saves a temporary as large as the layer's output. `relu` is fused (its backward
    pass reuses the output); other activations are applied afterwards.

    Large channels-last outputs run the same arithmetic one cache-sized block at a time, on
    two threads (`blocked_bias.py`, whose `rows` and `gradient_rows` say when); everything
    else runs the whole-array code below.
    """

    def __init__(self, channel_axis, relu=False):
        self.channel_axis = channel_axis
        self.relu = relu

    def forward(self, x, bias):
        shape = [1] * x.ndim
        shape[self.channel_axis] = -1
        if not x.flags.writeable or x.dtype != bias.dtype:
            x = x.astype(np.result_type(x, bias))
        rows = blocked_bias.rows(x, self.channel_axis)
        if rows is not None:
            blocked_bias.add_bias(rows, bias, self.relu)
        else:
            x += bias.reshape(shape)
            if self.relu:
                np.maximum(x, 0, out=x)
        if self.relu:
            self.y = x
        return x

    def backward(self, gy):
        if self.relu or self.needs_grad[1]:
            laid_out = blocked_bias.gradient_rows(
                gy, self.y if self.relu else None, self.channel_axis
            )
            if laid_out is not None:
                g, gb = blocked_bias.gradients(
                    *laid_out, gy.shape[self.channel_axis], *self.needs_grad
                )
                return (None if g is None else g.reshape(gy.shape)), gb
        g = gy * (self.y > 0) if self.relu else gy
        gb = None
        if self.needs_grad[1]:
            axis = self.channel_axis % g.ndim
            gb = g.sum(axis=tuple(i for i in range(g.ndim) if i != axis))
        return (g if self.needs_grad[0] else None), gb


def add_bias(layer, size):
    """Creates `layer.bias` of shape `(size,)` when `layer.use_bias`, else sets it to None."""
    if not layer.use_bias:
        layer.bias = None
        return
    layer.bias = layer.add_weight(
        name="bias",
        shape=(size,),
        initializer=layer.bias_initializer,
        regularizer=layer.bias_regularizer,
        constraint=layer.bias_constraint,
    )


def bias_and_activation(layer, outputs, bias):
    """`layer.activation(outputs + bias)` for a convolution output made in `layer.call`.

    `bias` may be None (no bias); relu is fused into the same graph node as the bias.
    """
    relu = layer.activation is activations.relu
    if bias is not None:
        axis = conv_utils.channel_axis(layer.data_format)
        outputs = BiasActivation(axis, relu)(outputs, bias)
    elif relu:
        return activations.relu(outputs)
    if relu:
        return outputs
    return layer.activation(outputs)


class BaseConv(Layer):
    """N-D convolution layer: `activation(conv(inputs, kernel) + bias)`.

    The kernel has shape `kernel_size + (input_channels // groups, filters)` (Keras layout).

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: number of output channels.
        kernel_size: int or tuple of `rank` ints, the window size.
        strides: int or tuple, the step between windows (1 by default).
        padding: `"valid"` (no padding) or `"same"` (output size `ceil(input / strides)`);
            Conv1D also accepts `"causal"`.
        data_format: `"channels_last"` (default, from `config.image_data_format()`) or
            `"channels_first"`.
        dilation_rate: int or tuple, spacing between kernel taps (cannot be combined with
            strides > 1).
        groups: split the input channels into this many groups, each convolved with
            `filters // groups` filters.
        activation: activation name or function (none by default).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers ("glorot_uniform", "zeros").
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
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
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None or lora_alpha is not None:
            raise NotImplementedError(f"{type(self).__name__}(lora_rank=...) is not supported.")
        cls_name = type(self).__name__
        self.rank = rank
        self.filters = positive_int(filters, "filters", cls_name)
        self.groups = positive_int(groups, "groups", cls_name)
        standardize_window(
            self, kernel_size, strides, padding, dilation_rate, allow_causal=rank == 1
        )
        self.data_format = conv_utils.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        if self.filters % self.groups:
            raise ValueError(
                f"{cls_name}: `filters` must be divisible by `groups`. Received "
                f"filters={self.filters}, groups={self.groups}."
            )
        check_strides_and_dilation(self)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        if channels % self.groups:
            raise ValueError(
                f'Layer "{self.name}": the number of input channels ({channels}) must be '
                f"divisible by groups={self.groups}. Input shape: {tuple(input_shape)}."
            )
        # Fails early, with a clear message, when the input is smaller than the kernel.
        self.compute_output_shape(input_shape)
        expect_channels(self, channels)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        add_bias(self, self.filters)
        self.built = True

    def convolution_op(self, inputs, kernel, padding=None):
        """`conv` with this layer's arguments (`padding` overrides the layer's)."""
        return conv(
            inputs,
            kernel,
            strides=self.strides,
            padding=padding or self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def call(self, inputs):
        outputs = self.convolution_op(inputs, self.kernel)
        return bias_and_activation(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        return conv_utils.conv_output_shape(
            input_shape,
            self.filters,
            self.kernel_size,
            self.strides,
            self.padding,
            self.data_format,
            self.dilation_rate,
            self.name,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "groups": self.groups,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config
