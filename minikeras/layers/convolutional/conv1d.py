"""`Conv1D`: convolution over one spatial axis (sequences), with optional causal padding."""

from minikeras.layers.convolutional.base_conv import BaseConv, bias_and_activation
from minikeras.ops import numpy as np_ops


class Conv1D(BaseConv):
    """1D convolution layer over inputs `(batch, steps, channels)`.

    Args:
        filters: number of output channels.
        kernel_size: window length (int or 1-tuple).
        strides: step between windows.
        padding: `"valid"`, `"same"` or `"causal"` (pad only on the left, so output step
            `t` sees inputs up to `t`: for autoregressive models).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dilation_rate, groups, activation, use_bias, initializers, regularizers,
        constraints: as in `Conv2D`.

    Example:
        >>> Conv1D(32, 3, activation="relu")(np.ones((4, 10, 128))).shape
        (4, 8, 32)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
            rank=1,
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

    def call(self, inputs):
        if self.padding != "causal":
            return super().call(inputs)
        # Causal: pad (kernel extent - 1) steps on the left, then a valid convolution.
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        steps = [(0, 0), (left, 0), (0, 0)]
        if self.data_format == "channels_first":
            steps = [(0, 0), (0, 0), (left, 0)]
        padded = np_ops.pad(inputs, steps)
        outputs = self.convolution_op(padded, self.kernel, padding="valid")
        return bias_and_activation(self, outputs, self.bias)
