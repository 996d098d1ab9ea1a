"""Scratch arrays and gradient buffers, so that an optimizer step allocates no full-size
temporaries.

`ScratchBuffers` is one of `Optimizer`'s base classes. The built-in `update_step`s ask
`_scratch` for work arrays and write into them with numpy's `out=` arguments; the steps of
`apply` that change gradients (loss scaling, accumulation, clipping) write into
`_gradient_buffer`. The dicts they fill are created by `Optimizer.__init__`.
"""

import numpy as np

from minikeras.ops.allocator import aligned_empty

__all__ = ["ScratchBuffers"]


class ScratchBuffers:
    """The reusable work arrays of `Optimizer`."""

    def _scratch(self, variable, count):
        """Returns `count` scratch arrays shaped like `variable`.

        They are views of flat buffers shared by all variables of a dtype (variables are
        updated one at a time), so update steps need no temporaries of their own. Their
        contents are undefined on entry and belong to the caller until it returns.
        """
        views = self._scratch_views.get(id(variable))
        if views is not None and len(views) >= count:
            return views
        array = variable.data
        size = max(
            [array.size]
            + [v.data.size for v in self._trainable_variables if v.data.dtype == array.dtype]
        )
        pool = self._scratch_pool.setdefault(array.dtype, [])
        if any(buffer.size < size for buffer in pool):
            # A larger variable than any seen: start over with bigger buffers.
            pool.clear()
            self._scratch_views.clear()
        while len(pool) < count:
            pool.append(aligned_empty(size, array.dtype))
        views = [buffer[: array.size].reshape(array.shape) for buffer in pool]
        self._scratch_views[id(variable)] = views
        return views

    def _gradient_buffer(self, variable):
        """A persistent per-variable array that processed gradients are written into."""
        buffer = self._gradient_buffers.get(id(variable))
        if buffer is None:
            buffer = np.empty_like(variable.data)
            self._gradient_buffers[id(variable)] = buffer
        return buffer
