"""Convolution and pooling ops (`keras.ops.nn`): conv, depthwise_conv, separable_conv,
conv_transpose, max_pool and average_pool, for 1, 2 or 3 spatial dimensions.

Everything runs on the channels-last layout `(batch, *spatial, channels)`;
`data_format="channels_first"` inputs are viewed as channels-last with `np.moveaxis` (no copy)
and the outputs moved back. Kernels use the Keras layout `(*kernel_size, in_channels,
out_channels)`.

How a convolution is computed (im2col):
    1. pad the input with zeros (only when the padding is not zero);
    2. take a strided *view* of every window, shape `(batch, *out, *kernel_size, channels)`,
       and copy it once into the matrix `cols` of shape `(batch * out, kernel_size * channels)`;
    3. one matrix product `cols @ kernel.reshape(-1, filters)` gives every output at once.
The backward pass reuses `cols`: the kernel gradient is one product `cols.T @ gy`; the input
gradient multiplies `gy` by the kernel once per kernel position and adds each product into
the shifted window of the input it came from ("col2im": a small loop over kernel positions,
each step a strided slice addition, so no `np.add.at`). A transposed convolution is that input
gradient, and its backward pass is a forward convolution. A depthwise convolution (one
input channel per filter group) would make those products tiny, so it multiplies shifted
inputs by per-channel weights elementwise instead.

This is the path to read first. `Conv` leaves it for the blocked im2col of `_conv_fast.py`
(the same sums, without ever holding the whole `cols` matrix) when
`_conv_fast.use_blocked_im2col` says so from the shapes alone: an ungrouped convolution of a
multi-tap kernel whose `cols` would take at least 8 MB, on images large enough that the
padded border is a small part of them. On the plain path, the input gradient of a strided
convolution (and so a strided `conv_transpose`) goes by stride phases instead of col2im
(`_conv_fast.phase_input_gradient`). That module's docstring gives the rules and the
measurements.

Pooling works on the same windows with a loop over the pool positions: the maximum (or sum)
of `prod(pool_size)` strided slices, run on cache-sized blocks of samples, on two threads
for large inputs (`_conv_fast.for_each_batch_block`). Max-pool
gradients go to the first maximum of each window in row-major order (as TensorFlow and XLA
route them); ties do not split the gradient.

Padding "same" follows TensorFlow/Keras: `out = ceil(in / stride)`, the total padding is
`max((out - 1) * stride + dilated_kernel - in, 0)` and the smaller half goes before.
"""

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from minikeras import config
from minikeras.autodiff import Function
from minikeras.autodiff import arithmetic as _arith
from minikeras.ops import _conv_fast
from minikeras.ops._arguments import _float_tensor, _tensor
from minikeras.ops.symbolic import KerasTensor, op

__all__ = [
    "average_pool",
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "max_pool",
    "separable_conv",
]

_PADDINGS = ("valid", "same")
_DATA_FORMATS = ("channels_last", "channels_first")


# -- argument checking --------------------------------------------------------------------
def _shape_of(x):
    """Shape of a tensor, array, KerasTensor or nested list, without converting it."""
    shape = getattr(x, "shape", None)
    return tuple(np.shape(x)) if shape is None else tuple(shape)


def _dtype_name(x):
    dtype = getattr(x, "dtype", None)
    return config.floatx() if dtype is None else np.dtype(dtype).name


def _data_format(data_format, name):
    if data_format is None:
        return config.image_data_format()
    value = str(data_format).lower()
    if value not in _DATA_FORMATS:
        raise ValueError(
            f"{name}: unknown data_format {data_format!r}. Expected one of {list(_DATA_FORMATS)}."
        )
    return value


def _padding(padding, name):
    value = str(padding).lower()
    if value not in _PADDINGS:
        raise ValueError(f"{name}: unknown padding {padding!r}. Expected one of {list(_PADDINGS)}.")
    return value


def _spatial_tuple(value, rank, name, argument, minimum=1):
    """`value` (an int or a sequence of `rank` ints) as a tuple of `rank` ints >= `minimum`."""
    if isinstance(value, (int, np.integer)):
        values = (int(value),) * rank
    else:
        values = tuple(int(v) for v in value)
        if len(values) != rank:
            raise ValueError(
                f"{name}: {argument}={value!r} must be an int or {rank} ints, one per spatial "
                f"dimension."
            )
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: {argument}={value!r} must be >= {minimum}.")
    return values


def _split_channels(shape, channels_first):
    """`(batch, spatial sizes, channels)` of an input shape in either layout."""
    if channels_first:
        return shape[0], tuple(shape[2:]), shape[1]
    return shape[0], tuple(shape[1:-1]), shape[-1]


def _join_channels(batch, spatial, channels, channels_first):
    if channels_first:
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def _check_rank(name, input_shape, kernel_shape=None, ranks=(1, 2, 3)):
    rank = len(input_shape) - 2
    if rank not in ranks:
        expected = " or ".join(str(r + 2) for r in ranks)
        what = f"and kernel of shape {kernel_shape} " if kernel_shape is not None else ""
        raise ValueError(
            f"{name}: inputs of shape {input_shape} {what}must have rank {expected} "
            f"(batch, spatial dimensions..., channels), got rank {len(input_shape)}."
        )
    if kernel_shape is not None and len(kernel_shape) != len(input_shape):
        raise ValueError(
            f"{name}: inputs of shape {input_shape} and kernel of shape {kernel_shape} must have "
            f"the same rank (kernel: (*kernel_size, in_channels, out_channels))."
        )
    return rank


