"""`SeparableConv2D`: a depthwise convolution followed by a 1x1 (pointwise) convolution."""

from minikeras.layers.convolutional.base_separable_conv import BaseSeparableConv


class SeparableConv2D(BaseSeparableConv):
    """Depthwise-separable 2D convolution: far fewer weights than a full `Conv2D`.

    Weights, in creation order: `depthwise_kernel`
    `(kernel_h, kernel_w, input_channels, depth_multiplier)`, `pointwise_kernel`
    `(1, 1, input_channels * depth_multiplier, filters)`, then `bias` `(filters,)`.

    Args:
        filters: number of output channels.
        kernel_size: int or `(height, width)` of the depthwise window.
        strides, padding, data_format, dilation_rate: as in `Conv2D` (they apply to the
            depthwise step; the pointwise step is a 1x1 convolution with stride 1).
        depth_multiplier: depthwise filters per input channel.
        activation, use_bias: as in `Conv2D`.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: optional penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.

    Example:
        >>> SeparableConv2D(16, 3, padding="same")(np.ones((1, 8, 8, 4))).shape
        (1, 8, 8, 16)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
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
            rank=2,
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
