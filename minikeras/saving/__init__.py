"""Saving and loading models (`keras.saving`), in Keras 3's file formats.

- `model.save("model.keras")` / `load_model("model.keras")`: architecture (config.json),
  weights and optimizer state in one zip file.
- `model.save_weights("model.weights.h5")` / `model.load_weights(...)`: the weights only.
- `serialize_keras_object` / `deserialize_keras_object`: config dicts;
  `register_keras_serializable` and `custom_object_scope` for your own classes and
  functions (also under `keras.utils`).
- A layer controls what it saves by overriding `save_own_variables(store)` /
  `load_own_variables(store)`, and keeps files (a vocabulary, ...) in a `.keras` archive
  with `save_assets(dir_path)` / `load_assets(dir_path)`.

Files written here open in Keras 3 and the other way round. Writes are atomic (a crash
leaves the previous file intact); loads are strict (every mismatch is listed) and safe
(nothing is unpickled; no code from the file runs unless `safe_mode=False`).

Example:
    >>> model.save("model.keras")
    >>> restored = keras.saving.load_model("model.keras")
"""

from minikeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from minikeras.saving.saving_api import (
    clone_model,
    load_model,
    load_weights,
    model_from_json,
    model_to_json,
    save_model,
    save_weights,
)
from minikeras.saving.serialization import (
    deserialize_keras_object,
    enable_unsafe_deserialization,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope",
    "clone_model",
    "custom_object_scope",
    "deserialize_keras_object",
    "enable_unsafe_deserialization",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "model_to_json",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
