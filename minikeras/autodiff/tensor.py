"""`Tensor` (an array plus the function that made it) and `Variable` (trainable state)."""

import numbers

import numpy as np

from minikeras import config
from minikeras.autodiff.backward import backward_pass
from minikeras.autodiff.masks import get_keras_mask, set_keras_mask
from minikeras.autodiff.name_scope import scoped_path
from minikeras.utils import naming

_dtype_names = {}


def dtype_name(dtype):
    """`dtype.name`, cached: numpy computes the name in Python (about a microsecond)."""
    name = _dtype_names.get(dtype)
    if name is None:
        name = _dtype_names[dtype] = dtype.name
    return name


# numpy dtype kinds a tensor cannot hold: objects, strings, raw bytes, dates and times.
_NON_NUMERIC_KINDS = frozenset("OUSVMm")


def standardize_dtype(dtype):
    """Returns `dtype` as a numpy dtype, rejecting the ones a tensor cannot hold.

    Raises:
        ValueError: for names numpy does not know and for non-numeric dtypes (`"object"`,
            `"str"`...), as Keras does ("Invalid dtype: object").
    """
    standard = _standard_dtypes.get(dtype)
    if standard is not None:
        return standard
    try:
        standard = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype}") from None
    if standard.kind in _NON_NUMERIC_KINDS:
        raise ValueError(f"Invalid dtype: {standard.name}")
    _standard_dtypes[dtype] = standard
    return standard


# Casts run every batch; numpy takes about as long to parse a dtype name as to cast a scalar.
_standard_dtypes = {}


def _reject_non_numeric(value, array):
    """Raises the error Keras gives for a value that is not numbers (`array` is its numpy form)."""
    if value is None or (array.dtype.kind == "O" and _contains_none(value)):
        raise ValueError(f"None is not a valid tensor value (got {value!r:.80}).")
    raise TypeError(
        f"Tensors hold numbers only; got a value of dtype {array.dtype.name}: {value!r:.80}"
    )


def _contains_none(value):
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_none(item) for item in value)
    return False


def to_array(value, dtype=None):
    """Converts `value` to a numpy array following the minikeras dtype rules.

    Python floats and float arrays of 32 or 64 bits become `floatx()` (float16 arrays stay
    float16, as in Keras), Python ints become int32, everything else keeps its numpy dtype;
    an explicit `dtype` wins.

    Raises:
        ValueError: for None (alone or inside a list) and for a non-numeric `dtype`.
        TypeError: for strings and object arrays (unless an explicit numeric `dtype` says
            how to read them).
    """
    if isinstance(value, Tensor):
        array = value.data
    else:
        array = value
    if dtype is not None:
        dtype = standardize_dtype(dtype)
        if isinstance(array, np.ndarray) and array.dtype == dtype:
            return array
        if not isinstance(array, np.ndarray) and _contains_none(array):
            # numpy would quietly read None as NaN
            raise ValueError(f"None is not a valid tensor value (got {array!r:.80}).")
        return np.asarray(array, dtype=dtype)
    if isinstance(array, np.ndarray):
        kind = array.dtype.kind
        if kind == "f":
            if array.dtype.itemsize > 2 and array.dtype != config.floatx_dtype():
                return array.astype(config.floatx_dtype())
        elif kind in _NON_NUMERIC_KINDS:
            _reject_non_numeric(array, array)
        return array
    if isinstance(array, bool):
        return np.asarray(array)
    if isinstance(array, numbers.Integral) and not isinstance(array, np.integer):
        return np.asarray(array, dtype=np.int32)
    if hasattr(array, "__array__") and not isinstance(array, (list, tuple)):
        array = np.asarray(array)
        if array.dtype.kind in _NON_NUMERIC_KINDS:
            _reject_non_numeric(value, array)
        if array.dtype.kind == "f" and array.dtype.itemsize > 2:
            if array.dtype != config.floatx_dtype():
                array = array.astype(config.floatx_dtype())
        return array
    array = np.asarray(_unwrap_nested(array))
    kind = array.dtype.kind
    if kind == "f":
        array = array.astype(config.floatx())
    elif array.dtype == np.int64 and not isinstance(value, np.ndarray):
        array = array.astype(np.int32)
    elif kind in _NON_NUMERIC_KINDS:
        _reject_non_numeric(value, array)
    return array


