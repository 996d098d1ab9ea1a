"""`Conv2D`: 2D convolution over images."""

from minikeras.layers.convolutional.base_conv import BaseConv


class Conv2D(BaseConv):
    """2D convolution layer: `activation(conv2d(inputs, kernel) + bias)`.

    Inputs are `(batch, height, width, channels)` (or `(batch, channels, height, width)`
    with `data_format="channels_first"`); the kernel is
    `(kernel_h, kernel_w, channels // groups, filters)`.

    Args:
        filters: number of output channels.
        kernel_size: int or `(height, width)`.
        strides: int or `(sh, sw)`, the step between windows (1 by default).
        padding: `"valid"` (no padding, default) or `"same"` (zero padding so that the
            output has `ceil(input / strides)` positions, the extra pixel at the end).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or pair, spacing between kernel taps.
        groups: number of channel groups convolved separately.
        activation: activation name or function (none by default).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers ("glorot_uniform", "zeros").
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Example:
        >>> layer = Conv2D(8, 3, strides=2, padding="same", activation="relu")
        >>> layer(np.ones((2, 32, 32, 3))).shape
        (2, 16, 16, 8)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
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
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
