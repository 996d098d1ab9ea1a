"""`BaseDepthwiseConv` (what DepthwiseConv1D and DepthwiseConv2D share): each input channel
convolved with its own filters, no channel mixing."""

from minikeras import activations, constraints, initializers, regularizers
from minikeras.layers.convolutional import conv_utils
from minikeras.layers.convolutional.base_conv import (
    add_bias,
    bias_and_activation,
    check_strides_and_dilation,
    expect_channels,
    input_channels,
    positive_int,
    standardize_window,
)
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.ops.convolution import depthwise_conv


class BaseDepthwiseConv(Layer):
    """Depthwise N-D convolution: `depth_multiplier` filters per input channel.

    The kernel (named `kernel`, as in Keras 3) has shape
    `kernel_size + (input_channels, depth_multiplier)`; output channel
    `c * depth_multiplier + m` is input channel `c` convolved with filter `m`.

    Args:
        rank: number of spatial dimensions (1 or 2).
        kernel_size: int or tuple of `rank` ints.
        strides: int or tuple (1 by default).
        padding: `"valid"` or `"same"`.
        depth_multiplier: filters per input channel (1 by default).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple.
        activation: activation name or function (none by default).
        use_bias: whether to add a bias of size `input_channels * depth_multiplier`.
        depthwise_initializer, bias_initializer: initializers ("glorot_uniform", "zeros").
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        depthwise_constraint, bias_constraint: optional constraints.
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        rank,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = positive_int(
            depth_multiplier, "depth_multiplier", type(self).__name__
        )
        standardize_window(self, kernel_size, strides, padding, dilation_rate)
        self.data_format = conv_utils.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        check_strides_and_dilation(self)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        expect_channels(self, channels)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        add_bias(self, channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        outputs = depthwise_conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return bias_and_activation(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        channels = input_channels(self, input_shape)
        return conv_utils.conv_output_shape(
            input_shape,
            channels * self.depth_multiplier,
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
                "depth_multiplier": self.depth_multiplier,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config