def _unwrap_nested(value):
    """Replaces tensors inside (nested) lists by their arrays so numpy can stack them."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return [_unwrap_nested(v) for v in value]
    return value


def convert_to_tensor(value, dtype=None):
    """Returns `value` as a `Tensor` (tensors of the right dtype are returned unchanged).

    Args:
        value: a Tensor, Variable, numpy array, Python number or nested list.
        dtype: optional target dtype; floats default to `floatx()`.

    Example:
        >>> convert_to_tensor([1.0, 2.0]).dtype
        'float32'
    """
    if isinstance(value, Tensor):
        if dtype is None or value.data.dtype == np.dtype(dtype):
            return value
        return value.astype(dtype)
    return Tensor._wrap(to_array(value, dtype), None, 0)


class Tensor:
    """An immutable n-dimensional array that remembers how it was computed.

    Attributes:
        data: the numpy array.
        creator: the `Function` whose output this is (None for constants and variables, and
            for everything computed while gradients are not recorded).
        requires_grad: whether gradients flow back through this tensor.
        grad: for leaves, the gradient accumulated by `backward()`.

    Example:
        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> y = (x * x).numpy()   # [1, 4, 9]
    """

    __slots__ = ("__weakref__", "_index", "creator", "data", "grad", "requires_grad")
    # numpy defers to our reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_ufunc__ = None
    __array_priority__ = 100

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = to_array(data, dtype)
        self.creator = None
        self.requires_grad = requires_grad
        self.grad = None
        self._index = 0

    @classmethod
    def _wrap(cls, array, creator, index):
        """Fast constructor used by primitives: no conversion, no checks."""
        tensor = object.__new__(Tensor)
        tensor.data = array
        tensor.creator = creator
        tensor.requires_grad = creator is not None
        tensor.grad = None
        tensor._index = index
        return tensor

    # -- array protocol -------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return dtype_name(self.data.dtype)

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def numpy(self):
        """Returns the values as a numpy array."""
        return self.data

    @property
    def _keras_mask(self):
        """The Keras mask of this tensor (booleans, False = masked out), or None."""
        return get_keras_mask(self)

    @_keras_mask.setter
    def _keras_mask(self, mask):
        set_keras_mask(self, mask)

    def __array__(self, dtype=None, copy=None):
        # `data` may be a numpy scalar (reductions return those); hand back an ndarray.
        return np.asarray(self.data, dtype=dtype)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return int(self.data)

    def __round__(self, ndigits=None):
        # As a JAX array: `round(loss, 3)` is a float tensor, `round(loss)` an int32 one.
        if ndigits is None:
            return Tensor(np.round(self.data).astype(np.int32))
        return Tensor(np.round(self.data, ndigits))

    def __bool__(self):
        return bool(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        return f"tensor({body}, shape={self.data.shape}, dtype={self.dtype})"

    def __format__(self, spec):
        # f"{loss:.4f}" formats the number, as it does for a numpy scalar.
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    __hash__ = object.__hash__

    # -- differentiation ------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False):
        """Accumulates d(self)/d(leaf) into `leaf.grad` for every leaf that requires it.

        Args:
            gradient: the gradient of the final objective w.r.t. this tensor (ones by default,
                i.e. the gradient of `sum(self)`).
            retain_graph: keep the graph so `backward` can run again.
        """
        seed = np.ones_like(self.data) if gradient is None else to_array(gradient, self.dtype)

        leaf_grads, _ = backward_pass([(self, seed)], retain_graph=retain_graph)
        for leaf, g in leaf_grads.items():
            leaf.grad = g.copy() if leaf.grad is None else leaf.grad + g

    def detach(self):
        """Returns the same values as a tensor with no history."""
        return Tensor._wrap(self.data, None, 0)

    # The operators (+ - * / ** @, unary -, abs, [], comparisons) and `T`, `reshape`,
    # `astype` are installed by arithmetic.py, beside the primitives they call.
    def __pos__(self):
        return self


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


# Dicts that record each Variable created while they are on this stack (by id), with its
# initial value: a layer's symbolic call (`Layer.compute_output_spec`) puts back what its
# probe runs wrote into the variables they created.
creation_logs = []


class Variable(Tensor):
    """Trainable (or non-trainable) state: a tensor whose values are updated in place.

    Args:
        initializer: initial value (array-like) or a callable `initializer(shape, dtype)`.
        shape: required when `initializer` is a callable.
        dtype: defaults to `floatx()` for float values.
        trainable: whether optimizers update it and gradients are computed for it.
        name: a readable name (`"variable"` by default).

    Example:
        >>> v = Variable(np.zeros(3), name="bias")
        >>> v.assign_add([1.0, 1.0, 1.0]).numpy()
        array([1., 1., 1.], dtype=float32)
    """

    __slots__ = (
        "_created_trainable",
        "_trainable",
        "autocast",
        "constraint",
        "name",
        "overwrite_with_gradient",
        "path",
        "regularizer",
    )

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
    ):
        if callable(initializer) and not isinstance(initializer, (np.ndarray, Tensor)):
            if shape is None:
                raise ValueError("A Variable created from a callable initializer needs a shape.")
            value = initializer(tuple(shape), dtype=dtype or config.floatx())
        else:
            value = initializer
        array = np.array(to_array(value, dtype), copy=True)
        if shape is not None and tuple(shape) != array.shape:
            raise ValueError(
                f"Initial value of Variable {name or 'variable'!r} has shape {array.shape}, "
                f"expected {tuple(shape)}."
            )
        super().__init__(array, dtype=array.dtype, requires_grad=bool(trainable))
        self.name = name or naming.auto_name("Variable")  # numbered, as Keras: variable_1
        self.path = scoped_path(self.name)  # under the open name scopes (name_scope.py)
        self._trainable = bool(trainable)
        self._created_trainable = bool(trainable)
        self.overwrite_with_gradient = False
        self.constraint = None
        self.regularizer = None
        self.autocast = autocast
        for log in creation_logs:
            log[id(self)] = (self, array.copy())

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self.requires_grad = bool(value)

    @property
    def value(self):
        """The variable itself, usable wherever a tensor is (gradients flow through it)."""
        return self

    def numpy(self):
        """Returns a copy of the current values (later updates do not change it)."""
        return self.data.copy()

    def _checked(self, value, what):
        array = to_array(value, self.data.dtype)
        if array.shape != self.data.shape and not (
            what != "assign" and _broadcasts_to(array.shape, self.data.shape)
        ):
            raise ValueError(
                f"Cannot {what} a value of shape {array.shape} to Variable {self.path!r} "
                f"of shape {self.data.shape}."
            )
        return array

    def assign(self, value):
        """Overwrites the values in place (same shape and dtype)."""
        np.copyto(self.data, self._checked(value, "assign"))
        return self

    def assign_add(self, value):
        """Adds `value` in place."""
        np.add(self.data, self._checked(value, "assign_add"), out=self.data)
        return self

    def assign_sub(self, value):
        """Subtracts `value` in place."""
        np.subtract(self.data, self._checked(value, "assign_sub"), out=self.data)
        return self

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.data.shape}, dtype={self.dtype}, "
            f"value={np.array2string(self.data, separator=', ')}>"
        )
