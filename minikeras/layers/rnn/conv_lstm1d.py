"""`ConvLSTM1D`: a convolutional LSTM over sequences of 1D signals."""

from minikeras.layers.rnn.conv_lstm import ConvLSTM


class ConvLSTM1D(ConvLSTM):
    """1D convolutional LSTM: an LSTM whose input and recurrent transformations are
    1D convolutions (Shi et al., 2015): its output and states are 1D signals
    with `filters` channels.

    Args:
        filters: channels of the output and of both states.
        kernel_size: int or tuple of 1 ints, the window of both convolutions.
        strides: int or tuple of 1 ints, the input convolution's step (cannot be combined
            with `dilation_rate > 1`); the recurrent convolution has stride 1.
        padding: `"valid"` (default) or `"same"`, for the input convolution (the recurrent
            one is always "same").
        data_format: `"channels_last"` (default, from `config.image_data_format()`) or
            `"channels_first"`.
        dilation_rate: int or tuple of 1 ints, spacing of the input kernel's taps.
        activation: "tanh" by default (candidate and output).
        recurrent_activation: "sigmoid" by default (the i, f, o gates).
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: "glorot_uniform",
            "orthogonal", "zeros" by default.
        unit_forget_bias: start the forget gate's bias at 1 (True by default).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: optional.
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state to
            drop in training (one mask per gate, drawn once per call).
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful: see `RNN`; `unroll` is
            accepted as a keyword argument.

    Inputs are `(batch, timesteps, steps, channels)`, or
    `(batch, timesteps, channels, steps)` with channels first; the output of a
    timestep (and each state) is `(batch, new_steps, filters)` (channels first:
    `(batch, filters, new_steps)`).

    Example:
        >>> layer = ConvLSTM1D(4, 3, padding="same", return_sequences=True)
        >>> layer(np.ones((2, 5, 10, 3), "float32")).shape
        (2, 5, 10, 4)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
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
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            **kwargs,
        )
