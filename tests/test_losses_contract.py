"""Loss configs pinned to Keras 3.15: a default-constructed loss has exactly Keras's
`get_config()` (keys and values); arguments Keras leaves out appear only when set."""

import json
import os

import pytest

from minikeras import losses

_PATH = os.path.join(os.path.dirname(__file__), "fixtures", "loss_configs.json")
with open(_PATH) as _f:
    KERAS_CONFIGS = json.load(_f)["configs"]


def _jsonable(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("class_name", sorted(KERAS_CONFIGS))
def test_default_loss_config_has_exactly_keras_keys_and_values(class_name):
    config = getattr(losses, class_name)().get_config()
    assert _jsonable(config) == KERAS_CONFIGS[class_name]


@pytest.mark.parametrize(
    "class_name, kwargs",
    [
        ("Huber", {"delta": 2.5}),
        ("CosineSimilarity", {"axis": 1}),
        ("SparseCategoricalCrossentropy", {"axis": 1}),
    ],
)
def test_argument_keras_leaves_out_is_recorded_when_not_default(class_name, kwargs):
    cls = getattr(losses, class_name)
    config = cls(**kwargs).get_config()
    for key, value in kwargs.items():
        assert config[key] == value
        assert getattr(cls.from_config(config), key) == value
