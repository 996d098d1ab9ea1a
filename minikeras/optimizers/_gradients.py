"""The gradients as `Optimizer.apply` takes them: step 2 of `apply` (see optimizer.py).

`GradientChecks` is one of `Optimizer`'s base classes: the variables must be the ones the
optimizer was built with, the variables whose gradient is None are dropped (with Keras's
warning), and every gradient becomes a numpy array of its variable's dtype and shape.
Variables with `overwrite_with_gradient = True` take their gradient as their new value
and are then dropped too (Keras uses this for state computed as a "gradient", such as
float8 scales).
"""

import warnings

import numpy as np

from minikeras.autodiff import Tensor

__all__ = ["GradientChecks"]


class GradientChecks:
    """The checks `Optimizer.apply` runs on its gradients and variables."""

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {getattr(v, 'path', v)!r}. This optimizer can only be "
                    "called for the variables it was originally built with. When working with "
                    "a new set of variables, you should recreate a new optimizer instance."
                )

    def _filter_empty_gradients(self, grads, variables):
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if len(kept) < len(grads):
            missing = [v.path for g, v in zip(grads, variables) if g is None]
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
            return [g for g, _ in kept], [v for _, v in kept]
        return grads, variables

    @staticmethod
    def _gradient_array(gradient, variable):
        """The gradient as a numpy array of the variable's dtype (no copy when it is one)."""
        array = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if array.dtype != variable.data.dtype:
            array = array.astype(variable.data.dtype)
        if array.shape != variable.data.shape:
            raise ValueError(
                f"Gradient of shape {array.shape} does not match variable "
                f"{variable.path!r} of shape {variable.data.shape}."
            )
        return array

    def _overwrite_variables_directly_with_gradients(self, grads, variables):
        """Sets each variable with `overwrite_with_gradient` to its gradient (no learning
        rate, clipping or weight decay) and returns the other pairs.

        With `gradient_accumulation_steps`, such a variable keeps the element-wise maximum
        of its gradients in its accumulator and takes it on the update step, as in Keras.

        Args:
            grads: numpy arrays of the variables' dtypes and shapes.
            variables: the variables, one per gradient.

        Returns:
            The gradients and variables that are left for the update step.
        """
        if not any(getattr(v, "overwrite_with_gradient", False) for v in variables):
            return grads, variables
        steps = self.gradient_accumulation_steps
        kept_grads, kept_variables = [], []
        for g, v in zip(grads, variables):
            if not getattr(v, "overwrite_with_gradient", False):
                kept_grads.append(g)
                kept_variables.append(v)
            elif steps:
                accumulator = self._accumulated_gradients[self._get_variable_index(v)].data
                if (int(self._iterations.data) + 1) % steps == 0:
                    np.maximum(g, accumulator, out=v.data)
                    accumulator.fill(0)
                else:
                    np.maximum(g, accumulator, out=accumulator)
            else:
                # In place: `v.data` may be a view into the optimizer's flat buffer.
                np.copyto(v.data, g)
        return kept_grads, kept_variables