# -- sliding-window geometry --------------------------------------------------------------
def _same_padding(size, window, stride):
    """(output size, padding before) for TensorFlow's "same" padding along one axis."""
    if size is None:
        return None, None
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, total // 2


def _valid_size(size, window, stride, name, input_shape, detail):
    if size is None:
        return None
    out = (size - window) // stride + 1
    if out <= 0:
        raise ValueError(
            f"{name}: the output would be empty: inputs of shape {input_shape} are smaller than "
            f"the window ({detail})."
        )
    return out


class _Windows:
    """Where the windows of a convolution or pooling sit along each spatial axis.

    Along an axis, output position `o` and kernel tap `t` read input position
    `o * stride + t * dilation - pad`; positions outside `[0, size)` are padding.
    """

    def __init__(self, sizes, window, strides, dilations, pads, out_sizes):
        self.sizes = tuple(sizes)
        self.window = tuple(window)
        self.strides = tuple(strides)
        self.dilations = tuple(dilations)
        self.pads = tuple(pads)
        self.out_sizes = tuple(out_sizes)
        self._taps = None
        self._boxes = None

    @property
    def padded_sizes(self):
        """Length of each zero-padded axis: enough for the last window, at least the input."""
        return tuple(
            max(pad + size, (out - 1) * stride + (k - 1) * dilation + 1)
            for size, k, stride, dilation, pad, out in zip(
                self.sizes, self.window, self.strides, self.dilations, self.pads, self.out_sizes
            )
        )

    def taps(self):
        """For each kernel position (row-major): `(out_slices, in_slices)` of the outputs that
        read a real input element at that position, and the input elements they read.

        Looping over these pairs replaces padding: slices are clipped to the real input.
        Positions that only ever read padding are left out.
        """
        if self._taps is None:
            per_axis = []
            for size, k, stride, dilation, pad, out in zip(
                self.sizes, self.window, self.strides, self.dilations, self.pads, self.out_sizes
            ):
                axis = []
                for t in range(k):
                    offset = t * dilation - pad
                    first = 0 if offset >= 0 else (-offset + stride - 1) // stride
                    last = min(out, (size - 1 - offset) // stride + 1)
                    if last <= first:
                        axis.append(None)
                        continue
                    start = first * stride + offset
                    stop = start + (last - first - 1) * stride + 1
                    axis.append((slice(first, last), slice(start, stop, stride)))
                per_axis.append(axis)
            taps = []
            for position in np.ndindex(*self.window):
                pairs = [per_axis[a][t] for a, t in enumerate(position)]
                if any(pair is None for pair in pairs):
                    taps.append(None)
                    continue
                everything = slice(None)
                out_index = (everything, *[p[0] for p in pairs], everything)
                in_index = (everything, *[p[1] for p in pairs], everything)
                taps.append((out_index, in_index))
            self._taps = taps
        return self._taps

    def apart(self):
        """Whether windows never overlap (stride >= window on every axis): each input
        element then belongs to at most one window, and a gradient can be written, not
        added."""
        return all(s >= k for s, k in zip(self.strides, self.window))

    def tiled(self):
        """Whether the windows cover the input exactly once (no padding, no overlap, no
        gap, nothing left over at the end)."""
        return all(
            s == k and pad == 0 and out * k == size
            for s, k, pad, out, size in zip(
                self.strides, self.window, self.pads, self.out_sizes, self.sizes
            )
        )

    def full_taps(self):
        """The input slices of the kernel positions that read a real element for every
        output (the others are clipped by padding)."""
        return [
            in_index
            for out_index, in_index in filter(None, self.taps())
            if all(s == slice(0, out) for s, out in zip(out_index[1:-1], self.out_sizes))
        ]

    def phase_boxes(self):
        """For each kernel position (row-major): where its outputs' gradient goes in the
        stride-phase-split padded array of `_input_gradient`,
        `(*phases, groups, batch, *quotient_slices, channels)`."""
        if self._boxes is None:
            boxes = []
            for position in np.ndindex(*self.window):
                phase, box = [], []
                for t, stride, dilation, out in zip(
                    position, self.strides, self.dilations, self.out_sizes
                ):
                    quotient, remainder = divmod(t * dilation, stride)
                    phase.append(remainder)
                    box.append(slice(quotient, quotient + out))
                boxes.append((*phase, slice(None), slice(None), *box, slice(None)))
            self._boxes = boxes
        return self._boxes


@functools.lru_cache(maxsize=256)
def _windows(sizes, window, strides, dilations, pads, out_sizes):
    """The `_Windows` of this geometry, shared by every op call with it, so that its slices
    (`taps`, `phase_boxes`) are computed once instead of once per call."""
    return _Windows(sizes, window, strides, dilations, pads, out_sizes)


def _pad(x, windows):
    """`x` (channels last) inside a zero array of the padded size; `x` itself if no padding."""
    padded = windows.padded_sizes
    if not any(windows.pads) and padded == x.shape[1:-1]:
        return x
    xp = np.zeros((x.shape[0], *padded, x.shape[-1]), dtype=x.dtype)
    inside = tuple(slice(pad, pad + size) for pad, size in zip(windows.pads, windows.sizes))
    xp[(slice(None), *inside, slice(None))] = x
    return xp


def _im2col(x, windows, groups):
    """Every window of `x` (channels last) as rows of a matrix, one matrix per group.

    Returns an array of shape `(groups, batch * prod(out), prod(kernel_size) * channels_per_group)`
    (a transposed view of one contiguous copy, so the batched product runs as plain GEMMs).
    """
    xp = _pad(x, windows)
    batch, channels = xp.shape[0], xp.shape[-1]
    group_channels = channels // groups
    strides = xp.strides
    spatial = strides[1:-1]
    view = as_strided(
        xp,
        shape=(batch, *windows.out_sizes, groups, *windows.window, group_channels),
        strides=(
            strides[0],
            *[s * step for s, step in zip(spatial, windows.strides)],
            strides[-1] * group_channels,
            *[s * d for s, d in zip(spatial, windows.dilations)],
            strides[-1],
        ),
        writeable=False,
    )
    rows = batch * math.prod(windows.out_sizes)
    cols = view.reshape(rows, groups, -1)  # the one copy of the forward pass
    return cols.transpose(1, 0, 2)


def _grouped_kernel(kernel, groups):
    """`(*kernel_size, in_per_group, filters)` as `(groups, kernel_size * in_per_group, filters
    per group)`, matching the rows of `_im2col` (output channel `g * per_group + f`)."""
    filters = kernel.shape[-1]
    matrix = kernel.reshape(-1, groups, filters // groups)
    return matrix.transpose(1, 0, 2)


def _from_groups(y, batch_shape):
    """`(groups, rows, filters per group)` back to `(*batch_shape, filters)`."""
    groups, _, per_group = y.shape
    return y.transpose(1, 0, 2).reshape(*batch_shape, groups * per_group)


def _to_groups(gy, groups):
    """`(batch, *out, filters)` as `(groups, rows, filters per group)`."""
    filters = gy.shape[-1]
    return gy.reshape(-1, groups, filters // groups).transpose(1, 0, 2)


def _kernel_gradient(cols, gy_groups, kernel_shape):
    """`cols.T @ gy` per group, in the kernel's layout."""
    g = np.matmul(cols.transpose(0, 2, 1), gy_groups)  # (groups, kernel * in, per group)
    return g.transpose(1, 0, 2).reshape(kernel_shape)


# Bytes of input-gradient products computed by one batched matrix product (`_input_gradient`).
_INPUT_GRADIENT_BLOCK = 2 << 20


def _input_gradient(gy_groups, kernel, windows, x_shape):
    """Gradient of a convolution with respect to its (channels-last) input, by col2im.

    For each kernel position, `gy @ kernel[position].T` is the gradient of the input
    elements read at that position; it is added into the shifted, strided slice of the input
    they came from. Two things keep this fast:

    - the products of many positions come from one batched `matmul` call (no Python loop
      over small products), in blocks of at most `_INPUT_GRADIENT_BLOCK` bytes so that a
      large input does not need one huge array (its page faults would cost more than the
      products); the block buffer is reused;
    - the gradient is accumulated in a zero-padded array split by stride phase: padded
      position `p` along an axis of stride `s` sits at `[p % s, ..., p // s]`. A kernel tap
      then adds into a contiguous box of that array instead of every `s`-th element, so
      numpy adds long runs instead of runs of `channels` numbers. One transpose at the end
      interleaves the phases back. With unit strides the slices are already long runs:
      the gradient then goes straight into the unpadded input, slices clipped to it.
    """
    groups, rows, per_group = gy_groups.shape
    taps = windows.taps()
    boxes = windows.phase_boxes()
    positions = len(taps)
    in_per_group = kernel.shape[-2]
    rank = len(windows.out_sizes)
    dtype = np.result_type(gy_groups.dtype, kernel.dtype)
    # (positions, groups, per_group, in_per_group): one small matrix per position and group.
    weights = kernel.reshape(positions, in_per_group, groups, per_group).transpose(0, 2, 3, 1)
    position_bytes = groups * rows * in_per_group * dtype.itemsize
    block = max(1, min(positions, _INPUT_GRADIENT_BLOCK // max(1, position_bytes)))
    buffer = np.empty(block * groups * rows * in_per_group, dtype=dtype)

    batch = x_shape[0]
    part_shape = (groups, batch, *windows.out_sizes, in_per_group)
    # With unit strides the windows' slices are already contiguous runs: no phases, and the
    # slices clipped to the real input replace the padding.
    unit_strides = all(stride == 1 for stride in windows.strides)
    if unit_strides:
        gx = np.zeros((groups, batch, *windows.sizes, in_per_group), dtype=dtype)
    else:
        # Phase-split padded gradient: (*strides, groups, batch, *quotients, in_per_group).
        quotients = [
            max(out + (k - 1) * dilation // stride, -(-(pad + size) // stride))
            for size, k, stride, dilation, pad, out in zip(
                windows.sizes,
                windows.window,
                windows.strides,
                windows.dilations,
                windows.pads,
                windows.out_sizes,
            )
        ]
        gx = np.zeros((*windows.strides, groups, batch, *quotients, in_per_group), dtype=dtype)
    for first in range(0, positions, block):
        last = min(positions, first + block)
        live = [tap for tap in range(first, last) if taps[tap] is not None]
        if not live:
            continue
        count = last - first
        products = buffer[: count * groups * rows * in_per_group].reshape(
            count, groups, rows, in_per_group
        )
        np.matmul(gy_groups, weights[first:last], out=products)
        for tap in live:
            part = products[tap - first].reshape(part_shape)
            if unit_strides:
                out_index, in_index = taps[tap]
                gx[(slice(None), *in_index)] += part[(slice(None), *out_index)]
            else:
                gx[boxes[tap]] += part

    if unit_strides:
        return gx.transpose(*range(1, rank + 2), 0, rank + 2).reshape(x_shape)
    # (*strides, groups, batch, *quotients, c) -> (batch, q0, s0, q1, s1, ..., groups, c).
    order = [rank + 1]
    for axis in range(rank):
        order += [rank + 2 + axis, axis]
    order += [rank, 2 * rank + 2]
    padded = gx.transpose(order).reshape(
        batch,
        *[q * s for q, s in zip(quotients, windows.strides)],
        groups * in_per_group,
    )
    inside = tuple(slice(pad, pad + size) for pad, size in zip(windows.pads, windows.sizes))
    return padded[(slice(None), *inside, slice(None))]


def _channels_last(x, channels_first):
    return np.moveaxis(x, 1, -1) if channels_first else x


def _restore_layout(y, channels_first):
    return np.moveaxis(y, -1, 1) if channels_first else y


# -- convolution --------------------------------------------------------------------------
class _ConvPlan:
    """Checked arguments and output shape of a convolution (shapes may hold None)."""

    def __init__(
        self,
        name,
        input_shape,
        kernel_shape,
        strides,
        padding,
        data_format,
        dilation_rate,
        depthwise=False,
    ):
        rank = _check_rank(name, input_shape, kernel_shape)
        self.channels_first = _data_format(data_format, name) == "channels_first"
        padding = _padding(padding, name)
        strides = _spatial_tuple(strides, rank, name, "strides")
        dilations = _spatial_tuple(dilation_rate, rank, name, "dilation_rate")
        batch, sizes, channels = _split_channels(input_shape, self.channels_first)
        window = tuple(kernel_shape[:-2])
        kernel_in, kernel_out = kernel_shape[-2], kernel_shape[-1]
        if depthwise:
            if channels is not None and kernel_in != channels:
                raise ValueError(
                    f"{name}: inputs of shape {input_shape} have {channels} channels but the "
                    f"depthwise kernel of shape {kernel_shape} has {kernel_in} input channels "
                    f"(kernel layout: (*kernel_size, in_channels, channel_multiplier))."
                )
            filters = kernel_in * kernel_out
        else:
            if channels is not None and (kernel_in <= 0 or channels % kernel_in):
                raise ValueError(
                    f"{name}: inputs of shape {input_shape} have {channels} channels, which does "
                    f"not match the kernel of shape {kernel_shape} with {kernel_in} input "
                    f"channels (kernel layout: (*kernel_size, in_channels, out_channels); for a "
                    f"grouped convolution the channels must be a multiple of in_channels)."
                )
            self.groups = 1 if channels is None else channels // kernel_in
            if kernel_out % self.groups:
                raise ValueError(
                    f"{name}: a grouped convolution of inputs of shape {input_shape} with a "
                    f"kernel of shape {kernel_shape} has {self.groups} groups, but "
                    f"{kernel_out} output channels are not a multiple of it."
                )
            filters = kernel_out
        out_sizes, pads = [], []
        for size, k, stride, dilation in zip(sizes, window, strides, dilations):
            span = (k - 1) * dilation + 1
            if padding == "same":
                out, pad = _same_padding(size, span, stride)
            else:
                detail = f"kernel of shape {kernel_shape}, dilation_rate={dilation_rate}"
                out, pad = _valid_size(size, span, stride, name, input_shape, detail), 0
            out_sizes.append(out)
            pads.append(pad)
        self.output_shape = _join_channels(batch, out_sizes, filters, self.channels_first)
        self.windows = None
        if None not in sizes:
            self.windows = _windows(
                *map(tuple, (sizes, window, strides, dilations, pads, out_sizes))
            )


class Conv(Function):
    """N-D convolution (optionally grouped) of channels-last or channels-first inputs."""

    def __init__(self, plan):
        self.plan = plan

    def forward(self, x, kernel):
        plan = self.plan
        x = _channels_last(x, plan.channels_first)
        self.fast = None
        if _conv_fast.use_blocked_im2col(
            plan.windows, plan.groups, x.shape[0], x.shape[-1], x.dtype.itemsize
        ):
            self.fast = _conv_fast.BlockedConv(plan.windows)
            return _restore_layout(self.fast.forward(x, kernel), plan.channels_first)
        cols = _im2col(x, plan.windows, plan.groups)
        y = np.matmul(cols, _grouped_kernel(kernel, plan.groups))
        self.cols, self.kernel, self.x_shape = cols, kernel, x.shape
        y = _from_groups(y, (x.shape[0], *plan.windows.out_sizes))
        return _restore_layout(y, plan.channels_first)

    def backward(self, gy):
        plan = self.plan
        if self.fast is not None:
            gy = _channels_last(gy, plan.channels_first)
            gx, gw = self.fast.backward(gy, *self.needs_grad)
            if gx is not None:
                gx = _restore_layout(gx, plan.channels_first)
            return gx, gw
        gy = _channels_last(gy, plan.channels_first)
        gx = gw = None
        if self.needs_grad[0]:
            if _conv_fast.use_phase_input_gradient(plan.windows, plan.groups):
                gx = _conv_fast.phase_input_gradient(gy, self.kernel, plan.windows, self.x_shape)
            else:
                gx = _input_gradient(
                    _to_groups(gy, plan.groups), self.kernel, plan.windows, self.x_shape
                )
            gx = _restore_layout(gx, plan.channels_first)
        gy = _to_groups(gy, plan.groups)
        if self.needs_grad[1]:
            gw = _kernel_gradient(self.cols, gy, self.kernel.shape)
        return gx, gw


class DepthwiseConv(Function):
    """Depthwise convolution: input channel `c` convolved with `kernel[..., c, :]` only.

    A grouped GEMM with one input channel per group would be many tiny matrix products, so
    this is computed elementwise instead: for each kernel position, the shifted input times
    that position's per-channel weights, added to the output.
    """

    def __init__(self, plan, multiplier):
        self.plan = plan
        self.multiplier = multiplier

    def forward(self, x, kernel):
        plan, multiplier = self.plan, self.multiplier
        x = _channels_last(x, plan.channels_first)
        taps = plan.windows.taps()
        channels = x.shape[-1]
        w = kernel.reshape(len(taps), channels, multiplier)
        shape = (x.shape[0], *plan.windows.out_sizes, channels, multiplier)
        if multiplier == 1:
            # Without the trailing axis of size 1, numpy runs long inner loops over channels.
            shape, source, weights = shape[:-1], x, w[..., 0]
        else:
            source, weights = x[..., None], w
        y = np.zeros(shape, dtype=x.dtype)
        buffer = np.empty(shape, dtype=x.dtype)
        for tap, pair in enumerate(taps):
            if pair is not None:
                out_index, in_index = pair
                part = buffer[out_index]
                np.multiply(source[in_index], weights[tap], out=part)
                y[out_index] += part
        self.x, self.w, self.kernel_shape = x, w, kernel.shape
        y = y.reshape(*shape[: x.ndim - 1], channels * multiplier)
        return _restore_layout(y, plan.channels_first)

    def backward(self, gy):
        plan, multiplier, x, w = self.plan, self.multiplier, self.x, self.w
        gy = _channels_last(gy, plan.channels_first)
        gy = gy.reshape(*gy.shape[:-1], x.shape[-1], multiplier)
        taps = plan.windows.taps()
        gx = gw = None
        if self.needs_grad[0]:
            gx = np.zeros(x.shape, dtype=gy.dtype)
            buffer = np.empty(gy.shape[:-1], dtype=gy.dtype)
            for tap, pair in enumerate(taps):
                if pair is None:
                    continue
                out_index, in_index = pair
                part = buffer[out_index]
                np.multiply(gy[out_index][..., 0], w[tap, :, 0], out=part)
                for m in range(1, multiplier):
                    part += gy[out_index][..., m] * w[tap, :, m]
                gx[in_index] += part
            gx = _restore_layout(gx, plan.channels_first)
        if self.needs_grad[1]:
            spatial = "ijk"[: x.ndim - 2]
            subscripts = f"n{spatial}cm,n{spatial}c->cm"
            gw = np.zeros(w.shape, dtype=gy.dtype)
            for tap, pair in enumerate(taps):
                if pair is not None:
                    out_index, in_index = pair
                    gw[tap] = np.einsum(subscripts, gy[out_index], x[in_index])
            gw = gw.reshape(self.kernel_shape)
        return gx, gw


def _same_dtype(inputs, kernel):
    """Inputs take the kernel's float dtype (as Keras does); integers become floats."""
    kernel = _float_tensor(kernel)
    inputs = _tensor(inputs)
    if inputs.data.dtype != kernel.data.dtype:
        inputs = _arith.cast(inputs, kernel.data.dtype)
    return inputs, kernel


def _with_output_spec(public, spec):
    """Lets symbolic calls of `public` get their output shape from `spec` (no probe run)."""
    public.operation.compute_output_spec = spec
    return public


@op
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """General 1-D, 2-D or 3-D convolution (cross-correlation, as in Keras).

    Args:
        inputs: `(batch, *spatial, channels)`, or `(batch, channels, *spatial)` with
            `data_format="channels_first"`.
        kernel: `(*kernel_size, in_channels, out_channels)`. When `channels` is a multiple
            `g` of `in_channels`, the convolution is grouped: `g` groups of channels, each
            giving `out_channels / g` outputs.
        strides: int or one int per spatial dimension.
        padding: `"valid"` (no padding) or `"same"` (output size `ceil(size / stride)`).
        data_format: `"channels_last"` or `"channels_first"`; None means
            `config.image_data_format()`.
        dilation_rate: int or one int per spatial dimension (spacing of the kernel taps).

    Returns:
        The convolution, `(batch, *out, out_channels)` in the layout of `inputs`.

    Example:
        >>> x = np.ones((1, 5, 5, 1), "float32")
        >>> conv(x, np.ones((3, 3, 1, 2), "float32"), padding="same").shape
        (1, 5, 5, 2)
    """
    inputs, kernel = _same_dtype(inputs, kernel)
    plan = _ConvPlan(
        "conv", inputs.shape, kernel.shape, strides, padding, data_format, dilation_rate
    )
    return Conv(plan)(inputs, kernel)


def _conv_spec(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    plan = _ConvPlan(
        "conv",
        _shape_of(inputs),
        _shape_of(kernel),
        strides,
        padding,
        data_format,
        dilation_rate,
    )
    return KerasTensor(plan.output_shape, dtype=_dtype_name(inputs))


_with_output_spec(conv, _conv_spec)


@op
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise 1-D or 2-D convolution: each input channel convolved with its own filters.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        kernel: `(*kernel_size, channels, channel_multiplier)`.
        strides, padding, data_format, dilation_rate: as in `conv`.

    Returns:
        `(batch, *out, channels * channel_multiplier)`; output channel
        `c * channel_multiplier + m` is input channel `c` convolved with `kernel[..., c, m]`.
    """
    inputs, kernel = _same_dtype(inputs, kernel)
    plan = _ConvPlan(
        "depthwise_conv",
        inputs.shape,
        kernel.shape,
        strides,
        padding,
        data_format,
        dilation_rate,
        depthwise=True,
    )
    return DepthwiseConv(plan, kernel.shape[-1])(inputs, kernel)


def _depthwise_spec(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    plan = _ConvPlan(
        "depthwise_conv",
        _shape_of(inputs),
        _shape_of(kernel),
        strides,
        padding,
        data_format,
        dilation_rate,
        depthwise=True,
    )
    return KerasTensor(plan.output_shape, dtype=_dtype_name(inputs))


_with_output_spec(depthwise_conv, _depthwise_spec)


@op
def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution, as in Keras.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        depthwise_kernel: `(*kernel_size, channels, channel_multiplier)`.
        pointwise_kernel: `(*ones, channels * channel_multiplier, out_channels)`.
        strides, padding, data_format, dilation_rate: of the depthwise step.
    """
    hidden = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(hidden, pointwise_kernel, 1, "valid", data_format, 1)


def _separable_spec(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    hidden = _ConvPlan(
        "separable_conv",
        _shape_of(inputs),
        _shape_of(depthwise_kernel),
        strides,
        padding,
        data_format,
        dilation_rate,
        depthwise=True,
    ).output_shape
    plan = _ConvPlan(
        "separable_conv", hidden, _shape_of(pointwise_kernel), 1, "valid", data_format, 1
    )
    return KerasTensor(plan.output_shape, dtype=_dtype_name(inputs))


_with_output_spec(separable_conv, _separable_spec)


# -- transposed convolution ---------------------------------------------------------------
def _transpose_axis(size, k, stride, dilation, padding, output_padding):
    """(output size, padding before) of a transposed convolution along one axis.

    The output size is Keras's `compute_conv_transpose_output_shape`. The transposed
    convolution is the input gradient of a convolution whose input has that size; the
    convolution's padding before is `span - 1 - left`, where `left` is the amount Keras's JAX
    backend pads the stride-dilated input with on the left.
    """
    span = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        out = None if size is None else (size - 1) * stride + span + extra
        left = span - 1
    else:
        if output_padding is None:
            out = None if size is None else size * stride
            total = stride + span - 2
        else:
            out = None if size is None else (size - 1) * stride + span % 2 + output_padding
            total = span + span % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, span - 1)
    return out, span - 1 - left


class _ConvTransposePlan:
    def __init__(
        self, input_shape, kernel_shape, strides, padding, output_padding, data_format, dilation
    ):
        name = "conv_transpose"
        rank = _check_rank(name, input_shape, kernel_shape)
        self.channels_first = _data_format(data_format, name) == "channels_first"
        padding = _padding(padding, name)
        strides = _spatial_tuple(strides, rank, name, "strides")
        dilations = _spatial_tuple(dilation, rank, name, "dilation_rate")
        if output_padding is None:
            output_paddings = (None,) * rank
        else:
            output_paddings = _spatial_tuple(output_padding, rank, name, "output_padding", 0)
        batch, sizes, channels = _split_channels(input_shape, self.channels_first)
        window = tuple(kernel_shape[:-2])
        filters, kernel_in = kernel_shape[-2], kernel_shape[-1]
        if channels is not None and channels != kernel_in:
            raise ValueError(
                f"{name}: inputs of shape {input_shape} have {channels} channels but the kernel "
                f"of shape {kernel_shape} has {kernel_in} input channels (kernel layout: "
                f"(*kernel_size, out_channels, in_channels))."
            )
        out_sizes, pads = [], []
        for size, k, stride, d, extra in zip(sizes, window, strides, dilations, output_paddings):
            out, pad = _transpose_axis(size, k, stride, d, padding, extra)
            if out is not None and out <= 0:
                raise ValueError(
                    f"{name}: the output would be empty for inputs of shape {input_shape} and "
                    f"kernel of shape {kernel_shape}."
                )
            out_sizes.append(out)
            pads.append(pad)
        self.output_shape = _join_channels(batch, out_sizes, filters, self.channels_first)
        self.windows = None
        if None not in sizes:
            # The convolution this op transposes: its input is our output and vice versa.
            self.windows = _windows(
                *map(tuple, (out_sizes, window, strides, dilations, pads, sizes))
            )
        self.filters = filters


class ConvTranspose(Function):
    """Transposed convolution: the gradient of `conv` with respect to its input."""

    def __init__(self, plan):
        self.plan = plan

    def forward(self, x, kernel):
        plan = self.plan
        x = _channels_last(x, plan.channels_first)
        x_groups = _to_groups(x, 1)
        out_shape = (x.shape[0], *plan.windows.sizes, plan.filters)
        if _conv_fast.use_phase_input_gradient(plan.windows, 1):
            y = _conv_fast.phase_input_gradient(x, kernel, plan.windows, out_shape)
        else:
            y = _input_gradient(x_groups, kernel, plan.windows, out_shape)
        self.x_groups, self.kernel, self.x_shape = x_groups, kernel, x.shape
        return _restore_layout(y, plan.channels_first)

    def backward(self, gy):
        plan = self.plan
        cols = _im2col(_channels_last(gy, plan.channels_first), plan.windows, 1)
        gx = gw = None
        if self.needs_grad[0]:
            gx = _from_groups(np.matmul(cols, _grouped_kernel(self.kernel, 1)), self.x_shape[:-1])
            gx = _restore_layout(gx, plan.channels_first)
        if self.needs_grad[1]:
            gw = _kernel_gradient(cols, self.x_groups, self.kernel.shape)
        return gx, gw


@op
def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution (the gradient of `conv` with respect to its input), 1-D to 3-D.

    Args:
        inputs: `(batch, *spatial, in_channels)` (or channels first).
        kernel: `(*kernel_size, out_channels, in_channels)` (Keras's layout: the kernel of the
            convolution being transposed, which maps `out_channels` to `in_channels`).
        strides, padding, data_format, dilation_rate: as in `conv`.
        output_padding: None, an int or one int per spatial dimension: extra size added at
            the end of each output axis. None infers it: with "same" padding the output is
            `size * stride`; with "valid" it is `(size - 1) * stride + max(dilated_kernel,
            stride)`.

    Returns:
        `(batch, *out, out_channels)` in the layout of `inputs`.

    Example:
        >>> x = np.ones((1, 4, 4, 3), "float32")
        >>> conv_transpose(x, np.ones((3, 3, 2, 3), "float32"), 2, "same").shape
        (1, 8, 8, 2)
    """
    inputs, kernel = _same_dtype(inputs, kernel)
    plan = _ConvTransposePlan(
        inputs.shape, kernel.shape, strides, padding, output_padding, data_format, dilation_rate
    )
    return ConvTranspose(plan)(inputs, kernel)


def _conv_transpose_spec(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    plan = _ConvTransposePlan(
        _shape_of(inputs),
        _shape_of(kernel),
        strides,
        padding,
        output_padding,
        data_format,
        dilation_rate,
    )
    return KerasTensor(plan.output_shape, dtype=_dtype_name(inputs))


_with_output_spec(conv_transpose, _conv_transpose_spec)


# -- pooling ------------------------------------------------------------------------------
class _PoolPlan:
    def __init__(self, name, input_shape, pool_size, strides, padding, data_format):
        rank = _check_rank(name, input_shape)
        self.channels_first = _data_format(data_format, name) == "channels_first"
        padding = _padding(padding, name)
        window = _spatial_tuple(pool_size, rank, name, "pool_size")
        strides = window if strides is None else _spatial_tuple(strides, rank, name, "strides")
        batch, sizes, channels = _split_channels(input_shape, self.channels_first)
        out_sizes, pads = [], []
        for size, k, stride in zip(sizes, window, strides):
            if padding == "same":
                out, pad = _same_padding(size, k, stride)
            else:
                out = _valid_size(size, k, stride, name, input_shape, f"pool_size={pool_size}")
                pad = 0
            out_sizes.append(out)
            pads.append(pad)
        # A "same" window can reach past the end even when nothing is padded before it.
        self.padded = padding == "same"
        self.output_shape = _join_channels(batch, out_sizes, channels, self.channels_first)
        self.windows = None
        if None not in sizes:
            self.windows = _windows(
                *map(tuple, (sizes, window, strides, (1,) * rank, pads, out_sizes))
            )


def _check_not_bool(dtype, name):
    """Average pooling of bools raises, as Keras on JAX does (there is no bool mean)."""
    if np.dtype(dtype) == bool:
        raise TypeError(f"{name}: inputs must be numbers, not bool. Cast them first.")


def _pool_spec(name):
    def spec(inputs, pool_size, strides=None, padding="valid", data_format=None):
        plan = _PoolPlan(name, _shape_of(inputs), pool_size, strides, padding, data_format)
        dtype = _dtype_name(inputs)
        if name == "average_pool":
            _check_not_bool(dtype, name)
            dtype = dtype if np.dtype(dtype).kind == "f" else config.floatx()
        return KerasTensor(plan.output_shape, dtype=dtype)

    return spec


class MaxPool(Function):
    """Maximum over each window; the gradient goes to the first maximum of the window.

    Both passes run `_max_pool_forward` / `_max_pool_backward` on cache-sized blocks of
    samples (`_conv_fast.for_each_batch_block`, shared by two threads for large inputs); a
    small input is one block, the whole batch.
    """

    def __init__(self, plan):
        self.plan = plan

    def forward(self, x):
        plan = self.plan
        x = _channels_last(x, plan.channels_first)
        windows = plan.windows
        y = np.empty((x.shape[0], *windows.out_sizes, x.shape[-1]), dtype=x.dtype)
        _conv_fast.for_each_batch_block(_max_pool_forward, (x, y), windows)
        self.x, self.y = x, y
        return _restore_layout(y, plan.channels_first)

    def backward(self, gy):
        plan = self.plan
        windows = plan.windows
        gy = _channels_last(gy, plan.channels_first)
        x, y = self.x, self.y
        gx = np.empty(x.shape, dtype=gy.dtype)
        _conv_fast.for_each_batch_block(_max_pool_backward, (x, y, gy, gx), windows)
        return _restore_layout(gx, plan.channels_first)


def _lowest(dtype):
    """The value no element of `dtype` is below (integer and bool inputs keep their dtype)."""
    if dtype.kind == "f":
        return -np.inf
    return False if dtype.kind == "b" else np.iinfo(dtype).min


def _max_pool_forward(x, y, windows):
    """Writes into `y` the maximum of each window of the channels-last `x`."""
    pairs = [pair for pair in windows.taps() if pair is not None]
    full = windows.full_taps()
    if len(full) >= 2:
        # Two taps read a real element for every window: start from their maximum
        # rather than from -inf (one pass less).
        np.maximum(x[full[0]], x[full[1]], out=y)
        rest = [pair for pair in pairs if pair[1] not in full[:2]]
    else:
        y[...] = _lowest(y.dtype)
        rest = pairs
    for out_index, in_index in rest:
        part = y[out_index]
        np.maximum(part, x[in_index], out=part)


def _max_pool_backward(x, y, gy, gx, windows):
    """Writes into `gx` the input gradient of max pooling `x` to `y`, from `gy`."""
    # Windows that never overlap (as in the usual 2x2 pooling) send each input at most
    # one gradient: it is written, not added; if they tile the input, every element is
    # written and nothing needs zeroing first.
    apart = windows.apart()
    if not windows.tiled():
        gx[...] = 0
    # Windows whose maximum has not been found yet (earlier positions win ties).
    open_windows = np.ones(y.shape, dtype=bool)
    hit = np.empty(y.shape, dtype=bool)
    pairs = [pair for pair in windows.taps() if pair is not None]
    for position, (out_index, in_index) in enumerate(pairs):
        part = hit[out_index]
        np.equal(x[in_index], y[out_index], out=part)
        still_open = open_windows[out_index]
        if position:
            part &= still_open
        if position + 1 < len(pairs):
            still_open ^= part  # part is a subset of the open windows: this closes them
        # A product with the mask is several times faster than a masked add (`where=`).
        if apart:
            np.multiply(gy[out_index], part, out=gx[in_index])
        else:
            gx[in_index] += gy[out_index] * part


@op
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over 1, 2 or 3 spatial dimensions.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        pool_size: int or one int per spatial dimension.
        strides: int, one int per spatial dimension, or None (= `pool_size`).
        padding: `"valid"` or `"same"` (padding never wins the maximum).
        data_format: `"channels_last"`, `"channels_first"` or None (the config default).

    Example:
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> max_pool(x, 2)[0, :, :, 0]     # [[5, 7], [13, 15]]

    Integer and bool inputs keep their dtype, as in Keras (a maximum needs no rounding).
    """
    inputs = _tensor(inputs)
    plan = _PoolPlan("max_pool", inputs.shape, pool_size, strides, padding, data_format)
    return MaxPool(plan)(inputs)


_with_output_spec(max_pool, _pool_spec("max_pool"))


def _window_counts(windows, dtype):
    """How many real (not padding) elements each window holds, shaped `(1, *out, 1)`."""
    counts = np.ones((1,) * (len(windows.sizes) + 2), dtype=dtype)
    for axis, (size, k, stride, pad, out) in enumerate(
        zip(windows.sizes, windows.window, windows.strides, windows.pads, windows.out_sizes)
    ):
        starts = np.arange(out) * stride - pad
        along = np.minimum(starts + k, size) - np.maximum(starts, 0)
        shape = [1] * counts.ndim
        shape[axis + 1] = out
        counts = counts * along.astype(dtype).reshape(shape)
    return counts


class AveragePool(Function):
    """Mean over each window; with "same" padding, over its real (not padding) elements.

    As `MaxPool`, both passes run on cache-sized blocks of samples
    (`_conv_fast.for_each_batch_block`); a small input is one block, the whole batch.
    """

    def __init__(self, plan):
        self.plan = plan

    def forward(self, x):
        plan = self.plan
        x = _channels_last(x, plan.channels_first)
        windows = plan.windows
        if plan.padded:
            self.divisor = _window_counts(windows, x.dtype)
        else:
            self.divisor = float(math.prod(windows.window))
        y = np.empty((x.shape[0], *windows.out_sizes, x.shape[-1]), dtype=x.dtype)
        _conv_fast.for_each_batch_block(_average_pool_forward, (x, y), windows, self.divisor)
        self.x_shape = x.shape
        return _restore_layout(y, plan.channels_first)

    def backward(self, gy):
        plan = self.plan
        windows = plan.windows
        gy = _channels_last(gy, plan.channels_first)
        gx = np.empty(self.x_shape, dtype=np.result_type(gy.dtype, self.divisor))
        _conv_fast.for_each_batch_block(_average_pool_backward, (gx, gy), windows, self.divisor)
        return _restore_layout(gx, plan.channels_first)


def _average_pool_forward(x, y, windows, divisor):
    """Writes into `y` the sum of each window of the channels-last `x` over `divisor`."""
    full = windows.full_taps()
    if len(full) >= 2:
        # Two taps read a real element for every window: start from their sum rather
        # than from zeros (one pass less, the same numbers).
        np.add(x[full[0]], x[full[1]], out=y)
        rest = [pair for pair in filter(None, windows.taps()) if pair[1] not in full[:2]]
    else:
        y[...] = 0
        rest = list(filter(None, windows.taps()))
    for out_index, in_index in rest:
        y[out_index] += x[in_index]
    y /= divisor


def _average_pool_backward(gx, gy, windows, divisor):
    """Writes into `gx` the input gradient of average pooling, from `gy`."""
    g = gy / divisor
    # As in MaxPool: non-overlapping windows write their gradient instead of adding it.
    apart = windows.apart()
    if not windows.tiled():
        gx[...] = 0
    for out_index, in_index in filter(None, windows.taps()):
        if apart:
            gx[in_index] = g[out_index]
        else:
            gx[in_index] += g[out_index]


@op
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over 1, 2 or 3 spatial dimensions.

    With `padding="same"` each window is divided by the number of real input elements it
    covers (padding is not counted), as Keras and TensorFlow do.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        pool_size: int or one int per spatial dimension.
        strides: int, one int per spatial dimension, or None (= `pool_size`).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"`, `"channels_first"` or None (the config default).

    Integer inputs give `floatx()` averages; bool inputs raise a TypeError, as in Keras.
    """
    inputs = _tensor(inputs)
    _check_not_bool(inputs.dtype, "average_pool")
    inputs = _float_tensor(inputs)
    plan = _PoolPlan("average_pool", inputs.shape, pool_size, strides, padding, data_format)
    return AveragePool(plan)(inputs)


_with_output_spec(average_pool, _pool_spec("average_pool"))
