"""Numpy-op behaviours that running Keras's own ops/numpy_test.py against minikeras showed
to differ, checked against results recorded from Keras 3.15.1.

Found with tools/run_keras_tests.py on keras/src/ops/numpy_test.py (see
tools/keras_tests_status.md, section "ops/numpy_test.py"). The expressions are in
fixtures/keras_tests_ops_numpy_scenarios.py; fixtures/generate_keras_tests_ops_numpy.py
records Keras's results into fixtures/keras_tests_ops_numpy.json.
"""

import json
import os
import warnings

import numpy as np
import pytest

from minikeras import GradientTape, KerasTensor, Variable, ops
from tests.fixtures.keras_tests_ops_numpy_scenarios import CASES, evaluate

with open(os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_ops_numpy.json")) as f:
    KERAS_RESULTS = json.load(f)["results"]


def _assert_same(result, expected, expression):
    if isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert isinstance(result, list) and len(result) == len(expected), expression
        for got, want in zip(result, expected):
            _assert_same(got, want, expression)
        return
    if isinstance(expected, dict):
        assert result["dtype"] == expected["dtype"], expression
        assert result["shape"] == expected["shape"], expression
        if "value" in expected:
            np.testing.assert_allclose(
                np.asarray(result["value"], dtype=float),
                np.asarray(expected["value"], dtype=float),
                rtol=1e-6,
                err_msg=expression,
            )
        return
    assert result == expected, expression


def _check_behaviour(behaviour):
    for expression in CASES[behaviour]:
        # Keras gives these without a warning; numpy's floating-point warnings are errors here.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = evaluate(expression, ops, KerasTensor)
        _assert_same(result, KERAS_RESULTS[behaviour][expression], expression)


def test_fixture_covers_every_case():
    assert {b: sorted(e) for b, e in KERAS_RESULTS.items()} == {
        b: sorted(e) for b, e in CASES.items()
    }


def test_median_of_infinite_middle_values_is_infinite_as_in_keras():
    # median and nanmedian take the half-sum of the two middle values (Keras's midpoint):
    # a middle inf stays inf (it was NaN), and axis=() leaves the entries as they are.
    _check_behaviour("median_of_infinite_middle_values")


def test_median_gradient_splits_between_the_two_middle_values():
    x = Variable(np.array([4.0, 1.0, 3.0, 2.0], dtype="float32"))
    with GradientTape() as tape:
        y = ops.median(x)
    np.testing.assert_allclose(tape.gradient(y, x), [0.0, 0.0, 0.5, 0.5])


def test_unique_keeps_each_nan_as_its_own_value():
    # NaN != NaN: Keras (jax.numpy) lists every NaN; numpy's default merged them into one.
    _check_behaviour("unique_keeps_each_nan")


def test_unique_with_size_pads_first_indices_with_the_first_index():
    # Keras's padding of `return_index` repeats the first entry's index (it was 0).
    _check_behaviour("unique_pads_first_indices_with_the_first_index")


def test_array_split_of_an_unknown_size_gives_unknown_sections():
    # (None, 4) into 3 sections was (1, 4), (1, 4), (None, 4) from the probe runs.
    _check_behaviour("array_split_of_an_unknown_size")


def test_symbolic_shapes_with_unknown_sizes_that_broadcast():
    # allclose, inner, cross, geomspace and logspace raised on (None, 3) against (2, None).
    _check_behaviour("shapes_with_unknown_sizes_that_broadcast")


def test_average_over_a_one_axis_tuple_with_1d_weights():
    _check_behaviour("average_over_a_one_axis_tuple_with_1d_weights")


def test_average_with_1d_weights_over_several_axes_names_the_axes():
    with pytest.raises(ValueError, match=r"average: 1-D weights need a single axis.*\(1, 2\)"):
        ops.average(np.ones((2, 3, 3)), axis=(1, 2), weights=np.ones(3))


# -- result dtypes (Keras on JAX, for the dtypes minikeras keeps as they are) ----------------
def test_nanmax_and_nanmin_keep_integer_and_bool_dtypes():
    # They were float32: integers hold no NaN, and Keras returns their own dtype.
    _check_behaviour("nanmax_and_nanmin_keep_integer_and_bool_dtypes")


def test_trace_of_unsigned_integers_is_uint32():
    _check_behaviour("trace_of_unsigned_integers_is_uint32")


def test_integer_math_on_two_bools_gives_int32():
    # Shifts and power of two bools were int8 (numpy's promotion of bools).
    _check_behaviour("integer_math_on_two_bools_gives_int32")


def test_a_bool_beside_an_integer_takes_the_integer_dtype():
    # floor_divide, mod and fmod made every bool operand int32 first, so bool // int8 was int32.
    _check_behaviour("a_bool_beside_an_integer_takes_the_integer_dtype")


def test_matmul_of_int8_gives_int32_and_dot_keeps_int8():
    # 50 * 2 summed over 3 overflows int8: Keras's matmul accumulates in int32.
    _check_behaviour("matmul_of_int8_gives_int32_and_dot_keeps_int8")


def test_a_signed_integer_beside_uint32_gives_int32():
    # numpy makes int32 with uint32 an int64; Keras computes such integers in 32 bits.
    _check_behaviour("a_signed_integer_beside_uint32_gives_int32")


def test_bincount_with_integer_weights_keeps_their_dtype():
    # Integer weights gave float32 sums.
    _check_behaviour("bincount_with_integer_weights_keeps_their_dtype")


def test_bincount_of_a_batch_counts_each_row():
    # A 2-D x raised; Keras counts each row (numpy_test.py's test_bincount).
    _check_behaviour("bincount_of_a_batch_counts_each_row")


def test_bincount_with_weights_of_another_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"bincount: weights \(2,\) need the shape of x \(3,\)"):
        ops.bincount(np.array([0, 1, 1]), weights=np.array([1.0, 2.0]))
