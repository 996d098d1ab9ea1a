"""The compiled step's contract: a replay never differs from the eager step.

Every input a recording depends on is either checked before each replay or makes the
compiled step record again: the layers' and the loss's Python attributes, the variables,
the global configuration; and recording works with several threads.
"""

import inspect
import re
import sys
import threading
import time

import numpy as np
import pytest

import minikeras as keras
from minikeras import activations, layers, ops
from minikeras.autodiff import Function, GradientTape, Tensor, Variable, no_grad
from minikeras.autodiff.program import record


def _data(rng, n=64, features=6, classes=3):
    x = rng.standard_normal((n, features)).astype("float32")
    return x, rng.integers(0, classes, n)


def _mlp():
    keras.utils.set_random_seed(3)
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(8, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(h))


# -- threads -------------------------------------------------------------------------------
def test_overlapping_recordings_in_two_threads_restore_the_plain_call(rng):
    plain_call = Function.__dict__["__call__"]
    w = Variable(np.ones((3, 2), "float32"))
    x = Tensor(rng.standard_normal((4, 3)).astype("float32"))
    first_in, second_starting, first_done = threading.Event(), threading.Event(), threading.Event()
    recorded = {}

    def first():
        with record() as recording:
            first_in.set()
            second_starting.wait()
            time.sleep(0.05)  # the second thread asks to record meanwhile
            ops.sum(ops.matmul(x, w))
        first_done.set()
        recorded["first"] = [type(f).__name__ for f, *_ in recording.calls]

    def second():
        first_in.wait()
        second_starting.set()
        with record() as recording:  # starts once the first recording has ended
            first_done.wait(5)
            ops.mean(x * w[:, 0])
        recorded["second"] = [type(f).__name__ for f, *_ in recording.calls]

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Function.__dict__["__call__"] is plain_call
    assert recorded == {"first": ["MatMul", "Sum"], "second": ["GetItem", "Multiply", "Mean"]}


def test_no_grad_in_one_thread_does_not_stop_another_threads_tape():
    w = Variable(np.full(3, 2.0, "float32"))
    taping, inside, done = threading.Event(), threading.Event(), threading.Event()

    def updating():
        taping.wait()
        with no_grad():  # as every optimizer update and `evaluate` do
            inside.set()
            done.wait(5)

    other = threading.Thread(target=updating)
    other.start()
    try:
        with GradientTape() as tape:
            taping.set()
            inside.wait(5)
            loss = ops.sum(w * w)
        gradients = tape.gradient(loss, [w])
    finally:
        done.set()
        other.join()
    assert gradients[0] is not None, "the tape saw no operation"
    np.testing.assert_array_equal(gradients[0].numpy(), np.full(3, 4.0, "float32"))


def _train_in_turn(model, x, y):
    """Fits with several batch sizes, so that many batch shapes are recorded (each one by
    an eager step, while the other thread may be recording too), then evaluates."""
    losses = []
    for batch_size in (5, 7, 9, 11, 13):
        history = model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        losses += history.history["loss"]
    losses.append(model.evaluate(x, y, batch_size=10, verbose=0))
    return losses, model.get_weights()


def _fresh_model():
    model = _mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def test_two_models_fitting_in_two_threads_train_as_they_do_alone(rng):
    x, y = _data(rng)
    plain_call = Function.__dict__["__call__"]
    alone = _train_in_turn(_fresh_model(), x, y)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that recordings overlap
    try:
        for _ in range(5):
            models = [_fresh_model(), _fresh_model()]
            results, errors = [None, None], []
            start = threading.Barrier(2)

            def work(i, models=models, results=results, errors=errors, start=start):
                try:
                    start.wait()
                    results[i] = _train_in_turn(models[i], x, y)
                except BaseException as error:  # reported below, in the main thread
                    errors.append(error)

            threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert not errors, errors
            assert Function.__dict__["__call__"] is plain_call
            for model, (losses, weights) in zip(models, results):
                assert model._compiled_steps.replayed["train"] > 0
                assert losses == alone[0]
                for a, b in zip(weights, alone[1]):
                    np.testing.assert_array_equal(a, b)
    finally:
        sys.setswitchinterval(interval)


# -- everything a recording reads ------------------------------------------------------------
def _through(layer, h):
    return layer(h), layer


