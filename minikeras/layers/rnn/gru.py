"""`GRU` and its cell (Cho et al., 2014), gates in Keras's order z, r, h."""

from minikeras import activations
from minikeras.layers.rnn import fused
from minikeras.layers.rnn.cell import CellRNN, RecurrentCell, cell_layer


class GRUCell(RecurrentCell):
    """The cell of `GRU`: weights `(input_dim, 3 * units)`, `(units, 3 * units)` and a bias
    of `(2, 3 * units)` (input and recurrent rows) with `reset_after=True`, else `(3 * units,)`.

    Args: as `GRU` without the sequence arguments. `implementation=1` (forced by a
    non-zero `recurrent_dropout`) draws one dropout mask per gate, as Keras does.
    """

    gates = 3
    recurrence = fused.GRURecurrence
    extra_arguments = ("recurrent_activation", "reset_after")

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
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
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def recurrence_arguments(self):
        arguments = super().recurrence_arguments()
        arguments["recurrent_activation"] = self.recurrent_activation
        arguments["reset_after"] = self.reset_after
        return arguments

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return config


@cell_layer(GRUCell)
class GRU(CellRNN):
    """Gated Recurrent Unit layer (Keras 3's default `reset_after=True` variant).

    Args:
        units: size of the output and state.
        activation: "tanh" by default (the candidate state).
        recurrent_activation: "sigmoid" by default (the z and r gates).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as `LSTM`.
        dropout, recurrent_dropout, seed: as `LSTM`.
        reset_after: apply the reset gate after the recurrent product (True, the Keras 3
            and cuDNN convention, with separate input and recurrent biases) or before it.
        return_sequences, return_state, go_backwards, stateful, unroll: see `RNN`.
        use_cudnn: "auto", True or False. There is no cuDNN here; as Keras on a CPU,
            True works only where Keras's JAX fused GRU would run (reset_after, no unroll,
            no mask, no recurrent_dropout) and raises ValueError at call otherwise.

    Example:
        >>> GRU(4)(np.ones((2, 5, 3))).shape
        (2, 4)
    """

    cell_class = GRUCell
    cell_name = "gru_cell"

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        reset_after=True,
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
            "kernel_regularizer": kernel_regularizer,
            "recurrent_regularizer": recurrent_regularizer,
            "bias_regularizer": bias_regularizer,
            "kernel_constraint": kernel_constraint,
            "recurrent_constraint": recurrent_constraint,
            "bias_constraint": bias_constraint,
            "dropout": dropout,
            "recurrent_dropout": recurrent_dropout,
            "reset_after": reset_after,
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
        if self.use_cudnn is True and (
            not self.cell.reset_after
            or self.unroll
            or mask is not None
            or self.cell.recurrent_dropout
        ):
            raise ValueError(
                "use_cudnn=True was specified, but cuDNN is not supported for this layer "
                "configuration (it needs reset_after=True, unroll=False, no mask and no "
                f"recurrent_dropout). Received: reset_after={self.cell.reset_after}, "
                f"unroll={self.unroll}, mask={'None' if mask is None else 'given'}, "
                f"recurrent_dropout={self.cell.recurrent_dropout}. Pass use_cudnn='auto' to fall "
                "back to a non-cuDNN implementation."
            )
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)
