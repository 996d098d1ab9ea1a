"""Name <-> object lookups shared by initializers, regularizers and constraints.

Each of those packages keeps a dict of its built-in classes (`ALL_OBJECTS_DICT`) and
offers `serialize`, `deserialize` and `get` over it, in Keras 3's config format:
`{"module", "class_name", "config", "registered_name"}`.
"""

import inspect


class ObjectRegistry:
    """Serializes and finds the objects of one kind (e.g. "initializer").

    Args:
        kind: the word used in error messages ("initializer", "regularizer", ...).
        module: the Keras module named in configs of built-in objects
            ("keras.initializers").
        objects: `{name: class_or_function}` of the built-in objects.
        base_class_path: how users make their own (named in the serialize error).
        extra_names: names accepted by `deserialize` that build objects with a factory,
            `{name: factory}` (listed among the valid names in errors).
    """

    def __init__(self, kind, module, objects, base_class_path, extra_names=None):
        self.kind = kind
        self.module = module
        self.objects = objects
        self.base_class_path = base_class_path
        self.extra_names = dict(extra_names or {})

    def serialize(self, obj):
        """The object as a Keras config dict; None stays None."""
        if obj is None:
            return None
        if not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot serialize {self.kind} {obj!r}: it has no get_config(). "
                f"Subclass {self.base_class_path} to make it serializable."
            )
        cls = type(obj)
        if self.objects.get(cls.__name__) is not cls:
            # A user's class: written as Keras writes it ("package>Name" when registered).
            from minikeras.saving.serialization import serialize_keras_object

            return serialize_keras_object(obj)
        return {
            "module": self.module,
            "class_name": cls.__name__,
            "config": obj.get_config(),
            "registered_name": None,
        }

    def lookup(self, name, custom_objects=None):
        """The class or function called `name` (user objects first: `custom_objects`, the
        active `custom_object_scope`, the registered objects)."""
        from minikeras.saving.object_registration import get_registered_object

        found = get_registered_object(name, custom_objects)
        if found is not None:
            return found
        if name in self.objects:
            return self.objects[name]
        raise ValueError(
            f"Unknown {self.kind}: {name!r}. Valid names are "
            f"{sorted([*self.objects, *self.extra_names])}, or pass the class in "
            "`custom_objects`."
        )

    def deserialize(self, config, custom_objects=None):
        """Creates an object from a name or a config dict (the output of `serialize`)."""
        if config is None:
            return None
        if isinstance(config, str):
            if config in self.extra_names and not (custom_objects and config in custom_objects):
                return self.extra_names[config]()
            found = self.lookup(config, custom_objects)
            return found() if inspect.isclass(found) else found
        if isinstance(config, dict):
            if "class_name" not in config:
                raise ValueError(f"A {self.kind} config needs a 'class_name'. Received: {config}")
            from minikeras.saving.object_registration import get_registered_object

            name = config["class_name"]
            registered = config.get("registered_name")
            if isinstance(registered, str) and get_registered_object(registered, custom_objects):
                name = registered
            cls = self.lookup(name, custom_objects)
            if not inspect.isclass(cls):
                return cls
            return cls.from_config(config.get("config") or {})
        raise ValueError(f"Could not interpret {self.kind} config: {config!r}")
