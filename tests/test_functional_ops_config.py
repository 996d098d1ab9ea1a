"""Functional graphs that apply ops directly to symbolic tensors, in `.keras` files and
configs, both ways, against Keras 3.15 (fixtures: generate_functional_ops_config.py)."""

import gzip
import inspect
import json
import os
import sys

import numpy as np
import pytest

import minikeras as keras
from minikeras import ops
from minikeras.models import operation_config
from minikeras.models.operation_config import KERAS_OPERATIONS

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
sys.path.insert(0, FIXTURES)

import functional_ops_config_scenarios as scenarios  # noqa: E402

with open(os.path.join(FIXTURES, "functional_ops_config.json")) as _handle:
    REFERENCE = json.load(_handle)

SCENARIOS = sorted(REFERENCE["scenarios"])


def keras_file(name, tmp_path):
    path = tmp_path / f"{name}.keras"
    with gzip.open(os.path.join(FIXTURES, f"functional_ops_{name}.keras.gz")) as handle:
        path.write_bytes(handle.read())
    return str(path)


def inputs_of(name):
    data = REFERENCE["scenarios"][name]["inputs"]
    if name in ("mask_lstm", "mask_pooling"):
        return np.asarray(data, dtype="int32")
    dtypes = {"catalogue": ["float32", "float32", "int32"]}.get(name, ["float32"] * len(data))
    return [np.asarray(d, dtype=t) for d, t in zip(data, dtypes, strict=True)]


