"""The recurrence primitives behind SimpleRNN, LSTM and GRU: one graph node per layer call.

Written with ops, a recurrent layer would add a dozen graph nodes per timestep, and its
backward pass would walk them all. Here each layer call is one `Function`:

- `forward` projects every timestep's input with the kernel in one matrix product
  (`x @ kernel + bias`, shape `(timesteps, batch, gates * units)`), then loops over the
  timesteps in numpy, keeping the states and gate values the backward pass needs;
- `backward` loops over the timesteps in reverse (backpropagation through time), adding up
  the recurrent kernel's gradient, and finishes with one matrix product for the kernel's
  and one for the input's gradient.

Inputs, in order: `x (batch, timesteps, input_dim)`, `kernel (input_dim, k * units)`,
`recurrent_kernel (units, k * units)`, `bias` (when the layer has one), then the initial
states (`h`, and `c` for the LSTM), each `(batch, units)`. Outputs: the layer's output (the
whole sequence `(batch, timesteps, units)` or the last step `(batch, units)`), then the final
states. Gate blocks along the `k * units` axis are in Keras's order: LSTM `i, f, c, o`, GRU
`z, r, h`.

Dropout masks (drawn by the layer once per call, so every timestep uses the same mask) are
constructor arguments: a list with one mask for all gates, or one per gate, or None.

A timestep mask (Keras masking, `(batch, timesteps)` booleans) is a constructor argument too:
where a sample's timestep is masked, its states stay those of the previous step and its
output is that previous state (zeros with `zero_output_for_mask`), as in Keras. The backward
pass sends a masked step's gradient straight on to the previous states.

The three also have a fast path for their most common calls (default activations, no
dropout, float32; the GRU with reset_after=True): see `LSTMRecurrence`. Every other call
takes the general loops described above.
"""

import numpy as np

from minikeras import activations
from minikeras.autodiff import Function, GradientTape, convert_to_tensor, no_grad
from minikeras.ops import parallel


def _sigmoid(a):
    with np.errstate(over="ignore"):  # exp(-a) overflows to inf for a < -88: sigmoid is 0
        e = np.exp(-a)
    e += 1
    return np.reciprocal(e, out=e)


def _sigmoid_into(a, out):
    """`sigmoid(a)` written into `out` (which may be `a`), with no temporary array."""
    np.negative(a, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class _Activation:
    """An activation applied to numpy arrays, with its derivative.

    tanh, sigmoid, relu and linear have derivatives written in terms of their outputs, so
    the recurrence keeps only outputs; any other activation keeps its input and gets its
    derivative from minikeras's autodiff.
    """

    def __init__(self, function):
        self.function = function
        self.kind = None
        for kind in ("tanh", "sigmoid", "relu", "linear"):
            if function is getattr(activations, kind):
                self.kind = kind
        self.needs_input = self.kind is None

    def __call__(self, a):
        kind = self.kind
        if kind == "tanh":
            return np.tanh(a)
        if kind == "sigmoid":
            return _sigmoid(a)
        if kind == "relu":
            return np.maximum(a, 0)
        if kind == "linear":
            return a.copy()
        with no_grad():
            return np.asarray(self.function(convert_to_tensor(a)).data, dtype=a.dtype)

    def apply(self, a, out):
        """Writes the activation of `a` into `out` (which may be `a`); returns `out`."""
        kind = self.kind
        if kind == "tanh":
            return np.tanh(a, out=out)
        if kind == "sigmoid":
            return _sigmoid_into(a, out)
        if kind == "relu":
            return np.maximum(a, 0, out=out)
        out[...] = self(a)
        return out

    def gradient_into(self, gy, a, y, out):
        """`gradient(gy, a, y)` written into `out` (which must not be `gy`); returns `out`."""
        kind = self.kind
        if kind == "tanh":
            np.multiply(y, y, out=out)
            np.subtract(1, out, out=out)
            return np.multiply(out, gy, out=out)
        if kind == "sigmoid":
            np.subtract(1, y, out=out)
            np.multiply(out, y, out=out)
            return np.multiply(out, gy, out=out)
        out[...] = self.gradient(gy, a, y)
        return out

    def gradient(self, gy, a, y):
        """The gradient with respect to the input `a`, given the output `y` and its gradient."""
        kind = self.kind
        if kind == "tanh":
            return gy * (1 - y * y)
        if kind == "sigmoid":
            return gy * y * (1 - y)
        if kind == "relu":
            return gy * (y > 0)
        if kind == "linear":
            return gy
        with GradientTape() as tape:
            t = convert_to_tensor(a)
            tape.watch(t)
            out = self.function(t)
        g = tape.gradient(out, t, output_gradients=convert_to_tensor(gy))
        return np.zeros_like(a) if g is None else np.asarray(g.data, dtype=a.dtype)


def _matmul(a, b):
    """`a @ b` over the last axis of `a`, as one 2-D product (numpy's stacked matmul is
    much slower than a single GEMM on the flattened rows)."""
    if a.ndim == 2:
        return a @ b
    return (a.reshape(-1, a.shape[-1]) @ b).reshape(*a.shape[:-1], b.shape[-1])


def _project(h, weights, masks):
    """`h @ weights`, with `h` multiplied by a dropout mask first: one mask for every gate
    block of `weights`, or one per block. `h` may have a leading time axis."""
    if masks is None:
        return _matmul(h, weights)
    if len(masks) == 1:
        return _matmul(h * masks[0], weights)
    units = weights.shape[1] // len(masks)
    out = np.empty(h.shape[:-1] + (weights.shape[1],), dtype=h.dtype)
    for g, mask in enumerate(masks):
        block = slice(g * units, (g + 1) * units)
        out[..., block] = _matmul(h * mask, weights[:, block])
    return out


def _project_backward(h, weights, masks, gy, g_weights, want_h=True):
    """Backward of `_project`: adds the weights' gradient into `g_weights` (in place;
    skipped when None) and returns the gradient with respect to `h` (None unless
    `want_h`). `h` and `gy` may have leading time axes."""
    rows = (-1, h.shape[-1])
    g2 = gy.reshape(-1, gy.shape[-1])
    blocks = [slice(None)] if masks is None or len(masks) == 1 else None
    if blocks is None:
        units = gy.shape[-1] // len(masks)
        blocks = [slice(g * units, (g + 1) * units) for g in range(len(masks))]
    gh = None
    for g, block in enumerate(blocks):
        mask = None if masks is None else masks[g]
        if g_weights is not None:
            h_masked = h if mask is None else h * mask
            g_weights[:, block] += h_masked.reshape(rows).T @ g2[:, block]
        if want_h:
            g_block = _matmul(gy[..., block], weights[:, block].T)
            if mask is not None:
                g_block *= mask
            gh = g_block if gh is None else gh + g_block
    return gh


# -- reused memory for the fast paths ------------------------------------------------------
# The fast paths' per-call arrays are megabytes; fresh ones come from the operating system
# page by page, one page fault per 4 KB on first touch, which costs as much as a quarter of
# a call. So the arrays a finished call no longer needs are kept for the next call of the
# same shapes to write over: at most two of each shape, and all are forgotten when more
# than 16 shapes are held (e.g. sequences of many lengths), so the memory kept stays of
# the order of one call's. Only single list and dict operations touch `_spare` (each is
# atomic in CPython), so threads, and a garbage collection that gives arrays back in the
# middle of `_empty`, cannot corrupt it; no lock, so no deadlock either.
_spare = {}  # shape -> float32 arrays free for reuse


def _empty(shape):
    """An uninitialised float32 array of `shape`: a spare one when there is one."""
    try:
        return _spare[shape].pop()
    except (KeyError, IndexError):
        return np.empty(shape, dtype=np.float32)


def _give_back(*arrays):
    """Makes `arrays` (which nothing may use any more) spare for later calls."""
    if len(_spare) > 16:
        _spare.clear()
    for array in arrays:
        spares = _spare.setdefault(array.shape, [])
        if len(spares) < 2:
            spares.append(array)


class _Saved:
    """Holds the arrays a call saves for its backward pass, and gives them back when the
    call is dropped: after the (last) backward pass, or at once when nothing recorded it."""

    def __init__(self, *arrays):
        self.arrays = arrays

    def __del__(self):
        _give_back(*self.arrays)


# -- the second core ------------------------------------------------------------------------
# The backward pass's weight-gradient products (and x's gradient) do not feed the
# recurrence: one worker thread makes them for steps the calling thread has finished,
# while it walks on to earlier steps (numpy and BLAS release the GIL inside each call).
# The worker is the one of ops/parallel.py (also used by the blocked batch normalisation
# and pooling: started on first use, again in a forked child); its `for_each` splits work
# in halves, so the pieces here are handed to its thread (`parallel.worker()`) directly.
# The work is cut into the same pieces, made in the same order with or without it: the
# same bits either way.
#
# Only when BLAS runs single-threaded (OPENBLAS_NUM_THREADS=1 or OMP_NUM_THREADS=1): with
# its own threads BLAS already spreads each step's product over the cores, and a worker
# competing with them makes the whole pass slower (measured: about 2 ms of 11 on
# benchmarks/bench_rnn.py), so then the calling thread makes every piece itself.

# Steps per piece handed to the worker: long enough that handing it over costs little
# against its products, short enough that little is left when the recurrence ends.
STEPS_PER_PIECE = 10

# None: use the worker when BLAS is single-threaded on two cores or more, for side work
# of at least `WORKER_PRODUCTS` multiply-adds (handing pieces over and sharing the GIL
# cost more than smaller side work saves: an LSTM backward pass measured slower with the
# worker at 20M multiply-adds, quicker from 40M on); True: always (on two cores or
# more); False: never. The tests set it to compare the two.
use_worker = None
WORKER_PRODUCTS = 1 << 25


def _worker(products):
    """The shared worker thread's executor for side work of `products` multiply-adds, or
    None when the pieces run on this thread."""
    if use_worker is False or not parallel.has_second_core():
        return None
    if use_worker is None and (
        products < WORKER_PRODUCTS or not parallel.environment_sets_one_blas_thread()
    ):
        return None
    return parallel.worker()


class _SideWork:
    """Runs `piece(start, stop)` for consecutive pieces of steps, on `worker` (from
    `_worker()`) when there is one, in the order given (it is a single thread), else at once.

    Use as a context manager: leaving it waits for every piece, also on an error, so no
    piece still writes into arrays the caller gives back."""

    def __init__(self, piece, worker):
        self.piece, self.worker, self.pending = piece, worker, []

    def add(self, start, stop):
        if self.worker is None:
            self.piece(start, stop)
        else:
            self.pending.append(self.worker.submit(self.piece, start, stop))

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, traceback):
        failures = [future.exception() for future in self.pending]  # waits for each
        failure = next((f for f in failures if f is not None), None)
        if failure is not None and error is None:
            raise failure


