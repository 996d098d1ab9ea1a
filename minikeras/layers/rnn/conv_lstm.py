"""`ConvLSTMCell` and `ConvLSTM`, the base of ConvLSTM1D, ConvLSTM2D and ConvLSTM3D.

A convolutional LSTM (Shi et al., 2015) is an LSTM whose states are images (or 1-D or 3-D
grids) and whose two matrix products are convolutions: the input `x_t` is convolved with
`kernel` (the layer's strides, padding and dilation) and the previous output `h` with
`recurrent_kernel` ("same" padding, stride 1), giving the four gates i, f, c, o of
`filters` channels each, in Keras's order:

    z = conv(x_t, kernel) + bias + conv(h, recurrent_kernel)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    c = f * c + i * tanh(z_c);  h = o * tanh(c)

The layer is built from ops (no fused primitive): the input convolutions of all timesteps
run as one convolution over `batch * timesteps` images, then a Python loop makes the
recurrent convolution and the gates of each timestep, and autodiff gives the gradients.
The weights have Keras's names and layouts (`kernel (*kernel_size, channels, 4 * filters)`,
`recurrent_kernel (*kernel_size, filters, 4 * filters)`, `bias (4 * filters,)`), so
`.weights.h5` files move between minikeras and Keras.
"""

import numpy as np

from minikeras import activations, constraints, initializers, ops, regularizers
from minikeras.autodiff import Variable, convert_to_tensor
from minikeras.layers.convolutional import conv_utils
from minikeras.layers.convolutional.base_conv import (
    check_strides_and_dilation,
    positive_int,
    standardize_window,
)
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.layers.rnn.rnn import RNN, DropoutMasks, check_rate

# The constructor arguments a ConvLSTM layer hands to its cell (and reads back for its config).
CELL_ARGUMENTS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
)


