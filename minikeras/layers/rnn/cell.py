"""`RecurrentCell`: the weights and arguments SimpleRNNCell, LSTMCell and GRUCell share."""

from minikeras import activations, constraints, initializers, ops, random, regularizers
from minikeras.layers.layer import Layer
from minikeras.layers.rnn.rnn import RNN, DropoutMasks, check_rate, check_units


class RecurrentCell(Layer, DropoutMasks):
    """Holds `kernel (input_dim, gates * units)`, `recurrent_kernel (units, gates * units)`
    and `bias`, and runs a whole sequence through its recurrence primitive.

    Subclasses set `gates`, `recurrence` (the primitive class of `fused.py`) and, when it
    differs, `bias_shape`.
    """

    gates = 1
    recurrence = None
    extra_arguments = ()  # config keys beyond CELL_ARGUMENTS (e.g. "reset_after")

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        # As in Keras, every cell has its generator (its state is among `variables`).
        self.seed_generator = random.SeedGenerator(seed)
        self.state_size = self.units
        self.output_size = self.units

    def bias_shape(self):
        return (self.gates * self.units,)

    def bias_initial_value(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                name="bias",
                initializer=self.bias_initial_value(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def recurrence_arguments(self):
        """Constructor arguments of the recurrence primitive besides the masks."""
        return {"activation": self.activation, "use_bias": self.use_bias}

    def run_sequence(
        self,
        sequences,
        states,
        return_sequences,
        go_backwards,
        training,
        mask=None,
        zero_output_for_mask=False,
    ):
        """Runs the recurrence over `sequences`; returns `(output, *final_states)`.

        `mask` (numpy booleans `(batch, timesteps)`, or None) marks the timesteps that
        count; a masked timestep keeps the previous states (see `fused.py`)."""
        batch, _, input_dim = sequences.shape
        input_masks, recurrent_masks = self.dropout_masks(
            batch, input_dim, sequences.data.dtype, training
        )
        recurrence = self.recurrence(
            return_sequences=return_sequences,
            go_backwards=go_backwards,
            input_masks=input_masks,
            recurrent_masks=recurrent_masks,
            mask=mask,
            zero_output_for_mask=zero_output_for_mask,
            **self.recurrence_arguments(),
        )
        weights = [self.kernel, self.recurrent_kernel] + ([self.bias] if self.use_bias else [])
        return recurrence(sequences, *weights, *states)

    def call(self, inputs, states, training=False):
        """One timestep: `inputs (batch, features)` and the states give
        `(output, new_states)`; runs the layer's recurrence on a sequence of length one."""
        nested = isinstance(states, (list, tuple))
        states = list(states) if nested else [states]
        batch, input_dim = inputs.shape
        input_masks, recurrent_masks = self.step_dropout_masks(
            batch, input_dim, inputs.data.dtype, training
        )
        recurrence = self.recurrence(
            return_sequences=False,
            input_masks=input_masks,
            recurrent_masks=recurrent_masks,
            **self.recurrence_arguments(),
        )
        weights = [self.kernel, self.recurrent_kernel] + ([self.bias] if self.use_bias else [])
        output, *new_states = recurrence(ops.expand_dims(inputs, 1), *weights, *states)
        if len(new_states) == 1 and not nested:
            return output, new_states[0]
        return output, new_states

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in sizes]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
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


# The arguments a recurrent layer hands to its cell, and reads back for its config.
CELL_ARGUMENTS = (
    "units",
    "activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
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


def cell_layer(cell_class):
    """Adds read-only properties naming the cell's arguments (`layer.units`, ...) to a
    recurrent layer class, as Keras's layers have."""

    def decorate(cls):
        for name in CELL_ARGUMENTS + cell_class.extra_arguments:
            setattr(cls, name, property(lambda self, name=name: getattr(self.cell, name)))
        return cls

    return decorate


class CellRNN(RNN):
    """A recurrent layer built around its own cell class (`cell_class`): the constructor
    splits the arguments between cell and layer, and the config is flat, as in Keras."""

    cell_class = None
    cell_name = None
    omitted_from_config = ()  # cell arguments Keras leaves out of the layer's config

    def __init__(self, cell_arguments, layer_arguments, kwargs):
        cell_kwargs = dict(cell_arguments)
        cell_kwargs["dtype"] = kwargs.get("dtype")
        cell_kwargs["trainable"] = kwargs.get("trainable", True)
        cell = self.cell_class(name=self.cell_name, **cell_kwargs)
        super().__init__(cell, **layer_arguments, **kwargs)

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in CELL_ARGUMENTS + self.cell_class.extra_arguments:
            if key not in self.omitted_from_config:
                config[key] = cell_config[key]
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        del config["cell"]  # the layer makes its own cell from the flat arguments
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