def _gate_order(units, blocks):
    """Column indices putting the gate blocks of a `(.., k * units)` axis in the order
    `blocks` (block numbers in Keras's order)."""
    return np.concatenate([np.arange(b * units, (b + 1) * units) for b in blocks])


class _Recurrence(Function):
    """Shared by the three recurrences: argument handling, the input projection, outputs."""

    n_states = 1
    # Subclasses with a fast path (see `_fast_path_applies`) take it when this is True; the
    # tests turn it off to compare the two paths.
    fast_path = True

    def __init__(
        self,
        activation,
        recurrent_activation=None,
        use_bias=True,
        return_sequences=False,
        go_backwards=False,
        input_masks=None,
        recurrent_masks=None,
        mask=None,
        zero_output_for_mask=False,
    ):
        self.activation = _Activation(activation)
        self.recurrent_activation = _Activation(recurrent_activation or activations.sigmoid)
        self.use_bias = use_bias
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards
        self.input_masks = input_masks
        self.recurrent_masks = recurrent_masks
        self.zero_output_for_mask = zero_output_for_mask
        self.keep = None
        if mask is not None:
            # Time-major `(timesteps, batch, 1)`, in processing order.
            keep = np.asarray(mask, dtype=bool).T[..., None]
            self.keep = np.ascontiguousarray(keep[::-1] if go_backwards else keep)

    def _fast_path_applies(self, arrays):
        """Whether this call can take the subclass's fast path: the default activations
        (tanh, and sigmoid for the gates), no dropout, and float32 arrays (a timestep mask
        is fine). Anything else takes the general path (whose loops handle every case)."""
        return (
            self.fast_path
            and self.activation.kind == "tanh"
            and self.recurrent_activation.kind == "sigmoid"
            and self.input_masks is None
            and self.recurrent_masks is None
            and all(a.dtype == np.float32 for a in arrays)
        )

    # -- shared by the fast paths (layout: units by batch, see LSTMRecurrence) -----------
    def _fast_mask(self):
        """The timestep mask as `(steps, 1, batch)` float32 `(kept, masked)` (1 or 0), or
        `(None, None)` without one."""
        if self.keep is None:
            return None, None
        kept = self.keep.transpose(0, 2, 1).astype(np.float32)
        return kept, 1 - kept

    def _fast_stacked(self, x, h0, with_bias):
        """`[h_{t-1}; x_t; 1]` per step, `(steps + 1, units + input_dim (+ 1), batch)`, with
        h_0 and every x_t (in processing order) filled in; the loop writes h_1, h_2, ..."""
        batch, steps, input_dim = x.shape
        units = h0.shape[1]
        stacked = _empty((steps + 1, units + input_dim + with_bias, batch))
        xt = x.transpose(1, 2, 0)
        stacked[:steps, units : units + input_dim] = xt[::-1] if self.go_backwards else xt
        if with_bias:
            stacked[:, -1] = 1
        stacked[0, :units] = h0.T
        self.stacked = stacked
        return stacked

    def _fast_outputs(self, units, *states):
        """The layer's output from the stacked h_t, then the final states (given units by
        batch), all batch-major."""
        hs = self.stacked[1:, :units]
        if self.zero_output_for_mask and self.keep is not None:
            hs = hs * self._fast_mask()[0]  # masked steps output zeros
        # Copies (np.array copies, always): the arrays behind them will be reused.
        output = np.array(hs.transpose(2, 0, 1) if self.return_sequences else hs[-1].T, order="C")
        return (output, *[np.array(state.T, order="C") for state in states])

    def _fast_h_gradient(self, g_output, g_h):
        """The final h's gradient, units by batch, and the output's per step (or None)."""
        zero = self.zero_output_for_mask and self.keep is not None
        if self.return_sequences:
            g_seq = np.ascontiguousarray(g_output.transpose(1, 2, 0), dtype=np.float32)
            if zero:
                g_seq *= self._fast_mask()[0]
            return np.array(g_h.T, dtype=np.float32, order="C"), g_seq
        g_last = g_output.T * self._fast_mask()[0][-1] if zero else g_output.T
        return np.array(g_h.T + g_last, dtype=np.float32, order="C"), None

    def _fast_input_gradient(self, g_stacked, units):
        """x's gradient (batch-major, in input order) from the steps' `[h; x]` gradients."""
        g_xt = g_stacked[:, units:]
        if self.go_backwards:
            g_xt = g_xt[::-1]
        return np.array(g_xt.transpose(2, 0, 1), order="C")  # a copy: g_stacked is reused

    def _fast_side_work(self, g_rows, worker, back_x=None, g_xs=None):
        """The backward pass's work off the recurrence, as a `_SideWork` for pieces of
        steps: the stacked weights' gradient (the sum over steps of
        `g_rows[t] @ stacked[t].T`, into its `g_weights`, None when no weight needs one)
        and, when `back_x` is given, x_t's gradient `back_x @ g_rows[t]` into `g_xs[t]`.
        Pieces come latest steps first, each adds its own sum: the sum is added in one
        fixed order."""
        needed = any(self.needs_grad[1 : 4 if self.use_bias else 3])
        stacked = self.stacked
        g_weights = np.zeros((g_rows.shape[1], stacked.shape[1]), np.float32) if needed else None
        if needed:
            products = np.empty((STEPS_PER_PIECE, *g_weights.shape), np.float32)
            piece_sum = np.empty_like(g_weights)

        # One stacked product per piece (a single call, which holds the GIL once, so the
        # worker seldom makes the calling thread wait for it), then the piece's sum.
        def piece(start, stop):
            if needed:
                n = stop - start
                rows, columns = g_rows[start:stop], stacked[start:stop].transpose(0, 2, 1)
                np.matmul(rows, columns, out=products[:n])
                np.sum(products[:n], axis=0, out=piece_sum)
                np.add(g_weights, piece_sum, out=g_weights)
            if back_x is not None:
                np.matmul(back_x, g_rows[start:stop], out=g_xs[start:stop])

        side = _SideWork(piece, worker)
        side.g_weights = g_weights
        return side

    def _split(self, arrays):
        x, kernel, recurrent_kernel, *rest = arrays
        bias = rest.pop(0) if self.use_bias else None
        return x, kernel, recurrent_kernel, bias, rest

    def _project_inputs(self, x, kernel, input_bias):
        """Time-major inputs (in processing order) and their projection, one product."""
        xt = x.transpose(1, 0, 2)
        if self.go_backwards:
            xt = xt[::-1]
        xt = np.ascontiguousarray(xt)
        xw = _project(xt, kernel, self.input_masks)
        if input_bias is not None:
            xw += input_bias
        self.xt, self.kernel = xt, kernel
        return xw

    def _inputs_backward(self, g_xw, g_kernel_needed, g_x_needed):
        """Gradients of x and the kernel from the gradient of the projection."""
        g_kernel = np.zeros_like(self.kernel) if g_kernel_needed else None
        if not g_x_needed:
            if g_kernel is not None:
                _project_backward(self.xt, None, self.input_masks, g_xw, g_kernel, want_h=False)
            return None, g_kernel
        gxt = _project_backward(self.xt, self.kernel, self.input_masks, g_xw, g_kernel)
        if self.go_backwards:
            gxt = gxt[::-1]
        return np.ascontiguousarray(gxt.transpose(1, 0, 2)), g_kernel

    def _outputs(self, hs, *states):
        zero = self.zero_output_for_mask and self.keep is not None
        if self.return_sequences:
            output = np.ascontiguousarray((hs * self.keep if zero else hs).transpose(1, 0, 2))
        else:
            output = hs[-1] * self.keep[-1] if zero else hs[-1].copy()
        return (output, *[s.copy() for s in states])

    def _sequence_gradient(self, g_output):
        """The output's gradient per timestep (time-major), or None when only the last
        step is returned (its gradient is added to the final state's)."""
        if self.zero_output_for_mask and self.keep is not None:
            if not self.return_sequences:
                return None
            return g_output.transpose(1, 0, 2) * self.keep
        if self.return_sequences:
            return g_output.transpose(1, 0, 2)
        return None

    def _last_output_gradient(self, g_output):
        """The gradient the last output (when it alone is returned) sends to the final h."""
        if self.zero_output_for_mask and self.keep is not None:
            return g_output * self.keep[-1]
        return g_output

    @staticmethod
    def _split_masked(gradient, keep):
        """`(gradient of the step's new state, gradient passed straight to the previous
        state)`: a masked step kept the previous state."""
        if keep is None:
            return gradient, None
        return gradient * keep, gradient * ~keep

    def _gradients(self, g_x, g_kernel, g_recurrent, g_bias, g_states):
        needs = self.needs_grad
        grads = [g_x, g_kernel, g_recurrent]
        if self.use_bias:
            grads.append(g_bias)
        grads.extend(g_states)
        return tuple(g if need else None for g, need in zip(grads, needs))


