"""`Conv2DTranspose`: the transposed convolution (the gradient of Conv2D with respect to its
input), used to upsample feature maps."""

from minikeras.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv2DTranspose(BaseConvTranspose):
    """Transposed 2D convolution layer ("deconvolution").

    The kernel has shape `(kernel_h, kernel_w, filters, input_channels)` (Keras layout:
    output channels before input channels). With `padding="same"` and no `output_padding`,
    each spatial size is multiplied by the stride.

    Args:
        filters: number of output channels.
        kernel_size: int or `(height, width)`.
        strides: int or pair, the upsampling factor (1 by default).
        padding: `"valid"` or `"same"`.
        output_padding: None, or int/pair (each entry < the stride) of extra rows/columns
            added at the end of the output, to pick among the sizes a stride allows.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or pair.
        activation, use_bias, kernel/bias initializers, regularizers, constraints: as in
            `Conv2D`.

    Example:
        >>> Conv2DTranspose(4, 3, strides=2, padding="same")(np.ones((1, 8, 8, 16))).shape
        (1, 16, 16, 4)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=(1, 1),
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
