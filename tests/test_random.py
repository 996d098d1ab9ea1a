"""`minikeras.random`: Keras seed semantics, dtypes, distributions, dropout scaling."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import GradientTape, Variable, ops, random

SAMPLERS = {
    "normal": lambda shape, seed, **kw: random.normal(shape, seed=seed, **kw),
    "uniform": lambda shape, seed, **kw: random.uniform(shape, seed=seed, **kw),
    "truncated_normal": lambda shape, seed, **kw: random.truncated_normal(shape, seed=seed, **kw),
    "randint": lambda shape, seed, **kw: random.randint(shape, 0, 1000, seed=seed),
    "dropout": lambda shape, seed, **kw: random.dropout(np.ones(shape, np.float32), 0.5, seed=seed),
    "shuffle": lambda shape, seed, **kw: random.shuffle(
        np.arange(np.prod(shape), dtype=np.float32).reshape(shape), seed=seed
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_int_seed_repeats_and_different_seeds_differ(name):
    sample = SAMPLERS[name]
    a = sample((40, 5), 7).numpy()
    b = sample((40, 5), 7).numpy()
    c = sample((40, 5), 8).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_seed_generator_advances_and_is_reproducible(name):
    sample = SAMPLERS[name]
    generator = random.SeedGenerator(3)
    first, second = sample((40, 5), generator).numpy(), sample((40, 5), generator).numpy()
    assert not np.array_equal(first, second)
    replay = random.SeedGenerator(3)
    np.testing.assert_array_equal(sample((40, 5), replay).numpy(), first)
    np.testing.assert_array_equal(sample((40, 5), replay).numpy(), second)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_set_random_seed_reproduces_unseeded_calls(name):
    sample = SAMPLERS[name]
    keras.utils.set_random_seed(123)
    first = [sample((40, 5), None).numpy() for _ in range(2)]
    keras.utils.set_random_seed(123)
    again = [sample((40, 5), None).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])


def test_unseeded_seed_generators_follow_set_random_seed():
    keras.utils.set_random_seed(5)
    a = random.normal((6,), seed=random.SeedGenerator()).numpy()
    keras.utils.set_random_seed(5)
    b = random.normal((6,), seed=random.SeedGenerator()).numpy()
    np.testing.assert_array_equal(a, b)


def test_seed_generator_state_config_and_bad_seeds():
    generator = random.SeedGenerator(11)
    assert generator.state.dtype == "uint32" and not generator.state.trainable
    np.testing.assert_array_equal(generator.state.numpy(), [11, 0])
    random.uniform((2,), seed=generator)
    np.testing.assert_array_equal(generator.state.numpy(), [11, 1])
    assert generator.get_config() == {"seed": 11}
    assert random.SeedGenerator.from_config(generator.get_config()).seed == 11
    # Restoring the state restores the stream.
    expected = random.uniform((3,), seed=generator).numpy()
    generator.state.assign(np.array([11, 1], np.uint32))
    np.testing.assert_array_equal(random.uniform((3,), seed=generator).numpy(), expected)
    with pytest.raises(ValueError, match="seed"):
        random.SeedGenerator("abc")
    with pytest.raises(ValueError, match="seed"):
        random.normal((2,), seed="abc")


@pytest.mark.parametrize("name", ["normal", "uniform", "truncated_normal"])
def test_float_dtypes(name):
    sample = getattr(random, name)
    assert sample((3,), seed=1).dtype == "float32"
    assert sample((3,), seed=1, dtype="float64").dtype == "float64"
    assert sample((3,), seed=1, dtype="float16").dtype == "float16"
    keras.config.set_floatx("float64")
    assert sample((3,), seed=1).dtype == "float64"
    with pytest.raises(ValueError, match="float dtype"):
        sample((3,), seed=1, dtype="int32")


def test_distribution_statistics():
    values = random.normal((200_000,), mean=2.0, stddev=3.0, seed=0).numpy().astype(np.float64)
    assert abs(values.mean() - 2.0) < 0.03 and abs(values.std() - 3.0) < 0.03
    values = random.uniform((200_000,), minval=-1.0, maxval=3.0, seed=0).numpy()
    assert values.min() >= -1.0 and values.max() < 3.0
    assert abs(values.astype(np.float64).mean() - 1.0) < 0.02
    values = random.truncated_normal((200_000,), mean=1.0, stddev=0.5, seed=0).numpy()
    assert values.min() >= 0.0 and values.max() <= 2.0  # within two standard deviations
    # A standard normal cut at +-2 has standard deviation ~0.8796.
    assert abs(values.astype(np.float64).std() / 0.5 - 0.8796) < 0.01
    ints = random.randint((10_000,), 3, 7, seed=0)
    assert ints.dtype == "int32" and set(np.unique(ints.numpy())) == {3, 4, 5, 6}
    assert random.randint((2,), 0, 5, dtype="int64", seed=0).dtype == "int64"
    with pytest.raises(ValueError, match="integer dtype"):
        random.randint((2,), 0, 5, dtype="float32")


def test_dropout_scales_kept_entries_and_zeroes_the_rest():
    x = np.full((200, 50), 2.0, np.float32)
    y = random.dropout(x, 0.3, seed=4).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], 2.0 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    assert random.dropout(x, 0.0) is not None
    np.testing.assert_array_equal(random.dropout(x, 0.0).numpy(), x)
    np.testing.assert_array_equal(random.dropout(x, 1.0).numpy(), np.zeros_like(x))
    with pytest.raises(ValueError, match="rate"):
        random.dropout(x, -0.1)


def test_dropout_noise_shape_and_gradient():
    x = Variable(np.ones((4, 3, 5), np.float32))
    with GradientTape() as tape:
        y = random.dropout(x, 0.5, noise_shape=(None, 1, 5), seed=2)
    values = y.numpy()
    # The mask is shared along the axis of size 1 in noise_shape.
    assert np.all(values == values[:, :1, :])
    g = tape.gradient(ops.sum(y), x).numpy()
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, values)  # d(x * mask)/dx = mask, and x = 1


def test_shuffle_permutes_along_an_axis():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    rows = random.shuffle(x, seed=1).numpy()
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x))
    columns = random.shuffle(x, axis=1, seed=1).numpy()
    np.testing.assert_array_equal(np.sort(columns, axis=1), x)
    assert random.shuffle([1.0, 2.0, 3.0], seed=0).dtype == "float32"
    assert random.shuffle(ops.convert_to_tensor([1, 2, 3]), seed=0).dtype == "int32"


@pytest.mark.parametrize("noise_shape", [None, (None, 1, 5)])
def test_seeded_dropout_primitive_gradient_matches_finite_differences(noise_shape):
    from tests.gradcheck import check_gradients

    generator = random.SeedGenerator(7)

    def fn(x):
        generator.state.assign(np.array([7, 0], np.uint32))  # the same mask at every call
        return random.dropout(x, 0.4, noise_shape=noise_shape, seed=generator)

    x = np.random.default_rng(0).standard_normal((4, 3, 5))
    check_gradients(fn, x)
    out = fn(Variable(x.astype("float32")))
    assert type(out.creator).__name__ == "SeededDropout"


def test_seeded_dropout_advances_its_generator_like_any_draw():
    generator = random.SeedGenerator(3)
    x = np.ones((6, 4), np.float32)
    first = random.dropout(x, 0.5, seed=generator).numpy()
    second = random.dropout(x, 0.5, seed=generator).numpy()
    assert generator.state.numpy()[1] == 2
    assert not np.array_equal(first, second)
    again = random.SeedGenerator(3)
    np.testing.assert_array_equal(random.dropout(x, 0.5, seed=again).numpy(), first)
    # The mask is the one the generator's next draw gives.
    replay = random.SeedGenerator(3).next().random((6, 4), dtype=np.float32) >= 0.5
    np.testing.assert_array_equal(first != 0, replay)