class SimpleRNNRecurrence(_Recurrence):
    """`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    As for the LSTM, a fast path (`_fast_forward`, `_fast_backward`) takes the calls
    `_fast_path_applies` accepts (tanh, no dropout, float32) over more than one step;
    every other call takes the general path (a single step, as a cell's call, gains
    nothing from the fast path's layout, and the general path is slightly quicker there).
    The two agree to float32 rounding (tests/test_rnn_fast_path.py).
    """

    def forward(self, *arrays):
        x, kernel, recurrent_kernel, bias, (h0,) = self._split(arrays)
        self.fast = x.shape[1] > 1 and self._fast_path_applies(arrays)
        if self.fast:
            return self._fast_forward(x, kernel, recurrent_kernel, bias, h0)
        xw = self._project_inputs(x, kernel, bias)
        act = self.activation
        masks = self.recurrent_masks
        hs = np.empty(xw.shape[:2] + (recurrent_kernel.shape[0],), dtype=xw.dtype)
        pre = np.empty_like(hs) if act.needs_input else None
        h, keep = h0, self.keep
        for t in range(len(xw)):
            a = xw[t] + _project(h, recurrent_kernel, masks)
            if pre is not None:
                pre[t] = a
            h = hs[t] = act(a) if keep is None else np.where(keep[t], act(a), h)
        self.hs, self.h0, self.pre, self.recurrent_kernel = hs, h0, pre, recurrent_kernel
        return self._outputs(hs, hs[-1])

    def backward(self, g_output, g_h):
        if self.fast:
            return self._fast_backward(g_output, g_h)
        hs, h0, pre, recurrent_kernel = self.hs, self.h0, self.pre, self.recurrent_kernel
        g_seq = self._sequence_gradient(g_output)
        last = self.return_sequences
        g_carry = g_h if last else g_h + self._last_output_gradient(g_output)
        g_recurrent = np.zeros_like(recurrent_kernel)
        g_xw = np.empty_like(hs)
        act, masks, keep = self.activation, self.recurrent_masks, self.keep
        for t in range(len(hs) - 1, -1, -1):
            gh = g_carry + g_seq[t] if g_seq is not None else g_carry
            gh, g_skip = self._split_masked(gh, None if keep is None else keep[t])
            # (A masked row's stored h is the kept one; its gradient here is 0.)
            ga = act.gradient(gh, None if pre is None else pre[t], hs[t])
            g_xw[t] = ga
            h_prev = hs[t - 1] if t else h0
            g_carry = _project_backward(h_prev, recurrent_kernel, masks, ga, g_recurrent)
            if g_skip is not None:
                g_carry += g_skip
        needs = self.needs_grad
        g_x, g_kernel = self._inputs_backward(g_xw, needs[1], needs[0])
        g_bias = g_xw.sum(axis=(0, 1)) if self.use_bias else None
        return self._gradients(g_x, g_kernel, g_recurrent, g_bias, [g_carry])

    # -- the fast path: tanh, no dropout, float32 (laid out as LSTMRecurrence's) ---------
    # Each step is its product, written straight into h_t's rows of the next step's
    # `[h; x; 1]`, and one tanh there.

    def _fast_forward(self, x, kernel, recurrent_kernel, bias, h0):
        units, input_dim = recurrent_kernel.shape[0], x.shape[2]
        weights = np.empty((units, units + input_dim + (bias is not None)), np.float32)
        weights[:, :units] = recurrent_kernel.T
        weights[:, units : units + input_dim] = kernel.T
        if bias is not None:
            weights[:, -1] = bias
        self.back_weights = np.ascontiguousarray(weights[:, : units + input_dim].T)
        stacked = self._fast_stacked(x, h0, bias is not None)
        masked = None if self.keep is None else ~self.keep.transpose(0, 2, 1)
        for t in range(len(stacked) - 1):
            h = stacked[t + 1, :units]
            np.matmul(weights, stacked[t], out=h)
            np.tanh(h, out=h)
            if masked is not None:  # a masked sample keeps its state
                np.copyto(h, stacked[t, :units], where=masked[t])
        self.saved = _Saved(stacked)
        return self._fast_outputs(units, stacked[-1, :units])

    def _fast_backward(self, g_output, g_h):
        stacked, needs = self.stacked, self.needs_grad
        steps, batch = len(stacked) - 1, stacked.shape[2]
        units = self.back_weights.shape[1]
        input_dim = self.back_weights.shape[0] - units
        gh, g_seq = self._fast_h_gradient(g_output, g_h)
        back_weights = self.back_weights if needs[0] else self.back_weights[:units]
        g_stacked = _empty((steps, back_weights.shape[0], batch))
        g_pre = _empty((steps, units, batch))  # of each step's pre-activation
        gh_sum = np.empty((units, batch), dtype=np.float32)
        kept, masked = self._fast_mask()
        if kept is not None:
            gh_kept, gh_skip = (np.empty((units, batch), np.float32) for _ in range(2))
        side = self._fast_side_work(g_pre, _worker(g_pre.size * stacked.shape[1]))
        with side:
            piece_end = steps
            for t in range(steps - 1, -1, -1):
                if g_seq is not None:
                    gh = np.add(gh, g_seq[t], out=gh_sum)
                if kept is not None:  # a masked step's gradient goes straight to h_{t-1}
                    np.multiply(gh, masked[t], out=gh_skip)
                    gh = np.multiply(gh, kept[t], out=gh_kept)
                g = g_pre[t]
                h = stacked[t + 1, :units]
                np.multiply(h, h, out=g)  # tanh' = 1 - h^2
                np.subtract(1, g, out=g)
                g *= gh
                np.matmul(back_weights, g, out=g_stacked[t])
                gh = g_stacked[t, :units]
                if kept is not None:
                    gh += gh_skip
                if t % STEPS_PER_PIECE == 0:  # steps t .. piece_end - 1 are done
                    side.add(t, piece_end)
                    piece_end = t
        g_kernel = g_recurrent = g_bias = None
        g_weights = side.g_weights
        if g_weights is not None:  # back to Keras's layout
            g_recurrent = np.ascontiguousarray(g_weights[:, :units].T)
            g_kernel = np.ascontiguousarray(g_weights[:, units : units + input_dim].T)
            g_bias = g_weights[:, -1].copy() if self.use_bias else None
        g_x = self._fast_input_gradient(g_stacked, units) if needs[0] else None
        g_states = [gh.T.copy()]
        _give_back(g_stacked, g_pre)
        return self._gradients(g_x, g_kernel, g_recurrent, g_bias, g_states)


