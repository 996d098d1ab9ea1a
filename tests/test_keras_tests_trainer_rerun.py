"""Differences from Keras 3.15.1 found rerunning Keras's trainer, model and core layer tests
(tools/keras_tests_status.md, "Trainer and model tests rerun"): dict outputs of `predict`,
pooling dtypes, `Input(sparse=True)`, and the tqdm bar under disabled interactive logging.
Reference answers recorded from Keras in tests/fixtures/trainer_rerun.json
(tests/fixtures/generate_trainer_rerun.py)."""

import json
import logging
import os
from typing import ClassVar

import numpy as np
import pytest

import minikeras as keras
from tests.fixtures import trainer_rerun_scenarios as scenarios

with open(os.path.join(os.path.dirname(__file__), "fixtures", "trainer_rerun.json")) as f:
    RECORDED = json.load(f)


# -- dict outputs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dict_orders():
    keras.utils.clear_session()
    return scenarios.dict_output_orders(keras)


@pytest.mark.parametrize("case", sorted(RECORDED["dict_output_orders"]))
def test_dict_outputs_come_in_keras_s_key_order_from_call_predict_and_logs(dict_orders, case):
    # Keras on JAX sorts the keys of what a compiled step returns (predict and
    # predict_on_batch by default), and keeps the model's order when it runs eagerly.
    assert dict_orders[case] == RECORDED["dict_output_orders"][case]


def test_predict_of_dict_outputs_sorts_keys_only_for_compiled_steps():
    inputs = keras.Input((3,))
    outputs = {"b": keras.layers.Dense(1)(inputs), "a": keras.layers.Dense(1)(inputs)}
    model = keras.Model(inputs, outputs)
    assert list(model.predict(scenarios.X, verbose=0)) == ["a", "b"]
    model.compile(run_eagerly=True)
    assert list(model.predict(scenarios.X, verbose=0)) == ["b", "a"]
    model.compile(jit_compile=False)
    assert list(model.predict_on_batch(scenarios.X)) == ["b", "a"]


@pytest.mark.parametrize("case", sorted(RECORDED["compile_attributes"]))
def test_run_eagerly_and_jit_compile_read_as_keras_before_and_after_compile(case):
    # Keras resolves jit_compile="auto" to True (False with run_eagerly=True), also in the
    # compile config it saves; before compile() a model reports False and True.
    assert scenarios.compile_attributes(keras)[case] == RECORDED["compile_attributes"][case]


def test_jit_compile_true_with_run_eagerly_warns_and_is_turned_off_as_keras():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.warns(UserWarning, match="cannot also be True. Disabling `jit_compile`"):
        model.compile("sgd", "mse", jit_compile=True, run_eagerly=True)
    assert model.jit_compile is False and model.get_compile_config()["jit_compile"] is False


@pytest.fixture(scope="module")
def single_output_structures():
    return scenarios.single_output_structures(keras)


@pytest.mark.parametrize("case", sorted(RECORDED["single_output_structures"]))
def test_one_output_in_a_list_or_tuple_comes_back_alone_from_eager_calls_as_keras(
    single_output_structures, case
):
    # Keras's Functional.call unpacks a one-element list or tuple of outputs; a symbolic
    # call, `model.output` and the training structure keep it.
    expected = RECORDED["single_output_structures"][case]
    assert single_output_structures[case] == expected


@pytest.mark.parametrize("case", sorted(RECORDED["functional_shapes"]))
def test_functional_input_and_output_shapes_are_flat_lists_or_one_shape_as_keras(case):
    # Keras gives the flat inputs' and outputs' shapes (dicts in sorted key order), one shape
    # alone; compute_output_shape takes a list of shapes and keeps the outputs' structure.
    assert scenarios.functional_shapes(keras)[case] == RECORDED["functional_shapes"][case]


def test_compute_output_shape_reads_a_list_of_sizes_as_one_shape_and_a_list_of_shapes_as_inputs():
    class Double(keras.layers.Layer):
        def call(self, x):
            return x * 2

    class Add(keras.layers.Layer):
        def call(self, pair):
            return pair[0] + pair[1]

    assert Double().compute_output_shape([None, 3]) == (None, 3)
    assert Double().compute_output_shape((np.int64(2), 3)) == (2, 3)
    assert Add().compute_output_shape([(None, 3), (None, 3)]) == (None, 3)
    assert keras.layers.Dense(2).compute_output_shape([None, 3]) == (None, 2)


# -- pooling dtypes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pooling():
    return scenarios.pooling_results(keras)


@pytest.mark.parametrize("case", sorted(RECORDED["pooling"]))
def test_pooling_layers_give_keras_s_dtype_and_values_for_int_bool_and_float16_inputs(
    pooling, case
):
    expected = RECORDED["pooling"][case]
    if expected == "TypeError":
        assert pooling[case] == "TypeError"
        return
    dtype, values = pooling[case]
    assert dtype == expected[0]
    np.testing.assert_allclose(values, expected[1], rtol=1e-5, atol=1e-5)


