"""Op behaviours that running Keras's own ops tests against minikeras showed to differ.

Found with tools/run_keras_tests.py on keras/src/ops/{nn,math,core,linalg,image}_test.py
(see tools/keras_tests_status.md, section "ops"). Reference values come from Keras 3.15.1
on JAX (`tests/fixtures/generate_keras_tests_ops_nn.py`).
"""

import json
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import ops
from tests.gradcheck import check_gradients

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_tests_ops_nn.json")
with open(FIXTURE) as _file:
    KERAS = json.load(_file)


def _case_id(case):
    kwargs = case["kwargs"]
    parts = [case["dtype"], str(np.shape(case["images"]))]
    parts += [f"{key}={value}" for key, value in kwargs.items()]
    return "-".join(parts).replace(" ", "")


# -- linalg -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", KERAS["lu_factor"], ids=lambda c: str(np.shape(c["x"])))
def test_lu_factor_of_a_rectangular_matrix_matches_keras(case):
    # Keras factors (m, n) matrices with min(m, n) pivots; minikeras refused non-square ones.
    lu, pivots = ops.linalg.lu_factor(np.array(case["x"], dtype="float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(lu), case["lu"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(pivots), case["pivots"])


def test_symbolic_lu_factor_of_a_rectangular_matrix_has_min_m_n_pivots():
    lu, pivots = ops.linalg.lu_factor(keras.KerasTensor((None, 4, 3)))
    assert lu.shape == (None, 4, 3) and pivots.shape == (None, 3)
    lu, pivots = ops.linalg.lu_factor(keras.KerasTensor((10, 2, 3)))
    assert lu.shape == (10, 2, 3) and pivots.shape == (10, 2)


@pytest.mark.parametrize("name", ["inv", "cholesky", "cholesky_inverse"])
@pytest.mark.parametrize("shape", [(None, 20, 15), (None, None, 20), (4,)])
def test_symbolic_square_matrix_ops_reject_other_shapes_as_keras(name, shape):
    # These symbolic calls gave a KerasTensor of the input's shape; Keras (and minikeras's
    # eager path) reject matrices that are not square.
    with pytest.raises(ValueError, match=name):
        getattr(ops.linalg, name)(keras.KerasTensor(shape))


def test_symbolic_solve_gives_the_shape_its_eager_call_gives():
    # A `b` with one axis fewer than `a` is a matrix for jax.numpy (and minikeras): its
    # symbolic shape was `a`'s, though the eager call rejects the pair.
    a, b = keras.KerasTensor((4, 3, 3)), keras.KerasTensor((4, 3))
    with pytest.raises(ValueError, match=r"solve: incompatible shapes"):
        ops.linalg.solve(a, b)
    with pytest.raises(ValueError, match=r"solve: incompatible shapes"):
        ops.linalg.solve(np.ones((4, 3, 3)), np.ones((4, 3)))
    assert ops.linalg.solve(keras.KerasTensor((None, 3, 3)), keras.KerasTensor((3, 2))).shape == (
        None,
        3,
        2,
    )
    assert ops.linalg.solve(keras.KerasTensor((5, 3, 3)), keras.KerasTensor((3,))).shape == (5, 3)
    with pytest.raises(ValueError, match="scalar"):
        ops.linalg.solve(keras.KerasTensor((3, 3)), keras.KerasTensor(()))
    with pytest.raises(ValueError, match="scalar"):
        ops.linalg.solve(np.eye(3), np.float32(1.0))


def test_symbolic_solve_triangular_reads_stacks_of_vectors_as_its_eager_call():
    assert ops.linalg.solve_triangular(
        keras.KerasTensor((None, 20, 20)), keras.KerasTensor((None, 20))
    ).shape == (None, 20)
    with pytest.raises(ValueError, match="solve_triangular"):
        ops.linalg.solve_triangular(keras.KerasTensor((None, 20, 15)), keras.KerasTensor((20, 5)))
    with pytest.raises(ValueError, match="solve_triangular: incompatible shapes"):
        ops.linalg.solve_triangular(np.eye(3), np.ones(4))


# -- stft, extract_sequences, unstack -----------------------------------------------------
@pytest.mark.parametrize("stride", [0, -5, 1.5, 2.0])
def test_stft_rejects_a_sequence_stride_that_is_not_a_positive_integer(stride):
    # A stride of 1.5 was truncated to 1 without a word; Keras raises.
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype="float32")
    with pytest.raises(ValueError, match="`sequence_stride` must be a positive integer"):
        ops.stft(x, 2, stride, 4)


@pytest.mark.parametrize("arguments", [(2.5, 1), (2, 1.5)])
def test_extract_sequences_rejects_fractional_lengths_and_strides(arguments):
    with pytest.raises(TypeError, match="must be an integer"):
        ops.extract_sequences(np.arange(8, dtype="float32"), *arguments)


def test_unstack_rejects_an_axis_out_of_range_symbolically_and_eagerly():
    # The symbolic call wrapped axis 10 onto axis 0 (three outputs for a (3, 4) tensor).
    with pytest.raises(ValueError, match="axis 10 is out of bounds"):
        ops.unstack(keras.KerasTensor((3, 4)), axis=10)
    with pytest.raises(ValueError, match="axis -3 is out of bounds"):
        ops.unstack(np.ones((3, 4), "float32"), axis=-3)
    assert [part.shape for part in ops.unstack(keras.KerasTensor((3, 4)), axis=-1)] == [(3,)] * 4


# -- ops.image.resize, pad_images, crop_images --------------------------------------------
@pytest.mark.parametrize("case", KERAS["resize"], ids=_case_id)
def test_image_resize_matches_keras(case):
    images = np.array(case["images"], dtype=case["dtype"])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    result = ops.convert_to_numpy(ops.image.resize(images, **kwargs))
    assert result.dtype == np.dtype(case["expected_dtype"])
    expected = np.array(case["expected"], dtype=case["expected_dtype"])
    if result.dtype.kind == "f":
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("case", KERAS["pad_crop"], ids=lambda c: f"{c['op']}-{c['kwargs']}")
def test_image_pad_and_crop_match_keras(case):
    images = np.array(case["images"], dtype="float32")
    result = getattr(ops.image, case["op"])(images, **case["kwargs"])
    np.testing.assert_array_equal(ops.convert_to_numpy(result), case["expected"])


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos3", "nearest"])
@pytest.mark.parametrize("antialias", [False, True])
def test_image_resize_gradients_finite_differences(interpolation, antialias):
    images = np.random.default_rng(0).normal(size=(1, 4, 5, 2))
    check_gradients(
        lambda x: ops.image.resize(x, (3, 7), interpolation=interpolation, antialias=antialias),
        images,
    )


def test_image_pad_and_crop_gradients_finite_differences():
    images = np.random.default_rng(1).normal(size=(3, 4, 2))
    check_gradients(
        lambda x: ops.image.pad_images(x, 1, 2, target_height=6, target_width=7), images
    )
    check_gradients(
        lambda x: ops.image.crop_images(x, 1, 0, target_height=2, target_width=3), images
    )


def test_image_resize_pad_and_crop_on_symbolic_images():
    images = keras.KerasTensor((None, None, None, 3))
    assert ops.image.resize(images, (4, 6)).shape == (None, 4, 6, 3)
    batch = keras.KerasTensor((None, 5, 7, 3))
    assert ops.image.pad_images(batch, 1, 2, target_height=8, target_width=10).shape == (
        None,
        8,
        10,
        3,
    )
    assert ops.image.crop_images(batch, 1, 2, target_height=3, target_width=4).shape == (
        None,
        3,
        4,
        3,
    )
    inputs = keras.Input((5, 7, 3))
    model = keras.Model(inputs, ops.image.resize(inputs, (3, 4)))
    x = np.random.default_rng(2).normal(size=(2, 5, 7, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), ops.image.resize(x, (3, 4)))


def test_image_resize_rejects_bad_arguments_naming_them():
    images = np.ones((5, 7, 3), dtype="float32")
    with pytest.raises(ValueError, match=r"interpolation.*'bilinear'.*'area'"):
        ops.image.resize(images, (2, 2), interpolation="area")
    with pytest.raises(ValueError, match="size"):
        ops.image.resize(images, (2, 2, 2))
    with pytest.raises(ValueError, match="pad_to_aspect_ratio"):
        ops.image.resize(images, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match=r"rank 3 .* rank 4"):
        ops.image.resize(np.ones((5, 7), "float32"), (2, 2))
    with pytest.raises(ValueError, match="fill_mode"):
        ops.image.resize(images, (2, 2), fill_mode="reflect")


def test_image_pad_and_crop_reject_bad_arguments_naming_them():
    images = np.ones((5, 7, 3), dtype="float32")
    with pytest.raises(ValueError, match="exactly two of top_padding, bottom_padding"):
        ops.image.pad_images(images, top_padding=1, left_padding=1, right_padding=1)
    with pytest.raises(ValueError, match="top_padding must be >= 0"):
        ops.image.pad_images(
            images, left_padding=0, bottom_padding=0, target_height=3, target_width=7
        )
    with pytest.raises(ValueError, match="exactly two of left_cropping, right_cropping"):
        ops.image.crop_images(images, 0, target_height=3)
    with pytest.raises(ValueError, match="target_width must be >= 0"):
        ops.image.crop_images(images, 0, 0, target_height=3, right_cropping=8)
    with pytest.raises(ValueError, match="does not fit"):
        ops.image.crop_images(images, 3, 0, target_height=3, target_width=7)


def test_image_crop_of_unknown_size_needs_the_start_and_the_target():
    # The output size would depend on the unknown input size, as Keras refuses too.
    with pytest.raises(ValueError, match="height of the images is unknown"):
        ops.image.crop_images(keras.KerasTensor((None, 10, 3)), 2, 3, 4, 5)
    with pytest.raises(ValueError, match="width of the images is unknown"):
        ops.image.crop_images(keras.KerasTensor((10, None, 3)), 2, 3, 4, 5)
    images = keras.KerasTensor((None, None, 3))
    assert ops.image.crop_images(images, 2, 3, target_height=4, target_width=5).shape == (4, 5, 3)
    assert ops.image.pad_images(images, 1, 2, 1, 2).shape == (None, None, 3)


def test_image_resize_rejects_a_size_that_is_not_positive():
    with pytest.raises(ValueError, match="positive height and width"):
        ops.image.resize(np.ones((4, 4, 1), "float32"), (0, 3))


def _resolve(path):
    target = ops
    for part in path.split("."):
        target = getattr(target, part)
    return target


@pytest.mark.parametrize("case", KERAS["ops"], ids=lambda c: c["name"])
def test_op_values_match_keras(case):
    # top_k ranked NaN below every number (numpy's sort order; Keras ranks it first),
    # multi_hot reduced over the last label axis where Keras reduces over axis 1, and stft
    # without a window kept only `sequence_length` samples of each frame (Keras: all).
    args = [
        np.array(a, dtype=dtype) if dtype else a
        for a, dtype in zip(case["args"], case["arg_dtypes"], strict=True)
    ]
    result = _resolve(case["op"])(*args, **case["kwargs"])
    results = result if isinstance(result, tuple | list) else [result]
    for value, expected, dtype in zip(
        results, case["expected"], case["expected_dtypes"], strict=True
    ):
        value = ops.convert_to_numpy(value)
        assert value.dtype == np.dtype(dtype)
        expected = np.array(expected, dtype=dtype)
        if value.dtype.kind == "f":
            np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-4)
        else:
            np.testing.assert_array_equal(value, expected)


