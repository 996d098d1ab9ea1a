"""`DepthwiseConv1D`: each channel of a sequence convolved with its own filters."""

from minikeras.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv1D(BaseDepthwiseConv):
    """Depthwise 1D convolution over inputs `(batch, steps, channels)`.

    The kernel (named `kernel`) has shape `(kernel_length, input_channels,
    depth_multiplier)`; output channel `c * depth_multiplier + m` is input channel `c`
    convolved with filter `m`.

    Args:
        kernel_size: window length (int or 1-tuple).
        strides: step between windows (1 by default).
        padding: `"valid"` or `"same"`.
        depth_multiplier: filters per input channel (1 by default).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate, activation, use_bias, initializers, regularizers, constraints: as in
            `DepthwiseConv2D`.

    Example:
        >>> DepthwiseConv1D(3, depth_multiplier=2)(np.ones((1, 10, 4))).shape
        (1, 8, 8)
    """

    def __init__(
        self,
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
        super().__init__(
            rank=1,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            depth_multiplier=depth_multiplier,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