def test_max_pooling_keeps_integers_exact_beyond_float32_precision():
    # 2**24 + 1 has no float32: computed in float32 it would come back as 2**24.
    x = np.full((1, 2, 2, 1), 2**24 + 1, dtype="int32")
    y = keras.layers.MaxPooling2D()(x)
    assert y.dtype == "int32"
    assert int(keras.ops.convert_to_numpy(y)[0, 0, 0, 0]) == 2**24 + 1


def test_average_pooling_of_bools_raises_a_type_error_naming_bool():
    x = np.ones((1, 4, 4, 1), dtype=bool)
    with pytest.raises(TypeError, match="bool"):
        keras.layers.AveragePooling2D(2)(x)
    with pytest.raises(TypeError, match="bool"):
        keras.layers.AdaptiveAveragePooling2D(2)(x)
    # As in Keras, a symbolic call infers only the shape; the data is refused.
    inputs = keras.Input((4, 4, 1), dtype="bool")
    model = keras.Model(inputs, keras.layers.AveragePooling2D(2)(inputs))
    with pytest.raises(TypeError, match="bool"):
        model.predict(x, verbose=0)


def test_integer_average_pooling_gives_float32_symbolically_and_eagerly():
    inputs = keras.Input((4, 4, 1), dtype="int32")
    symbolic = keras.ops.average_pool(inputs, 2)
    assert symbolic.dtype == "float32"
    x = np.arange(16, dtype="int32").reshape(1, 4, 4, 1)
    eager = keras.ops.average_pool(x, 2)
    assert eager.dtype == "float32"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(eager)[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]]
    )


# -- Input(sparse=True) --------------------------------------------------------------------


def test_sparse_input_raises_naming_sparse_as_minikeras_has_no_sparse_tensors():
    with pytest.raises(ValueError, match=r"`sparse=True` is not supported.*no sparse tensors"):
        keras.Input((4,), sparse=True)
    with pytest.raises(ValueError, match="sparse"):
        keras.layers.InputLayer(shape=(4,), sparse=True)


def test_dense_input_says_it_is_neither_sparse_nor_ragged_as_keras():
    layer = keras.layers.InputLayer(shape=(3,), batch_size=2, sparse=False, ragged=False)
    assert layer.sparse is False and layer.ragged is False
    assert layer.output.sparse is False and layer.output.ragged is False
    assert layer.get_config()["sparse"] is False


def test_input_argument_errors_use_keras_s_wording_and_name_the_arguments():
    with pytest.raises(
        ValueError, match=r"cannot pass both `shape` and `batch_shape`.*shape=\(3,\)"
    ):
        keras.Input(shape=(3,), batch_shape=(2, 3))
    with pytest.raises(ValueError, match=r"You must pass a `shape` argument"):
        keras.Input()


# -- TqdmProgressBar and interactive logging -----------------------------------------------


class RecordingBar:
    """Stands in for `tqdm.auto.tqdm`: counts the bars made."""

    made: ClassVar[list] = []

    def __init__(self, **kwargs):
        RecordingBar.made.append(kwargs)

    def update(self, n=1):
        pass

    def set_postfix(self, values, refresh=True):
        pass

    def close(self):
        pass


@pytest.fixture
def bars(monkeypatch):
    import tqdm.auto

    RecordingBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    return RecordingBar.made


@pytest.fixture
def logging_off():
    keras.config.disable_interactive_logging()
    yield
    keras.config.enable_interactive_logging()


def _compiled_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_tqdm_progress_bar_draws_no_bars_and_logs_while_interactive_logging_is_off(
    bars, logging_off, capsys, caplog
):
    model = _compiled_model()
    x, y = np.ones((16, 3), "float32"), np.ones((16, 1), "float32")
    with caplog.at_level(logging.INFO, logger="minikeras"):
        model.fit(
            x, y, epochs=2, batch_size=8, verbose=1, callbacks=[keras.callbacks.TqdmProgressBar()]
        )
        model.evaluate(x, y, verbose=1, callbacks=[keras.callbacks.TqdmProgressBar()])
        model.predict(x, verbose=1, callbacks=[keras.callbacks.TqdmProgressBar()])
    assert bars == []
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    logged = [record.getMessage() for record in caplog.records if record.name == "minikeras"]
    assert [message for message in logged if message.startswith("Epoch")] == [
        "Epoch 1/2",
        "Epoch 2/2",
    ]
    # Each loop logs its finished line, as the text progress bar does then: two epochs of
    # two batches, one evaluation and one prediction (no loss) of one batch.
    steps = [(message[:3], "loss" in message) for message in logged if "step" in message]
    assert steps == [("2/2", True), ("2/2", True), ("1/1", True), ("1/1", False)]


def test_tqdm_progress_bar_draws_again_once_interactive_logging_is_back_on(bars, capsys):
    model = _compiled_model()
    x, y = np.ones((16, 3), "float32"), np.ones((16, 1), "float32")
    keras.config.disable_interactive_logging()
    keras.config.enable_interactive_logging()
    model.fit(
        x, y, epochs=1, batch_size=8, verbose=1, callbacks=[keras.callbacks.TqdmProgressBar()]
    )
    assert len(bars) == 2  # the epoch bar and the epoch's batch bar
