"""`run_layer_test`: the checks every layer passes, shared by the layer test files.

One call builds a layer from its constructor arguments and checks, on random inputs:

- the output shape equals `compute_output_shape` (and `expected_output_shape`), and a
  symbolic call on `keras.Input` (batch None) gives the same shape with batch None;
- float32 inputs give float32 outputs and the weights are float32;
- the numbers of trainable and non-trainable weights;
- an inference call changes no weight;
- `from_config(get_config())` gives a layer with the same config (JSON-serializable) that,
  built symbolically and given the same weights, computes the same outputs, also inside a
  Functional model;
- one training step (`GradientTape` on `sum(square(output))`, then `w -= 0.1 * g` by hand)
  gives every trainable weight a gradient and changes it, and leaves the non-trainable
  weights alone except those the layer updates itself in training (`updated_in_training`,
  e.g. BatchNormalization's moving statistics);
- freezing (`layer.trainable = False`) empties `trainable_weights`, gives no gradients,
  and a training call of the frozen layer changes no weight.

Also here: `check_layer_gradients` (finite-difference check of a float64 layer with
respect to its input and its trainable weights) and `keras_case` (reads a case of
tests/fixtures/layers.json, written by real Keras).
"""

import json
import pathlib

import numpy as np

import minikeras as keras
from minikeras import GradientTape, ops
from tests.gradcheck import float64


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _make_inputs(input_shape, input_dtype, input_range, rng):
    if not _is_shape(tuple(input_shape)) or (input_shape and isinstance(input_shape[0], tuple)):
        return [_make_inputs(shape, input_dtype, input_range, rng) for shape in input_shape]
    shape = tuple(input_shape)
    if np.dtype(input_dtype).kind in "iu":
        low, high = input_range or (0, 10)
        return rng.integers(low, high, size=shape).astype(input_dtype)
    values = rng.standard_normal(shape)
    if input_range is not None:
        low, high = input_range
        values = rng.uniform(low, high, size=shape)
    return values.astype(input_dtype)


def _shapes(data):
    if isinstance(data, list):
        return [tuple(x.shape) for x in data]
    return tuple(data.shape)


def _symbolic_inputs(data):
    if isinstance(data, list):
        return [_symbolic_inputs(x) for x in data]
    return keras.Input(shape=data.shape[1:], dtype=data.dtype.name)


def _unknown_batch(shape):
    return (None, *shape[1:])


