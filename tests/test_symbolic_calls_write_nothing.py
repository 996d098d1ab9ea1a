"""Symbolic calls compute nothing in Keras: after building a model on `Input`s, every
variable (existing or created during the call) and every seed generator's state holds
what it would hold had the model been built without running the layers."""

import numpy as np

import minikeras as keras
from minikeras import layers


class _Counter(layers.Layer):
    """Counts its calls in a variable it creates in `build`."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.count.assign_add(1.0)
        return inputs


class _CountingModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.counter = _Counter()
        self.dense = layers.Dense(2, kernel_initializer="ones")

    def call(self, inputs):
        return self.dense(self.counter(inputs))


def test_a_counter_in_a_subclassed_model_called_on_an_input_counts_nothing():
    model = _CountingModel()
    model(keras.Input((3,)))
    assert float(model.counter.count.numpy()) == 0.0
    model(np.ones((2, 3), "float32"))
    assert float(model.counter.count.numpy()) == 1.0


class _AssignsInCall(layers.Layer):
    """Overwrites, at each call, a weight it creates in `build` with its input's mean."""

    def build(self, input_shape):
        self.last = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        self.last.assign(keras.ops.mean(inputs, axis=0))
        return inputs * self.last


def test_a_layer_built_in_a_symbolic_call_keeps_its_initial_values():
    class _Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = _AssignsInCall()

        def call(self, inputs):
            return self.inner(inputs + 1.0)

    outer = _Outer()
    outer(keras.Input((4,)))
    layer = outer.inner
    np.testing.assert_array_equal(layer.last.numpy(), np.ones(4, "float32"))
    assert layer.last.numpy().dtype == np.float32


def test_batch_normalization_moving_statistics_are_untouched_by_a_symbolic_build():
    class _Wrapper(keras.Model):
        def __init__(self):
            super().__init__()
            self.norm = layers.BatchNormalization()

        def call(self, inputs, training=None):
            return self.norm(inputs, training=True)

    inputs = keras.Input((3,))
    outputs = _Wrapper()(inputs)
    model = keras.Model(inputs, outputs)
    norm = model.layers[-1].norm
    np.testing.assert_array_equal(norm.moving_mean.numpy(), np.zeros(3, "float32"))
    np.testing.assert_array_equal(norm.moving_variance.numpy(), np.ones(3, "float32"))

    plain = layers.BatchNormalization()
    plain(keras.Input((3,)), training=True)
    np.testing.assert_array_equal(plain.moving_mean.numpy(), np.zeros(3, "float32"))
    np.testing.assert_array_equal(plain.moving_variance.numpy(), np.ones(3, "float32"))


class _NoisyModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.dropout = layers.Dropout(0.5, seed=7)
        self.noise = layers.GaussianNoise(1.0, seed=8)

    def call(self, inputs, training=None):
        return self.noise(self.dropout(inputs, training=True), training=True)


def test_seed_generators_are_untouched_by_a_symbolic_build():
    x = np.ones((4, 5), "float32")
    symbolic = _NoisyModel()
    symbolic(keras.Input((5,)))
    for generator in (symbolic.dropout.seed_generator, symbolic.noise.seed_generator):
        assert int(generator.state.numpy()[1]) == 0
    eager = _NoisyModel()
    np.testing.assert_array_equal(symbolic(x).numpy(), eager(x).numpy())


class _Jitter(layers.Layer):
    """Adds noise drawn from its own seed generator (and computes its shapes by a probe)."""

    def __init__(self):
        super().__init__()
        self.seed_generator = keras.random.SeedGenerator(3)

    def call(self, inputs):
        return inputs + keras.random.normal(keras.ops.shape(inputs), seed=self.seed_generator)


def test_an_existing_seed_generator_is_untouched_by_a_symbolic_call():
    layer = _Jitter()
    layer(np.ones((2, 2), "float32"))
    before = layer.seed_generator.state.numpy()
    layer(keras.Input((2,)))
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), before)


def test_the_global_seed_generator_is_untouched_by_a_symbolic_call():
    class _Unseeded(layers.Layer):
        def call(self, inputs):
            return inputs + keras.random.normal(keras.ops.shape(inputs))

    keras.utils.set_random_seed(11)
    keras.random.normal((1,))
    reference = keras.random.normal((3,)).numpy()
    keras.utils.set_random_seed(11)
    keras.random.normal((1,))
    _Unseeded()(keras.Input((2,)))
    np.testing.assert_array_equal(keras.random.normal((3,)).numpy(), reference)


class _SetInBuild(layers.Layer):
    """Sets, in `build`, a weight to a value its initializer does not give."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="zeros", trainable=False)
        self.scale.assign(3.0)

    def call(self, inputs):
        return inputs * self.scale


def test_values_a_layer_sets_in_build_survive_a_symbolic_call():
    class _Wrapper(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = _SetInBuild()

        def call(self, inputs):
            return self.inner(inputs)

    model = _Wrapper()
    model(keras.Input((2,)))
    assert float(model.inner.scale.numpy()) == 3.0
    built = _Wrapper()
    built.build((None, 2))
    assert float(built.inner.scale.numpy()) == 3.0
