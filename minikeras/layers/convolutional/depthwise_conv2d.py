"""`DepthwiseConv2D`: each input channel convolved with its own filters, no channel mixing."""

from minikeras.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv2D(BaseDepthwiseConv):
    """Depthwise 2D convolution: `depth_multiplier` filters per input channel.

    The kernel (named `kernel`, as in Keras 3) has shape
    `(kernel_h, kernel_w, input_channels, depth_multiplier)`; output channel
    `c * depth_multiplier + m` is input channel `c` convolved with filter `m`.

    Args:
        kernel_size: int or `(height, width)`.
        strides: int or pair (1 by default).
        padding: `"valid"` or `"same"`.
        depth_multiplier: filters per input channel (1 by default).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or pair.
        activation: activation name or function (none by default).
        use_bias: whether to add a bias of size `input_channels * depth_multiplier`.
        depthwise_initializer, bias_initializer: initializers ("glorot_uniform", "zeros").
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        depthwise_constraint, bias_constraint: optional constraints.

    Example:
        >>> DepthwiseConv2D(3, depth_multiplier=2)(np.ones((1, 8, 8, 4))).shape
        (1, 6, 6, 8)
    """

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
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
            rank=2,
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
