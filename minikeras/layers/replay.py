"""Whether a compiled step may record a layer's calls once and replay them.

A compiled train step (`trainers/compiled_step.py`) records the primitives a model's
forward pass runs and replays them on the next batches, with no layer code in between. That
is right only for layers whose call runs the same primitives whatever the values: this
module holds the flag a layer class sets to say so, and the checks a layer (or a model made
of layers) passes before it is recorded.

`Layer` inherits `Replayable`; it is not used on its own.
"""

from minikeras import activations


class Replayable:
    """The replay vetting of a layer (see the module docstring)."""

    # True on layer classes whose call always runs the same primitives on its inputs and
    # weights, deciding nothing from their values: no randomness, no state updates, no added
    # losses or metrics, and reading nothing but its inputs, its weights, its own attributes
    # and the global settings. A compiled train step (`trainers/compiled_step.py`) records
    # such calls once and replays them until one of those attributes or settings changes.
    _replayable = False

    def _is_replayable(self):
        """Whether calls of this layer may be recorded and replayed (see `_replayable`).

        Only minikeras's own classes count (a user's subclass may change anything), and
        only with a built-in activation and no activity regularizer.
        """
        activation = getattr(self, "activation", None)
        return (
            self._replayable
            and type(self).__module__.startswith("minikeras.")
            and self.activity_regularizer is None
            and (activation is None or activations.is_builtin(activation))
        )

    def _runs_call_of(self, cls):
        """Whether this layer (a model, say) runs `cls.call` through `Layer.__call__`
        without an activity regularizer: a user's subclass may keep them or not."""
        from minikeras.layers.layer import Layer  # layer.py imports this module

        kind = type(self)
        return (
            kind.call is cls.call
            and kind.__call__ is Layer.__call__
            and self.activity_regularizer is None
        )
