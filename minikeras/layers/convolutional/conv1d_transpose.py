"""`Conv1DTranspose`: transposed convolution over one spatial axis, to upsample sequences."""

from minikeras.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv1DTranspose(BaseConvTranspose):
    """Transposed 1D convolution layer over inputs `(batch, steps, channels)`.

    The kernel has shape `(kernel_length, filters, input_channels)`.

    Args:
        filters: number of output channels.
        kernel_size: window length (int or 1-tuple).
        strides: the upsampling factor (1 by default).
        padding: `"valid"` or `"same"` (then `steps * strides` outputs).
        output_padding: None, or an int smaller than the stride: extra steps at the end.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate, activation, use_bias, initializers, regularizers, constraints: as in
            `Conv2DTranspose`.

    Example:
        >>> Conv1DTranspose(4, 3, strides=2, padding="same")(np.ones((1, 8, 16))).shape
        (1, 16, 4)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
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
            rank=1,
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