def assert_kerass_outputs(name, outputs):
    reference = REFERENCE["scenarios"][name]
    outputs = [np.asarray(value) for value in keras.tree.flatten(outputs)]
    assert len(outputs) == len(reference["outputs"])
    for index, (got, want, dtype) in enumerate(
        zip(outputs, reference["outputs"], reference["output_dtypes"], strict=True)
    ):
        want = np.asarray(want, dtype=dtype)
        assert got.shape == want.shape, (name, index)
        assert got.dtype.kind == want.dtype.kind, (name, index, got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{name} #{index}")


def op_entries(config):
    return [e for e in config["layers"] if e["module"].startswith("keras.src.ops.")]


def plain(value):
    return json.loads(json.dumps(value))


# -- loading ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCENARIOS)
def test_keras_files_with_ops_nodes_load_and_predict_kerass_numbers(name, tmp_path):
    model = keras.saving.load_model(keras_file(name, tmp_path))
    assert_kerass_outputs(name, model(inputs_of(name)))


def test_an_embedding_mask_written_as_a_not_equal_node_reaches_the_lstm(tmp_path):
    model = keras.saving.load_model(keras_file("mask_lstm", tmp_path))
    lstm = model.get_layer("lstm")
    mask = lstm._inbound_nodes[0].kwargs["mask"]
    assert mask.node.name == "not_equal" and mask.dtype == "bool"
    assert_kerass_outputs("mask_lstm", model.predict(inputs_of("mask_lstm"), verbose=0))


@pytest.mark.parametrize("name", SCENARIOS)
def test_model_from_json_reads_kerass_ops_nodes(name, tmp_path):
    config = REFERENCE["scenarios"][name]["config"]
    text = json.dumps({"module": "keras", "class_name": "Functional", "config": config})
    model = keras.models.model_from_json(text)
    loaded = keras.saving.load_model(keras_file(name, tmp_path))
    model.set_weights(loaded.get_weights())
    assert_kerass_outputs(name, model(inputs_of(name)))
    assert [e["name"] for e in op_entries(config)] == [
        e["name"] for e in op_entries(model.get_config())
    ]


def test_model_from_config_reads_kerass_ops_nodes():
    config = REFERENCE["scenarios"]["arithmetic"]["config"]
    model = keras.Model.from_config(config)
    assert [layer.name for layer in model.layers] == ["x", "y", "hidden", "side", "out"]


def test_an_unknown_keras_operation_raises_naming_it():
    config = plain(REFERENCE["scenarios"]["mask_pooling"]["config"])
    entry = op_entries(config)[0]
    entry["class_name"] = entry["registered_name"] = "Cumprod"
    with pytest.raises(ValueError, match=r"'Cumprod'.*keras\.src\.ops\.numpy.*Operations it reads"):
        keras.Model.from_config(config)


def test_an_unknown_constructor_argument_of_a_keras_operation_raises():
    config = plain(REFERENCE["scenarios"]["arithmetic"]["config"])
    mean = next(e for e in config["layers"] if e["class_name"] == "Mean")
    mean["config"]["where"] = None
    with pytest.raises(ValueError, match=r"'Mean'.*\['where'\]"):
        keras.Model.from_config(config)


# -- saving ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["arithmetic", "catalogue"])
def test_get_config_writes_ops_as_keras_does(name):
    keras.utils.clear_session()
    model, _ = scenarios.SCENARIOS[name](keras)
    ours = plain(model.get_config())
    theirs = REFERENCE["scenarios"][name]["config"]
    assert [e["name"] for e in ours["layers"]] == [e["name"] for e in theirs["layers"]]
    assert op_entries(ours) == op_entries(theirs)
    assert ours["input_layers"] == theirs["input_layers"]
    assert ours["output_layers"] == theirs["output_layers"]


@pytest.mark.parametrize("name", ["mask_lstm", "mask_pooling"])
def test_a_loaded_mask_node_is_written_again_as_keras_wrote_it(name, tmp_path):
    model = keras.saving.load_model(keras_file(name, tmp_path))
    ours = plain(model.get_config())
    theirs = REFERENCE["scenarios"][name]["config"]
    assert [e["name"] for e in ours["layers"]] == [e["name"] for e in theirs["layers"]]
    assert op_entries(ours) == op_entries(theirs)
    assert [e["class_name"] for e in op_entries(ours)] == ["NotEqual"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_graphs_with_ops_round_trip_through_keras_files(name, tmp_path):
    keras.utils.clear_session()
    model, data = scenarios.SCENARIOS[name](keras)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    for got, want in zip(
        keras.tree.flatten(loaded(data)), keras.tree.flatten(model(data)), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert plain(loaded.get_config()) == plain(model.get_config())


def test_an_op_keras_has_no_class_for_here_raises_naming_it():
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(2)(ops.arctan(x)))
    with pytest.raises(NotImplementedError, match=r"'arctan'.*Lambda"):
        model.get_config()


def test_op_calls_draw_names_from_the_layer_name_counter_as_in_keras():
    keras.utils.clear_session()
    x = keras.Input((3,))
    total = x + 1
    assert total.node.name == "add"
    assert keras.layers.Add().name == "add_1"
    assert (x + 2).node.name == "add_2"


def test_each_op_call_is_its_own_operation_in_the_layer_order():
    # Keras orders layers by the depth of each call; an op used at two depths must not
    # pull a layer before its shallow use deeper. The order numbers the layers of weights
    # files, and here `b` and `a1` have the same shapes: a wrong order loads silently.
    keras.utils.clear_session()
    x = keras.Input((2,), name="x")
    shallow = keras.layers.Dense(2, name="b")(x) + 1
    deep = x + 1
    for name in ("a1", "a2", "a3"):
        deep = keras.layers.Dense(2, name=name)(deep)
    model = keras.Model(x, [shallow, deep])
    # As Keras 3.15 lists them (depths: x 4, add_1 3, a1 2, b 1, a2 1, add 0, a3 0).
    assert [layer.name for layer in model.layers] == ["x", "a1", "b", "a2", "a3"]
    assert [e["name"] for e in model.get_config()["layers"]] == [
        "x", "add_1", "a1", "b", "a2", "add", "a3",
    ]  # fmt: skip


def test_symbolic_matmul_takes_a_constant_operand():
    x = keras.Input((5,))
    product = ops.matmul(x, ops.ones((5, 3)))
    assert product.shape == (None, 3) and product.dtype == "float32"


# -- the table ---------------------------------------------------------------------------------
def test_the_table_lists_the_keras_operations_of_the_fixtures():
    assert set(KERAS_OPERATIONS) == set(REFERENCE["operations"])


@pytest.mark.parametrize("class_name", sorted(REFERENCE["operations"]))
def test_each_operation_splits_its_arguments_as_kerass_class(class_name):
    keras_class = REFERENCE["operations"][class_name]
    spec = KERAS_OPERATIONS[class_name]
    assert spec.module == keras_class["module"]
    assert list(spec.constructor) == [name for name, _ in keras_class["constructor"]]
    assert list(spec.call) + list(spec.call_keywords) == keras_class["call"]
    parameters = inspect.signature(spec.op).parameters
    for name, default in keras_class["constructor"]:
        if name == "dtype":
            continue  # Keras resolves some dtypes before making the operation
        assert name in parameters, (class_name, name)
        if parameters[name].default is not inspect.Parameter.empty:
            assert parameters[name].default == default, (class_name, name)


def test_every_written_operation_is_read_back_by_its_class_name():
    for class_name in KERAS_OPERATIONS:
        operation = operation_config.operation_from_config(
            {"module": KERAS_OPERATIONS[class_name].module, "class_name": class_name,
             "config": {"name": "n"}, "name": "n"}
        )  # fmt: skip
        assert operation.class_name == class_name and operation.name == "n"


def test_clone_model_copies_a_graph_with_ops():
    keras.utils.clear_session()
    model, data = scenarios.SCENARIOS["arithmetic"](keras)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    assert clone.layers[2] is not model.layers[2]
    for got, want in zip(
        keras.tree.flatten(clone(data)), keras.tree.flatten(model(data)), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert [e["class_name"] for e in op_entries(clone.get_config())] == [
        e["class_name"] for e in op_entries(model.get_config())
    ]