class ConvLSTMCell(Layer, DropoutMasks):
    """The cell of the ConvLSTM layers: one timestep of a convolutional LSTM.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters: channels of the output and of both states.
        kernel_size, strides, padding, data_format, dilation_rate: the input convolution's
            window, as in `Conv2D` (the recurrent convolution uses the same `kernel_size`,
            "same" padding and stride 1).
        activation: "tanh" by default (candidate and output).
        recurrent_activation: "sigmoid" by default (the i, f, o gates).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as in `LSTMCell`.
        dropout, recurrent_dropout: fractions of the input and of the recurrent state to drop
            in training, one mask per gate, the same at every timestep of a call.
        seed: seed of the dropout masks.

    Call arguments:
        inputs: one timestep, `(batch, *spatial, channels)` (or channels first).
        states: `[h, c]`, each `(batch, *new_spatial, filters)` (or channels first).
        training: dropout is active only in training.

    Returns:
        `(h, [h, c])`.
    """

    def __init__(
        self,
        rank,
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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(
                f"ConvLSTMCell: `rank` must be 1, 2 or 3 (the number of spatial dimensions). "
                f"Received rank={rank!r}."
            )
        self.rank = rank
        layer_name = {1: "ConvLSTM1D", 2: "ConvLSTM2D", 3: "ConvLSTM3D"}[rank]
        self.filters = positive_int(filters, "filters", layer_name)
        standardize_window(self, kernel_size, strides, padding, dilation_rate)
        self.data_format = conv_utils.standardize_data_format(data_format)
        check_strides_and_dilation(self)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = None  # created by the first call that drops something
        self.dropout_mask_count = 4  # one mask per gate, as Keras's ConvLSTMCell
        # The states are grids whose shape is known once built (`state_shape`); Keras
        # reports -1 here too.
        self.state_size = -1
        self.input_spec = InputSpec(ndim=rank + 2)

    # -- shapes and weights -------------------------------------------------------------------
    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def compute_output_shape(self, inputs_shape, states_shape=None):
        """`(output shape, [h shape, c shape])` for one timestep of `inputs_shape`."""
        shape = conv_utils.conv_output_shape(
            tuple(inputs_shape),
            self.filters,
            self.kernel_size,
            self.strides,
            self.padding,
            self.data_format,
            self.dilation_rate,
            self.name,
        )
        return shape, [shape, shape]

    def build(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != self.rank + 2:
            raise ValueError(
                f'Layer "{self.name}" expects timesteps of rank {self.rank + 2} (batch, '
                f"{self.rank} spatial dimension(s) and channels), received shape {inputs_shape}."
            )
        spatial = conv_utils.spatial_dims(inputs_shape, self.data_format)
        if None in spatial:
            raise ValueError(
                f'Layer "{self.name}": ConvLSTM layers need known spatial sizes (the states '
                f"are grids of a fixed size), received input shape {inputs_shape}."
            )
        channels = inputs_shape[self.channel_axis]
        if channels is None:
            raise ValueError(
                f'Layer "{self.name}" needs a known number of input channels, received input '
                f"shape {inputs_shape} (data_format={self.data_format!r})."
            )
        self.spatial_dims = tuple(spatial)
        self.input_dim = channels
        # The state grid: fails here, naming the shapes, when the input is too small.
        self.state_shape = self.compute_output_shape((None, *inputs_shape[1:]))[0][1:]
        width = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(width,),
                name="bias",
                initializer=self._bias_initial_value(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, shape=(None, *inputs_shape[1:]))
        self.built = True

    def _bias_initial_value(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        filters, initializer = self.filters, self.bias_initializer

        # The forget gate's bias starts at 1 (Jozefowicz et al., 2015).
        def bias_with_forget_ones(shape, dtype=None):
            return np.concatenate(
                [
                    np.asarray(initializer((filters,), dtype=dtype)),
                    np.ones((filters,), dtype=dtype),
                    np.asarray(initializer((2 * filters,), dtype=dtype)),
                ]
            )

        return bias_with_forget_ones

    def get_initial_state(self, batch_size=None):
        """Zero `h` and `c`, each `(batch_size, *state_shape)`."""
        shape = (batch_size, *self.state_shape)
        return [ops.zeros(shape, dtype=self.dtype), ops.zeros(shape, dtype=self.dtype)]

    # -- dropout ------------------------------------------------------------------------------
    def sequence_dropout_masks(self, step_shape, dtype, training):
        """`(input masks, recurrent masks)` for one call: each None or 4 arrays, the input
        masks shaped as a timestep `(batch, *step_shape)`, the recurrent ones as a state."""
        batch = step_shape[0]
        inputs = self._masks(self.dropout, tuple(step_shape), dtype, training)
        recurrent = self._masks(self.recurrent_dropout, (batch, *self.state_shape), dtype, training)
        return inputs, recurrent

    def reset_dropout_mask(self):
        """Forgets the input masks of step-by-step calls (the next call draws new ones)."""
        self.__dict__.pop("_input_masks", None)

    def reset_recurrent_dropout_mask(self):
        """Forgets the recurrent masks of step-by-step calls."""
        self.__dict__.pop("_recurrent_masks", None)

    def _step_masks(self, step_shape, dtype, training):
        """The masks of a cell called one timestep at a time: drawn by the first training
        call and kept until `reset_dropout_mask` / `reset_recurrent_dropout_mask`."""
        if not training:
            return None, None
        if "_input_masks" not in self.__dict__ or "_recurrent_masks" not in self.__dict__:
            inputs, recurrent = self.sequence_dropout_masks(step_shape, dtype, training)
            self.__dict__.setdefault("_input_masks", inputs)
            self.__dict__.setdefault("_recurrent_masks", recurrent)
        return self.__dict__["_input_masks"], self.__dict__["_recurrent_masks"]

    # -- computation --------------------------------------------------------------------------
    def _input_convolution(self, sequences, input_masks):
        """`conv(x_t, kernel) + bias` for every timestep: `(batch, timesteps, *state)`
        with the 4 gates' channels, from one convolution over `batch * timesteps` images."""
        batch, timesteps = sequences.shape[:2]
        step_shape = tuple(sequences.shape[2:])
        if input_masks is None:
            images = ops.reshape(sequences, (batch * timesteps, *step_shape))
            z = self._conv(images, self.kernel, self.strides, self.padding, self.dilation_rate)
            if self.bias is not None:
                z = z + self._along_channels(self.bias)
        else:
            # One mask per gate: each gate's kernel convolves its own masked copy.
            kernels = ops.split(self.kernel, 4, axis=-1)
            biases = ops.split(self.bias, 4) if self.bias is not None else [None] * 4
            gates = []
            for mask, kernel, bias in zip(input_masks, kernels, biases):
                masked = sequences * ops.expand_dims(mask, 1)
                images = ops.reshape(masked, (batch * timesteps, *step_shape))
                gate = self._conv(images, kernel, self.strides, self.padding, self.dilation_rate)
                if bias is not None:
                    gate = gate + self._along_channels(bias)
                gates.append(gate)
            z = ops.concatenate(gates, axis=self.channel_axis)
        return ops.reshape(z, (batch, timesteps, *z.shape[1:]))

    def _recurrent_convolution(self, h, recurrent_masks):
        """`conv(h, recurrent_kernel)` ("same", stride 1) with the 4 gates' channels."""
        ones = (1,) * self.rank
        if recurrent_masks is None:
            return self._conv(h, self.recurrent_kernel, ones, "same", ones)
        kernels = ops.split(self.recurrent_kernel, 4, axis=-1)
        gates = [
            self._conv(h * mask, kernel, ones, "same", ones)
            for mask, kernel in zip(recurrent_masks, kernels)
        ]
        return ops.concatenate(gates, axis=self.channel_axis)

    def _conv(self, x, kernel, strides, padding, dilation_rate):
        return ops.conv(
            x,
            kernel,
            strides=strides,
            padding=padding,
            data_format=self.data_format,
            dilation_rate=dilation_rate,
        )

    def _along_channels(self, vector):
        """`vector` reshaped to broadcast along the channels axis of a batch of grids."""
        if self.data_format == "channels_last":
            return vector
        return ops.reshape(vector, (-1,) + (1,) * self.rank)

    def _step(self, z_input, h, c, recurrent_masks):
        """One timestep from its input convolution `z_input`: returns the new `(h, c)`."""
        z = z_input + self._recurrent_convolution(h, recurrent_masks)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=self.channel_axis)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        return o * self.activation(c), c

    def run_sequence(
        self,
        sequences,
        states,
        return_sequences,
        go_backwards,
        training,
        mask=None,
        zero_output_for_mask=False,
        unrolled=False,
    ):
        """Runs the cell over `sequences (batch, timesteps, *step)`; returns
        `(output, h, c)`, the output being every timestep's `h` or the last one.

        `mask` (numpy booleans `(batch, timesteps)`, or None) marks the timesteps that count:
        at a masked timestep a sample keeps its states, and its output is its previous output
        (zeros with `zero_output_for_mask`). Before a sample's first unmasked timestep, that
        previous output is its initial `h`, or zeros when `unrolled` (Keras's unrolled loop
        starts from a zero output, its scanned loop from the first state)."""
        h, c = states
        input_masks, recurrent_masks = self.sequence_dropout_masks(
            (sequences.shape[0], *sequences.shape[2:]), sequences.data.dtype, training
        )
        z_inputs = self._input_convolution(sequences, input_masks)
        steps = range(sequences.shape[1])
        if go_backwards:
            steps = reversed(steps)
        zero = np.zeros((), dtype=h.data.dtype)
        last_output = ops.zeros_like(h) if unrolled else h
        outputs = []
        for t in steps:
            new_h, new_c = self._step(z_inputs[:, t], h, c, recurrent_masks)
            if mask is None:
                h, c = new_h, new_c
                output = h
            else:
                keep = mask[:, t].reshape((-1,) + (1,) * (self.rank + 1))
                output = ops.where(keep, new_h, zero if zero_output_for_mask else last_output)
                last_output = ops.where(keep, new_h, last_output)
                h, c = ops.where(keep, new_h, h), ops.where(keep, new_c, c)
            outputs.append(output)
        output = ops.stack(outputs, axis=1) if return_sequences else outputs[-1]
        return output, h, c

    def call(self, inputs, states, training=False):
        """One timestep: `(h, [h, c])` from `inputs` and `states = [h, c]`."""
        h, c = (convert_to_tensor(state, self.dtype) for state in states)
        input_masks, recurrent_masks = self._step_masks(
            tuple(inputs.shape), inputs.data.dtype, training
        )
        z_input = self._input_convolution(ops.expand_dims(inputs, 1), input_masks)[:, 0]
        h, c = self._step(z_input, h, c, recurrent_masks)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
        return config


def _cell_property(name):
    return property(lambda self: getattr(self.cell, name))


class ConvLSTM(RNN):
    """N-D convolutional LSTM layer, the base of ConvLSTM1D, ConvLSTM2D and ConvLSTM3D.

    Args:
        rank: number of spatial dimensions (1, 2 or 3).
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
        recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: see `ConvLSTMCell`.
        activity_regularizer: optional penalty on the layer's output.
        return_sequences, return_state, go_backwards, stateful: see `RNN` (`unroll` and
            `zero_output_for_mask` are accepted as keyword arguments, as in Keras).

    Call arguments:
        sequences: `(batch, timesteps, *spatial, channels)` (or
            `(batch, timesteps, channels, *spatial)` with channels first); the spatial sizes
            must be known, the number of timesteps need not be.
        initial_state: `[h, c]`, each shaped as the output of one timestep.
        mask: `(batch, timesteps)` booleans; a masked timestep keeps the states (see
            `ConvLSTMCell.run_sequence` for the output there).
        training: dropout is active only in training.
    """

    def __init__(
        self,
        rank,
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
        cell = ConvLSTMCell(
            rank=rank,
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
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.rank = rank
        self.single_state = False
        self.state_size = [-1, -1]  # h and c, grids of the cell's `state_shape`
        self.input_spec = InputSpec(ndim=rank + 3)

    # -- shapes and weights -------------------------------------------------------------------
    def _check_rank(self, sequences_shape):
        if len(sequences_shape) != self.rank + 3:
            raise ValueError(
                f'Layer "{self.name}" expects inputs of rank {self.rank + 3} (batch, '
                f"timesteps, {self.rank} spatial dimension(s) and channels), received input "
                f"shape {tuple(sequences_shape)}."
            )

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        self._check_rank(sequences_shape)
        batch, timesteps = sequences_shape[:2]
        step, _ = self.cell.compute_output_shape((batch, *sequences_shape[2:]))
        output = (batch, timesteps, *step[1:]) if self.return_sequences else step
        if self.return_state:
            return output, step, step
        return output

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        self._check_rank(sequences_shape)
        if self.unroll and sequences_shape[1] is None:
            raise ValueError(
                "Cannot unroll a RNN if the time dimension is undefined: give `Input` a "
                f"`shape` with the number of timesteps (got input shape {sequences_shape})."
            )
        if not self.cell.built:
            self.cell.build((sequences_shape[0], *sequences_shape[2:]))
        self.input_spec = InputSpec(ndim=self.rank + 3, shape=(None, None, *sequences_shape[2:]))
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(
                    "When using `stateful=True` in a RNN, the batch size must be static. "
                    f"Found dynamic batch size: sequence.shape={sequences_shape}"
                )
            states = [
                Variable(
                    np.zeros((batch, *self.cell.state_shape), self.dtype),
                    trainable=False,
                    name="rnn_state",
                )
                for _ in range(2)
            ]
            object.__setattr__(self, "states", states)
        self.built = True

    def get_initial_state(self, batch_size):
        return self.cell.get_initial_state(batch_size=batch_size)

    def _initial_states(self, sequences, initial_state):
        """`[h, c]`: the given states (checked), the stateful ones, or zeros."""
        batch = sequences.shape[0]
        shape = (batch, *self.cell.state_shape)
        if initial_state is None:
            if self.stateful:
                if self.states[0].shape[0] != batch:
                    raise ValueError(
                        "If an RNN is stateful, the batch size of the input sequences must be "
                        "the same as the batch size of the initial state.\n"
                        f"- Expected batch size: {self.states[0].shape[0]}\n"
                        f"- Received batch size: {batch}"
                    )
                return [convert_to_tensor(state.data.copy()) for state in self.states]
            return [convert_to_tensor(np.zeros(shape, self.dtype)) for _ in range(2)]
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) != 2:
            count = len(initial_state) if isinstance(initial_state, (list, tuple)) else 1
            raise ValueError(
                f'Layer "{self.name}" expects 2 initial states (initial_state=[h, c]), but '
                f"received {count}."
            )
        states = []
        for state in initial_state:
            state = convert_to_tensor(state, self.dtype)
            if tuple(state.shape) != shape:
                raise ValueError(
                    f'Layer "{self.name}": each initial_state must have shape {shape} (the '
                    f"shape of one timestep's output), received shape {tuple(state.shape)} "
                    f"for inputs of shape {tuple(sequences.shape)}."
                )
            states.append(state)
        return states

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.shape[1] == 0:
            raise ValueError(
                f'Layer "{self.name}" needs at least one timestep, received sequences of '
                f"shape {tuple(sequences.shape)}."
            )
        output, h, c = self.cell.run_sequence(
            sequences,
            self._initial_states(sequences, initial_state),
            return_sequences=self.return_sequences,
            go_backwards=self.go_backwards,
            training=bool(training),
            mask=self._timestep_mask(sequences, mask),
            zero_output_for_mask=self.zero_output_for_mask,
            unrolled=self.unroll,
        )
        if self.stateful:
            self.states[0].assign(h.data)
            self.states[1].assign(c.data)
        if self.return_state:
            return output, h, c
        return output

    def get_config(self):
        config = super().get_config()
        del config["cell"]  # the layer makes its own cell from the flat arguments
        cell_config = self.cell.get_config()
        for key in CELL_ARGUMENTS:
            config[key] = cell_config[key]
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


for _name in CELL_ARGUMENTS:
    setattr(ConvLSTM, _name, _cell_property(_name))
del _name
