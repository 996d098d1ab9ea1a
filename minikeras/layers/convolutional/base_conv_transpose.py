"""`BaseConvTranspose`: what Conv1DTranspose, Conv2DTranspose and Conv3DTranspose share, the
transposed convolution (the gradient of a convolution with respect to its input), used to
upsample feature maps."""

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
from minikeras.ops.convolution import conv_transpose


class BaseConvTranspose(Layer):
    """Transposed N-D convolution layer ("deconvolution").

    The kernel has shape `kernel_size + (filters, input_channels)` (Keras layout: output
    channels before input channels). With `padding="same"` and no `output_padding`, each
    spatial size is multiplied by the stride.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: number of output channels.
        kernel_size: int or tuple of `rank` ints.
        strides: int or tuple, the upsampling factor (1 by default).
        padding: `"valid"` or `"same"`.
        output_padding: None, or int/tuple (each entry < the stride) of extra positions
            added at the end of each output axis, to pick among the sizes a stride allows.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate: int or tuple.
        activation, use_bias, kernel/bias initializers, regularizers, constraints: as in
            `Conv2D`.
    """

    _replayable = True  # see Layer._replayable

    def __init__(
        self,
        rank,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = positive_int(filters, "filters", type(self).__name__)
        standardize_window(self, kernel_size, strides, padding, dilation_rate)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = conv_utils.standardize_tuple(
                output_padding, rank, "output_padding", allow_zero=True
            )
            for axis, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise ValueError(
                        f"{type(self).__name__}: each `output_padding` entry must be smaller "
                        f"than the stride; at axis {axis} it is {extra} with stride {stride}. "
                        f"Received output_padding={self.output_padding}, "
                        f"strides={self.strides}."
                    )
        self.data_format = conv_utils.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        check_strides_and_dilation(self)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        expect_channels(self, channels)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        add_bias(self, self.filters)
        self.built = True

    def call(self, inputs):
        outputs = conv_transpose(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return bias_and_activation(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        if len(tuple(input_shape)) != self.rank + 2:
            raise ValueError(
                f'Layer "{self.name}" expects inputs of rank {self.rank + 2}, but received '
                f"input shape {tuple(input_shape)}."
            )
        return conv_utils.conv_transpose_output_shape(
            input_shape,
            self.filters,
            self.kernel_size,
            self.strides,
            self.padding,
            self.output_padding,
            self.data_format,
            self.dilation_rate,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "output_padding": self.output_padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
            }
        )
        return config