def _weights_by_id(layer):
    return {id(w): w.numpy() for w in layer.weights}


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape=None,
    input_data=None,
    expected_output_shape=None,
    expected_output=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    expected_num_losses=None,
    input_dtype="float32",
    input_range=None,
    supports_training=True,
    updated_in_training=(),
    custom_objects=None,
    seed=0,
):
    """Runs the shared layer checks and returns the tested layer.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: shape of the random input (batch first), or a list of shapes for
            layers taking a list of tensors; or give `input_data` instead.
        expected_output_shape: the output shape the layer must produce.
        expected_output: optional exact values (inference call).
        expected_num_trainable_weights, expected_num_non_trainable_weights: weight counts.
        expected_num_losses: number of `layer.losses` after a call (activity penalties).
        input_dtype: dtype of the random input ("int32" for indices).
        input_range: `(low, high)` of the random values (integers for int dtypes).
        supports_training: run the training-step and freezing checks.
        updated_in_training: names of non-trainable weights the layer updates itself in
            training calls (they must change in training and not at inference).
        custom_objects: passed to `from_config` when the layer needs it (Lambda).
        seed: seed of the random inputs.
    """
    rng = np.random.default_rng(seed)
    data = input_data
    if data is None:
        data = _make_inputs(input_shape, input_dtype, input_range, rng)
    shapes = _shapes(data)
    name = layer_cls.__name__

    # -- eager inference call: shapes, dtypes, weights -----------------------------------
    layer = layer_cls(**init_kwargs)
    output = layer(data, training=False)
    before = _weights_by_id(layer)
    output_shape = tuple(output.shape)
    assert tuple(layer.compute_output_shape(shapes)) == output_shape, (
        f"{name}: compute_output_shape {layer.compute_output_shape(shapes)} != output shape "
        f"{output_shape}"
    )
    if expected_output_shape is not None:
        assert output_shape == tuple(expected_output_shape), (name, output_shape)
    if expected_output is not None:
        np.testing.assert_allclose(output.numpy(), expected_output, rtol=1e-6, atol=1e-6)
    input_dtypes = {x.dtype.kind for x in (data if isinstance(data, list) else [data])}
    if input_dtypes == {"f"} or input_dtype == "float32":
        assert output.dtype == "float32", f"{name}: float32 input gave {output.dtype} output"
    for weight in layer.weights:
        assert weight.dtype == "float32", f"{name}: weight {weight.path} is {weight.dtype}"
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights, (
            name,
            [w.path for w in layer.trainable_weights],
        )
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, (
            name,
            [w.path for w in layer.non_trainable_weights],
        )
    if expected_num_losses is not None:
        assert len(layer.losses) == expected_num_losses, (name, layer.losses)
    again = layer(data, training=False)
    for weight in layer.weights:
        np.testing.assert_array_equal(weight.numpy(), before[id(weight)], err_msg=weight.path)
    np.testing.assert_array_equal(again.numpy(), output.numpy())

    # -- symbolic call on Input (batch None) ---------------------------------------------
    inputs = _symbolic_inputs(data)
    symbolic = layer(inputs)
    expected_symbolic = _unknown_batch(output_shape)
    assert tuple(symbolic.shape) == expected_symbolic, (name, symbolic.shape, expected_symbolic)
    unknown_shapes = (
        [_unknown_batch(s) for s in shapes] if isinstance(shapes, list) else _unknown_batch(shapes)
    )
    assert tuple(layer.compute_output_shape(unknown_shapes)) == expected_symbolic
    assert symbolic.dtype == output.dtype, (name, symbolic.dtype, output.dtype)

    # -- configuration round trip ---------------------------------------------------------
    config = layer.get_config()
    json.dumps(config)
    if custom_objects is None:
        restored = layer_cls.from_config(config)
    else:
        restored = layer_cls.from_config(config, custom_objects=custom_objects)
    assert restored.get_config() == config, (name, restored.get_config(), config)
    # Built by a symbolic call (unknown batch), then given the same weights.
    restored_inputs = _symbolic_inputs(data)
    restored_outputs = restored(restored_inputs)
    assert tuple(restored_outputs.shape) == expected_symbolic
    restored.set_weights(layer.get_weights())
    np.testing.assert_allclose(
        restored(data, training=False).numpy(), output.numpy(), rtol=1e-6, atol=1e-6
    )
    model = keras.Model(restored_inputs, restored_outputs)
    np.testing.assert_allclose(
        model(data, training=False).numpy(), output.numpy(), rtol=1e-6, atol=1e-6
    )

    if supports_training:
        _check_training_step(layer, data, updated_in_training)
        _check_freezing(layer, data)
    return layer


def _check_training_step(layer, data, updated_in_training):
    name = type(layer).__name__
    before = _weights_by_id(layer)
    with GradientTape() as tape:
        output = layer(data, training=True)
        loss = ops.sum(ops.square(output))
    trainable = layer.trainable_weights
    gradients = tape.gradient(loss, trainable)
    for weight, gradient in zip(trainable, gradients):
        assert gradient is not None, f"{name}: no gradient for {weight.path}"
        assert gradient.shape == weight.shape and gradient.dtype == weight.dtype
        weight.assign_sub(0.1 * gradient.numpy())
        assert not np.array_equal(weight.numpy(), before[id(weight)]), (
            f"{name}: the training step did not change {weight.path}"
        )
    for weight in layer.non_trainable_weights:
        changed = not np.array_equal(weight.numpy(), before[id(weight)])
        updates_itself = weight.name in updated_in_training
        assert changed == updates_itself, (
            f"{name}: non-trainable weight {weight.path} "
            f"{'changed' if changed else 'did not change'} in a training call"
        )


