"""`BaseSeparableConv` (what SeparableConv1D and SeparableConv2D share): a depthwise
convolution followed by a pointwise (kernel size 1) convolution."""

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
from minikeras.ops.convolution import conv, depthwise_conv


class BaseSeparableConv(Layer):
    """Depthwise-separable N-D convolution: far fewer weights than a full convolution.

    Weights, in creation order: `depthwise_kernel`
    `kernel_size + (input_channels, depth_multiplier)`, `pointwise_kernel`
    `(1,) * rank + (input_channels * depth_multiplier, filters)`, then `bias` `(filters,)`.

    Args:
        rank: number of spatial dimensions (1 or 2).
        filters: number of output channels.
        kernel_size: int or tuple of `rank` ints, the depthwise window.
        strides, padding, data_format, dilation_rate: as in `Conv2D` (they apply to the
            depthwise step; the pointwise step has kernel size 1 and stride 1).
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias: as in `Conv2D`.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: optional penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.
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
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        cls_name = type(self).__name__
        self.filters = positive_int(filters, "filters", cls_name)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", cls_name)
        standardize_window(self, kernel_size, strides, padding, dilation_rate)
        self.data_format = conv_utils.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        check_strides_and_dilation(self)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        expect_channels(self, channels)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        add_bias(self, self.filters)
        self.built = True

    def call(self, inputs):
        depthwise = depthwise_conv(
            inputs,
            self.depthwise_kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        outputs = conv(
            depthwise,
            self.pointwise_kernel,
            strides=1,
            padding="valid",
            data_format=self.data_format,
        )
        return bias_and_activation(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        input_channels(self, input_shape)
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
                "depth_multiplier": self.depth_multiplier,
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config
