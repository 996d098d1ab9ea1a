"""`SimpleRNN` and its cell: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + b)`."""

from minikeras.layers.rnn import fused
from minikeras.layers.rnn.cell import CellRNN, RecurrentCell, cell_layer


class SimpleRNNCell(RecurrentCell):
    """The cell of `SimpleRNN`: a fully connected recurrence (one gate).

    Args: as `SimpleRNN` without the sequence arguments.
    """

    gates = 1
    recurrence = fused.SimpleRNNRecurrence


@cell_layer(SimpleRNNCell)
class SimpleRNN(CellRNN):
    """Fully connected RNN: the output is fed back as the next timestep's state.

    Args:
        units: size of the output and state.
        activation: "tanh" by default.
        use_bias: whether the cell has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: "glorot_uniform",
            "orthogonal", "zeros" by default.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: optional.
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state to
            drop in training (one mask per call, shared by every timestep).
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll: see `RNN`.

    Example:
        >>> layer = SimpleRNN(4, return_sequences=True)
        >>> layer(np.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    omitted_from_config = ("seed",)  # as in Keras 3.15, so from_config loses the seed

    def __init__(
        self,
        units,
        activation="tanh",
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
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        cell_arguments = {
            "units": units,
            "activation": activation,
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
            "seed": seed,
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