def _check_freezing(layer, data):
    name = type(layer).__name__
    count = len(layer.weights)
    trainable_count = len(layer.trainable_weights)
    layer.trainable = False
    try:
        assert layer.trainable_weights == []
        assert len(layer.non_trainable_weights) == count
        before = _weights_by_id(layer)
        with GradientTape() as tape:
            output = layer(data, training=True)
            loss = ops.sum(ops.square(output))
        if layer.weights:
            gradients = tape.gradient(loss, layer.weights)
            assert all(g is None for g in gradients), f"{name}: a frozen weight got a gradient"
        for weight in layer.weights:
            np.testing.assert_array_equal(
                weight.numpy(), before[id(weight)], err_msg=f"{name}: frozen {weight.path}"
            )
    finally:
        layer.trainable = True
    assert len(layer.trainable_weights) == trainable_count


_FIXTURES = None


def keras_case(name):
    """One case of tests/fixtures/layers.json (written by real Keras, see
    tests/fixtures/generate_layers.py), with its arrays as float32 numpy arrays."""
    global _FIXTURES
    if _FIXTURES is None:
        path = pathlib.Path(__file__).parent / "fixtures" / "layers.json"
        _FIXTURES = json.loads(path.read_text())["cases"]
    case = dict(_FIXTURES[name])

    def to_array(value):
        return np.asarray(value, dtype=np.float32)

    inputs = case["inputs"]
    case["inputs"] = [to_array(x) for x in inputs] if case.get("list_input") else to_array(inputs)
    for key in ("outputs", "weights", "weights_after", "gradients", "non_trainable_after"):
        if case.get(key) is not None:
            case[key] = [to_array(v) for v in case[key]]
    if "targets" in case:
        case["targets"] = to_array(case["targets"])
    return case


def check_layer_gradients(layer, data, training=None, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Asserts that the gradients of a float64 layer match central differences.

    Differentiates `sum(layer(data) * projection)` (a fixed random projection) with respect
    to the input (when it is a float array) and to every trainable weight, and compares with
    finite differences obtained by perturbing each entry in place.

    Args:
        layer: a layer created with `dtype="float64"`.
        data: the input array (float or integer).
        training: passed to every call.
    """
    assert layer.dtype == "float64", "build the layer with dtype='float64' for the check"
    rng = np.random.default_rng(seed)
    with float64():
        floating = np.asarray(data).dtype.kind == "f"
        if floating:
            inputs = keras.Variable(np.asarray(data, dtype=np.float64))
        else:
            inputs = ops.convert_to_tensor(data)
        projection = rng.standard_normal(tuple(layer(inputs, training=training).shape))

        def objective():
            return ops.sum(layer(inputs, training=training) * projection)

        sources = ([inputs] if floating else []) + list(layer.trainable_weights)
        assert sources, "nothing to differentiate"
        with GradientTape() as tape:
            loss = objective()
        gradients = tape.gradient(loss, sources)
        for source, gradient in zip(sources, gradients):
            values = source.data
            numeric = np.zeros_like(values)
            for position in np.ndindex(values.shape):
                original = values[position]
                values[position] = original + eps
                with keras.no_grad():
                    plus = float(objective())
                values[position] = original - eps
                with keras.no_grad():
                    minus = float(objective())
                values[position] = original
                numeric[position] = (plus - minus) / (2 * eps)
            analytic = np.zeros_like(values) if gradient is None else gradient.numpy()
            assert analytic.dtype == np.float64, analytic.dtype
            name = getattr(source, "path", "input")
            if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                raise AssertionError(
                    f"gradient mismatch for {name}:\nanalytic=\n{analytic}\nnumeric=\n{numeric}"
                )