def test_symbolic_multi_hot_of_rank_3_labels_has_kerass_shape():
    labels = keras.KerasTensor((None, 3, 2), dtype="int32")
    assert ops.nn.multi_hot(labels, 4).shape == (None, 2, 4)


def test_sparse_sigmoid_gradient_at_its_corners_is_kerass():
    # Keras clips (ties split the gradient in halves): 0.25 at exactly -1 and 1; minikeras
    # gave 0 there. Values from jax.grad of keras.ops.nn.sparse_sigmoid (Keras 3.15.1).
    x = keras.Variable(np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 3.0], dtype="float32"))
    with keras.GradientTape() as tape:
        y = ops.sum(ops.nn.sparse_sigmoid(x))
    np.testing.assert_array_equal(tape.gradient(y, x), [0.0, 0.25, 0.5, 0.5, 0.25, 0.0])
    np.testing.assert_array_equal(ops.nn.sparse_sigmoid(x), [0.0, 0.0, 0.5, 0.75, 1.0, 1.0])


def test_softmax_over_an_axis_of_size_one_warns_as_keras():
    with pytest.warns(UserWarning, match=r"softmax over axis 1 of a tensor of shape \(1, 1\)"):
        result = ops.softmax(np.array([[1.0]], dtype="float32"), axis=1)
    np.testing.assert_array_equal(result, [[1.0]])


