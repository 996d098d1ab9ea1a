"""`StackedRNNCells`: a list of cells that acts as one cell (`RNN([cell, cell])` makes one).

At each timestep the first cell reads the input, each next cell reads the output of the one
before, and the stack's output is the last cell's. The states are one entry per cell, in
order: the cell's list of states (`[h, c]` for an LSTMCell, `[h]` for a GRUCell) or a
single tensor, as Keras nests them.

When every cell is a built-in one (SimpleRNNCell, LSTMCell, GRUCell), the stack runs cell
by cell over the whole sequence, each as one fused primitive: the numbers are those of the
step-by-step loop, since each cell's output sequence is the next cell's input sequence.
"""

from minikeras import ops
from minikeras.layers.layer import Layer, _call_signature_flags


def _cell_output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


class StackedRNNCells(Layer):
    """Wraps a list of RNN cells so that they behave as a single cell.

    Args:
        cells: a list of cells (layers with a `state_size` and a
            `call(inputs, states)` returning `(output, new_states)`).

    Example:
        >>> cells = [LSTMCell(8), LSTMCell(4)]
        >>> RNN(StackedRNNCells(cells))(np.ones((2, 5, 3))).shape
        (2, 4)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"`cells` must be a non-empty list of RNN cells, got {cells!r}.")
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    f"All cells must have a `call` method. Received cell without a `call` "
                    f"method: {cell!r}"
                )
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "All cells must have a `state_size` attribute. Received cell without a "
                    f"`state_size`: {cell!r}"
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        """Zero states, one entry per cell (the cell's own `get_initial_state` when it has
        one, so built-in cells give a list)."""
        states = []
        for cell in self.cells:
            own = getattr(cell, "get_initial_state", None)
            if own is not None:
                states.append(own(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(ops.zeros((batch_size, cell.state_size), dtype=self.dtype))
            else:
                states.append(
                    [ops.zeros((batch_size, size), dtype=self.dtype) for size in cell.state_size]
                )
        return states

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(tuple(input_shape))
                cell.built = True
            input_shape = (batch, _cell_output_size(cell))

    def call(self, inputs, states, training=False):
        """One timestep through every cell; returns `(last cell's output, new states)`."""
        new_states = []
        for cell, cell_states in zip(self.cells, states, strict=True):
            nested = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if nested else [cell_states]
            kwargs = {}
            if _call_signature_flags(type(cell))[0]:
                kwargs["training"] = training
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            new_states.append(list(cell_states) if nested else cell_states[0])
        # Keras unwraps the states of a one-cell stack, which breaks its own loop for a
        # cell with two states; the stack here keeps one entry per cell.
        return inputs, new_states

    @property
    def run_sequence(self):
        """The whole-sequence run when every cell has one (the built-in cells), else None,
        and `RNN` calls the stack once per timestep."""
        if all(getattr(cell, "run_sequence", None) is not None for cell in self.cells):
            return self._run_sequence
        return None

    def _run_sequence(self, sequences, states, return_sequences, go_backwards, training):
        """Runs each cell over the sequence in turn; returns `(output, *final_states)`
        with one state entry per cell, nested as the given states."""
        final_states = []
        last = len(self.cells) - 1
        for k, (cell, cell_states) in enumerate(zip(self.cells, states, strict=True)):
            nested = isinstance(cell_states, (list, tuple))
            outputs = cell.run_sequence(
                sequences,
                list(cell_states) if nested else [cell_states],
                # Inner cells feed their whole sequence, in processing order, to the next.
                return_sequences=return_sequences if k == last else True,
                go_backwards=go_backwards if k == 0 else False,
                training=training,
            )
            sequences = outputs[0]
            final_states.append(list(outputs[1:]) if nested else outputs[1])
        return (sequences, *final_states)

    def get_config(self):
        from minikeras.saving.serialization import serialize_keras_object

        config = super().get_config()
        config["cells"] = [serialize_keras_object(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from minikeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        cells = [
            deserialize_keras_object(cell, custom_objects=custom_objects)
            for cell in config.pop("cells")
        ]
        return cls(cells, **config)
