"""`LSTM` and its cell (Hochreiter & Schmidhuber, 1997), gates in Keras's order i, f, c, o."""

import numpy as np

from minikeras import activations
from minikeras.layers.rnn import fused
from minikeras.layers.rnn.cell import CellRNN, RecurrentCell, cell_layer


class LSTMCell(RecurrentCell):
    """The cell of `LSTM`: weights `(input_dim, 4 * units)`, `(units, 4 * units)`, `(4 * units,)`.

    Args: as `LSTM` without the sequence arguments. `implementation=1` (forced by a
    non-zero `recurrent_dropout`) draws one dropout mask per gate, as Keras does.
    """

    gates = 4
    recurrence = fused.LSTMRecurrence
    extra_arguments = ("recurrent_activation", "unit_forget_bias")

    def __init__(
        self,
        units,
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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [self.units, self.units]

    def bias_initial_value(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, initializer = self.units, self.bias_initializer

        # The forget gate's bias starts at 1 (Jozefowicz et al., 2015).
        def bias_with_forget_ones(shape, dtype=None):
            return np.concatenate(
                [
                    np.asarray(initializer((units,), dtype=dtype)),
                    np.ones((units,), dtype=dtype),
                    np.asarray(initializer((2 * units,), dtype=dtype)),
                ]
            )

        return bias_with_forget_ones

    def recurrence_arguments(self):
        arguments = super().recurrence_arguments()
        arguments["recurrent_activation"] = self.recurrent_activation
        return arguments

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


@cell_layer(LSTMCell)
class LSTM(CellRNN):
    """Long Short-Term Memory layer.

    Args:
        units: size of the output and of both states (`h`, the output, and `c`, the carry).
        activation: "tanh" by default (candidate and output).
        recurrent_activation: "sigmoid" by default (the i, f, o gates).
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: "glorot_uniform",
            "orthogonal", "zeros" by default.
        unit_forget_bias: start the forget gate's bias at 1 (True by default).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: optional.
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state to
            drop in training (masks drawn once per call, shared by every timestep).
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll: see `RNN`.
        use_cudnn: "auto", True or False. There is no cuDNN here: as Keras on a CPU, True is
            accepted when the layer is made and raises ValueError when it is called.

    Example:
        >>> output, h, c = LSTM(4, return_state=True)(np.ones((2, 5, 3)))
        >>> output.shape, c.shape
        ((2, 4), (2, 4))
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"

    def __init__(
        self,
        units,
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
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Invalid value received for argument `use_cudnn`. Expected one of "
                f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
            )
        self.use_cudnn = use_cudnn
        cell_arguments = {
            "units": units,
            "activation": activation,
            "recurrent_activation": recurrent_activation,
            "use_bias": use_bias,
            "kernel_initializer": kernel_initializer,
            "recurrent_initializer": recurrent_initializer,
            "bias_initializer": bias_initializer,
            "unit_forget_bias": unit_forget_bias,
            "kernel_regularizer": kernel_regularizer,
            "recurrent_regularizer": recurrent_regularizer,
            "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint,
            "recurrent_constraint": recurrent_constraint,
            "bias_constraint": bias_constraint,
            "dropout": dropout,
            "recurrent_dropout": recurrent_dropout,
            "seed": seed,
            "implementation": kwargs.pop("implementation", 2),
        }
        layer_arguments = {
            "return_sequences": return_sequences,
            "return_state": return_state,
            "go_backwards": go_backwards,
            "stateful": stateful,
            "unroll": unroll,
            "activity_regularizer": activity_regularizer,
        }
        super().__init__(cell_arguments, layer_arguments, kwargs)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if self.use_cudnn is True:
            raise ValueError(
                "use_cudnn=True was specified, but cuDNN is not available in minikeras "
                "(it computes on the CPU). Pass use_cudnn='auto' to fall back to a non-cuDNN "
                "implementation."
            )
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)