class LSTMRecurrence(_Recurrence):
    """The LSTM: gates `i, f, o = recurrent_activation(...)`, candidate
    `g = activation(...)`, carry `c_t = f * c_{t-1} + i * g`, output
    `h_t = o * activation(c_t)`; each gate's pre-activation is its block of
    `x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`.

    Two paths compute the same thing. The fast path (`_fast_forward`, `_fast_backward`)
    assumes the default activations (tanh, sigmoid gates), no dropout, and float32
    inputs, weights and states; `_fast_path_applies` checks exactly that on every call,
    and any other call takes the general path, whose loops handle every activation,
    dropout mask and dtype. The fast path also covers timestep masks (with
    `zero_output_for_mask`), `return_sequences`, `go_backwards`, initial states and
    `use_bias=False`. Its numbers agree with the general path's to float32 rounding
    (sigmoid is computed through tanh, and sums run in another order), which
    tests/test_rnn_fast_path.py checks; it is as close to a float64 computation as the
    general path is.

    The general loops are written for speed too: the gates are activated in place in the
    input projection's buffer, every step writes into preallocated arrays, and the
    backward pass stores each step's pre-activation gradient so that the recurrent
    kernel's gradient is one matrix product over all timesteps.
    """

    n_states = 2

    def forward(self, *arrays):
        x, kernel, recurrent_kernel, bias, (h0, c0) = self._split(arrays)
        self.fast = self._fast_path_applies(arrays)
        if self.fast:
            return self._fast_forward(x, kernel, recurrent_kernel, bias, h0, c0)
        gates = self._project_inputs(x, kernel, bias)  # activated in place below
        units = recurrent_kernel.shape[0]
        act, rec_act, masks = self.activation, self.recurrent_activation, self.recurrent_masks
        steps, batch = gates.shape[:2]
        cs = np.empty((steps, batch, units), dtype=gates.dtype)
        tanh_cs = np.empty_like(cs)  # activation(c_t)
        hs_all = np.empty((steps + 1, batch, units), dtype=gates.dtype)  # h_0, then h_t
        hs_all[0] = h0
        keep_pre = act.needs_input or rec_act.needs_input
        pre = np.empty_like(gates) if keep_pre else None
        recurrent = np.empty((batch, 4 * units), dtype=gates.dtype)
        ig = np.empty((batch, units), dtype=gates.dtype)
        candidate = np.empty((batch, units), dtype=gates.dtype)
        c_ = slice(2 * units, 3 * units)
        c, keep = c0, self.keep
        for t in range(steps):
            gate = gates[t]
            if masks is None:
                np.matmul(hs_all[t], recurrent_kernel, out=recurrent)
            else:
                recurrent = _project(hs_all[t], recurrent_kernel, masks)
            gate += recurrent
            if keep_pre:
                pre[t] = gate
            # One call over the whole contiguous row block (strided gate blocks are about
            # twice as slow), then the candidate block redone from its saved input.
            candidate[...] = gate[:, c_]
            rec_act.apply(gate, gate)
            act.apply(candidate, gate[:, c_])
            i, f, g, o = (gate[:, k * units : (k + 1) * units] for k in range(4))
            np.multiply(f, c, out=cs[t])
            np.multiply(i, g, out=ig)
            c = cs[t]
            c += ig
            act.apply(c, tanh_cs[t])
            np.multiply(o, tanh_cs[t], out=hs_all[t + 1])
            if keep is not None:  # a masked row keeps its states
                np.copyto(c, cs[t - 1] if t else c0, where=~keep[t])
                np.copyto(hs_all[t + 1], hs_all[t], where=~keep[t])
        hs = hs_all[1:]
        self.gates, self.cs, self.tanh_cs, self.hs_all, self.pre = gates, cs, tanh_cs, hs_all, pre
        self.c0, self.recurrent_kernel = c0, recurrent_kernel
        return self._outputs(hs, hs[-1], cs[-1])

    def backward(self, g_output, g_h, g_c):
        if self.fast:
            return self._fast_backward(g_output, g_h, g_c)
        gates, cs, tanh_cs, hs_all, pre = self.gates, self.cs, self.tanh_cs, self.hs_all, self.pre
        recurrent_kernel = self.recurrent_kernel
        units = recurrent_kernel.shape[0]
        act, rec_act, masks = self.activation, self.recurrent_activation, self.recurrent_masks
        steps, batch = gates.shape[:2]
        dtype = gates.dtype
        g_seq = self._sequence_gradient(g_output)
        last = self.return_sequences
        gh_carry = g_h if last else g_h + self._last_output_gradient(g_output)
        gc = np.array(g_c, dtype=dtype)  # the carry's gradient, updated in place
        keep = self.keep
        g_xw = np.empty_like(gates)  # each step's pre-activation gradient
        recurrent_kernel_t = np.ascontiguousarray(recurrent_kernel.T)
        gh_sum = np.empty((batch, units), dtype=dtype)
        carry = np.empty((batch, units), dtype=dtype)  # the next step's gh_carry
        upstream = np.empty((batch, 4 * units), dtype=dtype)  # gradients of i, f, g, o
        product = np.empty((batch, units), dtype=dtype)
        g_tanh_c = np.empty((batch, units), dtype=dtype)
        c_, o_ = slice(2 * units, 3 * units), slice(3 * units, None)
        for t in range(steps - 1, -1, -1):
            gh = gh_carry if g_seq is None else np.add(gh_carry, g_seq[t], out=gh_sum)
            if keep is not None:  # a masked step's gradients go straight to the previous states
                gh, gh_skip = self._split_masked(gh, keep[t])
                gc_skip = gc * ~keep[t]
                gc *= keep[t]
            gate = gates[t]
            i, f, g, o = (gate[:, k * units : (k + 1) * units] for k in range(4))
            z = None if pre is None else pre[t]
            g_z = g_xw[t]
            np.multiply(gh, o, out=product)
            gc += act.gradient_into(product, None if z is None else cs[t], tanh_cs[t], g_tanh_c)
            np.multiply(gc, g, out=upstream[:, :units])
            np.multiply(gc, cs[t - 1] if t else self.c0, out=upstream[:, units : 2 * units])
            np.multiply(gc, i, out=upstream[:, c_])
            np.multiply(gh, tanh_cs[t], out=upstream[:, o_])
            # As in forward: one call over the whole row block, then the candidate block.
            rec_act.gradient_into(upstream, z, gate, g_z)
            act.gradient_into(upstream[:, c_], None if z is None else z[:, c_], g, g_z[:, c_])
            gc *= f
            if masks is None:
                gh_carry = np.matmul(g_z, recurrent_kernel_t, out=carry)
            else:
                gh_carry = _project_backward(hs_all[t], recurrent_kernel, masks, g_z, None)
            if keep is not None:
                gh_carry = gh_carry + gh_skip
                gc += gc_skip
        # h_{t-1} of every step against its gates' gradient: one product for all timesteps.
        g_recurrent = np.zeros_like(recurrent_kernel)
        _project_backward(hs_all[:-1], None, masks, g_xw, g_recurrent, want_h=False)
        needs = self.needs_grad
        g_x, g_kernel = self._inputs_backward(g_xw, needs[1], needs[0])
        g_bias = g_xw.sum(axis=(0, 1)) if self.use_bias else None
        return self._gradients(g_x, g_kernel, g_recurrent, g_bias, [gh_carry, gc])

    # -- the fast path: default activations, no dropout, float32 --------------------------
    #
    # Every step is one matrix product and a handful of numpy calls on contiguous arrays:
    # - the layout is transposed, units (and gates) by batch: each gate's block of a step is
    #   then a contiguous `(units, batch)` array (a column block of `(batch, 4 * units)` is
    #   strided, and numpy calls on it cost several times more);
    # - the step's product also takes the input and the bias: `[h_{t-1}; x_t; 1]` is stacked
    #   per step, so `weights @ stacked[t]` is the whole pre-activation;
    # - one `tanh` activates all four gates: sigmoid(a) = 0.5 + 0.5 * tanh(a / 2), with the
    #   halving folded into the i, f, o rows of the weights (exact: a power of two);
    # - each step keeps one block `blocks[t]` of rows `i, f, o, c (the candidate g),
    #   c_{t-1}, tanh(c_t)`: the sigmoid gates are one contiguous block, and so are the
    #   factors their gradients take (g, c_{t-1}, tanh(c_t)), one numpy call each.
    # - backward, the recurrence of h's and c's gradients is all the calling thread does
    #   (and, without the worker, x's gradient in the same product); the weights' gradient
    #   and x's are side work (`_fast_side_work`), on the worker thread when there is one.

    def _fast_forward(self, x, kernel, recurrent_kernel, bias, h0, c0):
        batch, steps, input_dim = x.shape
        units = recurrent_kernel.shape[0]
        order = _gate_order(units, (0, 1, 3, 2))  # Keras's i, f, c, o -> i, f, o, c
        width = units + input_dim + (bias is not None)
        weights = np.empty((4 * units, width), dtype=np.float32)
        weights[:, :units] = recurrent_kernel[:, order].T
        weights[:, units : units + input_dim] = kernel[:, order].T
        if bias is not None:
            weights[:, -1] = bias[order]
        # The unscaled transpose carries the gradients back to h_{t-1} and x_t.
        self.back_weights = np.ascontiguousarray(weights[:, : units + input_dim].T)
        weights[: 3 * units] *= 0.5
        stacked = self._fast_stacked(x, h0, bias is not None)
        # Block t: i, f, o, g, c_{t-1}, tanh(c_t); the last block holds only c_T.
        blocks = _empty((steps + 1, 6 * units, batch))
        blocks[0, 4 * units : 5 * units] = c0.T
        products = np.empty((2 * units, batch), dtype=np.float32)  # i * g, f * c_{t-1}
        masked = None if self.keep is None else ~self.keep.transpose(0, 2, 1)
        for t in range(steps):
            block = blocks[t]
            gate = block[: 4 * units]
            np.matmul(weights, stacked[t], out=gate)
            np.tanh(gate, out=gate)
            sigmoids = block[: 3 * units]
            sigmoids *= 0.5
            sigmoids += 0.5
            c = blocks[t + 1, 4 * units : 5 * units]
            # Rows i, f times rows g, c_{t-1}: both products of the carry in one call.
            np.multiply(block[: 2 * units], block[3 * units : 5 * units], out=products)
            np.add(products[units:], products[:units], out=c)
            tanh_c = block[5 * units :]
            np.tanh(c, out=tanh_c)
            np.multiply(block[2 * units : 3 * units], tanh_c, out=stacked[t + 1, :units])
            if masked is not None:  # a masked sample keeps its states
                np.copyto(c, block[4 * units : 5 * units], where=masked[t])
                np.copyto(stacked[t + 1, :units], stacked[t, :units], where=masked[t])
        self.order, self.blocks, self.saved = order, blocks, _Saved(stacked, blocks)
        return self._fast_outputs(
            units, stacked[steps, :units], blocks[steps, 4 * units : 5 * units]
        )

    def _fast_backward(self, g_output, g_h, g_c):
        stacked, blocks = self.stacked, self.blocks
        steps, batch = len(blocks) - 1, blocks.shape[2]
        units = blocks.shape[1] // 6
        input_dim = self.back_weights.shape[0] - units
        needs = self.needs_grad
        gh, g_seq = self._fast_h_gradient(g_output, g_h)
        gc = np.array(g_c.T, dtype=np.float32, order="C")  # updated in place
        # The pre-activations' gradients, in the order i, f, o, c.
        g_gates = _empty((steps, 4 * units, batch))
        # Each step's product gives h_{t-1}'s gradient and (when wanted) x_t's. With the
        # worker, x_t's is side work (as the weights' gradient): the recurrence needs only
        # h_{t-1}'s. Without it, one product for both is quicker (BLAS threads it).
        worker = _worker(g_gates.size * stacked.shape[1])
        split = needs[0] and worker is not None
        back_weights = self.back_weights if needs[0] and not split else self.back_weights[:units]
        back_weights = np.ascontiguousarray(back_weights)
        g_stacked = _empty((steps, back_weights.shape[0], batch))
        back_x = np.ascontiguousarray(self.back_weights[units:]) if split else None
        g_xs = _empty((steps, input_dim, batch)) if split else None
        side = self._fast_side_work(g_gates, worker, back_x, g_xs)
        gh_sum = np.empty((units, batch), dtype=np.float32)
        product = np.empty((units, batch), dtype=np.float32)
        kept, masked = self._fast_mask()
        if kept is not None:
            gh_kept, gh_skip, gc_skip = (np.empty((units, batch), np.float32) for _ in range(3))
        with side:
            piece_end = steps
            for t in range(steps - 1, -1, -1):
                if g_seq is not None:
                    gh = np.add(gh, g_seq[t], out=gh_sum)
                if kept is not None:  # a masked step's gradients go straight to the previous states
                    np.multiply(gh, masked[t], out=gh_skip)
                    gh = np.multiply(gh, kept[t], out=gh_kept)
                    np.multiply(gc, masked[t], out=gc_skip)
                    gc *= kept[t]
                block = blocks[t]
                # c_t's gradient gains gh * o * (1 - tanh(c_t)^2),
                # which is gh * (o - h_t * tanh(c_t)).
                np.multiply(stacked[t + 1, :units], block[5 * units :], out=product)
                np.subtract(block[2 * units : 3 * units], product, out=product)
                product *= gh
                gc += product
                g_gate = g_gates[t]
                # i, f, o: s * (1 - s) times g, c_{t-1}, tanh(c_t), then gc, gc, gh.
                g_sigmoids = g_gate[: 3 * units]
                np.subtract(1, block[: 3 * units], out=g_sigmoids)
                g_sigmoids *= block[: 3 * units]
                g_sigmoids *= block[3 * units :]
                g_if = g_gate[: 2 * units].reshape(2, units, batch)
                g_if *= gc
                g_gate[2 * units : 3 * units] *= gh
                # g: (1 - g^2) * i * gc.
                g_g = g_gate[3 * units :]
                np.multiply(block[3 * units : 4 * units], block[3 * units : 4 * units], out=g_g)
                np.subtract(1, g_g, out=g_g)
                g_g *= block[:units]
                g_g *= gc
                gc *= block[units : 2 * units]
                np.matmul(back_weights, g_gate, out=g_stacked[t])
                gh = g_stacked[t, :units]
                if kept is not None:
                    gh += gh_skip
                    gc += gc_skip
                if t % STEPS_PER_PIECE == 0:  # steps t .. piece_end - 1 are done
                    side.add(t, piece_end)
                    piece_end = t
        g_kernel = g_recurrent = g_bias = None
        g_weights = side.g_weights
        if g_weights is not None:  # back to Keras's layout and gate order
            order = self.order
            g_recurrent = np.empty((units, 4 * units), dtype=np.float32)
            g_recurrent[:, order] = g_weights[:, :units].T
            g_kernel = np.empty((input_dim, 4 * units), dtype=np.float32)
            g_kernel[:, order] = g_weights[:, units : units + input_dim].T
            if self.use_bias:
                g_bias = np.empty(4 * units, dtype=np.float32)
                g_bias[order] = g_weights[:, -1]
        g_x = None
        if needs[0]:
            g_x = self._fast_input_gradient(*((g_xs, 0) if split else (g_stacked, units)))
        g_states = [gh.T.copy(), gc.T.copy()]
        _give_back(g_stacked, g_gates, *([] if g_xs is None else [g_xs]))
        return self._gradients(g_x, g_kernel, g_recurrent, g_bias, g_states)


