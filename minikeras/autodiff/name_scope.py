"""Name scopes: where a variable's `path` (`"sequential/dense/kernel"`) comes from.

As in Keras, a layer opens a scope named after itself while it builds and while it runs,
so a variable created inside gets the names of the scopes open around it before its own
name: a Dense built by its Sequential has `sequential/dense/kernel`, a Dense built by a
Functional model's `Input` has `dense/kernel`. A layer remembers the path around it the
first time it opens its scope (its parent path) and keeps it: a layer built on its own and
then used elsewhere keeps its paths.

The stack of open scopes belongs to the thread. Each entry is `(name, caller,
override_parent)`: the caller lets a layer that opens its scope twice (its `__call__`, then
its `build`) count once; `override_parent`, when set, replaces the path of the scopes below.

Example:
    >>> with name_scope("outer"):
    ...     Variable(np.zeros(2), name="v").path
    'outer/v'
"""

import threading


class _Scopes(threading.local):
    def __init__(self):
        self.stack = []


_scopes = _Scopes()


def current_path():
    """The path of the open name scopes (`""` when none is open)."""
    parts = []
    for name, _, override_parent in _scopes.stack:
        if override_parent is not None:
            parts = [part for part in override_parent.split("/") if part]
        parts.append(name)
    return "/".join(parts)


def scoped_path(name):
    """`name` under the open scopes: the path a new variable called `name` gets."""
    if not _scopes.stack:
        return name
    prefix = current_path()
    return f"{prefix}/{name}" if prefix else name


class name_scope:
    """Opens a name scope: variables created inside get `name/` (after the outer scopes')
    before their own name.

    Args:
        name: the scope's name (a string without `/`).
        caller: the object opening it; a scope opened again by the same caller with the
            same name directly inside its own counts once.
        deduplicate: whether that repeat counts once (True by default).
        override_parent: a path that replaces the outer scopes' path (a layer's scope uses
            the path it was first opened in).
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and deduplicate and caller is not None:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pop_on_exit = False

    def __enter__(self):
        stack = _scopes.stack
        if self.deduplicate and stack and self.caller is not None:
            name, caller, _ = stack[-1]
            if caller is self.caller and name == self.name:
                return self
        stack.append((self.name, self.caller, self.override_parent))
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc_info):
        if self._pop_on_exit and _scopes.stack:
            _scopes.stack.pop()
        self._pop_on_exit = False


def enter_layer_scope(layer):
    """Opens `layer`'s own scope (as its `__call__` and `build` do).

    Returns:
        The thread's scope stack when an entry was pushed (pass it to `leave_layer_scope`),
        None when the layer's scope is already the innermost one.
    """
    stack = _scopes.stack
    if stack:
        name, caller, _ = stack[-1]
        if caller is layer and name == layer.name:
            return None
    parent = layer.__dict__.get("_parent_path")
    if parent is None:
        # The first scope a layer opens fixes where it lives (as Keras's `_parent_path`).
        parent = current_path()
        object.__setattr__(layer, "_parent_path", parent)
    stack.append((layer.name, layer, parent))
    return stack


def leave_layer_scope(stack):
    """Closes what `enter_layer_scope` opened."""
    if stack is not None:
        stack.pop()


def weight_path(layer, name):
    """The path of a weight called `name` that `layer.add_weight` creates now (inside the
    layer's scope, opened if it is not the innermost one)."""
    stack = _scopes.stack
    if stack and stack[-1][1] is layer and stack[-1][0] == layer.name:
        prefix = current_path()
    else:
        parent = layer.__dict__.get("_parent_path")
        if parent is None:
            parent = current_path()
        prefix = f"{parent}/{layer.name}" if parent else layer.name
    return f"{prefix}/{name}"
