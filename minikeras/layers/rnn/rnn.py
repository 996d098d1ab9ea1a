"""`RNN`: runs a cell over the timesteps; the base of SimpleRNN, LSTM and GRU.

A recurrent layer owns a cell (`self.cell`, a layer holding `kernel`, `recurrent_kernel` and
`bias`), as in Keras, so a `.weights.h5` file stores them under `layers/lstm/cell/vars`.
For the built-in cells the whole sequence runs as one primitive (see `fused.py`): the cell
supplies the weights, the dropout masks and the primitive, and this class the initial
states, the stateful bookkeeping and the outputs. Any other cell is called once per
timestep.
"""

import inspect

import numpy as np

from minikeras import ops, random
from minikeras.autodiff import Variable, convert_to_tensor
from minikeras.layers.input_spec import InputSpec
from minikeras.layers.layer import Layer
from minikeras.layers.rnn.stacked_rnn_cells import StackedRNNCells
from minikeras.tree import flatten, pack_sequence_as


def check_rate(name, value):
    """Keras clips dropout rates into [0, 1]; anything that is not a number is an error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"`{name}` must be a number between 0 and 1, got {value!r}.")
    return min(1.0, max(0.0, float(value)))


def check_units(units):
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `units`, expected a positive integer, "
            f"got {units!r}."
        )
    return units


class DropoutMasks:
    """Draws a recurrent cell's dropout masks, once per layer call (Keras's DropoutRNNCell).

    Every timestep of a call uses the same masks. With `implementation=1` (forced by a
    non-zero `recurrent_dropout`) each gate gets its own mask (`dropout_mask_count`);
    otherwise one input mask serves all gates. Masks are only drawn in training calls with
    a rate strictly between 0 and 1.
    """

    dropout_mask_count = 1

    def _masks(self, rate, shape, dtype, training):
        if not training or not 0.0 < rate < 1.0:
            return None
        if getattr(self, "seed_generator", None) is None:
            self.seed_generator = random.SeedGenerator(self.seed)
        ones = np.ones(shape, dtype=dtype)
        return [
            random.dropout(ones, rate, seed=self.seed_generator).data
            for _ in range(self.dropout_mask_count)
        ]

    def dropout_masks(self, batch, input_dim, dtype, training):
        """`(input masks, recurrent masks)`: each None or a list of arrays."""
        inputs = self._masks(self.dropout, (batch, input_dim), dtype, training)
        recurrent = self._masks(self.recurrent_dropout, (batch, self.units), dtype, training)
        return inputs, recurrent

    def step_dropout_masks(self, batch, input_dim, dtype, training):
        """The masks of a cell called one step at a time: drawn by the first training call
        and kept until `reset_dropout_mask` / `reset_recurrent_dropout_mask`, as Keras."""
        if not training:
            return None, None
        cache = self.__dict__.get("_step_masks")
        if cache is None:
            cache = [None, None]
            object.__setattr__(self, "_step_masks", cache)
        if cache[0] is None:
            cache[0] = self._masks(self.dropout, (batch, input_dim), dtype, training)
        if cache[1] is None:
            cache[1] = self._masks(self.recurrent_dropout, (batch, self.units), dtype, training)
        return cache[0], cache[1]

    def reset_dropout_mask(self):
        """Forgets the cached input dropout mask (the next training step draws a new one)."""
        cache = self.__dict__.get("_step_masks")
        if cache is not None:
            cache[0] = None

    def reset_recurrent_dropout_mask(self):
        """Forgets the cached recurrent dropout mask."""
        cache = self.__dict__.get("_step_masks")
        if cache is not None:
            cache[1] = None


class RNN(Layer):
    """Base class of the recurrent layers: runs `self.cell` over the timesteps.

    Args:
        cell: the cell layer. SimpleRNNCell, LSTMCell and GRUCell run the whole sequence
            as one primitive; any other layer with a `state_size` and a
            `call(inputs, states)` returning `(output, new_states)` is called once per
            timestep. A list of cells becomes a `StackedRNNCells` (the states are then one
            entry per cell).
        return_sequences: return the output of every timestep, `(batch, timesteps, units)`,
            rather than the last one, `(batch, units)`.
        return_state: also return the final states: `(output, *states)`.
        go_backwards: process the sequence in reverse (the returned sequence is in the
            order processed, so reversed).
        stateful: each batch starts from the final states of the previous one (sample
            `i` continues sample `i`); needs a fixed batch size; `reset_states()` zeroes them.
        unroll: the timesteps run one after the other in Python whether or not it is
            set; with a mask it decides the output at the masked timesteps before a
            sample's first unmasked one: zeros when unrolled (as Keras's unrolled loop),
            the initial output state otherwise (as its scanned loop on JAX). Needs a
            known number of timesteps, as in Keras.
        zero_output_for_mask: whether masked timesteps output zeros (else the previous
            output), unrolled or not (Keras's unrolled loop on JAX ignores it; its
            TensorFlow backend and the ConvLSTM layers here honour it).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: a tensor or list of tensors `(batch, units)` (zeros by default).
        training: dropout is active only in training.
    """

    _promotes_integer_inputs = True  # int inputs give float32, as in Keras

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True  # the mask passes through, as in Keras
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, Layer) or not callable(getattr(cell, "call", None)):
            raise ValueError(
                f"Argument `cell` should be a layer with a `call` method, got {cell!r}."
            )
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not all(
            isinstance(size, int) and not isinstance(size, bool) for size in flatten(state_size)
        ):
            raise ValueError(
                "state_size must be an integer, or a list/tuple of integers (one for each "
                f"state tensor), got {state_size!r}."
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)
        # Stateful states are kept out of the weights (and of saved files), as in Keras.
        object.__setattr__(self, "states", None)
        self.input_spec = InputSpec(ndim=3)

    # -- shapes and weights -------------------------------------------------------------------
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        units = getattr(self.cell, "output_size", None) or self.state_size[0]
        output = (batch, length, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return (output, *[_state_shapes(batch, size) for size in self.state_size])
        return output

    def build(self, sequences_shape, initial_state_shape=None):
        if sequences_shape[-1] is None:
            raise ValueError(
                f'Layer "{self.name}" needs a known feature dimension, got input shape '
                f"{sequences_shape}."
            )
        if self.unroll and sequences_shape[1] is None:
            raise ValueError(
                "Cannot unroll a RNN if the time dimension is undefined: give `Input` a "
                f"`shape` with the number of timesteps (got input shape {sequences_shape})."
            )
        self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})
        if not self.cell.built:
            self.cell.build((sequences_shape[0], *tuple(sequences_shape[2:])))
            self.cell.built = True
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(
                    "When using `stateful=True` in a RNN, the batch size must be static. "
                    f"Found dynamic batch size: sequence.shape={tuple(sequences_shape)}"
                )
            states = [
                Variable(np.zeros((batch, size), self.dtype), trainable=False, name="rnn_state")
                for size in flatten(self.state_size)
            ]
            object.__setattr__(self, "states", states)

    def reset_state(self):
        """Zeroes the states of a stateful layer."""
        if self.states is not None:
            for state in self.states:
                state.assign(np.zeros(state.shape, state.dtype))

    def reset_states(self):
        """Alias of `reset_state` (the Keras 2 name)."""
        self.reset_state()

    def get_initial_state(self, batch_size):
        if isinstance(self.cell, StackedRNNCells):
            return self.cell.get_initial_state(batch_size=batch_size)
        return [ops.zeros((batch_size, size), dtype=self.dtype) for size in self.state_size]

    # -- call ---------------------------------------------------------------------------------
    def _initial_states(self, sequences, initial_state):
        batch = sequences.shape[0]
        if initial_state is None:
            if self.stateful:
                if self.states[0].shape[0] != batch:
                    raise ValueError(
                        "If an RNN is stateful, the batch size of the input sequences must be "
                        "the same as the batch size of the initial state.\n"
                        f"- Expected batch size: {self.states[0].shape[0]}\n"
                        f"- Received batch size: {batch}"
                    )
                states = [convert_to_tensor(state.data.copy()) for state in self.states]
                return pack_sequence_as(self._state_structure(batch), states)
            if isinstance(self.cell, StackedRNNCells):
                return self.get_initial_state(batch)
            return [convert_to_tensor(np.zeros((batch, s), self.dtype)) for s in self.state_size]
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        if len(initial_state) != len(self.state_size):
            raise ValueError(
                f'Layer "{self.name}" expects {len(self.state_size)} initial state(s) '
                f"(initial_state), but received {len(initial_state)}."
            )
        if isinstance(self.cell, StackedRNNCells):
            return [
                self._check_states(
                    list(state) if isinstance(state, (list, tuple)) else [state],
                    size if isinstance(size, (list, tuple)) else [size],
                    sequences,
                    nested=isinstance(state, (list, tuple)),
                )
                for state, size in zip(initial_state, self.state_size)
            ]
        return self._check_states(initial_state, self.state_size, sequences)

    def _state_structure(self, batch):
        """The nesting of the default initial states (one entry per cell of a stack)."""
        if isinstance(self.cell, StackedRNNCells):
            return self.get_initial_state(batch)
        return list(self.state_size)

    def _check_states(self, initial_state, sizes, sequences, nested=True):
        """Converts given states to tensors, checking each is `(batch, size)`."""
        if len(initial_state) != len(sizes):
            raise ValueError(
                f'Layer "{self.name}" expects {len(sizes)} initial state(s) for a cell '
                f"(initial_state), but received {len(initial_state)}."
            )
        batch = sequences.shape[0]
        states = []
        for state, size in zip(initial_state, sizes):
            state = convert_to_tensor(state, self.dtype)
            if tuple(state.shape) != (batch, size):
                raise ValueError(
                    f'Layer "{self.name}": each initial_state must have shape '
                    f"{(batch, size)} (batch, units), received shape {tuple(state.shape)} "
                    f"for inputs of shape {tuple(sequences.shape)}."
                )
            states.append(state)
        return states if nested else states[0]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.shape[1] == 0:
            raise ValueError(
                f'Layer "{self.name}" needs at least one timestep, received sequences of '
                f"shape {tuple(sequences.shape)}."
            )
        mask = self._timestep_mask(sequences, mask)
        states = self._initial_states(sequences, initial_state)
        run_sequence = getattr(self.cell, "run_sequence", None)
        if mask is not None and run_sequence is not None:
            if "mask" not in inspect.signature(run_sequence).parameters:
                run_sequence = None  # (stacked cells) step through time with the mask
        if run_sequence is None:
            if mask is not None:
                output, final_states = self._step_through_masked(sequences, states, mask, training)
                mask = None  # (it has made the unrolled loop's leading zero outputs itself)
            else:
                output, final_states = self._step_through(sequences, states, training)
        else:
            # The fused recurrence takes the mask itself (only passed when there is one).
            masking = {} if mask is None else {"mask": mask}
            if mask is not None and self.zero_output_for_mask:
                masking["zero_output_for_mask"] = True
            outputs = run_sequence(
                sequences,
                states,
                return_sequences=self.return_sequences,
                go_backwards=self.go_backwards,
                training=bool(training),
                **masking,
            )
            output, final_states = outputs[0], list(outputs[1:])
        if mask is not None and self.unroll and not self.zero_output_for_mask:
            output = self._zero_before_first_unmasked(output, mask)
        if self.stateful:
            for variable, state in zip(self.states, flatten(final_states)):
                variable.assign(state.data)
        if self.return_state:
            return (output, *final_states)
        return output

    def _timestep_mask(self, sequences, mask):
        """The `(batch, timesteps)` boolean mask as a numpy array, or None when every
        timestep counts (the unmasked path then gives the same numbers, faster)."""
        if mask is None:
            return None
        mask = flatten(mask)[0]  # as Keras: the timesteps' mask is the same for every input
        if mask is None:
            return None
        mask = np.asarray(getattr(mask, "data", mask)).astype(bool)
        if mask.shape != tuple(sequences.shape[:2]):
            raise ValueError(
                f'Layer "{self.name}": the mask must have shape (batch, timesteps) = '
                f"{tuple(sequences.shape[:2])}, received a mask of shape {mask.shape} for "
                f"sequences of shape {tuple(sequences.shape)}."
            )
        return None if mask.all() else mask

    def _zero_before_first_unmasked(self, output, mask):
        """`output` with zeros at each sample's masked timesteps before its first unmasked
        one (all of them for a sample masked throughout), as Keras's unrolled loop gives:
        it starts from a zero output where the fused recurrence repeats the initial state.
        """
        order = mask[:, ::-1] if self.go_backwards else mask  # the order processed
        started = np.logical_or.accumulate(order, axis=1)
        started = started[:, :, None] if self.return_sequences else started[:, -1:]
        return ops.where(started, output, np.zeros((), dtype=output.dtype))

    def _step_through_masked(self, sequences, states, mask, training):
        """Runs the cell one timestep at a time; where a sample's timestep is masked, its
        states stay those of the previous step and its output is the previous output
        (zeros with `zero_output_for_mask`), as Keras's masked recurrence does: the first
        state (Keras's scanned loop), or, with `unroll`, the last output, zeros before the
        first unmasked timestep (Keras's unrolled loop).

        Gradients flow through the kept states to the earlier steps, by autodiff."""
        cell_kwargs = {}
        if "training" in _call_parameters(self.cell):
            cell_kwargs["training"] = training
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            getattr(self.cell, reset, lambda: None)()  # one dropout mask for this call
        steps = range(sequences.shape[1])
        if self.go_backwards:
            steps = reversed(steps)
        zeros = np.zeros((), dtype=self.dtype)
        last_output = None  # the unrolled loop's previous output (zeros at first)
        outputs = []
        for t in steps:
            keep = mask[:, t : t + 1]
            output, new_states = self.cell(sequences[:, t], states, **cell_kwargs)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if self.unroll:
                previous = zeros if last_output is None else last_output
                last_output = ops.where(keep, output, previous)
            else:
                # The previous output is the first state (of the last cell, if stacked).
                previous = states[-1] if isinstance(states[0], (list, tuple)) else states
                previous = flatten(previous)[0]
            output = ops.where(keep, output, zeros if self.zero_output_for_mask else previous)
            kept = [ops.where(keep, n, o) for n, o in zip(flatten(new_states), flatten(states))]
            states = pack_sequence_as(new_states, kept)
            outputs.append(output)
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            getattr(self.cell, reset, lambda: None)()
        if self.return_sequences:
            return ops.stack(outputs, axis=1), states
        return outputs[-1], states

    def compute_mask(self, inputs, mask):
        """The timesteps' mask for `return_sequences`, else None; states carry none."""
        mask = flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def _step_through(self, sequences, states, training):
        """Calls a cell without a fused recurrence once per timestep (one graph per step)."""
        cell_kwargs = {}
        if "training" in _call_parameters(self.cell):
            cell_kwargs["training"] = training
        steps = range(sequences.shape[1])
        if self.go_backwards:
            steps = reversed(steps)
        outputs = []
        for t in steps:
            output, new_states = self.cell(sequences[:, t], states, **cell_kwargs)
            states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            outputs.append(output)
        if self.return_sequences:
            return ops.stack(outputs, axis=1), states
        return outputs[-1], states

    def get_config(self):
        from minikeras.saving.serialization import serialize_keras_object

        config = super().get_config()
        config.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_keras_object(self.cell),
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _call_parameters(layer):
    import inspect

    return inspect.signature(layer.call).parameters


def _state_shapes(batch, size):
    if isinstance(size, (list, tuple)):
        return [(batch, s) for s in size]
    return (batch, size)