class GRURecurrence(_Recurrence):
    """The GRU: gates `z, r = recurrent_activation(...)`, candidate `hh`, and
    `h_t = z * h_{t-1} + (1 - z) * hh`.

    With `reset_after=True` (Keras's default) the bias is `(2, 3 * units)`: row 0 is added
    to the input projection, row 1 to the recurrent one, and the reset gate multiplies the
    recurrent projection: `hh = activation(xw_h + r * (h_{t-1} @ recurrent_kernel_h + b_h))`.
    With `reset_after=False` the bias is `(3 * units,)` and the reset gate multiplies the
    state before its product: `hh = activation(xw_h + (r * h_{t-1}) @ recurrent_kernel_h)`.

    As for the LSTM, a fast path (`_fast_forward`, `_fast_backward`) takes the calls
    `_fast_path_applies` accepts (default activations, no dropout, float32) that also
    have `reset_after=True`; every other call takes the general path.
    The two agree to float32 rounding (tests/test_rnn_fast_path.py).
    """

    def __init__(self, *args, reset_after=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.reset_after = reset_after

    def forward(self, *arrays):
        x, kernel, recurrent_kernel, bias, (h0,) = self._split(arrays)
        self.fast = self.reset_after and self._fast_path_applies(arrays)
        if self.fast:
            return self._fast_forward(x, kernel, recurrent_kernel, bias, h0)
        reset_after = self.reset_after
        input_bias = recurrent_bias = None
        if bias is not None:
            input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
        xw = self._project_inputs(x, kernel, input_bias)
        units = recurrent_kernel.shape[0]
        act, rec_act, masks = self.activation, self.recurrent_activation, self.recurrent_masks
        steps, batch = xw.shape[:2]
        zr = np.empty((steps, batch, 2 * units), dtype=xw.dtype)
        hh = np.empty((steps, batch, units), dtype=xw.dtype)
        hs = np.empty_like(hh)
        inner_h = np.empty_like(hh)  # the candidate's recurrent term before the reset gate
        pre_zr = np.empty_like(zr) if rec_act.needs_input else None
        pre_h = np.empty_like(hh) if act.needs_input else None
        h, keep = h0, self.keep
        for t in range(steps):
            if reset_after:
                m = _project(h, recurrent_kernel, masks)
                if recurrent_bias is not None:
                    m += recurrent_bias
                a_zr = xw[t, :, : 2 * units] + m[:, : 2 * units]
                inner_h[t] = m[:, 2 * units :]
            else:
                zr_masks = None if masks is None else masks[:2]
                a_zr = xw[t, :, : 2 * units] + _project(
                    h, recurrent_kernel[:, : 2 * units], zr_masks
                )
            if pre_zr is not None:
                pre_zr[t] = a_zr
            zr[t] = rec_act(a_zr)
            z, r = zr[t, :, :units], zr[t, :, units:]
            if reset_after:
                a_h = xw[t, :, 2 * units :] + r * inner_h[t]
            else:
                h_masked = h if masks is None else h * masks[-1]
                a_h = xw[t, :, 2 * units :] + (r * h_masked) @ recurrent_kernel[:, 2 * units :]
            if pre_h is not None:
                pre_h[t] = a_h
            hh[t] = act(a_h)
            h_new = z * h + (1 - z) * hh[t]
            h = hs[t] = h_new if keep is None else np.where(keep[t], h_new, h)
        self.zr, self.hh, self.hs, self.inner_h = zr, hh, hs, inner_h
        self.pre_zr, self.pre_h = pre_zr, pre_h
        self.h0, self.recurrent_kernel = h0, recurrent_kernel
        return self._outputs(hs, hs[-1])

    def backward(self, g_output, g_h):
        if self.fast:
            return self._fast_backward(g_output, g_h)
        zr, hh, hs, inner_h = self.zr, self.hh, self.hs, self.inner_h
        pre_zr, pre_h = self.pre_zr, self.pre_h
        recurrent_kernel = self.recurrent_kernel
        units = recurrent_kernel.shape[0]
        reset_after = self.reset_after
        act, rec_act, masks = self.activation, self.recurrent_activation, self.recurrent_masks
        g_seq = self._sequence_gradient(g_output)
        last = self.return_sequences
        g_carry = g_h if last else g_h + self._last_output_gradient(g_output)
        g_recurrent = np.zeros_like(recurrent_kernel)
        steps, batch = hs.shape[:2]
        keep = self.keep
        g_xw = np.empty((steps, batch, 3 * units), dtype=hs.dtype)
        g_recurrent_bias = np.zeros(3 * units, dtype=hs.dtype) if reset_after else None
        for t in range(steps - 1, -1, -1):
            gh = g_carry + g_seq[t] if g_seq is not None else g_carry
            gh, g_skip = self._split_masked(gh, None if keep is None else keep[t])
            h_prev = hs[t - 1] if t else self.h0
            z, r = zr[t, :, :units], zr[t, :, units:]
            g_zr = np.empty((batch, 2 * units), dtype=hs.dtype)
            g_zr[:, :units] = gh * (h_prev - hh[t])
            g_a_h = act.gradient(gh * (1 - z), None if pre_h is None else pre_h[t], hh[t])
            g_xw[t, :, 2 * units :] = g_a_h
            g_prev = gh * z
            if reset_after:
                g_zr[:, units:] = g_a_h * inner_h[t]
                g_a_zr = rec_act.gradient(g_zr, None if pre_zr is None else pre_zr[t], zr[t])
                g_xw[t, :, : 2 * units] = g_a_zr
                g_m = np.concatenate([g_a_zr, g_a_h * r], axis=1)
                if g_recurrent_bias is not None:
                    g_recurrent_bias += g_m.sum(axis=0)
                g_prev += _project_backward(h_prev, recurrent_kernel, masks, g_m, g_recurrent)
            else:
                h_masked = h_prev if masks is None else h_prev * masks[-1]
                g_recurrent[:, 2 * units :] += (r * h_masked).T @ g_a_h
                g_q = g_a_h @ recurrent_kernel[:, 2 * units :].T
                g_zr[:, units:] = g_q * h_masked
                g_h_masked = g_q * r
                g_prev += g_h_masked if masks is None else g_h_masked * masks[-1]
                g_a_zr = rec_act.gradient(g_zr, None if pre_zr is None else pre_zr[t], zr[t])
                g_xw[t, :, : 2 * units] = g_a_zr
                zr_masks = None if masks is None else masks[:2]
                g_prev += _project_backward(
                    h_prev,
                    recurrent_kernel[:, : 2 * units],
                    zr_masks,
                    g_a_zr,
                    g_recurrent[:, : 2 * units],
                )
            g_carry = g_prev if g_skip is None else g_prev + g_skip
        needs = self.needs_grad
        g_x, g_kernel = self._inputs_backward(g_xw, needs[1], needs[0])
        g_bias = None
        if self.use_bias:
            g_input_bias = g_xw.sum(axis=(0, 1))
            g_bias = np.stack([g_input_bias, g_recurrent_bias]) if reset_after else g_input_bias
        return self._gradients(g_x, g_kernel, g_recurrent, g_bias, [g_carry])

    # -- the fast path: reset_after=True, default activations, no dropout, float32 -------
    #
    # Laid out as LSTMRecurrence's fast path (units by batch, `[h_{t-1}; x_t; 1]` stacked
    # per step, sigmoid through tanh with the halving in the weights). One product per
    # step gives four row blocks: z and r (input and recurrent terms and both biases
    # summed), the candidate's input term `xw_h + b_in_h`, and its recurrent term
    # `h_{t-1} @ recurrent_kernel_h + b_rec_h` (the two candidate blocks have zeros where
    # the other's weights would be: the reset gate multiplies only the recurrent term).
    # Block t keeps rows z, r, hh (the candidate), and the recurrent term.

    def _fast_forward(self, x, kernel, recurrent_kernel, bias, h0):
        batch, steps, input_dim = x.shape
        units = recurrent_kernel.shape[0]
        zr, candidate = slice(0, 2 * units), slice(2 * units, 3 * units)
        columns = slice(units, units + input_dim)
        weights = np.zeros((4 * units, units + input_dim + (bias is not None)), np.float32)
        weights[: 2 * units, :units] = recurrent_kernel[:, zr].T
        weights[: 2 * units, columns] = kernel[:, zr].T
        weights[2 * units : 3 * units, columns] = kernel[:, candidate].T
        weights[3 * units :, :units] = recurrent_kernel[:, candidate].T
        if bias is not None:
            weights[: 2 * units, -1] = bias[0, zr] + bias[1, zr]
            weights[2 * units : 3 * units, -1] = bias[0, candidate]
            weights[3 * units :, -1] = bias[1, candidate]
        # The unscaled transpose carries the gradients back to h_{t-1} and x_t.
        self.back_weights = np.ascontiguousarray(weights[:, : units + input_dim].T)
        weights[: 2 * units] *= 0.5
        stacked = self._fast_stacked(x, h0, bias is not None)
        blocks = _empty((steps, 4 * units, batch))
        difference = np.empty((units, batch), dtype=np.float32)
        masked = None if self.keep is None else ~self.keep.transpose(0, 2, 1)
        for t in range(steps):
            block = blocks[t]
            np.matmul(weights, stacked[t], out=block)
            gates = block[: 2 * units]
            np.tanh(gates, out=gates)
            gates *= 0.5
            gates += 0.5
            hh = block[2 * units : 3 * units]  # the candidate's input term, then hh itself
            np.multiply(block[units : 2 * units], block[3 * units :], out=difference)
            hh += difference
            np.tanh(hh, out=hh)
            # h_t = z * h_{t-1} + (1 - z) * hh = hh + z * (h_{t-1} - hh)
            np.subtract(stacked[t, :units], hh, out=difference)
            difference *= block[:units]
            np.add(hh, difference, out=stacked[t + 1, :units])
            if masked is not None:  # a masked sample keeps its state
                np.copyto(stacked[t + 1, :units], stacked[t, :units], where=masked[t])
        self.blocks, self.saved = blocks, _Saved(stacked, blocks)
        return self._fast_outputs(units, stacked[steps, :units])

    def _fast_backward(self, g_output, g_h):
        stacked, blocks = self.stacked, self.blocks
        steps, four_units, batch = blocks.shape
        units = four_units // 4
        input_dim = self.back_weights.shape[0] - units
        needs = self.needs_grad
        gh, g_seq = self._fast_h_gradient(g_output, g_h)
        back_weights = self.back_weights if needs[0] else self.back_weights[:units]
        g_stacked = _empty((steps, back_weights.shape[0], batch))
        g_blocks = _empty(blocks.shape)  # of z's and r's pre-activations, then as blocks
        gh_sum = np.empty((units, batch), dtype=np.float32)
        g_direct = np.empty((units, batch), dtype=np.float32)  # gh * z, straight to h_{t-1}
        product = np.empty((units, batch), dtype=np.float32)
        sigmoid_slope = np.empty((2 * units, batch), dtype=np.float32)
        kept, masked = self._fast_mask()
        if kept is not None:
            gh_kept, gh_skip = (np.empty((units, batch), np.float32) for _ in range(2))
        side = self._fast_side_work(g_blocks, _worker(g_blocks.size * stacked.shape[1]))
        with side:
            piece_end = steps
            for t in range(steps - 1, -1, -1):
                if g_seq is not None:
                    gh = np.add(gh, g_seq[t], out=gh_sum)
                if kept is not None:  # a masked step's gradient goes straight to h_{t-1}
                    np.multiply(gh, masked[t], out=gh_skip)
                    gh = np.multiply(gh, kept[t], out=gh_kept)
                block, g_block = blocks[t], g_blocks[t]
                z, r = block[:units], block[units : 2 * units]
                hh, recurrent_h = block[2 * units : 3 * units], block[3 * units :]
                np.multiply(gh, z, out=g_direct)
                # The candidate's pre-activation: gh * (1 - z) * (1 - hh^2).
                g_candidate = g_block[2 * units : 3 * units]
                np.subtract(gh, g_direct, out=g_candidate)
                np.multiply(hh, hh, out=product)
                np.subtract(1, product, out=product)
                g_candidate *= product
                np.multiply(g_candidate, r, out=g_block[3 * units :])
                np.multiply(g_candidate, recurrent_h, out=g_block[units : 2 * units])
                np.subtract(stacked[t, :units], hh, out=g_block[:units])
                g_block[:units] *= gh
                g_gates = g_block[: 2 * units]  # times the sigmoid's slope s * (1 - s)
                np.subtract(1, block[: 2 * units], out=sigmoid_slope)
                sigmoid_slope *= block[: 2 * units]
                g_gates *= sigmoid_slope
                g_step = g_stacked[t]
                np.matmul(back_weights, g_block, out=g_step)
                gh = g_step[:units]
                gh += g_direct
                if kept is not None:
                    gh += gh_skip
                if t % STEPS_PER_PIECE == 0:  # steps t .. piece_end - 1 are done
                    side.add(t, piece_end)
                    piece_end = t
        g_kernel = g_recurrent = g_bias = None
        g_weights = side.g_weights
        if g_weights is not None:  # back to Keras's layout
            columns = slice(units, units + input_dim)
            g_recurrent = np.empty((units, 3 * units), dtype=np.float32)
            g_recurrent[:, : 2 * units] = g_weights[: 2 * units, :units].T
            g_recurrent[:, 2 * units :] = g_weights[3 * units :, :units].T
            g_kernel = np.empty((input_dim, 3 * units), dtype=np.float32)
            g_kernel[:, : 2 * units] = g_weights[: 2 * units, columns].T
            g_kernel[:, 2 * units :] = g_weights[2 * units : 3 * units, columns].T
            if self.use_bias:
                g_bias = np.empty((2, 3 * units), dtype=np.float32)
                g_bias[:, : 2 * units] = g_weights[: 2 * units, -1]
                g_bias[0, 2 * units :] = g_weights[2 * units : 3 * units, -1]
                g_bias[1, 2 * units :] = g_weights[3 * units :, -1]
        g_x = self._fast_input_gradient(g_stacked, units) if needs[0] else None
        g_states = [gh.T.copy()]
        _give_back(g_stacked, g_blocks)
        return self._gradients(g_x, g_kernel, g_recurrent, g_bias, g_states)
