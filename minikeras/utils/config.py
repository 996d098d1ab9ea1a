"""`keras.utils.Config`: a dict of named values also read and set as attributes."""

import copy


class Config:
    """A dict-like container of named values (as `keras.utils.Config`).

    Values are read and set as attributes or items; `freeze()` makes every later change
    raise a ValueError; `as_dict()` and `to_json()` give the values out. Iterating gives
    the names in sorted order (`keys()`, `items()` keep the order they were set in).

    Example:
        >>> config = Config(learning_rate=0.1)
        >>> config.seed = 123
        >>> config["learning_rate"], config.seed
        (0.1, 123)
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self):
        """Refuse any further change."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        """Accept changes again."""
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return copy.copy(self._config)

    def to_json(self):
        import json

        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        # The class's own names (methods, `frozen`) are not values.
        if hasattr(type(self), name):
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        config = self.__dict__.get("_config", {})
        if name in config:
            return config[name]
        import difflib  # here: `import minikeras` stays fast without it

        message = f"Unknown attribute: '{name}'."
        closest = difflib.get_close_matches(name, config.keys(), n=1, cutoff=0.7)
        if closest:
            message += f" Did you mean '{closest[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __repr__(self):
        return f"<Config {self._config}>"

    def __iter__(self):
        yield from sorted(self._config)