def _padded_then_cropped(which, h):
    pad, crop = (
        (layers.ZeroPadding1D(1), layers.Cropping1D(1))
        if len(h.shape) == 3
        else (layers.ZeroPadding2D(1), layers.Cropping2D(1))
    )
    out = crop(pad(h))
    return out, pad if which == "pad" else crop


def _merged(merge):
    def body(h):
        return merge([layers.Dense(4)(h), layers.Dense(4, activation="relu")(h)]), merge

    return body


# Per vetted layer class: (input shape, body returning (output, the layer to change),
# [(attribute, new value), ...]). An empty list means the class has no settings of its own
# (checked below). Each change must alter what an eager model computes (checked too).
_CHANGES = {
    "Activation": (
        (6,),
        lambda h: _through(layers.Activation("relu"), h),
        [("activation", "tanh")],
    ),
    "Add": ((6,), lambda h: _merged(layers.Add())(h), []),
    "Average": ((6,), lambda h: _merged(layers.Average())(h), []),
    "Maximum": ((6,), lambda h: _merged(layers.Maximum())(h), []),
    "Minimum": ((6,), lambda h: _merged(layers.Minimum())(h), []),
    "Multiply": ((6,), lambda h: _merged(layers.Multiply())(h), []),
    "Subtract": ((6,), lambda h: _merged(layers.Subtract())(h), []),
    "Concatenate": ((6,), lambda h: _merged(layers.Concatenate())(h), [("axis", 0)]),
    "Dot": ((6,), lambda h: _merged(layers.Dot(axes=1))(h), [("normalize", True)]),
    "Identity": ((6,), lambda h: _through(layers.Identity(), h), []),
    "AveragePooling1D": (
        (8, 2),
        lambda h: _through(layers.AveragePooling1D(2, strides=1, padding="same"), h),
        [("pool_size", (3,))],
    ),
    "MaxPooling1D": (
        (8, 2),
        lambda h: _through(layers.MaxPooling1D(2, strides=1, padding="same"), h),
        [("pool_size", (3,))],
    ),
    "AveragePooling2D": (
        (6, 6, 2),
        lambda h: _through(layers.AveragePooling2D(2, strides=1, padding="same"), h),
        [("pool_size", (3, 3))],
    ),
    "MaxPooling2D": (
        (6, 6, 2),
        lambda h: _through(layers.MaxPooling2D(2, strides=1, padding="same"), h),
        [("pool_size", (3, 3))],
    ),
    "GlobalAveragePooling1D": (
        (4, 4),
        lambda h: _through(layers.GlobalAveragePooling1D(), h),
        [("data_format", "channels_first")],
    ),
    "GlobalMaxPooling1D": (
        (4, 4),
        lambda h: _through(layers.GlobalMaxPooling1D(), h),
        [("data_format", "channels_first")],
    ),
    "GlobalAveragePooling2D": (
        (4, 4, 4),
        lambda h: _through(layers.GlobalAveragePooling2D(), h),
        [("data_format", "channels_first")],
    ),
    "GlobalMaxPooling2D": (
        (4, 4, 4),
        lambda h: _through(layers.GlobalMaxPooling2D(), h),
        [("data_format", "channels_first")],
    ),
    "BatchNormalization": (
        (6,),
        lambda h: _through(layers.BatchNormalization(), layers.Dense(5)(h)),
        [("momentum", 0.5), ("epsilon", 0.5), ("trainable", False)],
    ),
    "LayerNormalization": (
        (6,),
        lambda h: _through(layers.LayerNormalization(), h),
        [("epsilon", 0.5), ("trainable", False)],
    ),
    "Conv1D": (
        (8, 2),
        lambda h: _through(layers.Conv1D(3, 3, activation="relu"), h),
        [("activation", "tanh"), ("trainable", False)],
    ),
    "Conv2D": (
        (6, 6, 2),
        lambda h: _through(layers.Conv2D(3, 3, padding="same", activation="relu"), h),
        [("activation", "tanh"), ("padding", "valid")],
    ),
    "Conv2DTranspose": (
        (4, 4, 2),
        lambda h: _through(layers.Conv2DTranspose(2, 3, strides=2, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "DepthwiseConv2D": (
        (6, 6, 2),
        lambda h: _through(layers.DepthwiseConv2D(3, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "SeparableConv2D": (
        (6, 6, 2),
        lambda h: _through(layers.SeparableConv2D(3, 3, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "Conv3D": (
        (4, 4, 4, 2),
        lambda h: _through(layers.Conv3D(3, 3, padding="same", activation="relu"), h),
        [("activation", "tanh"), ("padding", "valid")],
    ),
    "Conv1DTranspose": (
        (4, 2),
        lambda h: _through(layers.Conv1DTranspose(2, 3, strides=2, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "Conv3DTranspose": (
        (2, 2, 2, 2),
        lambda h: _through(layers.Conv3DTranspose(2, 3, strides=2, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "DepthwiseConv1D": (
        (8, 2),
        lambda h: _through(layers.DepthwiseConv1D(3, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "SeparableConv1D": (
        (8, 2),
        lambda h: _through(layers.SeparableConv1D(3, 3, activation="relu"), h),
        [("activation", "tanh")],
    ),
    "AveragePooling3D": (
        (4, 4, 4, 2),
        lambda h: _through(layers.AveragePooling3D(2, strides=1, padding="same"), h),
        [("pool_size", (3, 3, 3))],
    ),
    "MaxPooling3D": (
        (4, 4, 4, 2),
        lambda h: _through(layers.MaxPooling3D(2, strides=1, padding="same"), h),
        [("pool_size", (3, 3, 3))],
    ),
    "Cropping1D": ((8, 2), lambda h: _padded_then_cropped("crop", h), [("cropping", (2, 0))]),
    "ZeroPadding1D": ((8, 2), lambda h: _padded_then_cropped("pad", h), [("padding", (2, 0))]),
    "Cropping2D": (
        (6, 6, 2),
        lambda h: _padded_then_cropped("crop", h),
        [("cropping", ((2, 0), (1, 1)))],
    ),
    "ZeroPadding2D": (
        (6, 6, 2),
        lambda h: _padded_then_cropped("pad", h),
        [("padding", ((2, 0), (1, 1)))],
    ),
    "Dense": (
        (6,),
        lambda h: _through(layers.Dense(5, activation="sigmoid"), h),
        [("activation", "tanh"), ("trainable", False)],
    ),
    "Embedding": ((5,), lambda h: _through(layers.Embedding(10, 4), h), [("trainable", False)]),
    "Dropout": (
        (6,),
        lambda h: _through(layers.Dropout(0.4), layers.Dense(8)(h)),
        [("rate", 0.0), ("rate", 0.8), ("noise_shape", (None, 1))],
    ),
    "SpatialDropout1D": (
        (8, 2),
        lambda h: _through(layers.SpatialDropout1D(0.5), h),
        [("rate", 0.0)],
    ),
    "SpatialDropout2D": (
        (4, 4, 2),
        lambda h: _through(layers.SpatialDropout2D(0.5), h),
        [("rate", 0.0)],
    ),
    "SpatialDropout3D": (
        (2, 4, 4, 2),
        lambda h: _through(layers.SpatialDropout3D(0.5), h),
        [("rate", 0.0)],
    ),
    "AlphaDropout": ((6,), lambda h: _through(layers.AlphaDropout(0.3), h), [("rate", 0.6)]),
    "GaussianDropout": ((6,), lambda h: _through(layers.GaussianDropout(0.3), h), [("rate", 0.6)]),
    "GaussianNoise": ((6,), lambda h: _through(layers.GaussianNoise(0.3), h), [("stddev", 1.0)]),
    "ELU": ((6,), lambda h: _through(layers.ELU(), h), [("alpha", 0.3)]),
    "LeakyReLU": ((6,), lambda h: _through(layers.LeakyReLU(), h), [("negative_slope", 0.5)]),
    "PReLU": ((6,), lambda h: _through(layers.PReLU(), h), [("trainable", False)]),
    "ReLU": (
        (6,),
        lambda h: _through(layers.ReLU(), h),
        [("max_value", 0.5), ("negative_slope", 0.1), ("threshold", 0.3)],
    ),
    "Softmax": ((2, 3), lambda h: _through(layers.Softmax(), h), [("axis", 1)]),
    "Flatten": (
        (3, 2),
        lambda h: _through(layers.Flatten(), h),
        [("data_format", "channels_first")],
    ),
    "Permute": ((2, 2), lambda h: _through(layers.Permute((2, 1)), h), [("dims", (1, 2))]),
    "Reshape": (
        (6,),
        lambda h: (lambda r: (layers.Permute((2, 1))(r(h)), r))(layers.Reshape((2, 3))),
        [("target_shape", (3, 2))],
    ),
    "RepeatVector": ((6,), lambda h: _through(layers.RepeatVector(2), h), [("n", 3)]),
    "Rescaling": (
        (6,),
        lambda h: _through(layers.Rescaling(0.5), h),
        [("scale", 2.0), ("offset", 0.5)],
    ),
    "AdaptiveAveragePooling1D": (
        (4, 4),
        lambda h: _through(layers.AdaptiveAveragePooling1D(2), h),
        [("data_format", "channels_first")],
    ),
    "AdaptiveMaxPooling1D": (
        (4, 4),
        lambda h: _through(layers.AdaptiveMaxPooling1D(2), h),
        [("data_format", "channels_first")],
    ),
    "AdaptiveAveragePooling2D": (
        (4, 4, 4),
        lambda h: _through(layers.AdaptiveAveragePooling2D(2), h),
        [("data_format", "channels_first")],
    ),
    "AdaptiveMaxPooling2D": (
        (4, 4, 4),
        lambda h: _through(layers.AdaptiveMaxPooling2D(2), h),
        [("data_format", "channels_first")],
    ),
    "AdaptiveAveragePooling3D": (
        (4, 4, 4, 4),
        lambda h: _through(layers.AdaptiveAveragePooling3D(2), h),
        [("data_format", "channels_first")],
    ),
    "AdaptiveMaxPooling3D": (
        (4, 4, 4, 4),
        lambda h: _through(layers.AdaptiveMaxPooling3D(2), h),
        [("data_format", "channels_first")],
    ),
    "GlobalAveragePooling3D": (
        (4, 4, 4, 4),
        lambda h: _through(layers.GlobalAveragePooling3D(), h),
        [("data_format", "channels_first")],
    ),
    "GlobalMaxPooling3D": (
        (4, 4, 4, 4),
        lambda h: _through(layers.GlobalMaxPooling3D(), h),
        [("data_format", "channels_first")],
    ),
    "Cropping3D": (
        (5, 5, 5, 2),
        lambda h: _through(layers.Cropping3D(1), h),
        [("cropping", ((2, 0), (0, 2), (1, 1)))],
    ),
    "ZeroPadding3D": (
        (3, 3, 3, 2),
        lambda h: _through(layers.ZeroPadding3D(1), h),
        [("padding", ((2, 0), (0, 2), (1, 1)))],
    ),
    "UpSampling3D": (
        (2, 2, 2, 2),
        lambda h: _through(layers.UpSampling3D(2), h),
        [("data_format", "channels_first")],
    ),
    "GroupNormalization": (
        (6,),
        lambda h: _through(layers.GroupNormalization(groups=2), layers.Dense(6)(h)),
        [("epsilon", 0.5)],
    ),
    "RMSNormalization": (
        (6,),
        lambda h: _through(layers.RMSNormalization(), layers.Dense(6)(h)),
        [("epsilon", 0.5)],
    ),
    "UnitNormalization": (
        (4, 4),
        lambda h: _through(layers.UnitNormalization(), h),
        [("axis", [1])],
    ),
    "UpSampling1D": ((4, 2), lambda h: _through(layers.UpSampling1D(2), h), [("size", 3)]),
    "UpSampling2D": (
        (4, 4, 2),
        lambda h: _through(layers.UpSampling2D(2), h),
        [("interpolation", "bilinear")],
    ),
}

# Called while a graph is built, never by a step.
_NOT_CALLED_BY_A_STEP = {"InputLayer"}

# Classes whose inputs are indices: the data are integers below this bound (as floats).
_INDEX_INPUTS = {"Embedding": 10}


def _inputs_for(rng, name, shape):
    """Random inputs of `shape` for a model around the layer of `_CHANGES[name]`."""
    if name in _INDEX_INPUTS:
        return rng.integers(0, _INDEX_INPUTS[name], shape).astype("float32")
    return rng.standard_normal(shape).astype("float32")


def _vetted_layer_classes():
    found = {}
    for name in dir(layers):
        value = getattr(layers, name)
        if isinstance(value, type) and issubclass(value, layers.Layer) and value._replayable:
            found[value.__name__] = value  # aliases (MaxPool2D) count once
    return found


def test_every_vetted_layer_class_has_its_settings_changed_below():
    vetted = _vetted_layer_classes()
    assert set(_CHANGES) | _NOT_CALLED_BY_A_STEP == set(vetted)
    base = set(inspect.signature(layers.Layer.__init__).parameters)
    for name, (_, _, changes) in _CHANGES.items():
        if not changes:  # only the settings every layer takes
            own = set(inspect.signature(vetted[name].__init__).parameters) - base - {"kwargs"}
            assert not own, (name, own)


def _outcome(model, x, y):
    """One more epoch and an evaluation: the losses and weights, or the error raised."""
    try:
        history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        evaluation = model.evaluate(x, y, batch_size=8, verbose=0)
    except Exception as error:  # the eager step may reject the change: both must
        # The same message, but for the models' own layer names.
        return ("raised", type(error).__name__, re.sub(r'"[^"]*"', '""', str(error)))
    return history.history["loss"], evaluation, [w.tolist() for w in model.get_weights()]


def _after_change(build, change, x, y, loss=lambda: "mse"):
    """The outcomes of a compiled and an eager model changed after they trained a while,
    and of an eager model left as it was."""
    outcomes = {}
    epsilon, floatx = keras.config.epsilon(), keras.config.floatx()
    for mode in ("compiled", "eager", "unchanged"):
        # A change may have been to the global settings.
        keras.config.set_epsilon(epsilon)
        keras.config.set_floatx(floatx)
        keras.utils.set_random_seed(5)
        model, target = build()
        model.compile(optimizer="sgd", loss=loss(), run_eagerly=mode != "compiled")
        # Records, checks and replays the train and the test step (five batches each).
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        model.evaluate(x, y, batch_size=8, verbose=0)
        if mode == "compiled":
            steps = model._compiled_steps
            assert steps.replayed["train"] > 0 and steps.replayed["test"] > 0
        if mode != "unchanged":
            change(model, target)
        outcomes[mode] = _outcome(model, x, y)
    return outcomes


def _layer_cases():
    for name, (_, _, changes) in sorted(_CHANGES.items()):
        for attribute, value in changes:
            yield pytest.param(name, attribute, value, id=f"{name}.{attribute}={value!r}")


@pytest.mark.parametrize("name, attribute, value", list(_layer_cases()))
def test_a_changed_layer_setting_is_used_by_the_next_fit_and_evaluate(rng, name, attribute, value):
    shape, body, _ = _CHANGES[name]

    def build():
        inputs = keras.Input(shape=shape)
        h, layer = body(inputs)
        if len(h.shape) > 2:
            h = layers.Flatten()(h)
        return keras.Model(inputs, layers.Dense(3)(h)), layer

    def change(model, layer):
        setattr(layer, attribute, activations.get(value) if attribute == "activation" else value)

    x = _inputs_for(rng, name, (40, *shape))
    y = rng.standard_normal((40, 3)).astype("float32")
    outcomes = _after_change(build, change, x, y)
    assert outcomes["compiled"] == outcomes["eager"]
    assert outcomes["eager"] != outcomes["unchanged"]  # the change matters


def _dense_model(output_activation=None):
    def build():
        inputs = keras.Input(shape=(6,))
        h = layers.Dense(8, activation="tanh")(inputs)
        h = layers.Dropout(0.3)(layers.BatchNormalization()(h))
        model = keras.Model(inputs, layers.Dense(3, activation=output_activation)(h))
        return model, model

    return build


def _replace_dense_variables(model, _):
    dense = model.layers[-1]
    dense.kernel = keras.Variable(np.full(dense.kernel.shape, 0.3, "float32"), name="kernel")
    dense.bias = keras.Variable(np.full(dense.bias.shape, -0.2, "float32"), name="bias")


def _replace_moving_statistics(model, _):
    norm = model.layers[2]
    norm.moving_mean = keras.Variable(np.full(8, 0.5, "float32"), trainable=False)
    norm.moving_variance = keras.Variable(np.full(8, 2.0, "float32"), trainable=False)


def _replace_seed_generator(model, _):
    model.layers[3].seed_generator = keras.random.SeedGenerator(99)


def _set_loss_setting(key, value):
    def change(model, _):
        model._compile_loss.losses[0]._fn_kwargs[key] = value

    return change


def _set_loss_attribute(attribute, value):
    def change(model, _):
        setattr(model._compile_loss.losses[0], attribute, value)

    return change


def _set_epsilon(model, _):
    keras.config.set_epsilon(0.1)


def _set_floatx(model, _):
    keras.config.set_floatx("float64")


def _set_learning_rate(model, _):
    model.optimizer.learning_rate = 0.5


# (what changes, output activation, loss, the change). The optimizer is not part of a
# recording (its update runs after the replay) but is listed all the same.
_MODEL_CHANGES = {
    "dense variables replaced": (None, "mse", _replace_dense_variables),
    "moving statistics replaced": (None, "mse", _replace_moving_statistics),
    "seed generator replaced": (None, "mse", _replace_seed_generator),
    "loss reduction": (None, "mse", _set_loss_attribute("reduction", "sum")),
    "loss label smoothing": (
        None,
        lambda: keras.losses.CategoricalCrossentropy(from_logits=True),
        _set_loss_setting("label_smoothing", 0.3),
    ),
    "loss from logits": (
        "sigmoid",
        lambda: keras.losses.BinaryCrossentropy(from_logits=True),
        _set_loss_setting("from_logits", False),
    ),
    "epsilon": ("sigmoid", "binary_crossentropy", _set_epsilon),
    "floatx": (None, "mse", _set_floatx),
    "learning rate": (None, "mse", _set_learning_rate),
}


@pytest.mark.parametrize("what", sorted(_MODEL_CHANGES))
def test_a_changed_variable_loss_or_setting_is_used_by_the_next_fit_and_evaluate(rng, what):
    activation, loss, change = _MODEL_CHANGES[what]
    x = rng.standard_normal((40, 6)).astype("float32")
    y = (rng.random((40, 3)) < 0.5).astype("float32")
    outcomes = _after_change(
        _dense_model(activation), change, x, y, loss=loss if callable(loss) else lambda: loss
    )
    assert outcomes["compiled"] == outcomes["eager"]
    if what == "floatx":
        # Layers and losses take the float type when they are made (as in Keras): a
        # built model computes as before, compiled or eager.
        assert outcomes["eager"] == outcomes["unchanged"]
    else:
        assert outcomes["eager"] != outcomes["unchanged"]  # the change matters


def test_evaluate_right_after_replacing_a_layers_variables_reads_the_new_ones(rng):
    x = rng.standard_normal((40, 6)).astype("float32")
    y = rng.standard_normal((40, 3)).astype("float32")
    results = []
    for eager in (False, True):
        keras.utils.set_random_seed(5)
        model, _ = _dense_model()()
        model.compile(optimizer="sgd", loss="mse", run_eagerly=eager)
        before = model.evaluate(x, y, batch_size=8, verbose=0)  # recorded, checked, replayed
        _replace_dense_variables(model, None)
        results.append(model.evaluate(x, y, batch_size=8, verbose=0))
    assert results[0] == results[1] != before


def test_a_dropout_rate_changed_by_a_callback_takes_effect_at_the_next_step(rng):
    # As in an eager step. (Keras's jit-compiled step keeps the rate it was traced with.)
    x = rng.standard_normal((48, 6)).astype("float32")
    y = rng.standard_normal((48, 3)).astype("float32")

    class NoMoreDropout(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model.layers[3].rate = 0.0

    histories = []
    for eager, callbacks in ((False, [NoMoreDropout()]), (True, [NoMoreDropout()]), (True, [])):
        keras.utils.set_random_seed(5)
        model, _ = _dense_model()()
        model.compile(optimizer="sgd", loss="mse", run_eagerly=eager)
        history = model.fit(
            x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=callbacks
        )
        histories.append(history.history["loss"])
        if not eager:
            assert model._compiled_steps.replayed["train"] > 0
    assert histories[0] == histories[1]
    assert histories[1][1:] != histories[2][1:]  # the change matters


@pytest.mark.parametrize("name", sorted(_CHANGES))
def test_no_vetted_layer_call_reads_what_the_fingerprint_leaves_out(rng, name):
    from minikeras.trainers.compiled_step import _BOOKKEEPING

    shape, body, _ = _CHANGES[name]
    inputs = keras.Input(shape=shape)
    _, layer = body(inputs)
    node = layer._inbound_nodes[0]
    args = [
        [Tensor(_inputs_for(rng, name, (2, *t.shape[1:]))) for t in arg]
        if isinstance(arg, list)
        else Tensor(_inputs_for(rng, name, (2, *arg.shape[1:])))
        for arg in node.args
    ]
    kind, read = type(layer), set()

    class Traced(kind):
        def __getattribute__(self, attribute):
            read.add(attribute)
            return kind.__getattribute__(self, attribute)

    keyword = {"training": True} if "training" in inspect.signature(kind.call).parameters else {}
    layer.__class__ = Traced
    try:
        layer.call(*args, **keyword)
    finally:
        layer.__class__ = kind
    assert read and not read & _BOOKKEEPING


def test_a_layer_holding_an_array_runs_eagerly_and_sees_it_change_in_place(rng):
    x = rng.standard_normal((40, 6)).astype("float32")
    y = rng.standard_normal((40, 3)).astype("float32")

    def build():
        inputs = keras.Input(shape=(6,))
        rescaling = layers.Rescaling(1.0)
        model = keras.Model(inputs, layers.Dense(3)(rescaling(inputs)))
        rescaling.scale = np.full(6, 0.5, "float32")  # an array: it could change in place
        return model, rescaling

    def change(model, rescaling):
        rescaling.scale *= 4.0  # no assignment to the layer: nothing counts it

    outcomes = {}
    for mode in ("compiled", "eager", "unchanged"):
        keras.utils.set_random_seed(5)
        model, rescaling = build()
        model.compile(optimizer="sgd", loss="mse", run_eagerly=mode != "compiled")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        if mode == "compiled":
            assert model._compiled_steps.replayed == {"train": 0, "test": 0, "predict": 0}
        if mode != "unchanged":
            change(model, rescaling)
        outcomes[mode] = _outcome(model, x, y)
    assert outcomes["compiled"] == outcomes["eager"] != outcomes["unchanged"]


def test_a_deep_copied_model_sees_changes_to_its_own_loss(rng):
    import copy

    x = rng.standard_normal((40, 6)).astype("float32")
    y = rng.standard_normal((40, 3)).astype("float32")
    keras.utils.set_random_seed(5)
    model, _ = _dense_model()()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    twin, reference = copy.deepcopy(model), copy.deepcopy(model)
    replayed = twin._compiled_steps.replayed["test"]
    twin.evaluate(x, y, batch_size=8, verbose=0)
    assert twin._compiled_steps.replayed["test"] > replayed
    for copied in (twin, reference):  # a loss is not a layer: no counter moves
        copied._compile_loss.losses[0].reduction = "sum"
    got = twin.evaluate(x, y, batch_size=8, verbose=0)
    reference.run_eagerly = True
    assert got == reference.evaluate(x, y, batch_size=8, verbose=0)


def test_a_training_call_in_one_thread_does_not_reach_layer_calls_in_another(rng):
    # The training flag and nesting depth of layer calls are per thread: a Dropout model
    # called with training=True in one thread must not make another thread's inference
    # calls drop units.
    x = rng.standard_normal((8, 6)).astype("float32")

    def dropout_model():
        inputs = keras.Input((6,))
        hidden = layers.Dropout(0.5)(layers.Dense(16)(inputs))
        return keras.Model(inputs, layers.Dense(3)(hidden))

    training_model, inference_model = dropout_model(), dropout_model()
    expected = inference_model(x).numpy()
    errors, start = [], threading.Barrier(2)

    def train_calls():
        start.wait()
        for _ in range(300):
            training_model(x, training=True)

    def inference_calls():
        start.wait()
        for _ in range(300):
            if not np.array_equal(inference_model(x).numpy(), expected):
                errors.append("an inference call dropped units")
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=f) for f in (train_calls, inference_calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
