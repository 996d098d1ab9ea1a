"""The `Initializer` base class: a callable that makes the starting values of a weight."""

__all__ = ["Initializer"]


class Initializer:
    """Base class of all initializers.

    A subclass implements `__call__(shape, dtype=None)` returning a tensor of that shape and
    dtype (`floatx()` when `dtype` is None), and `get_config()` when its constructor takes
    arguments.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return keras.ops.convert_to_tensor(np.full(shape, 0.5), dtype=dtype)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None)."
        )

    def get_config(self):
        """Returns the constructor arguments as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates an initializer from the output of `get_config()`."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"
