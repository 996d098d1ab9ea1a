"""`Conv3D`: 3D convolution over volumes (video frames, medical scans)."""

from minikeras.layers.convolutional.base_conv import BaseConv


class Conv3D(BaseConv):
    """3D convolution layer: `activation(conv3d(inputs, kernel) + bias)`.

    Inputs are `(batch, depth, height, width, channels)` (or channels first); the kernel is
    `(kernel_d, kernel_h, kernel_w, channels // groups, filters)`.

    Args:
        filters: number of output channels.
        kernel_size: int or 3-tuple.
        strides: int or 3-tuple, the step between windows (1 by default).
        padding: `"valid"` (default) or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate, groups, activation, use_bias, initializers, regularizers,
        constraints: as in `Conv2D`.

    Example:
        >>> Conv3D(8, 3, padding="same")(np.ones((2, 6, 6, 6, 1))).shape
        (2, 6, 6, 6, 8)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1, 1),
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
            rank=3,
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