def test_ctc_loss_op_gradients_finite_differences_with_lengths():
    logits = np.random.default_rng(3).normal(size=(2, 5, 4))
    target = np.array([[1, 1, 2], [3, 2, 0]], "int32")
    check_gradients(
        lambda x: ops.nn.ctc_loss(target, x, np.array([3, 2]), np.array([5, 3]), mask_index=0),
        logits,
    )
    check_gradients(
        lambda x: ops.ctc_loss(target, x, np.array([2, 1]), np.array([4, 5]), mask_index=3),
        logits,
    )


def test_ctc_loss_op_on_symbolic_tensors_and_bad_arguments():
    output = keras.KerasTensor((None, 6, 5))
    target = keras.KerasTensor((None, 4), dtype="int32")
    lengths = keras.KerasTensor((None,), dtype="int32")
    assert ops.nn.ctc_loss(target, output, lengths, lengths).shape == (None,)
    logits = np.zeros((2, 6, 5), "float32")
    labels = np.ones((2, 4), "int32")
    with pytest.raises(ValueError, match="target_length must hold one length per sequence"):
        ops.nn.ctc_loss(labels, logits, np.array([1, 2, 3]), np.array([6, 6]))
    with pytest.raises(ValueError, match="mask_index=5"):
        ops.nn.ctc_loss(labels, logits, np.array([1, 2]), np.array([6, 6]), mask_index=5)
    with pytest.raises(ValueError, match=r"target.shape=\(2, 4, 1\)"):
        ops.nn.ctc_loss(labels[..., None], logits, np.array([1, 2]), np.array([6, 6]))


def test_ctc_decode_greedy_only_and_its_symbolic_shapes():
    scores = np.zeros((2, 5, 4), "float32")
    with pytest.raises(NotImplementedError, match="beam_search"):
        ops.nn.ctc_decode(scores, np.array([5, 5]), strategy="beam_search")
    with pytest.raises(ValueError, match="'greedy' and 'beam_search'"):
        ops.nn.ctc_decode(scores, np.array([5, 5]), strategy="best")
    decoded, log_probability = ops.ctc_decode(
        keras.KerasTensor((3, 5, 4)), keras.KerasTensor((3,), dtype="int32")
    )
    assert decoded.shape == (1, 3, 5) and decoded.dtype == "int32"
    assert log_probability.shape == (3, 1)
