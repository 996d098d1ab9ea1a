"""`Conv3DTranspose`: transposed convolution over volumes (depth, height, width)."""

from minikeras.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv3DTranspose(BaseConvTranspose):
    """Transposed 3D convolution layer over inputs `(batch, depth, height, width, channels)`.

    The kernel has shape `(kernel_d, kernel_h, kernel_w, filters, input_channels)`. As in
    Keras, `data_format` comes before `output_padding` among the positional arguments.

    Args:
        filters: number of output channels.
        kernel_size: int or 3-tuple.
        strides: int or 3-tuple, the upsampling factor (1 by default).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        output_padding: None, or int/3-tuple (each entry < the stride) added at the end of
            each output axis.
        dilation_rate, activation, use_bias, initializers, regularizers, constraints: as in
            `Conv2DTranspose`.

    Example:
        >>> Conv3DTranspose(2, 3, strides=2, padding="same")(np.ones((1, 4, 4, 4, 3))).shape
        (1, 8, 8, 8, 2)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        output_padding=None,
        dilation_rate=(1, 1, 1),
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
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
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
