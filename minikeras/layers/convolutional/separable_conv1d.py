"""`SeparableConv1D`: a depthwise 1D convolution followed by a pointwise one."""

from minikeras.layers.convolutional.base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    """Depthwise-separable 1D convolution over inputs `(batch, steps, channels)`.

    Weights, in creation order: `depthwise_kernel` `(kernel_length, input_channels,
    depth_multiplier)`, `pointwise_kernel` `(1, input_channels * depth_multiplier, filters)`,
    then `bias` `(filters,)`.

    Args:
        filters: number of output channels.
        kernel_size: window length (int or 1-tuple) of the depthwise step.
        strides, padding, data_format, dilation_rate, depth_multiplier, activation,
        use_bias, initializers, regularizers, constraints: as in `SeparableConv2D`.

    Example:
        >>> SeparableConv1D(16, 3, padding="same")(np.ones((1, 10, 4))).shape
        (1, 10, 16)
    """

    def __init__(
        self,
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
        super().__init__(
            rank=1,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            depth_multiplier=depth_multiplier,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
